//! `tsunagi plugin test`: the plugin author's local runner. Loads a component, runs one
//! call of its world on a JSON fixture under the manifest's limits, and prints the output,
//! what the call used against each limit, the plugin's log lines, and any typed error.

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::json;
use std::sync::Arc;
use tsunagi_plugin_host::{Host, HostConfig, Manifest, Outcome, Usage, World};

#[derive(Subcommand, Debug)]
pub enum PluginCmd {
    /// Run a plugin once on a fixture and report its output and resource use.
    Test {
        /// The component (`target/wasm32-wasip2/release/<name>.wasm`).
        #[arg(long)]
        wasm: String,
        /// pricing | commission | channel
        #[arg(long)]
        world: String,
        /// A JSON fixture: the world's input (see plugins/examples/*/fixture.json).
        #[arg(long)]
        input: String,
        /// A JSON manifest (limits, config, secrets, allowed_hosts).
        #[arg(long)]
        manifest: Option<String>,
        /// Config values on top of the manifest's: `--config key=value`, repeatable.
        #[arg(long = "config-value", value_name = "KEY=VALUE")]
        config: Vec<String>,
        /// Private addresses a channel plugin may reach (e.g. `127.0.0.1/32`), for local
        /// receivers; refused by default as in production.
        #[arg(long)]
        allow_private: Vec<String>,
        /// Where compiled components are kept between runs (default: `$XDG_CACHE_HOME` or
        /// `~/.cache`, then `tsunagi/compiled`); `none` compiles every time.
        #[arg(long)]
        cache_dir: Option<String>,
    },
}

/// The CLI's artefact cache: compiling a 12 MB JavaScript component takes seconds.
fn cache_dir(arg: Option<String>) -> Option<std::path::PathBuf> {
    match arg.as_deref() {
        Some("none") => None,
        Some(d) => Some(d.into()),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache")))
            .map(|d| d.join("tsunagi/compiled")),
    }
}

fn pct(used: u64, limit: u64) -> String {
    if limit == 0 {
        "-".into()
    } else {
        format!("{:.1}%", used as f64 * 100.0 / limit as f64)
    }
}

fn report<T: serde::Serialize>(o: Outcome<T>, m: &Manifest) -> bool {
    let u: &Usage = &o.usage;
    for l in &o.logs {
        eprintln!("[{}] {}", l.level, l.message);
    }
    if o.logs_dropped > 0 {
        eprintln!(
            "({} more log lines dropped: at most 100 per call)",
            o.logs_dropped
        );
    }
    let ok = o.result.is_ok();
    match &o.result {
        Ok(v) => println!(
            "{}",
            serde_json::to_string_pretty(&json!({"output": v})).unwrap_or_default()
        ),
        Err(e) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"error": e})).unwrap_or_default()
            );
            eprintln!("error: {e}");
        }
    }
    eprintln!("resource        used          limit         share");
    eprintln!(
        "fuel            {:<13} {:<13} {}",
        u.fuel,
        u.fuel_limit,
        pct(u.fuel, u.fuel_limit)
    );
    eprintln!(
        "memory (peak)   {:<13} {:<13} {}",
        u.peak_memory_bytes,
        u.memory_limit_bytes,
        pct(u.peak_memory_bytes, u.memory_limit_bytes)
    );
    eprintln!(
        "input bytes     {:<13} {:<13} {}",
        u.input_bytes,
        m.limits.input_bytes,
        pct(u.input_bytes as u64, m.limits.input_bytes as u64)
    );
    eprintln!(
        "output bytes    {:<13} {:<13} {}",
        u.output_bytes,
        m.limits.output_bytes,
        pct(u.output_bytes as u64, m.limits.output_bytes as u64)
    );
    eprintln!(
        "time (µs)       {:<13} {:<13} {}",
        u.duration_us,
        m.limits.timeout_ms * 1000,
        pct(u.duration_us, m.limits.timeout_ms * 1000)
    );
    eprintln!(
        "http requests   {:<13} {:<13}",
        u.http_requests, m.limits.http_requests
    );
    ok
}

