//! The HTTP adapter for the carrier API of docs/carrier-api.md (the simulator speaks it):
//! `POST /v1/lines/{msisdn}/commands` with an `Idempotency-Key` header, `GET
//! /v1/lines/{msisdn}`, `GET /v1/lines?after=&limit=`, a bearer API key. Answers map onto
//! [`GatewayError`]: 4xx `Rejected` (with the carrier's code), 429/5xx, refused
//! credentials (401/403) and refused connections `Transient`, a timeout or a connection lost after sending `Unknown`.

use crate::gateway::{
    CarrierGateway, CarrierLine, GatewayError, InventoryPage, LineCommand, UsagePage,
};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct HttpCarrier {
    base: String,
    api_key: String,
    timeout: Duration,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Problem {
    code: String,
    message: String,
}

impl HttpCarrier {
    /// `base` like `http://127.0.0.1:9090`; every call gives up after `timeout`.
    pub fn new(base: &str, api_key: &str, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .unwrap_or_default();
        Self::with_client(base, api_key, timeout, client)
    }

    /// The same over a client the caller built (the platform's guarded one, shared by
    /// every tenant's carrier).
    pub fn with_client(
        base: &str,
        api_key: &str,
        timeout: Duration,
        client: reqwest::Client,
    ) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            timeout,
            client,
        }
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        idempotent: bool,
    ) -> Result<reqwest::Response, GatewayError> {
        let req = req.bearer_auth(&self.api_key).timeout(self.timeout);
        let res = req.send().await.map_err(|e| {
            // Not sent at all: safe to retry. Sent and then lost: outcome unknown, unless
            // the request changes nothing (a read).
            if idempotent || e.is_connect() {
                GatewayError::Transient(e.to_string())
            } else {
                GatewayError::Unknown(e.to_string())
            }
        })?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(GatewayError::Transient(format!("HTTP {status}")));
        }
        // Our credentials refused: nothing was applied, and no command is at fault (the
        // step waits, and parks, rather than failing the customer's order).
        if matches!(status.as_u16(), 401 | 403 | 407) {
            return Err(GatewayError::Transient(format!(
                "HTTP {status}: the carrier refused our credentials (check the tenant's carrier settings)"
            )));
        }
        let p: Problem = res.json().await.unwrap_or(Problem {
            code: "bad_request".into(),
            message: format!("HTTP {status}"),
        });
        Err(GatewayError::Rejected {
            code: p.code,
            message: p.message,
        })
    }

    async fn read<T: for<'de> Deserialize<'de>>(
        res: reqwest::Response,
        unknown: bool,
    ) -> Result<T, GatewayError> {
        res.json().await.map_err(|e| {
            let m = format!("unreadable answer: {e}");
            if unknown {
                GatewayError::Unknown(m)
            } else {
                GatewayError::Transient(m)
            }
        })
    }
}

#[async_trait::async_trait]
impl CarrierGateway for HttpCarrier {
    async fn submit(&self, cmd: &LineCommand) -> Result<CarrierLine, GatewayError> {
        let url = format!("{}/v1/lines/{}/commands", self.base, cmd.msisdn);
        let req = self
            .client
            .post(url)
            .header("idempotency-key", &cmd.key)
            .json(&cmd.command);
        let res = self.send(req, false).await?;
        Self::read(res, true).await
    }

    async fn line(&self, msisdn: &str) -> Result<Option<CarrierLine>, GatewayError> {
        let url = format!("{}/v1/lines/{msisdn}", self.base);
        match self.send(self.client.get(url), true).await {
            Ok(res) => Self::read(res, false).await.map(Some),
            Err(GatewayError::Rejected { code, .. }) if code == "not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn inventory(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<InventoryPage, GatewayError> {
        let mut req = self
            .client
            .get(format!("{}/v1/lines", self.base))
            .query(&[("limit", limit.to_string())]);
        if let Some(a) = after {
            req = req.query(&[("after", a)]);
        }
        let res = self.send(req, true).await?;
        Self::read(res, false).await
    }

    async fn usage(&self, after: Option<&str>, limit: u32) -> Result<UsagePage, GatewayError> {
        let mut req = self
            .client
            .get(format!("{}/v1/usage", self.base))
            .query(&[("limit", limit.to_string())]);
        if let Some(a) = after {
            req = req.query(&[("after", a)]);
        }
        let res = self.send(req, true).await?;
        Self::read(res, false).await
    }
}
