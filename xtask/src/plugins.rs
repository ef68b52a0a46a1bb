//! Builds the guest plugins (plugins/: the examples and the adversarial test guests) for
//! wasm32-wasip2, installing the target with rustup when missing. One package per cargo
//! invocation, so the SDK's per-world features never unify across plugins. Output:
//! plugins/target/wasm32-wasip2/release/<name>.wasm (the tests and benches read it there).

use std::process::Command;

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
    println!("xtask: plugins built in plugins/target/{TARGET}/release");
    Ok(())
}
