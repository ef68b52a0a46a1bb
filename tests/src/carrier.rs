//! The carrier simulator beside a test platform: started as a real HTTP server on loopback
//! with its own journal, its faults and callbacks set through its admin API, and a tenant's
//! carrier pointed at it through GraphQL.

use crate::Client;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tsunagi_carrier::sim::{self, Entry, Faults, SimConfig};

pub const SIM_KEY: &str = "sim-api-key-for-tests";
/// The eUICC the tests' devices download to.
pub const EID: &str = "89049032123451234512345678901235";

/// Settings for a test platform whose carrier is the simulator: loopback allowed, and a
/// short schedule (four tries, tens of milliseconds apart).
pub fn env() -> Vec<(&'static str, String)> {
    vec![
        (
            "TSUNAGI_CARRIER__ALLOW_PRIVATE",
            "[\"127.0.0.1/32\"]".into(),
        ),
        (
            "TSUNAGI_CARRIER__RETRY_SCHEDULE_SECS",
            "[1.0, 1.0, 1.0]".into(),
        ),
        (
            "TSUNAGI_CARRIER__STATUS_SCHEDULE_SECS",
            "[1.0, 1.0, 1.0]".into(),
        ),
        ("TSUNAGI_CARRIER__RETRY_SCALE", "0.05".into()),
        ("TSUNAGI_CARRIER__POLL_MS", "20".into()),
        ("TSUNAGI_CARRIER__LEASE_SECS", "5".into()),
        ("TSUNAGI_CARRIER__USAGE_POLL_MS", "200".into()),
    ]
}

pub struct CarrierSim {
    pub base: String,
    pub journal: PathBuf,
    http: reqwest::Client,
    _task: tokio::task::JoinHandle<()>,
}

impl CarrierSim {
    pub async fn start(faults: Faults) -> Self {
        let journal = std::env::temp_dir().join(format!(
            "tsunagi-e2e-carrier-{}-{}.jsonl",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let cfg = SimConfig {
            journal: journal.clone(),
            api_key: SIM_KEY.into(),
            faults,
            callback: None,
        };
        let (addr, task) = sim::serve(&cfg, "127.0.0.1:0").await.expect("simulator");
        Self {
            base: format!("http://{addr}"),
            journal,
            http: reqwest::Client::new(),
            _task: task,
        }
    }

    async fn admin(&self, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match body {
            Some(b) => self.http.post(url).json(&b),
            None => self.http.get(url),
        };
        let res = req
            .bearer_auth(SIM_KEY)
            .send()
            .await
            .expect("simulator admin");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.expect("json")
    }

    pub async fn faults(&self, f: Value) {
        self.admin("/admin/faults", Some(f)).await;
    }

    pub async fn journal(&self) -> Vec<Entry> {
        serde_json::from_value(self.admin("/admin/journal", None).await).expect("journal")
    }

    /// Where the simulator sends its signed callbacks.
    pub async fn callbacks_to(&self, url: &str, secret: &str) {
        self.admin(
            "/admin/callback",
            Some(json!({ "url": url, "secret": secret })),
        )
        .await;
    }

    /// Changes a line behind the platform's back (a callback follows).
    pub async fn drift(&self, msisdn: &str, line: Value) -> Value {
        self.admin(&format!("/admin/lines/{msisdn}"), Some(line))
            .await
    }

    /// A profile as the SM-DP+ has it (state, matchingId, eid).
    pub async fn esim(&self, iccid: &str) -> Value {
        self.admin(&format!("/admin/esim/{iccid}"), None).await
    }

    /// The customer's device downloads a released profile (`fail`: `download`, `install`).
    pub async fn esim_download(&self, iccid: &str, fail: Option<&str>) -> Value {
        self.admin(
            &format!("/admin/esim/{iccid}/download"),
            Some(json!({ "eid": EID, "fail": fail })),
        )
        .await
    }

    /// Adds records to the carrier's usage feed (NDJSON fields).
    pub async fn usage(&self, records: Value) {
        let r = self
            .http
            .post(format!("{}/admin/usage", self.base))
            .bearer_auth(SIM_KEY)
            .json(&records)
            .send()
            .await
            .expect("usage");
        assert!(r.status().is_success(), "usage: {}", r.status());
    }

    pub async fn line(&self, msisdn: &str) -> Option<Value> {
        let res = self
            .http
            .get(format!("{}/v1/lines/{msisdn}", self.base))
            .bearer_auth(SIM_KEY)
            .send()
            .await
            .expect("line");
        if !res.status().is_success() {
            return None;
        }
        res.json().await.ok()
    }
}

/// Points the tenant's carrier at the simulator (and its callbacks at the platform);
/// returns the callback secret.
pub async fn connect(admin: &Client, sim: &CarrierSim, platform: &str, tenant: &str) -> String {
    let r = admin
        .ok(
            "mutation($e: String!, $k: String!) { carrierSettingsSet(input: {endpoint: $e, apiKey: $k, timeoutMs: 1000}) { settings { callbackPath version } callbackSecret } }",
            json!({ "e": sim.base, "k": SIM_KEY }),
        )
        .await;
    let p = &r["carrierSettingsSet"];
    assert_eq!(
        p["settings"]["callbackPath"],
        format!("/carrier/callbacks/{tenant}")
    );
    let secret = p["callbackSecret"].as_str().expect("secret").to_owned();
    sim.callbacks_to(&format!("{platform}/carrier/callbacks/{tenant}"), &secret)
        .await;
    secret
}

/// Points the tenant's carrier and its SM-DP+ at the simulator (callbacks and download
/// notices at the platform); returns the callback secret.
pub async fn connect_smdp(
    admin: &Client,
    sim: &CarrierSim,
    platform: &str,
    tenant: &str,
) -> String {
    let r = admin
        .ok(
            "mutation($e: String!, $k: String!) { carrierSettingsSet(input: {endpoint: $e, apiKey: $k, timeoutMs: 1000, smdpEndpoint: $e, smdpApiKey: $k}) { settings { smdpEndpoint smdpNoticePath } callbackSecret } }",
            json!({ "e": sim.base, "k": SIM_KEY }),
        )
        .await;
    let p = &r["carrierSettingsSet"];
    assert_eq!(p["settings"]["smdpEndpoint"], json!(sim.base));
    assert_eq!(
        p["settings"]["smdpNoticePath"],
        format!("/carrier/callbacks/{tenant}/es2plus/handleDownloadProgressInfo")
    );
    let secret = p["callbackSecret"].as_str().expect("secret").to_owned();
    sim.callbacks_to(&format!("{platform}/carrier/callbacks/{tenant}"), &secret)
        .await;
    secret
}

const LINE: &str = "query($l: ID!) { line(id: $l) { id msisdn status statusReason carrierSequence activationLeadMs \
    provisioningJobs { id action status completedBy answer attempts waitingFor nextAttemptAt lastError exhaustedAt \
    carrierAttempts { kind outcome answer } } } }";

pub async fn line(c: &Client, id: &str) -> Value {
    c.ok(LINE, json!({ "l": id })).await["line"].clone()
}

/// Waits until the line is in `status` (panics after `within` with the line as it is).
pub async fn wait_status(c: &Client, id: &str, status: &str, within: Duration) -> Value {
    let start = Instant::now();
    loop {
        let l = line(c, id).await;
        if l["status"] == status {
            return l;
        }
        assert!(
            start.elapsed() < within,
            "line still {} after {within:?}, wanted {status}: {l}",
            l["status"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
