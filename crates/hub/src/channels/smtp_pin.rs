//! A tenant's SMTP provider, connected to the very address the SSRF guard checked. lettre's
//! own `from_url` connects by host name, resolving it again when it connects: a name that
//! resolved to a public address at the check could resolve to a private one then (DNS
//! rebinding). Here the URL is read the way lettre reads it (scheme and `tls` mode, port,
//! credentials, the path as HELO name), but the connection goes to the checked address;
//! TLS still verifies the certificate against the host name.

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::net::IpAddr;
use std::time::Duration;

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The host name and port an SMTP URL names.
pub fn target(url: &str) -> Option<(String, u16)> {
    let u = url::Url::parse(url).ok()?;
    let default = match (u.scheme(), tls_mode(&u).as_deref()) {
        ("smtps", _) => 465,
        ("smtp", Some(_)) => 587,
        _ => 25,
    };
    Some((u.host_str()?.to_owned(), u.port().unwrap_or(default)))
}

fn tls_mode(u: &url::Url) -> Option<String> {
    u.query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned())
}

/// A transport for `url` that connects to `ip` (one of the addresses its host resolved to,
/// already checked by the guard).
pub fn pinned(url: &str, ip: IpAddr, timeout: Duration) -> Result<Transport, String> {
    let u = url::Url::parse(url).map_err(|e| format!("invalid SMTP URL: {e}"))?;
    let (host, port) = target(url).ok_or("invalid SMTP URL: no host")?;
    let tls = |h: &str| TlsParameters::new(h.to_owned()).map_err(|e| format!("TLS: {e}"));
    let mode = match (u.scheme(), tls_mode(&u).as_deref()) {
        ("smtp", None) => Tls::None,
        ("smtp", Some("required")) => Tls::Required(tls(&host)?),
        ("smtp", Some("opportunistic")) => Tls::Opportunistic(tls(&host)?),
        ("smtps", _) => Tls::Wrapper(tls(&host)?),
        (s, t) => return Err(format!("invalid SMTP URL: scheme {s:?} with tls {t:?}")),
    };
    let mut b = Transport::builder_dangerous(ip.to_string())
        .port(port)
        .tls(mode)
        .timeout(Some(timeout));
    if u.path().len() > 1 {
        b = b.hello_name(ClientId::Domain(u.path().trim_matches('/').to_owned()));
    }
    if let Some(password) = u.password() {
        let decode =
            |s: &str| percent_decode(s).map_err(|e| format!("invalid SMTP URL credentials: {e}"));
        b = b.credentials(Credentials::new(decode(u.username())?, decode(password)?));
    }
    Ok(b.build())
}

fn percent_decode(s: &str) -> Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_the_url_as_lettre_does() {
        assert_eq!(target("smtp://mx.example"), Some(("mx.example".into(), 25)));
        assert_eq!(
            target("smtp://u:p@mx.example?tls=required"),
            Some(("mx.example".into(), 587))
        );
        assert_eq!(
            target("smtps://mx.example"),
            Some(("mx.example".into(), 465))
        );
        assert_eq!(
            target("smtp://mx.example:2525"),
            Some(("mx.example".into(), 2525))
        );
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        assert!(
            pinned(
                "smtp://u%40x:p%2Fw@mx.example?tls=required",
                ip,
                Duration::from_secs(1)
            )
            .is_ok()
        );
        assert!(pinned("http://mx.example", ip, Duration::from_secs(1)).is_err());
        assert_eq!(percent_decode("u%40x%2fw").expect("utf8"), "u@x/w");
        assert_eq!(percent_decode("100%").expect("utf8"), "100%");
    }
}
