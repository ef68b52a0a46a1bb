//! The ES2+ adapter against the simulator's SM-DP+ as a real HTTP server on loopback: a
//! profile ordered, confirmed, downloaded and installed with signed download notices;
//! calls applied once per functionCallIdentifier and refusals with their SGP.22 codes; a
//! failed download released again; books that survive a restart; injected errors that
//! apply nothing and lost answers settled by repeating the call; downloads the device
//! makes by itself.

use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tsunagi_carrier::es2plus::point;
use tsunagi_carrier::sim::{Faults, SMDP_ADDRESS, SmdpEntry};
use tsunagi_carrier::{
    CarrierGateway, Command, DownloadProgress, Es2Plus, FinalProfileStatus, GatewayError,
    HttpCarrier, HttpSmdp, LineCommand,
};
use tsunagi_core::signing;

mod common;

const KEY: &str = "test-smdp-key";
const EID: &str = "89049032123451234512345678901235";

fn smdp(base: &str, timeout: Duration) -> HttpSmdp {
    HttpSmdp::new(base, KEY, "tsunagi:test", timeout)
}

async fn admin(base: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let c = reqwest::Client::new();
    let url = format!("{base}{path}");
    let req = match body {
        Some(b) => c.post(url).json(&b),
        None => c.get(url),
    };
    let res = req.bearer_auth(KEY).send().await.expect("admin call");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn esim(base: &str, iccid: &str) -> Value {
    let (st, p) = admin(base, &format!("/admin/esim/{iccid}"), None).await;
    assert_eq!(st, 200, "{p}");
    p
}

async fn download(base: &str, iccid: &str, fail: Option<&str>) -> (u16, Value) {
    let body = json!({ "eid": EID, "fail": fail });
    admin(base, &format!("/admin/esim/{iccid}/download"), Some(body)).await
}

async fn entries(base: &str) -> Vec<SmdpEntry> {
    let (st, j) = admin(base, "/admin/esim-journal", None).await;
    assert_eq!(st, 200);
    serde_json::from_value(j).expect("journal entries")
}

async fn set_faults(base: &str, f: &Faults) {
    let (st, r) = admin(base, "/admin/faults", Some(json!(f))).await;
    assert_eq!(st, 200, "{r}");
}

fn rejected(r: &Result<impl std::fmt::Debug, GatewayError>, want: &str) -> String {
    match r {
        Err(GatewayError::Rejected { code, message }) if code == want => message.clone(),
        other => panic!("wanted Rejected {want}, got {other:?}"),
    }
}

/// What the platform's receiver got: the path, and the verified message.
type Received = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

/// A callback receiver on loopback, with the simulator's callbacks pointed at it.
async fn receiver(base: &str) -> (Received, Vec<u8>) {
    let got: Received = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, h: HeaderMap, body: Bytes| {
        let g = g.clone();
        async move {
            g.lock()
                .expect("lock")
                .push((uri.path().to_owned(), h, body));
            "ok"
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    let secret = signing::new_secret();
    let target = json!({ "url": format!("http://{addr}/cb/t1"), "secret": secret });
    let (st, r) = admin(base, "/admin/callback", Some(target)).await;
    assert_eq!(st, 200, "{r}");
    (got, signing::key_bytes(&secret).expect("key"))
}

/// Waits for `n` download notices; each checked against its signature, sorted by point.
async fn notices(got: &Received, key: &[u8], n: usize) -> Vec<DownloadProgress> {
    let start = Instant::now();
    loop {
        let all: Vec<(String, HeaderMap, Bytes)> = got
            .lock()
            .expect("lock")
            .iter()
            .filter(|(p, _, _)| p == "/cb/t1/es2plus/handleDownloadProgressInfo")
            .cloned()
            .collect();
        if all.len() >= n {
            let mut out: Vec<DownloadProgress> = all
                .iter()
                .map(|(_, h, body)| {
                    let hv = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).expect(k);
                    let (id, ts) = (hv("webhook-id"), hv("webhook-timestamp"));
                    let ts: i64 = ts.parse().expect("unix seconds");
                    let sig = hv("webhook-signature");
                    assert!(signing::verify(key, id, ts, body, sig), "signature");
                    let n: DownloadProgress = serde_json::from_slice(body).expect("notice");
                    assert_eq!(n.header.function_call_identifier, id);
                    assert_eq!(n.header.function_requester_identifier, "carrier-sim-smdp");
                    n
                })
                .collect();
            out.sort_by_key(|n| n.timestamp);
            return out;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} of {n} notices",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_profile_is_ordered_confirmed_and_downloaded() {
    let path = common::journal("smdp-sim");
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    let (got, key) = receiver(&base).await;
    let s = smdp(&base, Duration::from_secs(2));
    let iccid = "8981100000000000101";
    assert_eq!(
        s.download_order("o1", iccid, None).await.expect("ordered"),
        iccid
    );
    assert_eq!(esim(&base, iccid).await["state"], "allocated");
    let c = s.confirm_order("o2", iccid, true).await.expect("confirmed");
    assert_eq!(c.smdp_address, SMDP_ADDRESS);
    let code = c.activation_code();
    assert!(code.starts_with("LPA:1$"), "{code}");
    assert_eq!(code, format!("LPA:1${SMDP_ADDRESS}${}", c.matching_id));
    assert!(
        c.matching_id.len() == 19
            && c.matching_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
        "{}",
        c.matching_id
    );
    let p = esim(&base, iccid).await;
    assert_eq!(
        (&p["state"], &p["matchingId"]),
        (&json!("released"), &json!(c.matching_id))
    );

    let (st, p) = download(&base, iccid, None).await;
    assert_eq!(st, 200, "{p}");
    assert_eq!((&p["state"], &p["eid"]), (&json!("installed"), &json!(EID)));
    let n = notices(&got, &key, 2).await;
    let points: Vec<(u8, bool)> = n
        .iter()
        .map(|n| {
            (
                n.notification_point_id,
                n.notification_point_status.is_success(),
            )
        })
        .collect();
    assert_eq!(
        points,
        [(point::BPP_DOWNLOAD, true), (point::BPP_INSTALLATION, true)]
    );
    assert!(
        n.iter()
            .all(|n| n.iccid == iccid && n.eid.as_deref() == Some(EID))
    );
    assert!(n[0].timestamp < n[1].timestamp, "the installation is later");
    // A second download of an installed profile: nothing to download.
    let (st, p) = download(&base, iccid, None).await;
    assert_eq!((st, &p["code"]), (409, &json!("invalid_state")), "{p}");

    // Carrier callbacks still go to the callback URL itself, signed the same way.
    let carrier = HttpCarrier::new(&base, KEY, Duration::from_secs(2));
    let cmd = LineCommand {
        key: "k1".into(),
        msisdn: "+819011112222".into(),
        command: Command::Activate {
            iccid: iccid.into(),
        },
    };
    carrier.submit(&cmd).await.expect("activated");
    let start = Instant::now();
    let cb = loop {
        let cb = got
            .lock()
            .expect("lock")
            .iter()
            .find(|(p, _, _)| p == "/cb/t1")
            .cloned();
        if let Some(cb) = cb {
            break cb;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no carrier callback"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let ev: tsunagi_carrier::CallbackEvent = serde_json::from_slice(&cb.2).expect("callback");
    assert_eq!(
        (ev.kind.as_str(), ev.key.as_deref()),
        ("line.updated", Some("k1"))
    );
    common::cleanup(&path);
}

#[tokio::test]
async fn calls_are_idempotent_and_refusals_are_specific() {
    let path = common::journal("smdp-sim");
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    let s = smdp(&base, Duration::from_secs(2));
    let iccid = "8981100000000000201";
    s.download_order("i1", iccid, Some(EID))
        .await
        .expect("ordered");
    let first = s
        .confirm_order("i2", iccid, false)
        .await
        .expect("confirmed");
    assert_eq!(first.eid.as_deref(), Some(EID));
    assert_eq!(esim(&base, iccid).await["state"], "confirmed");
    let again = s.confirm_order("i2", iccid, false).await.expect("replayed");
    assert_eq!(again, first, "a repeat gets the first answer");
    let j = entries(&base).await;
    assert_eq!(
        j.iter().filter(|e| e.call.as_deref() == Some("i2")).count(),
        1
    );
    // The same identifier for another call is refused, and changes nothing.
    let m = rejected(&s.confirm_order("i2", iccid, true).await, "8.1/3.8");
    assert!(m.contains("i2"), "{m}");
    let m = rejected(&s.release_profile("i1", iccid).await, "8.1/3.8");
    assert!(m.contains("another call"), "{m}");
    assert_eq!(esim(&base, iccid).await["state"], "confirmed");

    rejected(
        &s.confirm_order("i3", "8981100000000099999", true).await,
        "8.2.1/3.9",
    );
    rejected(&s.download_order("i4", "12345", None).await, "8.2.1/2.1");
    rejected(&s.download_order("i5", iccid, None).await, "8.2.1/3.3");
    rejected(
        &s.download_order("i6", "8981100000000000202", Some("89"))
            .await,
        "8.1.1/2.1",
    );
    let m = rejected(&s.confirm_order("i7", iccid, true).await, "8.2.1/3.8");
    assert!(m.contains("confirmed"), "the message names the state: {m}");

    s.release_profile("i8", iccid).await.expect("released");
    let (st, p) = download(&base, iccid, None).await;
    assert_eq!((st, &p["state"]), (200, &json!("installed")), "{p}");
    let m = rejected(
        &s.cancel_order("i9", iccid, FinalProfileStatus::Available)
            .await,
        "8.2.1/3.8",
    );
    assert!(m.contains("already installed"), "{m}");

    // A cancelled order gives the profile back (or not at all).
    let other = "8981100000000000203";
    s.download_order("j1", other, None).await.expect("ordered");
    s.cancel_order("j2", other, FinalProfileStatus::Available)
        .await
        .expect("cancelled");
    assert_eq!(esim(&base, other).await["state"], "available");
    s.download_order("j3", other, None)
        .await
        .expect("ordered again");
    s.cancel_order("j4", other, FinalProfileStatus::Unavailable)
        .await
        .expect("cancelled for good");
    rejected(&s.download_order("j5", other, None).await, "8.2.1/3.7");

    // ES2+ requires its protocol header.
    let res = reqwest::Client::new()
        .post(format!("{base}/gsma/rsp2/es2plus/releaseProfile"))
        .bearer_auth(KEY)
        .json(&json!({ "header": { "functionRequesterIdentifier": "x", "functionCallIdentifier": "z1" }, "iccid": iccid }))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 400);
    let wrong = HttpSmdp::new(&base, "nope", "tsunagi:test", Duration::from_secs(2));
    let r = wrong.release_profile("z2", iccid).await;
    assert!(
        matches!(&r, Err(GatewayError::Transient(m)) if m.contains("credentials")),
        "{r:?}"
    );
    common::cleanup(&path);
}

#[tokio::test]
async fn a_failed_download_can_be_released_again() {
    let path = common::journal("smdp-sim");
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    let (got, key) = receiver(&base).await;
    let s = smdp(&base, Duration::from_secs(2));
    let iccid = "8981100000000000301";
    s.download_order("f1", iccid, None).await.expect("ordered");
    let c = s.confirm_order("f2", iccid, true).await.expect("confirmed");
    let (st, p) = download(&base, iccid, Some("download")).await;
    assert_eq!((st, &p["state"]), (200, &json!("error")), "{p}");
    let n = notices(&got, &key, 1).await;
    assert_eq!(n[0].notification_point_id, point::BPP_DOWNLOAD);
    let status = &n[0].notification_point_status;
    assert!(!status.is_success());
    assert_eq!(status.code(), "8.1/4.8");
    // Not downloadable until released again.
    let (st, _) = download(&base, iccid, None).await;
    assert_eq!(st, 409);

    s.release_profile("f3", iccid).await.expect("released");
    assert_eq!(esim(&base, iccid).await["state"], "released");
    let (st, p) = download(&base, iccid, Some("install")).await;
    assert_eq!((st, &p["state"]), (200, &json!("error")), "{p}");
    let n = notices(&got, &key, 3).await;
    assert!(n[1].notification_point_status.is_success());
    assert_eq!(n[2].notification_point_status.code(), "8.2.5/4.2");

    s.release_profile("f4", iccid)
        .await
        .expect("released again");
    let (st, p) = download(&base, iccid, None).await;
    assert_eq!((st, &p["state"]), (200, &json!("installed")), "{p}");
    assert_eq!(
        p["matchingId"],
        json!(c.matching_id),
        "the same activation code"
    );
    let n = notices(&got, &key, 5).await;
    assert!(
        n[3..]
            .iter()
            .all(|n| n.notification_point_status.is_success())
    );
    common::cleanup(&path);
}

#[tokio::test]
async fn the_smdp_books_survive_a_restart() {
    let path = common::journal("smdp-sim");
    let (base, task) = common::start(&path, KEY, Faults::default()).await;
    let s = smdp(&base, Duration::from_secs(2));
    let (a, b) = ("8981100000000000401", "8981100000000000402");
    s.download_order("r1", a, None).await.expect("ordered");
    let c = s.confirm_order("r2", a, true).await.expect("confirmed");
    let (st, _) = download(&base, a, Some("install")).await;
    assert_eq!(st, 200);
    s.download_order("r3", b, None).await.expect("ordered");
    let before = entries(&base).await;
    task.abort();
    let _ = task.await;
    // A torn last line (a crash mid-write) is skipped.
    let smdp_journal = format!("{}.smdp", path.display());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&smdp_journal)
        .expect("the SM-DP+ journal beside the carrier's");
    std::io::Write::write_all(&mut f, b"{\"function\":\"confirmOr").expect("torn line");

    let (base, task) = common::start(&path, KEY, Faults::default()).await;
    let s = smdp(&base, Duration::from_secs(2));
    assert_eq!(entries(&base).await, before);
    let p = esim(&base, a).await;
    assert_eq!((&p["state"], &p["eid"]), (&json!("error"), &json!(EID)));
    assert_eq!(esim(&base, b).await["state"], "allocated");
    let again = s.confirm_order("r2", a, true).await.expect("replayed");
    assert_eq!(
        again, c,
        "an identifier answered before the restart is answered the same"
    );
    rejected(&s.confirm_order("r2", b, true).await, "8.1/3.8");
    s.release_profile("r4", a)
        .await
        .expect("released after the restart");
    // What follows the torn line is kept too.
    task.abort();
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    assert_eq!(esim(&base, a).await["state"], "released");
    common::cleanup(&path);
}

#[tokio::test]
async fn injected_errors_apply_nothing() {
    let path = common::journal("smdp-sim");
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    let s = smdp(&base, Duration::from_millis(300));
    let iccid = "8981100000000000501";
    s.download_order("e1", iccid, None).await.expect("ordered");
    set_faults(
        &base,
        &Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let r = s.confirm_order("e2", iccid, true).await;
    assert!(matches!(r, Err(GatewayError::Transient(_))), "{r:?}");
    set_faults(&base, &Faults::default()).await;
    assert_eq!(esim(&base, iccid).await["state"], "allocated");
    assert_eq!(
        entries(&base).await.len(),
        1,
        "an injected error applies nothing"
    );

    // A lost answer: applied, the outcome unknown; the same call again settles it.
    let hold = Faults {
        timeout_rate: 1.0,
        hold_ms: 1_000,
        ..Faults::default()
    };
    set_faults(&base, &hold).await;
    let r = s.confirm_order("e2", iccid, true).await;
    assert!(matches!(r, Err(GatewayError::Unknown(_))), "{r:?}");
    set_faults(&base, &Faults::default()).await;
    let p = esim(&base, iccid).await;
    assert_eq!(p["state"], "released");
    let c = s.confirm_order("e2", iccid, true).await.expect("settled");
    assert_eq!(json!(c.matching_id), p["matchingId"]);
    assert_eq!(entries(&base).await.len(), 2);
    common::cleanup(&path);
}

#[tokio::test]
async fn released_profiles_download_by_themselves_when_asked() {
    let path = common::journal("smdp-sim");
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    let s = smdp(&base, Duration::from_secs(2));
    let (st, _) = admin(
        &base,
        "/admin/faults",
        Some(json!({ "downloadFailureRate": 1.5 })),
    )
    .await;
    assert_eq!(st, 400);
    let auto = |rate: f64| Faults {
        auto_download_ms: 20,
        download_failure_rate: rate,
        ..Faults::default()
    };
    set_faults(&base, &auto(0.0)).await;
    let (ok, bad) = ("8981100000000000601", "8981100000000000602");
    s.download_order("a1", ok, None).await.expect("ordered");
    s.confirm_order("a2", ok, true).await.expect("released");
    wait_state(&base, ok, "installed").await;
    set_faults(&base, &auto(1.0)).await;
    s.download_order("a3", bad, None).await.expect("ordered");
    s.confirm_order("a4", bad, true).await.expect("released");
    wait_state(&base, bad, "error").await;
    common::cleanup(&path);
}

async fn wait_state(base: &str, iccid: &str, state: &str) {
    let start = Instant::now();
    loop {
        let p = esim(base, iccid).await;
        if p["state"] == state {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{p}, wanted {state}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
