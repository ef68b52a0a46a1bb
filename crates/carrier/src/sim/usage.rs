//! The simulated carrier's usage feed: the records its mediation produced for our lines (data
//! sessions, calls, SMS), in the fields of docs/usage.md's NDJSON, each at a position in the
//! feed. The platform pulls them in order (`GET /v1/usage?after=<position>`); tests and the
//! demo add them (`POST /admin/usage`, or generated traffic every `trafficMs` for every active
//! line). Durable like the books: a journal beside them (`<journal>.usage`), replayed at start.

use super::journal::Journal;
use crate::gateway::UsagePage;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

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

/// A generated data session for a line: between 1 and 20 MB down, a little up.
pub fn traffic(msisdn: &str) -> Map<String, Value> {
    let down = 1_000_000 + rand::random::<u64>() % 19_000_000;
    let mut m = Map::new();
    m.insert("type".into(), Value::String("data".into()));
    m.insert("msisdn".into(), Value::String(msisdn.to_owned()));
    m.insert("bytesUp".into(), Value::from(down / 20));
    m.insert("bytesDown".into(), Value::from(down));
    m.insert("apn".into(), Value::String("internet".into()));
    m
}
