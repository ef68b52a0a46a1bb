//! Real peers for the notification hub's tests, all on loopback: an SMTP server (aiosmtpd,
//! tests/support/smtp_sink.py), a webhook receiver with scripted answers that records every
//! request, and a private Redis the fault tests may kill (never the shared one).

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Inserts events `$2..=$3` for tenant `$1` straight into the outbox, as many producers
/// committing at once would: `inventory.sims_added` payloads of the contract (webhook
/// filter `inventory.*`), so every consumer decodes them as the real thing. Like any writer
/// outside the application it wakes the relay itself (tsunagi_db::announce).
pub const LOAD_EVENTS_SQL: &str = "WITH ins AS (INSERT INTO outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload) \
     SELECT $1::uuid, b, 'inventory.sims_added', 'inventoryBatch', b::text, \
            jsonb_build_object('schemaVersion', 1, 'batchId', b, 'kind', 'sim', 'count', i) \
     FROM (SELECT i, gen_random_uuid() AS b FROM generate_series($2::int, $3::int) i) g RETURNING 1) \
     SELECT pg_notify('tsunagi_outbox', '') FROM (SELECT count(*) FROM ins) n";

/// The webhook topic filter that matches `LOAD_EVENTS_SQL`'s events.
pub const LOAD_FILTER: &str = "inventory.*";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn wait_port(port: u16, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{what} did not start on port {port}")
}

/// The SMTP sink: messages land as files in `dir`.
pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    pub async fn start() -> Result<Self> {
        Self::start_with(false).await
    }

    /// A provider that is up but answers every recipient with 451 (a temporary failure).
    pub async fn start_failing() -> Result<Self> {
        Self::start_with(true).await
    }

    async fn start_with(tempfail: bool) -> Result<Self> {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("tsunagi-mail-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/support/smtp_sink.py");
        let mut cmd = Command::new("python3");
        cmd.args([script, "--port", &port.to_string(), "--dir"])
            .arg(&dir);
        if tempfail {
            cmd.arg("--tempfail");
        }
        let child = cmd
            .stdout(Stdio::null())
            .spawn()
            .context("python3 with aiosmtpd is needed (cargo xtask test installs it)")?;
        wait_port(port, "the SMTP sink (python3 -m pip install aiosmtpd)").await?;
        Ok(Self { port, dir, child })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Publishes a DKIM key record for the sink's verifier (`<selector>._domainkey.<domain>`).
    pub fn publish_dkim(&self, selector: &str, domain: &str, txt: &str) {
        let map = serde_json::json!({ format!("{selector}._domainkey.{domain}."): txt });
        std::fs::write(self.dir.join("_dns.map"), map.to_string()).expect("dns map");
    }

    /// The messages received so far: {mail_from, rcpt_tos, headers, subject, body, html,
    /// content_type, dkim?}.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|t| serde_json::from_str(&t).ok())
            .collect()
    }

    /// Waits until `n` messages arrived.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + within;
        loop {
            let m = self.messages();
            if m.len() >= n || Instant::now() > deadline {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

#[derive(Default)]
struct ReceiverState {
    hits: Vec<Hit>,
    /// path → answers in order; the last one repeats.
    script: HashMap<String, Vec<u16>>,
}

/// A webhook receiver on loopback.
#[derive(Clone)]
pub struct Receiver {
    pub base: String,
    state: Arc<Mutex<ReceiverState>>,
}

async fn receive(
    State(st): State<Arc<Mutex<ReceiverState>>>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, &'static str) {
    let mut s = st.lock().expect("lock");
    let n = s.hits.iter().filter(|h| h.path == path).count();
    s.hits.push(Hit {
        path: path.clone(),
        headers,
        body,
        at: Instant::now(),
    });
    let code = s
        .script
        .get(&path)
        .map_or(200, |a| *a.get(n).or(a.last()).unwrap_or(&200));
    let mut h = HeaderMap::new();
    if code == 429 {
        h.insert("retry-after", "1".parse().expect("header"));
    }
    (StatusCode::from_u16(code).unwrap_or(StatusCode::OK), h, "")
}

impl Receiver {
    pub async fn start() -> Result<Self> {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let app = axum::Router::new()
            .route("/{path}", axum::routing::post(receive))
            .with_state(state.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", l.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });
        Ok(Self { base, state })
    }

    /// Answers for a path, in order (the last repeats).
    pub fn script(&self, path: &str, answers: &[u16]) {
        self.state
            .lock()
            .expect("lock")
            .script
            .insert(path.into(), answers.to_vec());
    }

    pub fn hits(&self, path: &str) -> Vec<Hit> {
        self.state
            .lock()
            .expect("lock")
            .hits
            .iter()
            .filter(|h| h.path == path)
            .cloned()
            .collect()
    }

    pub fn all_hits(&self) -> Vec<Hit> {
        self.state.lock().expect("lock").hits.clone()
    }

    pub async fn wait_for(&self, path: &str, n: usize, within: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + within;
        loop {
            let h = self.hits(path);
            if h.len() >= n || Instant::now() > deadline {
                return h;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A Redis of the test's own, on a free port, without persistence: killing it loses
/// everything, as a crashed cache would.
pub struct PrivateRedis {
    pub port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    pub async fn start() -> Result<Self> {
        let mut r = Self {
            port: free_port(),
            child: None,
        };
        r.restart().await?;
        Ok(r)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub async fn restart(&mut self) -> Result<()> {
        self.kill();
        let bin = [
            "redis-server",
            "/usr/bin/redis-server",
            "/usr/local/bin/redis-server",
        ]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .stdout(Stdio::null())
                .status()
                .is_ok()
        })
        .context("redis-server is needed for the fault tests")?;
        let child = Command::new(bin)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        wait_port(self.port, "the private redis-server").await
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Writes an event of the contract to a tenant's outbox, as a producer would: for topics
/// whose producers arrive with later capabilities (payments, billing, usage, incidents).
pub async fn emit(
    env: &crate::TestEnv,
    tenant: &str,
    event: tsunagi_core::events::Event,
) -> uuid::Uuid {
    let tenant = tsunagi_core::TenantId::parse(tenant).expect("tenant id");
    let ev = tsunagi_core::events::DomainEvent::new(tenant, event);
    sqlx::query(
        "WITH ins AS (INSERT INTO outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING 1) SELECT pg_notify('tsunagi_outbox', '') FROM ins",
    )
    .bind(tenant.as_uuid())
    .bind(ev.id.as_uuid())
    .bind(ev.topic.as_str())
    .bind(ev.aggregate_type())
    .bind(&ev.aggregate_id)
    .bind(&ev.payload)
    .execute(&env.admin)
    .await
    .expect("emit");
    ev.id.as_uuid()
}
