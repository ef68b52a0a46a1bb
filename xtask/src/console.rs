//! The web console: `npm ci` (when its packages are missing or older than the lock file),
//! then `npm run build` (typed operations from graphql/schema.graphql, type check, Vite
//! build, the persisted operations beside it); for the browser suite, Debian's Chromium
//! (installed with apt-get as root, else say what to install).

use crate::run;
use crate::services::{apt_install, which};
use std::path::Path;
use std::process::Command;

fn npm() -> Result<Command, String> {
    if which("npm").is_none() || which("node").is_none() {
        return Err(
            "the console needs Node.js 20+ and npm (Debian: `apt-get install nodejs npm`)".into(),
        );
    }
    Ok(Command::new("npm"))
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Installs the console's packages when needed and builds it into console/dist.
pub fn build() -> Result<(), String> {
    let dir = crate::root().join("console");
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let stale = match (modified(&lock), modified(&installed)) {
        (Some(l), Some(i)) => l > i,
        _ => true,
    };
    if stale {
        eprintln!("xtask: installing the console's packages (npm ci)");
        run(npm()?
            .current_dir(&dir)
            .args(["ci", "--no-audit", "--no-fund"]))?;
    }
    eprintln!("xtask: building the console");
    run(npm()?.current_dir(&dir).args(["run", "build", "--silent"]))
}

/// The browser the console suite drives: Debian's Chromium.
pub fn ensure_chromium() -> Result<(), String> {
    if which("chromium").is_some() {
        return Ok(());
    }
    // The fonts make Japanese screenshots legible.
    apt_install(&["chromium", "fonts-noto-cjk"]).map_err(|why| {
        format!("the console tests need Chromium ({why}): install Debian's `chromium` (apt-get install chromium) or put a `chromium` on PATH")
    })?;
    if which("chromium").is_some() {
        Ok(())
    } else {
        Err("chromium is still missing after apt-get install chromium".into())
    }
}
