//! What the simulator's tests share: a fresh journal path, the simulator on loopback over
//! it, and removing its journals (the carrier's, the SM-DP+'s and the usage feed's) after.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tsunagi_carrier::sim::{self, Faults, SimConfig};

/// A journal path of its own under the temporary directory (`what` names the test file).
pub fn journal(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "tsunagi-{what}-{}-{}.jsonl",
        std::process::id(),
        rand::random::<u64>()
    ))
}

/// The simulator over the journal at `path`, with API key `key`; its base URL.
pub async fn start(
    path: &Path,
    key: &str,
    faults: Faults,
) -> (String, tokio::task::JoinHandle<()>) {
    let cfg = SimConfig {
        journal: path.to_path_buf(),
        api_key: key.into(),
        faults,
        callback: None,
    };
    let (addr, task) = sim::serve(&cfg, "127.0.0.1:0").await.expect("simulator");
    (format!("http://{addr}"), task)
}

/// Removes the journals the simulator kept at `path`.
pub fn cleanup(path: &Path) {
    let _ = std::fs::remove_file(path);
    for ext in ["smdp", "usage"] {
        let _ = std::fs::remove_file(format!("{}.{ext}", path.display()));
    }
}
