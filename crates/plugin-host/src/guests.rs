//! Where this repository's own guests live once `cargo xtask plugins` has built them (the
//! examples and the adversarial test guest), and their fixtures: for tests, benches and the
//! CLI's tests. Production never reads these paths; plugins come from the registry.

use std::path::PathBuf;

fn plugins_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins")
}

/// `plugins/target/wasm32-wasip2/release/<name>.wasm` (`volume_discount`, `hostile`, …).
pub fn component_path(name: &str) -> PathBuf {
    plugins_dir()
        .join("target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"))
}

/// Where tests and benches keep compiled artefacts between runs (`HostConfig::cache_dir`):
/// a JavaScript component takes a minute and more to compile in a debug build.
pub fn cache_dir() -> PathBuf {
    plugins_dir().join("target/compiled")
}

/// `plugins/examples/<example>/fixture.json` (`volume-discount`, …).
pub fn fixture_path(example: &str) -> PathBuf {
    plugins_dir()
        .join("examples")
        .join(example)
        .join("fixture.json")
}

/// A built guest's bytes; the error says how to build it.
pub fn component(name: &str) -> Result<Vec<u8>, String> {
    let p = component_path(name);
    std::fs::read(&p).map_err(|e| {
        format!(
            "{}: {e} — build the guests with `cargo xtask plugins`",
            p.display()
        )
    })
}

/// An example's fixture, parsed.
pub fn fixture<T: serde::de::DeserializeOwned>(example: &str) -> Result<T, String> {
    let p = fixture_path(example);
    let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", p.display()))
}
