//! The SSRF guard for webhook destinations: private, loopback, link-local, shared-address,
//! multicast and unspecified addresses are refused unless the platform allowlist names them.
//! It is applied when an endpoint is registered and again at every connection (a resolver
//! that drops refused addresses), so a name that later resolves inward (DNS rebinding) is
//! still refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

/// An address block: `10.0.0.0/8`, `::1/128`, or a bare address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Self> {
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(i) & mask
            }
            _ => false,
        }
    }
}

/// Whether an address points inward (not a public destination).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_v4(v4);
            }
            let seg0 = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || v6 == Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0)
        }
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || o[0] >= 240
}

/// The platform's policy for outbound webhook addresses.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow: Vec<Cidr>,
}

impl Guard {
    pub fn new(allow: &[String]) -> Self {
        Self {
            allow: allow.iter().filter_map(|a| Cidr::parse(a)).collect(),
        }
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        !is_internal(ip) || self.allow.iter().any(|c| c.contains(ip))
    }

    /// Refuses a URL whose host is an IP literal the guard does not permit (host names are
    /// checked when they resolve, by [`GuardedResolver`]). No DNS: safe on async workers.
    pub fn check_literal(&self, url: &str) -> Result<(), String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let host = u.host_str().unwrap_or_default();
        match host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            Ok(ip) if !self.permits(ip) => {
                Err(format!("destination {ip} refused by the SSRF guard"))
            }
            _ => Ok(()),
        }
    }

    /// Checks a URL before it is stored: scheme, host, and (when it resolves now) every
    /// address. Returns the reason it is refused.
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        if u.scheme() != "https" && u.scheme() != "http" {
            return Err("must be an http or https URL".into());
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err("must not carry credentials".into());
        }
        let host = u.host_str().ok_or("has no host")?;
        self.check_host(host, u.port_or_known_default().unwrap_or(443))
    }

    /// Checks a host (name or address) a tenant chose, resolving a name now.
    pub fn check_host(&self, host: &str, port: u16) -> Result<(), String> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => (host, port)
                .to_socket_addrs()
                .map(|a| a.map(|s| s.ip()).collect())
                .unwrap_or_default(),
        };
        if let Some(bad) = addrs.iter().find(|ip| !self.permits(**ip)) {
            return Err(format!(
                "resolves to {bad}, a private, loopback or link-local address the platform does not allow"
            ));
        }
        Ok(())
    }
}

/// The one HTTP client for destinations tenants choose (webhooks, channel plugins): no
/// redirects, and every resolved address passes the guard.
pub fn guarded_client(
    guard: Arc<Guard>,
    timeout: std::time::Duration,
    user_agent: &str,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .pool_max_idle_per_host(256)
        .dns_resolver(Arc::new(GuardedResolver(guard)))
        .build()
}

/// A resolver for the webhook client that keeps only permitted addresses.
#[derive(Debug, Clone)]
pub struct GuardedResolver(pub Arc<Guard>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs = tokio::task::spawn_blocking(move || {
                (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<SocketAddr>>())
            })
            .await
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)??;
            let ok: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| guard.permits(a.ip()))
                .collect();
            if ok.is_empty() {
                return Err("destination address refused by the SSRF guard".into());
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        let g = Guard::default();
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(
                !g.permits(bad.parse().expect("ip")),
                "{bad} must be refused"
            );
        }
        assert!(g.permits("93.184.216.34".parse().expect("ip")));
        assert!(g.permits("2606:4700::1111".parse().expect("ip")));
        let g = Guard::new(&["127.0.0.1/32".into()]);
        assert!(g.permits("127.0.0.1".parse().expect("ip")));
        assert!(!g.permits("127.0.0.2".parse().expect("ip")));
    }

    #[test]
    fn urls_are_checked() {
        let g = Guard::default();
        assert!(g.check_url("http://127.0.0.1:9/x").is_err());
        assert!(g.check_url("http://[::1]/x").is_err());
        assert!(g.check_url("ftp://example.com/").is_err());
        assert!(g.check_url("https://user:pw@example.com/").is_err());
        assert!(g.check_url("https://93.184.216.34/hook").is_ok());
        assert!(
            Guard::new(&["127.0.0.0/8".into()])
                .check_url("http://127.0.0.1:9/x")
                .is_ok()
        );
    }

    #[test]
    fn cidr_parsing() {
        assert!(Cidr::parse("10.0.0.0/8").is_some());
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("nonsense").is_none());
        assert!(
            Cidr::parse("fd00::/8")
                .expect("v6")
                .contains("fd12::1".parse().expect("ip"))
        );
    }
}
