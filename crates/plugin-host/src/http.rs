//! The HTTP import of channel plugins, the only way out of their sandbox: the host performs
//! a request only to a host in the plugin's manifest allowlist, over http(s), with the
//! manifest's limits on requests per call, body sizes and time. The reqwest client is the
//! embedding application's, so its SSRF guard (no private addresses unless the platform
//! allows them) applies as well.

use crate::bindings::channel::tsunagi::plugins::http::{self, HttpError, Request, Response};
use crate::state::State;
use std::time::Duration;

/// A URL check of the embedding application (e.g. the hub's SSRF guard for IP literals).
pub type UrlCheck = std::sync::Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// How channel plugins reach the network: the application's client (its resolver refuses
/// private addresses) and its URL check.
#[derive(Clone)]
pub struct Egress {
    pub client: reqwest::Client,
    pub check: Option<UrlCheck>,
}

#[derive(Clone)]
pub struct HttpPolicy {
    pub egress: Egress,
    pub allowed_hosts: Vec<String>,
    pub max_requests: u32,
    pub max_bytes: usize,
    pub timeout: Duration,
    pub made: u32,
}

impl HttpPolicy {
    /// Why a URL may not be requested, or None when it may.
    pub fn refusal(&self, url: &reqwest::Url) -> Option<String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Some(format!(
                "scheme {:?} is not allowed (http or https only)",
                url.scheme()
            ));
        }
        let Some(host) = url.host_str() else {
            return Some("the URL has no host".into());
        };
        let port = url.port_or_known_default().unwrap_or(0);
        let allowed = self.allowed_hosts.iter().any(|a| match a.rsplit_once(':') {
            Some((h, p)) => h.eq_ignore_ascii_case(host) && p.parse::<u16>().ok() == Some(port),
            None => a.eq_ignore_ascii_case(host) && url.port().is_none(),
        });
        (!allowed).then(|| format!("host {host}:{port} is not in the plugin's allowed_hosts"))
    }
}

async fn perform(p: &HttpPolicy, req: Request) -> Result<Response, HttpError> {
    let url =
        reqwest::Url::parse(&req.url).map_err(|e| HttpError::Failed(format!("bad URL: {e}")))?;
    if let Some(why) = p.refusal(&url) {
        return Err(HttpError::Denied(why));
    }
    if let Some(check) = &p.egress.check {
        check(url.as_str()).map_err(HttpError::Denied)?;
    }
    if req.body.len() > p.max_bytes {
        return Err(HttpError::TooLarge);
    }
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| HttpError::Failed(format!("bad method {:?}", req.method)))?;
    let mut b = p
        .egress
        .client
        .request(method, url)
        .timeout(p.timeout)
        .body(req.body);
    for (k, v) in &req.headers {
        b = b.header(k, v);
    }
    let mut resp = b.send().await.map_err(|e| {
        if e.is_timeout() {
            HttpError::Timeout
        } else {
            HttpError::Failed(crate::chain(&e))
        }
    })?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        if e.is_timeout() {
            HttpError::Timeout
        } else {
            HttpError::Failed(crate::chain(&e))
        }
    })? {
        if body.len() + chunk.len() > p.max_bytes {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

impl http::Host for State {
    async fn send(&mut self, req: Request) -> Result<Response, HttpError> {
        let Some(p) = self.http.as_mut() else {
            return Err(HttpError::Denied(
                "this plugin has no outbound access".into(),
            ));
        };
        if p.made >= p.max_requests {
            return Err(HttpError::Denied(format!(
                "more than {} requests in one call",
                p.max_requests
            )));
        }
        p.made += 1;
        let p = p.clone();
        let url = req.url.clone();
        let r = perform(&p, req).await;
        if let Err(e) = &r {
            tracing::info!(url = %url, error = ?e, "plugin request refused or failed");
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(hosts: &[&str]) -> HttpPolicy {
        HttpPolicy {
            egress: Egress {
                client: reqwest::Client::new(),
                check: None,
            },
            allowed_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            max_requests: 1,
            max_bytes: 10,
            timeout: Duration::from_secs(1),
            made: 0,
        }
    }

    #[test]
    fn only_listed_hosts_and_ports_over_http_pass() {
        let p = policy(&["chat.example.com", "127.0.0.1:8080"]);
        let ok = |u: &str| p.refusal(&reqwest::Url::parse(u).expect("url")).is_none();
        assert!(ok("https://chat.example.com/hooks/1"));
        assert!(ok("http://CHAT.example.com/x"));
        assert!(ok("http://127.0.0.1:8080/x"));
        assert!(!ok("https://chat.example.com:8443/x"), "an unlisted port");
        assert!(!ok("http://127.0.0.1:8081/x"));
        assert!(!ok("https://evil.example.com/x"));
        assert!(!ok("https://chat.example.com.evil.example/x"));
        assert!(!ok("ftp://chat.example.com/x"));
    }
}
