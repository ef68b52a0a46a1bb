//! The simulator's durable journals (the carrier's books and the SM-DP+'s): one JSON line
//! per entry, written and flushed before the answer leaves, replayed at start. A torn last
//! line (a crash mid-write) was never answered: it is skipped, and ended with a newline so
//! it cannot swallow the next entry.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::path::Path;

pub struct Journal(std::fs::File);

impl Journal {
    /// Opens (creating) the journal at `path`; its entries, oldest first.
    pub fn open<T: DeserializeOwned>(path: &Path) -> std::io::Result<(Self, Vec<T>)> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        if file.metadata()?.len() > 0 {
            let mut last = [0u8; 1];
            let mut r = std::fs::File::open(path)?;
            r.seek(SeekFrom::End(-1))?;
            r.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
                file.sync_data()?;
            }
        }
        let mut entries = Vec::new();
        for line in std::io::BufReader::new(std::fs::File::open(path)?).lines() {
            if let Ok(e) = serde_json::from_str::<T>(&line?) {
                entries.push(e);
            }
        }
        Ok((Self(file), entries))
    }

    /// Writes `e` as one line and flushes it to disk.
    pub fn append<T: Serialize>(&mut self, e: &T) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(e)?;
        line.push(b'\n');
        self.0.write_all(&line)?;
        self.0.sync_data()
    }

    /// Writes every entry as a line and flushes them to disk once.
    pub fn append_all<T: Serialize>(&mut self, entries: &[T]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        for e in entries {
            serde_json::to_writer(&mut buf, e)?;
            buf.push(b'\n');
        }
        self.0.write_all(&buf)?;
        self.0.sync_data()
    }
}
