//! What the usage benchmarks share: a tenant's bench lines seeded with SQL (one plan with a
//! 3 GB allowance, a customer, number, SIM, contract and active line each; MSISDNs
//! `8179` + 8 digits), and a streamed upload to `POST /usage/records` over a plain HTTP/1.1
//! connection with chunked transfer encoding, so a body of any size never sits in memory.

use crate::TestEnv;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The MSISDN of bench line `i` (0-based), without `+`.
pub fn msisdn(i: u32) -> String {
    format!("8179{:08}", i + 1)
}

/// Seeds `lines` active lines in `tenant` (see the module's documentation).
pub async fn seed_lines(env: &TestEnv, tenant: &str, lines: u32) -> anyhow::Result<()> {
    let t = tenant;
    let steps = [
        format!(
            "INSERT INTO plans (tenant_id, id, code, name, status) VALUES ('{t}', md5('{t}plan')::uuid, 'USAGE-BENCH', 'Usage bench', 'active')"
        ),
        format!(
            "INSERT INTO plan_prices (tenant_id, id, plan_id, currency, monthly_fee, data_mb, voice_min, sms, overage_data_per_gb, overage_voice_per_min, overage_sms, valid_from, applies) \
                 VALUES ('{t}', md5('{t}price')::uuid, md5('{t}plan')::uuid, 'JPY', 2980, 3072, 0, 0, 550, 22, 3, now() - interval '1 year', 'immediately')"
        ),
        format!(
            "INSERT INTO customers (tenant_id, id, kind, name, kyc_status) SELECT '{t}', md5('{t}c' || g)::uuid, 'individual', 'Usage ' || g, 'verified' FROM generate_series(1, {lines}) g"
        ),
        format!(
            "INSERT INTO numbers (tenant_id, msisdn, status) SELECT '{t}', '8179' || lpad(g::text, 8, '0'), 'assigned' FROM generate_series(1, {lines}) g"
        ),
        format!(
            "INSERT INTO sims (tenant_id, id, iccid, imsi, status) SELECT '{t}', md5('{t}s' || g)::uuid, '8981990' || lpad(g::text, 12, '0'), '4401199' || lpad(g::text, 8, '0'), 'assigned' FROM generate_series(1, {lines}) g"
        ),
        format!(
            "INSERT INTO contracts (tenant_id, id, customer_id, plan_id, plan_price_id, status, started_at) SELECT '{t}', md5('{t}k' || g)::uuid, md5('{t}c' || g)::uuid, md5('{t}plan')::uuid, md5('{t}price')::uuid, 'active', now() - interval '1 year' FROM generate_series(1, {lines}) g"
        ),
        format!(
            "INSERT INTO lines (tenant_id, id, contract_id, customer_id, msisdn, sim_id, status) SELECT '{t}', md5('{t}l' || g)::uuid, md5('{t}k' || g)::uuid, md5('{t}c' || g)::uuid, '8179' || lpad(g::text, 8, '0'), md5('{t}s' || g)::uuid, 'active' FROM generate_series(1, {lines}) g"
        ),
        "ANALYZE".into(),
    ];
    for s in steps {
        sqlx::query(sqlx::AssertSqlSafe(s))
            .execute(&env.admin)
            .await?;
    }
    Ok(())
}

/// Streams a body made piece by piece by `next` (None: the end) to `POST
/// /usage/records?source=carrier` as NDJSON; returns the answer.
pub async fn post_streamed(
    base: &str,
    key: &str,
    mut next: impl FnMut() -> Option<Vec<u8>>,
) -> anyhow::Result<Value> {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let head = format!(
        "POST /usage/records?source=carrier HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await?;
    while let Some(piece) = next() {
        if piece.is_empty() {
            continue;
        }
        s.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
            .await?;
        s.write_all(&piece).await?;
        s.write_all(b"\r\n").await?;
    }
    s.write_all(b"0\r\n\r\n").await?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    let (status, rest) = text.split_once("\r\n").unwrap_or((&text, ""));
    anyhow::ensure!(status.contains(" 200"), "{status}: {rest}");
    let body = rest.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // The answer may itself be chunked: its JSON object is the text between the braces.
    let json = body
        .find('{')
        .and_then(|a| body.rfind('}').map(|b| &body[a..=b]))
        .unwrap_or(body);
    Ok(serde_json::from_str(json)?)
}

/// The process's peak resident memory (VmHWM), bytes.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