pub async fn run(cmd: PluginCmd) -> Result<()> {
    let PluginCmd::Test {
        wasm,
        world,
        input,
        manifest,
        config,
        allow_private,
        cache_dir: cache,
    } = cmd;
    let w = World::parse(&world)
        .with_context(|| format!("--world: {world:?} is not pricing, commission or channel"))?;
    let bytes = std::fs::read(&wasm).with_context(|| format!("--wasm: cannot read {wasm}"))?;
    let fixture = std::fs::read(&input).with_context(|| format!("--input: cannot read {input}"))?;
    let mut m: Manifest = match &manifest {
        Some(p) => serde_json::from_slice(
            &std::fs::read(p).with_context(|| format!("--manifest: cannot read {p}"))?,
        )
        .with_context(|| format!("--manifest: {p} is not a valid manifest"))?,
        None => Manifest::default(),
    };
    for kv in &config {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--config-value: {kv:?} is not KEY=VALUE"))?;
        m.config.insert(k.into(), v.into());
    }
    let errs = m.validate(w, &tsunagi_plugin_host::Limits::platform_max());
    if !errs.is_empty() {
        let lines: Vec<String> = errs
            .iter()
            .map(|(f, why)| format!("manifest.{f}: {why}"))
            .collect();
        anyhow::bail!("{}", lines.join("\n"));
    }
    // The server's host with one slot: the same engine, pool geometry per instance and
    // limits, so what runs here runs there.
    let host = Host::new(HostConfig {
        max_concurrent: 1,
        cache_dir: cache_dir(cache),
        ..HostConfig::default()
    })?;
    let name = std::path::Path::new(&wasm)
        .file_stem()
        .map_or("plugin".into(), |s| s.to_string_lossy().into_owned());
    let plugin = host
        .load(&name, "local", w, &bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let parse_err =
        |e: serde_json::Error| anyhow::anyhow!("--input: {input} is not a {world} input: {e}");
    let ok = match w {
        World::Pricing => report(
            host.price(
                &plugin,
                &m,
                serde_json::from_slice(&fixture).map_err(parse_err)?,
            )
            .await,
            &m,
        ),
        World::Commission => report(
            host.commission(
                &plugin,
                &m,
                serde_json::from_slice(&fixture).map_err(parse_err)?,
            )
            .await,
            &m,
        ),
        World::Channel => {
            let guard = Arc::new(tsunagi_hub::ssrf::Guard::new(&allow_private));
            let egress = tsunagi_hub::channels::plugin::egress(
                guard,
                std::time::Duration::from_millis(m.limits.http_timeout_ms),
            )?;
            report(
                host.deliver(
                    &plugin,
                    &m,
                    egress,
                    serde_json::from_slice(&fixture).map_err(parse_err)?,
                )
                .await,
                &m,
            )
        }
    };
    if ok {
        Ok(())
    } else {
        anyhow::bail!("the call failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(wasm: &str, world: &str, fixture: &str, config: &[&str]) -> PluginCmd {
        use tsunagi_plugin_host::guests;
        PluginCmd::Test {
            wasm: guests::component_path(wasm).display().to_string(),
            world: world.into(),
            input: guests::fixture_path(fixture).display().to_string(),
            manifest: None,
            config: config.iter().map(|s| (*s).to_owned()).collect(),
            allow_private: Vec::new(),
            cache_dir: Some(guests::cache_dir().display().to_string()),
        }
    }

    #[tokio::test]
    async fn the_local_runner_succeeds_fails_and_explains() {
        run(cmd(
            "volume_discount",
            "pricing",
            "volume-discount",
            &["percent=7"],
        ))
        .await
        .expect("priced");
        // The JavaScript example: one slot, as the server's pool per instance.
        run(cmd(
            "volume_discount_js",
            "pricing",
            "volume-discount",
            &["percent=7"],
        ))
        .await
        .expect("priced in JavaScript");
        let e = run(cmd(
            "volume_discount_js_default",
            "pricing",
            "volume-discount",
            &[],
        ))
        .await
        .expect_err("wasi:http");
        assert!(e.to_string().contains("disableFeatures"), "{e}");
        run(cmd(
            "tiered_commission",
            "commission",
            "tiered-commission",
            &[],
        ))
        .await
        .expect("commission");
        let e = run(cmd(
            "hostile",
            "pricing",
            "volume-discount",
            &["mode=panic"],
        ))
        .await
        .expect_err("trap");
        assert_eq!(e.to_string(), "the call failed");
        let e = run(cmd("volume_discount", "billing", "volume-discount", &[]))
            .await
            .expect_err("world");
        assert!(e.to_string().starts_with("--world: \"billing\""), "{e}");
        let e = run(cmd("volume_discount", "commission", "volume-discount", &[]))
            .await
            .expect_err("wrong world");
        assert!(
            e.to_string()
                .contains("does not implement the commission world"),
            "{e}"
        );
        let e = run(cmd("volume_discount", "pricing", "tiered-commission", &[]))
            .await
            .expect_err("fixture");
        assert!(e.to_string().starts_with("--input:"), "{e}");
        let e = run(cmd(
            "volume_discount",
            "pricing",
            "volume-discount",
            &["percent"],
        ))
        .await
        .expect_err("kv");
        assert!(e.to_string().contains("is not KEY=VALUE"), "{e}");
    }
}
