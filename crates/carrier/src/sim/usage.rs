//! The simulated carrier's usage feed: the records its mediation produced for our lines (data
//! sessions, calls, SMS), in the fields of docs/usage.md's NDJSON, each at a position in the
//! feed. The platform pulls them in order (`GET /v1/usage?after=<position>`); tests and the
//! demo add them (`POST /admin/usage`, or generated traffic every `trafficMs` for every active
//! line). Durable like the books: a journal beside them (`<journal>.usage`), replayed at start.

use super::journal::Journal;
use super::{Shared, Sim, current_faults, problem};
use crate::gateway::UsagePage;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One record at its position in the feed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    position: u64,
    record: Map<String, Value>,
}

pub struct Feed {
    records: Vec<Entry>,
    file: Journal,
}

/// The feed's journal, beside the carrier's.
pub fn journal_path(books: &Path) -> PathBuf {
    let mut p = books.as_os_str().to_owned();
    p.push(".usage");
    PathBuf::from(p)
}

impl Feed {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let (file, records) = Journal::open::<Entry>(path)?;
        Ok(Self { records, file })
    }

    fn last(&self) -> u64 {
        self.records.last().map_or(0, |e| e.position)
    }

    /// Appends records (a missing `recordId` becomes `cdr-<position>`, a missing `time` now);
    /// returns the last position.
    pub fn append(&mut self, records: Vec<Map<String, Value>>) -> std::io::Result<u64> {
        let mut position = self.last();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut new = Vec::with_capacity(records.len());
        for mut record in records {
            position += 1;
            record
                .entry("recordId")
                .or_insert_with(|| Value::String(format!("cdr-{position}")));
            record
                .entry("time")
                .or_insert_with(|| Value::String(now.clone()));
            new.push(Entry { position, record });
        }
        self.file.append_all(&new)?;
        self.records.extend(new);
        Ok(position)
    }

    /// The records after `after`, at most `limit`.
    pub fn page(&self, after: u64, limit: usize) -> UsagePage {
        let start = self.records.partition_point(|e| e.position <= after);
        let page: Vec<&Entry> = self.records[start..].iter().take(limit).collect();
        let next = page.last().map_or(after, |e| e.position);
        UsagePage {
            records: page.iter().map(|e| e.record.clone()).collect(),
            next: next.to_string(),
            more: start + page.len() < self.records.len(),
        }
    }
}

/// A generated data session for a line: between 1 and 20 MB down (a hundredth of it when
/// the line is throttled), a little up.
fn session(msisdn: &str, kbps: Option<u32>) -> Map<String, Value> {
    let mut down = 1_000_000 + rand::random::<u64>() % 19_000_000;
    if kbps.is_some() {
        down /= 100;
    }
    let mut m = Map::new();
    m.insert("type".into(), Value::String("data".into()));
    m.insert("msisdn".into(), Value::String(msisdn.to_owned()));
    m.insert("bytesUp".into(), Value::from(down / 20));
    m.insert("bytesDown".into(), Value::from(down));
    m.insert("apn".into(), Value::String("internet".into()));
    m
}

#[derive(Deserialize)]
pub(super) struct UsageQuery {
    after: Option<String>,
    limit: Option<u32>,
}

/// The feed after a position, at most `limit` records (1–10,000; default 1,000).
pub(super) async fn feed(State(sim): State<Shared>, q: Query<UsageQuery>) -> Response {
    let f = current_faults(&sim);
    tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    if f.error_rate > 0.0 && rand::random::<f64>() < f.error_rate {
        return problem(503, "unavailable", "injected error");
    }
    let after = match q.after.as_deref().map(str::parse::<u64>) {
        None => 0,
        Some(Ok(a)) => a,
        Some(Err(_)) => return problem(400, "bad_request", "after: a position from `next`"),
    };
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000) as usize;
    Json(sim.feed.lock().await.page(after, limit)).into_response()
}

/// Adds records to the feed (objects in the NDJSON fields; `recordId` and `time` default
/// to `cdr-<position>` and now).
pub(super) async fn add(
    State(sim): State<Shared>,
    Json(records): Json<Vec<serde_json::Map<String, serde_json::Value>>>,
) -> Response {
    let n = records.len();
    match sim.feed.lock().await.append(records) {
        Ok(last) => Json(json!({ "added": n, "last": last })).into_response(),
        Err(e) => problem(500, "journal", &e.to_string()),
    }
}

/// Generated traffic (`trafficMs`), for as long as the simulator lives.
pub(super) fn traffic(sim: std::sync::Weak<Sim>) {
    tokio::spawn(async move {
        loop {
            let every = match sim.upgrade() {
                Some(s) => current_faults(&s).traffic_ms,
                None => return,
            };
            tokio::time::sleep(Duration::from_millis(if every > 0 { every } else { 1000 })).await;
            let Some(s) = sim.upgrade() else { return };
            if every == 0 || current_faults(&s).traffic_ms == 0 {
                continue;
            }
            // Active lines use data; a throttled one little, a blocked one none.
            let active: Vec<(String, Option<u32>)> = s
                .books
                .lock()
                .await
                .lines
                .values()
                .filter(|l| l.status == crate::gateway::CarrierStatus::Active)
                .filter(|l| l.speed_limit_kbps != Some(0))
                .map(|l| (l.msisdn.clone(), l.speed_limit_kbps))
                .collect();
            let records = active.iter().map(|(m, k)| session(m, *k)).collect();
            if let Err(e) = s.feed.lock().await.append(records) {
                tracing::warn!(error = %e, "simulated traffic not journalled");
            }
        }
    });
}
