//! The HTTP adapter for an SM-DP+'s ES2+ interface (GSMA SGP.22 §6: JSON over HTTPS, `POST
//! {base}/gsma/rsp2/es2plus/{function}` with `X-Admin-Protocol: gsma/rsp/v2.5.0`) and a
//! bearer API key; the simulator speaks it (docs/carrier-api.md, "The SM-DP+ (ES2+)").
//!
//! Answers map onto [`GatewayError`]: an HTTP 200 whose `functionExecutionStatus` is not
//! `Executed-…` is `Rejected` with code `<subjectCode>/<reasonCode>` (e.g. `8.2.1/3.9`,
//! unknown ICCID); another 4xx is `Rejected` too; 429/5xx, refused credentials
//! (401/403/407) and refused connections are `Transient`; a timeout or a connection lost
//! after sending, and a 200 that cannot be read, are `Unknown`.
//!
//! Every ES2+ function is idempotent by its `functionCallIdentifier`: the SM-DP+ applies an
//! identifier once and answers its repeat with the first answer. So after `Unknown` (and
//! after `Transient`) the caller simply makes the same call again with the same identifier;
//! no status query is needed first.

use crate::es2plus::{
    ADMIN_PROTOCOL, Confirmed, Es2Plus, FinalProfileStatus, RequestHeader, ResponseHeader,
};
use crate::gateway::GatewayError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct HttpSmdp {
    base: String,
    api_key: String,
    requester: String,
    timeout: Duration,
    client: reqwest::Client,
}

/// The header of an answer, read apart from its other fields.
#[derive(Deserialize)]
struct Headed {
    header: ResponseHeader,
}

/// What a non-ES2+ refusal may carry (the simulator's problem JSON).
#[derive(Deserialize)]
struct Problem {
    code: String,
    message: String,
}

#[derive(Deserialize)]
struct Ordered {
    #[serde(default)]
    iccid: Option<String>,
}

impl HttpSmdp {
    /// `base` like `https://smdp.example` (the path `/gsma/rsp2/es2plus/…` is added);
    /// `requester` is our `functionRequesterIdentifier` at the SM-DP+; every call gives up
    /// after `timeout`.
    pub fn new(base: &str, api_key: &str, requester: &str, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .unwrap_or_default();
        Self::with_client(base, api_key, requester, timeout, client)
    }

    /// The same over a client the caller built (the platform's guarded one).
    pub fn with_client(
        base: &str,
        api_key: &str,
        requester: &str,
        timeout: Duration,
        client: reqwest::Client,
    ) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            requester: requester.to_owned(),
            timeout,
            client,
        }
    }

    fn header(&self, call: &str) -> RequestHeader {
        RequestHeader {
            function_requester_identifier: self.requester.clone(),
            function_call_identifier: call.to_owned(),
        }
    }

    /// Calls `function` with `body` (its header added) and reads a successful answer as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        function: &str,
        call: &str,
        mut body: Value,
    ) -> Result<T, GatewayError> {
        body["header"] = json!(self.header(call));
        let url = format!("{}/gsma/rsp2/es2plus/{function}", self.base);
        let res = self
            .client
            .post(url)
            .bearer_auth(&self.api_key)
            .header("x-admin-protocol", ADMIN_PROTOCOL)
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    GatewayError::Transient(format!("{function}: {e}"))
                } else {
                    GatewayError::Unknown(format!(
                        "{function} {call}: {e} (repeat the call with the same functionCallIdentifier)"
                    ))
                }
            })?;
        let status = res.status();
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(GatewayError::Transient(format!(
                "{function}: HTTP {status}"
            )));
        }
        if matches!(status.as_u16(), 401 | 403 | 407) {
            return Err(GatewayError::Transient(format!(
                "{function}: HTTP {status}: the SM-DP+ refused our credentials (check the tenant's SM-DP+ settings)"
            )));
        }
        let bytes = res.bytes().await;
        if !status.is_success() {
            return Err(refusal(
                function,
                status,
                bytes.as_deref().unwrap_or_default(),
            ));
        }
        let unreadable = |e: &dyn std::fmt::Display| {
            GatewayError::Unknown(format!(
                "{function} {call}: unreadable answer: {e} (repeat the call with the same functionCallIdentifier)"
            ))
        };
        let bytes = bytes.map_err(|e| unreadable(&e))?;
        let headed: Headed = serde_json::from_slice(&bytes).map_err(|e| unreadable(&e))?;
        let st = headed.header.function_execution_status;
        if !st.is_success() {
            return Err(rejected(function, &st));
        }
        serde_json::from_slice(&bytes).map_err(|e| unreadable(&e))
    }
}

/// A `Failed` (or `Expired`) execution status as a final refusal.
fn rejected(function: &str, st: &crate::es2plus::ExecutionStatus) -> GatewayError {
    let message = st
        .status_code_data
        .as_ref()
        .and_then(|d| d.message.clone())
        .unwrap_or_else(|| format!("the SM-DP+ answered {} to {function}", st.status));
    GatewayError::Rejected {
        code: st.code(),
        message,
    }
}

/// A 4xx other than refused credentials: final, with whatever reason the body gives.
fn refusal(function: &str, status: reqwest::StatusCode, body: &[u8]) -> GatewayError {
    if let Ok(h) = serde_json::from_slice::<Headed>(body)
        && !h.header.function_execution_status.is_success()
    {
        return rejected(function, &h.header.function_execution_status);
    }
    match serde_json::from_slice::<Problem>(body) {
        Ok(p) => GatewayError::Rejected {
            code: p.code,
            message: p.message,
        },
        Err(_) => GatewayError::Rejected {
            code: "bad_request".into(),
            message: format!("{function}: HTTP {status}"),
        },
    }
}

#[async_trait::async_trait]
impl Es2Plus for HttpSmdp {
    async fn download_order(
        &self,
        call: &str,
        iccid: &str,
        eid: Option<&str>,
    ) -> Result<String, GatewayError> {
        let mut body = json!({ "iccid": iccid });
        if let Some(e) = eid {
            body["eid"] = json!(e);
        }
        let o: Ordered = self.call("downloadOrder", call, body).await?;
        Ok(o.iccid.unwrap_or_else(|| iccid.to_owned()))
    }

    async fn confirm_order(
        &self,
        call: &str,
        iccid: &str,
        release: bool,
    ) -> Result<Confirmed, GatewayError> {
        let body = json!({ "iccid": iccid, "releaseFlag": release });
        self.call("confirmOrder", call, body).await
    }

    async fn cancel_order(
        &self,
        call: &str,
        iccid: &str,
        end: FinalProfileStatus,
    ) -> Result<(), GatewayError> {
        let body = json!({ "iccid": iccid, "finalProfileStatusIndicator": end });
        let _: Headed = self.call("cancelOrder", call, body).await?;
        Ok(())
    }

    async fn release_profile(&self, call: &str, iccid: &str) -> Result<(), GatewayError> {
        let body = json!({ "iccid": iccid });
        let _: Headed = self.call("releaseProfile", call, body).await?;
        Ok(())
    }
}
