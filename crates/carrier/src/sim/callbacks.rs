//! The simulator's callbacks: after every change it applies (a command, or drift behind
//! the platform's back) it tells the platform how the line is now, signed the Standard
//! Webhooks way with the callback secret, at least once: failed sends are retried a few
//! times, an injected share is sent twice, and an injected random hold delivers them out
//! of order.

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

#[derive(Clone)]
pub struct Sender {
    tx: mpsc::UnboundedSender<CallbackEvent>,
    pub target: Arc<Mutex<Option<CallbackTarget>>>,
}

impl Sender {
    /// Starts the sending task; `faults` is read at each send.
    pub fn start(
        target: Option<CallbackTarget>,
        faults: Arc<dyn Fn() -> CallbackFaults + Send + Sync>,
    ) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<CallbackEvent>();
        let target = Arc::new(Mutex::new(target));
        let t = target.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default();
            while let Some(ev) = rx.recv().await {
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
                        send(&client, &to, &ev).await;
                    }
                });
            }
        });
        Self { tx, target }
    }

    pub fn push(&self, ev: CallbackEvent) {
        let _ = self.tx.send(ev);
    }
}

/// Sends one callback, retrying a failed send a few times (at least once delivery).
async fn send(client: &reqwest::Client, to: &CallbackTarget, ev: &CallbackEvent) {
    let Some(key) = signing::key_bytes(&to.secret) else {
        tracing::warn!("carrier-sim: the callback secret is not a whsec_ secret");
        return;
    };
    let Ok(body) = serde_json::to_vec(ev) else {
        return;
    };
    for attempt in 0..5u32 {
        let ts = chrono::Utc::now().timestamp();
        let sig = signing::sign(&key, &ev.id, ts, &body);
        let r = client
            .post(&to.url)
            .header("content-type", "application/json")
            .header("webhook-id", &ev.id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(body.clone())
            .send()
            .await;
        match r {
            Ok(res) if res.status().is_success() || res.status().is_client_error() => return,
            _ => tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await,
        }
    }
}
