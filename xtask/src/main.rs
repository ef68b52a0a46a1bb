//! `cargo xtask`: the project's own commands, std-only so they build in seconds.
//!
//! - `services`  find, start or install PostgreSQL and Redis; print the URLs
//! - `demo`      services, the console built, then `tsunagi demo` (migrate, seed, serve the
//!   API and the console on 127.0.0.1:8080)
//! - `test`      services, the console built, then every test of the workspace (the
//!   browser suite included)
//! - `bench`     services, then the benchmarks (criterion and HTTP scenarios); `--quick`
//!   runs every scenario for a few seconds on a tenth of the data (a check, not figures)
//! - `plugins`   build the guest plugins (examples and test guests) for wasm32-wasip2
//! - `schema`    write graphql/schema.graphql from the code
//! - `console`   install the web console's packages and build it (console/dist)

mod console;
mod plugins;
mod services;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("services") => services::ensure().map(|s| s.print()),
        Some("demo") => demo(),
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("schema") => schema(),
        Some("plugins") => plugins::build(),
        Some("console") => console::build(),
        _ => {
            eprintln!("usage: cargo xtask <services|demo|test|bench|plugins|schema|console>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn root() -> std::path::PathBuf {
    let here = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or(here)
}

fn demo() -> Result<(), String> {
    let s = services::ensure()?;
    console::build()?;
    run(cargo()
        .current_dir(root())
        .args(["build", "--workspace", "--bins"]))?;
    let bin = root().join("target/debug/tsunagi");
    let mut cmd = Command::new(bin);
    cmd.current_dir(root()).arg("demo");
    s.apply_app_env(&mut cmd, "tsunagi");
    run(&mut cmd)
}

fn test(extra: &[String]) -> Result<(), String> {
    let s = services::ensure()?;
    s.print();
    ensure_smtp_sink()?;
    plugins::build()?;
    console::build()?;
    console::ensure_chromium()?;
    let mut cmd = cargo();
    cmd.current_dir(root())
        .args(["test", "--workspace"])
        .args(extra);
    s.apply_test_env(&mut cmd);
    run_counting(&mut cmd)
}

/// The notification tests receive real e-mail through aiosmtpd (tests/support/smtp_sink.py),
/// which checks DKIM signatures with dkimpy (and pynacl for Ed25519): installed from PyPI
/// when missing.
fn ensure_smtp_sink() -> Result<(), String> {
    let has = |py: &str| {
        Command::new(py)
            .args(["-c", "import aiosmtpd, dkim, nacl"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if has("python3") {
        return Ok(());
    }
    eprintln!(
        "xtask: installing the test SMTP server (python3 -m pip install aiosmtpd dkimpy pynacl)"
    );
    let ok = Command::new("python3")
        .args([
            "-m", "pip", "install", "--quiet", "aiosmtpd", "dkimpy", "pynacl",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if ok && has("python3") {
        Ok(())
    } else {
        Err("the notification tests need python3 with aiosmtpd, dkimpy and pynacl: run `python3 -m pip install aiosmtpd dkimpy pynacl`".into())
    }
}

/// Runs `cargo test`, passing its output through, and closes with one summary line over
/// every test binary: `tests: N passed, M failed`.
fn run_counting(cmd: &mut Command) -> Result<(), String> {
    use std::io::{BufRead, BufReader, Write};
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let (mut passed, mut failed) = (0u64, 0u64);
    if let Some(out) = child.stdout.take() {
        let mut stdout = std::io::stdout();
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("test result: ") {
                let count = |word: &str| {
                    rest.split(';').find_map(|part| {
                        part.trim()
                            .strip_suffix(word)
                            .and_then(|n| n.trim().rsplit(' ').next()?.parse::<u64>().ok())
                    })
                };
                passed += count("passed").unwrap_or(0);
                failed += count("failed").unwrap_or(0);
            }
            let _ = writeln!(stdout, "{line}");
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    println!("tests: {passed} passed, {failed} failed");
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn bench(extra: &[String]) -> Result<(), String> {
    let s = services::ensure()?;
    plugins::build()?;
    let quick = extra.iter().any(|a| a == "--quick");
    let args: Vec<&String> = extra.iter().filter(|a| *a != "--quick").collect();
    let mut cmd = cargo();
    cmd.current_dir(root()).args(["bench", "--workspace"]);
    if quick {
        // Every bench reads it (tests/src/load.rs; the criterion benches' `config`). Not a
        // command-line flag: `cargo bench` passes those to the libraries' test harnesses too.
        cmd.env("BENCH_QUICK", "1");
    }
    cmd.args(&args);
    s.apply_test_env(&mut cmd);
    run(&mut cmd)
}

fn schema() -> Result<(), String> {
    run(cargo()
        .current_dir(root())
        .args(["build", "--workspace", "--bins"]))?;
    run(Command::new(root().join("target/debug/tsunagi"))
        .arg("schema")
        .arg("--out")
        .arg(root()))?;
    Ok(())
}
