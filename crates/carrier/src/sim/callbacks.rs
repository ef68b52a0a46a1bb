//! The simulator's callbacks: after every change it applies (a command, or drift behind
//! the platform's back) it tells the platform how the line is now, and its SM-DP+ tells how
//! a download went (ES2+ `HandleDownloadProgressInfo`, to `<callback url>/es2plus/
//! handleDownloadProgressInfo`). Both are signed the Standard Webhooks way with the
//! callback secret and sent at least once: failed sends are retried a few times, an
//! injected share is sent twice, and an injected random hold delivers them out of order.

use crate::es2plus::DownloadProgress;
use crate::gateway::CallbackEvent;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tsunagi_core::signing;

/// Where callbacks go, and the secret they are signed with (`whsec_…`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackTarget {
    pub url: String,
    pub secret: String,
}

/// How callbacks misbehave.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallbackFaults {
    /// Share of callbacks sent twice (0–1).
    pub duplicate_rate: f64,
    /// Each callback waits a random 0..reorder_ms first, so later ones can overtake it.
    pub reorder_ms: u64,
}

/// Where the SM-DP+'s download notices go, under the callback URL.
pub const NOTICE_PATH: &str = "/es2plus/handleDownloadProgressInfo";

/// One message to send: the path under the callback URL (empty for a carrier callback),
/// its id (`webhook-id`) and its JSON body, serialized once so every delivery is the same.
struct Outgoing {
    suffix: &'static str,
    id: String,
    body: Vec<u8>,
}

#[derive(Clone)]
pub struct Sender {
    tx: mpsc::UnboundedSender<Outgoing>,
    pub target: Arc<Mutex<Option<CallbackTarget>>>,
}

impl Sender {
    /// Starts the sending task; `faults` is read at each send.
    pub fn start(
        target: Option<CallbackTarget>,
        faults: Arc<dyn Fn() -> CallbackFaults + Send + Sync>,
    ) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        let target = Arc::new(Mutex::new(target));
        let t = target.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default();
            while let Some(out) = rx.recv().await {
                let Some(to) = t.lock().ok().and_then(|g| g.clone()) else {
                    continue;
                };
                let f = faults();
                let times = if rand::random::<f64>() < f.duplicate_rate {
                    2
                } else {
                    1
                };
                let client = client.clone();
                tokio::spawn(async move {
                    if f.reorder_ms > 0 {
                        let hold = rand::random::<u64>() % f.reorder_ms;
                        tokio::time::sleep(Duration::from_millis(hold)).await;
                    }
                    for _ in 0..times {
                        send(&client, &to, &out).await;
                    }
                });
            }
        });
        Self { tx, target }
    }

    /// Queues a carrier callback, sent to the callback URL itself.
    pub fn push(&self, ev: CallbackEvent) {
        match serde_json::to_vec(&ev) {
            Ok(body) => self.queue("", ev.id, body),
            Err(e) => tracing::warn!("carrier-sim: callback {} not serialized: {e}", ev.id),
        }
    }

    /// Queues an SM-DP+ download notice (its `webhook-id` is its functionCallIdentifier).
    pub fn push_notice(&self, n: &DownloadProgress) {
        let id = n.header.function_call_identifier.clone();
        match serde_json::to_vec(n) {
            Ok(body) => self.queue(NOTICE_PATH, id, body),
            Err(e) => tracing::warn!("carrier-sim: notice {id} not serialized: {e}"),
        }
    }

    fn queue(&self, suffix: &'static str, id: String, body: Vec<u8>) {
        let _ = self.tx.send(Outgoing { suffix, id, body });
    }
}

/// Sends one message, retrying a failed send a few times (at least once delivery).
async fn send(client: &reqwest::Client, to: &CallbackTarget, out: &Outgoing) {
    let Some(key) = signing::key_bytes(&to.secret) else {
        tracing::warn!("carrier-sim: the callback secret is not a whsec_ secret");
        return;
    };
    let url = if out.suffix.is_empty() {
        to.url.clone()
    } else {
        format!("{}{}", to.url.trim_end_matches('/'), out.suffix)
    };
    for attempt in 0..5u32 {
        let ts = chrono::Utc::now().timestamp();
        let sig = signing::sign(&key, &out.id, ts, &out.body);
        let r = client
            .post(&url)
            .header("content-type", "application/json")
            .header("webhook-id", &out.id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(out.body.clone())
            .send()
            .await;
        match r {
            Ok(res) if res.status().is_success() || res.status().is_client_error() => return,
            _ => tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await,
        }
    }
}
