//! `tsunagi carrier-sim`: a carrier as a real HTTP server, for the demo and the tests. It
//! speaks the API of docs/carrier-api.md, keeps its own durable books (a journal file, not
//! the platform's tables), applies each idempotency key once, and injects faults set at
//! start or through `POST /admin/faults`: an error rate (503, nothing applied), a timeout
//! rate (applied, then the answer is held past the caller's patience), added latency, and
//! for its signed callbacks (`callbacks`, target set at start or by `POST /admin/callback`)
//! duplicates and a random hold that delivers them out of order.
//!
//! Beside the carrier runs its SM-DP+ (GSMA SGP.22 ES2+): `smdp` keeps its profiles and
//! calls in a journal of its own (`<journal>.smdp`), `smdp_rules` judges each call,
//! `smdp_api` serves ES2+ and the device's downloads, whose notices go out through the
//! same callback sender, signed the same way. The same faults apply to ES2+ calls, and two
//! more to downloads: `autoDownloadMs` (the device downloads a released profile by itself)
//! and `downloadFailureRate` (a share of those downloads fail).
//!
//! Its mediation's usage records wait in a feed the platform pulls (`usage`, `GET
//! /v1/usage`), added by `POST /admin/usage` or generated every `trafficMs` for every active
//! line; the error rate and latency apply to the feed too.

mod callbacks;
mod journal;
mod smdp;
mod smdp_api;
mod smdp_rules;
mod state;
mod usage;

pub use callbacks::{CallbackTarget, NOTICE_PATH};
pub use smdp::{Es2Call, Fail, Profile, ProfileState, SMDP_ADDRESS, SmdpEntry};
pub use smdp_api::NOTICE_REQUESTER;
pub use state::{Answer, Entry};

use crate::gateway::{CarrierLine, Command, InventoryPage};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// The faults the simulator injects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Faults {
    /// Share of commands and ES2+ calls answered 503 without being applied (0–1).
    pub error_rate: f64,
    /// Share of commands and ES2+ calls applied whose answer is then held for `hold_ms`
    /// (0–1).
    pub timeout_rate: f64,
    /// How long a "timed-out" answer is held.
    pub hold_ms: u64,
    /// Added to every request.
    pub latency_ms: u64,
    /// Share of callbacks and download notices sent twice (0–1).
    pub duplicate_rate: f64,
    /// Each callback is held a random 0..reorder_ms (later ones overtake it).
    pub reorder_ms: u64,
    /// Share of automatic downloads (`auto_download_ms`) that fail at the download (0–1).
    pub download_failure_rate: f64,
    /// When > 0, the device downloads each profile that becomes released by itself after
    /// this many milliseconds (0: only `POST /admin/esim/{iccid}/download`).
    pub auto_download_ms: u64,
    /// Not a fault: when > 0, every this many milliseconds each active line makes a data
    /// session (1–20 MB) that joins the usage feed (the demo's live usage).
    pub traffic_ms: u64,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The carrier's journal; the SM-DP+'s is beside it (`<journal>.smdp`).
    pub journal: PathBuf,
    pub api_key: String,
    pub faults: Faults,
    /// Where callbacks go (None: none until `POST /admin/callback`).
    pub callback: Option<CallbackTarget>,
}

struct Sim {
    books: Mutex<state::Books>,
    feed: Mutex<usage::Feed>,
    smdp: Mutex<smdp::Books>,
    faults: Arc<std::sync::Mutex<Faults>>,
    api_key: String,
    callbacks: callbacks::Sender,
}

impl Sim {
    /// Tells the platform how a line is now (after a command under `key`, or drift).
    fn announce(&self, key: Option<&str>, line: &CarrierLine) {
        let kind = if line.ported_out {
            "line.ported_out"
        } else {
            "line.updated"
        };
        self.callbacks.push(crate::gateway::CallbackEvent {
            id: format!("evt_{:032x}", rand::random::<u128>()),
            kind: kind.into(),
            key: key.map(str::to_owned),
            line: line.clone(),
        });
    }
}

type Shared = Arc<Sim>;

fn problem(status: u16, code: &str, message: &str) -> Response {
    let s = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (s, Json(json!({ "code": code, "message": message }))).into_response()
}

/// Every route needs the API key.
async fn authorized(
    State(sim): State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|k| k == sim.api_key);
    if !ok {
        return problem(401, "unauthorized", "a valid bearer API key is required");
    }
    next.run(req).await
}

/// The router of a simulator over the books in `cfg.journal`.
pub fn router(cfg: &SimConfig) -> std::io::Result<Router> {
    let faults = Arc::new(std::sync::Mutex::new(cfg.faults.clone()));
    let f = faults.clone();
    let read = Arc::new(move || {
        let f = f.lock().map(|f| f.clone()).unwrap_or_default();
        callbacks::CallbackFaults {
            duplicate_rate: f.duplicate_rate,
            reorder_ms: f.reorder_ms,
        }
    });
    let sim = Arc::new(Sim {
        books: Mutex::new(state::Books::open(&cfg.journal)?),
        feed: Mutex::new(usage::Feed::open(&usage::journal_path(&cfg.journal))?),
        smdp: Mutex::new(smdp::Books::open(&smdp::journal_path(&cfg.journal))?),
        faults,
        api_key: cfg.api_key.clone(),
        callbacks: callbacks::Sender::start(cfg.callback.clone(), read),
    });
    let carrier = Router::new()
        .route("/v1/lines", get(inventory))
        .route("/v1/lines/{msisdn}", get(line))
        .route("/v1/lines/{msisdn}/commands", post(command))
        .route("/admin/faults", get(faults_get).post(faults_set))
        .route("/admin/callback", post(callback_set))
        .route("/admin/journal", get(journal))
        .route("/admin/lines/{msisdn}", post(force))
        .route("/admin/lines", post(load))
        .route("/v1/usage", get(usage::feed))
        .route("/admin/usage", post(usage::add));
    usage::traffic(Arc::downgrade(&sim));
    Ok(smdp_api::routes(carrier)
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            authorized,
        ))
        .with_state(sim))
}

