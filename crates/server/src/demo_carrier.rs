//! The demo's carrier: the carrier simulator runs beside the demo platform (its books in a
//! journal under the system's temporary directory, so they last as long as the demo's
//! database usually does), sakura-mobile's carrier points at it with its callbacks coming
//! back to this server (the simulator is its SM-DP+ too: eSIM profiles are confirmed there
//! and downloaded by themselves 20 s later), and sakura-mobile's lines are active at the simulator as in our
//! books (lines the simulator does not know yet are entered into its books once).

use anyhow::{Context, Result};
use std::net::SocketAddr;
use tsunagi_app::App;
use tsunagi_app::carrier::settings::{self, CarrierSettingsInput};
use tsunagi_carrier::sim::{self, SimConfig};
use tsunagi_db::repo::Page;
use tsunagi_db::repo::contracts::{self, LineFilter};

const TENANT: &str = "sakura-mobile";
/// The simulator's API key in the demo (a demo value, not a secret).
pub const DEMO_CARRIER_KEY: &str = "demo-carrier-key";

/// Starts the simulator and connects sakura-mobile to it; returns the simulator's address.
pub async fn start(
    app: &App,
    platform: SocketAddr,
) -> Result<(String, tokio::task::JoinHandle<()>)> {
    let journal = std::env::temp_dir().join("tsunagi-demo-carrier-sim.jsonl");
    let cfg = SimConfig {
        journal,
        api_key: DEMO_CARRIER_KEY.into(),
        // The demo's customers "scan the QR code" a while after their eSIM is confirmed.
        // Each active line uses some data every two minutes: allowances move in the console.
        faults: sim::Faults {
            auto_download_ms: 20_000,
            traffic_ms: 120_000,
            ..Default::default()
        },
        callback: None,
    };
    let (addr, task) = match sim::serve(&cfg, "127.0.0.1:9090").await {
        Ok(s) => s,
        Err(_) => sim::serve(&cfg, "127.0.0.1:0")
            .await
            .context("carrier simulator")?,
    };
    let base = format!("http://{addr}");
    let ctx = crate::cli::system_ctx(app, TENANT, None).await?;
    let current = settings::get(app, &ctx)
        .await
        .map_err(|e| anyhow::anyhow!(e.detail()))?;
    // A new callback secret each start: the simulator is told it below.
    let input = CarrierSettingsInput {
        endpoint: base.clone(),
        api_key: Some(DEMO_CARRIER_KEY.into()),
        enabled: true,
        timeout_ms: 5_000,
        version: current.map(|c| c.version),
        rotate_callback_secret: true,
        overlap_hours: 0,
        // The simulator is the demo's SM-DP+ too.
        smdp_endpoint: Some(base.clone()),
        smdp_api_key: Some(DEMO_CARRIER_KEY.into()),
    };
    let (row, secret) = settings::set(app, &ctx, input)
        .await
        .map_err(|e| anyhow::anyhow!("demo carrier settings: {}", e.detail()))?;
    let secret = secret.context("a callback secret")?;
    let http = reqwest::Client::new();
    let url = format!(
        "http://{platform}{}",
        tsunagi_app::carrier::callbacks::path(row.tenant_id)
    );
    http.post(format!("{base}/admin/callback"))
        .bearer_auth(DEMO_CARRIER_KEY)
        .json(&serde_json::json!({ "url": url, "secret": secret }))
        .send()
        .await?
        .error_for_status()?;
    enter_lines(app, &ctx, &http, &base).await?;
    Ok((base, task))
}

/// Lines of our books the simulator does not know yet enter its books as we have them.
async fn enter_lines(
    app: &App,
    ctx: &tsunagi_app::Ctx,
    http: &reqwest::Client,
    base: &str,
) -> Result<()> {
    let mut tx = app.tx(ctx).await.map_err(|e| anyhow::anyhow!(e.detail()))?;
    let lines = contracts::line_list(
        &mut tx,
        &LineFilter::default(),
        Page {
            after: None,
            limit: 1000,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.detail()))?;
    let mut entries = Vec::new();
    for l in lines {
        let status = match l.status.as_str() {
            "active" => "active",
            "suspended" => "suspended",
            _ => continue,
        };
        let iccid = match (l.sim_id, l.esim_id) {
            (Some(s), _) => tsunagi_db::repo::inventory::sim_get(&mut tx, s)
                .await
                .map(|s| s.iccid),
            (None, Some(e)) => tsunagi_db::repo::inventory::esim_get(&mut tx, e)
                .await
                .map(|e| e.iccid),
            _ => continue,
        }
        .map_err(|e| anyhow::anyhow!(e.detail()))?;
        entries.push((format!("+{}", l.msisdn), status, iccid));
    }
    tx.commit().await.map_err(|e| anyhow::anyhow!(e.detail()))?;
    for (msisdn, status, iccid) in entries {
        let known = http
            .get(format!("{base}/v1/lines/{msisdn}"))
            .bearer_auth(DEMO_CARRIER_KEY)
            .send()
            .await?
            .status()
            .is_success();
        if !known {
            let line = serde_json::json!({ "msisdn": msisdn, "iccid": iccid, "status": status,
                "speedLimitKbps": null, "sequence": 0, "updatedAt": chrono::Utc::now() });
            http.post(format!("{base}/admin/lines/{msisdn}"))
                .bearer_auth(DEMO_CARRIER_KEY)
                .json(&line)
                .send()
                .await?
                .error_for_status()?;
        }
    }
    Ok(())
}
