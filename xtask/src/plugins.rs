//! Builds the guest plugins (plugins/: the examples and the adversarial test guests) for
//! wasm32-wasip2, installing the target with rustup when missing. One package per cargo
//! invocation, so the SDK's per-world features never unify across plugins. JavaScript
//! examples (a package.json with a build.mjs) are built with their own pinned toolchain
//! (`npm ci`, then `node build.mjs`), twice: as documented, and with componentize-js's
//! defaults (`<name>_default.wasm`, which the host refuses with an explanation). Output:
//! plugins/target/wasm32-wasip2/release/<name>.wasm (the tests and benches read it there).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const TARGET: &str = "wasm32-wasip2";

fn ensure_target() -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup is needed to add the {TARGET} target: {e}"))?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == TARGET)
    {
        return Ok(());
    }
    eprintln!("xtask: installing the {TARGET} target (rustup target add {TARGET})");
    crate::run(Command::new("rustup").args(["target", "add", TARGET]))
}

fn packages(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for group in ["examples", "testing"] {
        let Ok(rd) = std::fs::read_dir(dir.join(group)) else {
            continue;
        };
        for e in rd.flatten() {
            if e.path().join("Cargo.toml").exists() {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

pub fn build() -> Result<(), String> {
    ensure_target()?;
    let dir = crate::root().join("plugins");
    for p in packages(&dir) {
        crate::run(
            crate::cargo()
                .current_dir(&dir)
                .env_remove("CARGO_TARGET_DIR")
                .args([
                    "build",
                    "--quiet",
                    "--release",
                    "--target",
                    TARGET,
                    "--target-dir",
                    "target",
                    "-p",
                    &p,
                ]),
        )?;
    }
    for js in javascript(&dir) {
        build_js(&dir, &js)?;
    }
    println!("xtask: plugins built in plugins/target/{TARGET}/release");
    Ok(())
}

fn javascript(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir.join("examples")) else {
        return Vec::new();
    };
    let mut out: Vec<String> = rd
        .flatten()
        .filter(|e| e.path().join("build.mjs").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// The newest modification time of the files (recursively) under `paths`.
fn newest(paths: &[PathBuf]) -> Option<SystemTime> {
    let mut best = None;
    for p in paths {
        let Ok(md) = std::fs::metadata(p) else {
            continue;
        };
        let t = if md.is_dir() {
            let kids: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| rd.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            newest(&kids)
        } else {
            md.modified().ok()
        };
        best = best.max(t);
    }
    best
}

fn build_js(dir: &Path, name: &str) -> Result<(), String> {
    let src = dir.join("examples").join(name);
    let npm = |args: &[&str]| {
        crate::run(Command::new("npm").current_dir(&src).args(args)).map_err(|e| {
            format!("{e}\nxtask: the JavaScript example {name} needs Node.js 20 and npm")
        })
    };
    let lock = src.join("package-lock.json");
    // A missing install is older than any lock file (None < Some).
    let installed = src.join("node_modules/.package-lock.json");
    if newest(std::slice::from_ref(&installed)) < newest(&[lock]) {
        eprintln!("xtask: npm ci in plugins/examples/{name}");
        npm(&["ci", "--no-audit", "--no-fund", "--loglevel=error"])?;
    }
    let inputs = newest(&[
        src.join("src"),
        src.join("build.mjs"),
        installed,
        dir.join("wit"),
    ]);
    let out = dir.join("target").join(TARGET).join("release");
    let file = name.replace('-', "_");
    for (suffix, extra) in [("", None), ("_default", Some("--default"))] {
        let wasm = out.join(format!("{file}{suffix}.wasm"));
        if wasm.exists() && newest(std::slice::from_ref(&wasm)) >= inputs {
            continue;
        }
        let mut cmd = Command::new("node");
        cmd.current_dir(&src)
            .arg("build.mjs")
            .arg(format!("--out={}", wasm.display()));
        if let Some(a) = extra {
            cmd.arg(a);
        }
        crate::run(&mut cmd)
            .map_err(|e| format!("{e}\nxtask: building {name} needs Node.js 20"))?;
    }
    Ok(())
}