/// Serves on `listen` until the task is dropped; returns the bound address.
pub async fn serve(
    cfg: &SimConfig,
    listen: &str,
) -> std::io::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let app = router(cfg)?;
    let l = tokio::net::TcpListener::bind(listen).await?;
    let addr = l.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    Ok((addr, task))
}

fn current_faults(sim: &Sim) -> Faults {
    sim.faults.lock().map(|f| f.clone()).unwrap_or_default()
}

async fn command(
    State(sim): State<Shared>,
    Path(msisdn): Path<String>,
    h: HeaderMap,
    body: Result<Json<Command>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Some(key) = h
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| (1..=255).contains(&k.len()))
    else {
        return problem(
            400,
            "bad_request",
            "Idempotency-Key: 1–255 characters required",
        );
    };
    let Ok(Json(cmd)) = body else {
        return problem(400, "bad_request", "the body is not a command");
    };
    let f = current_faults(&sim);
    tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    if f.error_rate > 0.0 && rand::random::<f64>() < f.error_rate {
        return problem(503, "unavailable", "injected error: nothing applied");
    }
    let answer = sim.books.lock().await.apply(key, &msisdn, &cmd);
    let (answer, fresh) = match answer {
        Ok(a) => a,
        Err(e) => return problem(500, "journal", &e.to_string()),
    };
    if let (true, Answer::Line(l)) = (fresh, &answer) {
        sim.announce(Some(key), l);
    }
    if f.timeout_rate > 0.0 && rand::random::<f64>() < f.timeout_rate {
        tokio::time::sleep(Duration::from_millis(f.hold_ms.max(1))).await;
    }
    match answer {
        Answer::Line(l) => Json(l).into_response(),
        Answer::Refused {
            status,
            code,
            message,
        } => problem(status, &code, &message),
    }
}

async fn line(State(sim): State<Shared>, Path(msisdn): Path<String>) -> Response {
    match sim.books.lock().await.lines.get(&msisdn) {
        Some(l) => Json(l.clone()).into_response(),
        None => problem(404, "not_found", &format!("no line {msisdn}")),
    }
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<String>,
    limit: Option<u32>,
}

async fn inventory(State(sim): State<Shared>, q: Query<PageQuery>) -> Response {
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000) as usize;
    let books = sim.books.lock().await;
    let lines: Vec<CarrierLine> = match &q.after {
        Some(a) => books
            .lines
            .range::<String, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
            .take(limit + 1)
            .map(|(_, l)| l.clone())
            .collect(),
        None => books.lines.values().take(limit + 1).cloned().collect(),
    };
    let more = lines.len() > limit;
    let lines: Vec<CarrierLine> = lines.into_iter().take(limit).collect();
    let next = more
        .then(|| lines.last().map(|l| l.msisdn.clone()))
        .flatten();
    Json(InventoryPage { lines, next }).into_response()
}

async fn faults_get(State(sim): State<Shared>) -> Response {
    Json(current_faults(&sim)).into_response()
}

async fn faults_set(State(sim): State<Shared>, Json(f): Json<Faults>) -> Response {
    let rates = [
        f.error_rate,
        f.timeout_rate,
        f.duplicate_rate,
        f.download_failure_rate,
    ];
    if rates.iter().any(|r| !(0.0..=1.0).contains(r)) {
        return problem(
            400,
            "bad_request",
            "errorRate, timeoutRate, duplicateRate and downloadFailureRate are between 0 and 1",
        );
    }
    if let Ok(mut cur) = sim.faults.lock() {
        *cur = f.clone();
    }
    Json(f).into_response()
}

async fn journal(State(sim): State<Shared>) -> Response {
    Json(sim.books.lock().await.journal.clone()).into_response()
}

/// Drift: sets a line as the carrier has it, without a command (not journalled: a
/// restart forgets it, as a real carrier's back office would not).
async fn force(
    State(sim): State<Shared>,
    Path(msisdn): Path<String>,
    Json(mut l): Json<CarrierLine>,
) -> Response {
    l.msisdn = msisdn;
    {
        let mut books = sim.books.lock().await;
        // A change the carrier makes takes the line's next sequence number.
        l.sequence = books.lines.get(&l.msisdn).map_or(1, |c| c.sequence + 1);
        l.updated_at = chrono::Utc::now();
        books.force(l.clone());
    }
    sim.announce(None, &l);
    Json(l).into_response()
}

/// Loads many lines into the books at once, as they are, without callbacks (a carrier's
/// existing inventory, for demos and benchmarks; not journalled, like drift).
async fn load(State(sim): State<Shared>, Json(lines): Json<Vec<CarrierLine>>) -> Response {
    let n = lines.len();
    let mut books = sim.books.lock().await;
    for l in lines {
        books.force(l);
    }
    Json(json!({ "loaded": n })).into_response()
}

/// Sets where callbacks go and the secret they are signed with.
async fn callback_set(State(sim): State<Shared>, Json(t): Json<CallbackTarget>) -> Response {
    if tsunagi_core::signing::key_bytes(&t.secret).is_none() || !t.url.starts_with("http") {
        return problem(
            400,
            "bad_request",
            "url: an http(s) URL; secret: a whsec_ secret",
        );
    }
    if let Ok(mut cur) = sim.callbacks.target.lock() {
        *cur = Some(t.clone());
    }
    Json(t).into_response()
}
