//! The HTTP adapter against the carrier simulator as a real HTTP server on loopback: line
//! commands and their states, idempotency (a repeat gets the first answer, another command
//! under the same key is refused), the double stop made visible, injected errors (nothing
//! applied) and timeouts (applied, answer lost: `Unknown`, then a status query and a retry
//! with the same key settle it), books that survive a restart, inventory pages, and a
//! storm of commands under faults where no key is ever applied twice.

use std::time::Duration;
use tsunagi_carrier::sim::{Answer, Entry, Faults};
use tsunagi_carrier::{
    CarrierGateway, CarrierStatus, Command, GatewayError, HttpCarrier, LineCommand,
};

mod common;

const KEY: &str = "test-carrier-key";

fn cmd(key: &str, msisdn: &str, command: Command) -> LineCommand {
    LineCommand {
        key: key.into(),
        msisdn: msisdn.into(),
        command,
    }
}

fn activate(iccid: &str) -> Command {
    Command::Activate {
        iccid: iccid.into(),
    }
}

async fn entries(base: &str) -> Vec<Entry> {
    reqwest::Client::new()
        .get(format!("{base}/admin/journal"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("journal")
        .json()
        .await
        .expect("json")
}

async fn set_faults(base: &str, f: &Faults) {
    let r = reqwest::Client::new()
        .post(format!("{base}/admin/faults"))
        .bearer_auth(KEY)
        .json(f)
        .send()
        .await
        .expect("faults");
    assert!(r.status().is_success());
}

#[tokio::test]
async fn commands_are_applied_once_and_the_double_stop_is_refused() {
    let path = common::journal("carrier-sim");
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    let c = HttpCarrier::new(&base, KEY, Duration::from_secs(2));
    let m = "+819012345678";
    let l = c
        .submit(&cmd("k1", m, activate("8981100000000000001")))
        .await
        .expect("activated");
    assert_eq!((l.status, l.sequence), (CarrierStatus::Active, 1));
    let s = c
        .submit(&cmd("k2", m, Command::Suspend))
        .await
        .expect("suspended");
    assert_eq!((s.status, s.sequence), (CarrierStatus::Suspended, 2));
    // The same key again: the first answer, nothing applied twice.
    let again = c
        .submit(&cmd("k2", m, Command::Suspend))
        .await
        .expect("replayed");
    assert_eq!(again, s);
    // A second stop under a new key: the carrier refuses it, and says why.
    let double = c.submit(&cmd("k3", m, Command::Suspend)).await;
    assert!(
        matches!(&double, Err(GatewayError::Rejected { code, .. }) if code == "invalid_state"),
        "{double:?}"
    );
    // The same key for another command is a conflict, not a silent replay.
    let conflict = c.submit(&cmd("k2", m, Command::Resume)).await;
    assert!(
        matches!(&conflict, Err(GatewayError::Rejected { code, .. }) if code == "idempotency_conflict"),
        "{conflict:?}"
    );
    let r = c
        .submit(&cmd("k4", m, Command::Resume))
        .await
        .expect("resumed");
    assert_eq!((r.status, r.sequence), (CarrierStatus::Active, 3));
    let t = c
        .submit(&cmd("k5", m, Command::SetSpeedLimit { kbps: Some(128) }))
        .await
        .expect("throttled");
    assert_eq!(t.speed_limit_kbps, Some(128));
    let w = c
        .submit(&cmd(
            "k6",
            m,
            Command::SwapSim {
                iccid: "8981100000000000002".into(),
            },
        ))
        .await
        .expect("swapped");
    assert_eq!(w.iccid, "8981100000000000002");
    assert_eq!(c.line(m).await.expect("read"), Some(w.clone()));
    assert_eq!(c.line("+819000000000").await.expect("read"), None);
    let bad = c.submit(&cmd("k7", "090-1234", Command::Suspend)).await;
    assert!(matches!(&bad, Err(GatewayError::Rejected { code, .. }) if code == "bad_request"));
    let wrong_key = HttpCarrier::new(&base, "nope", Duration::from_secs(2))
        .line(m)
        .await;
    // Refused credentials are nothing a command did: retryable once the key is fixed.
    assert!(
        matches!(&wrong_key, Err(GatewayError::Transient(m)) if m.contains("credentials")),
        "{wrong_key:?}"
    );
    let keys: Vec<String> = entries(&base).await.into_iter().map(|e| e.key).collect();
    assert_eq!(keys, ["k1", "k2", "k3", "k4", "k5", "k6", "k7"]);

    // The books survive a restart: state and the idempotency log.
    let (base2, _task2) = common::start(&path, KEY, Faults::default()).await;
    let c2 = HttpCarrier::new(&base2, KEY, Duration::from_secs(2));
    assert_eq!(c2.line(m).await.expect("read"), Some(w));
    let replay = c2
        .submit(&cmd("k2", m, Command::Suspend))
        .await
        .expect("replayed");
    assert_eq!(
        replay, s,
        "a key answered before the restart is answered the same after"
    );
    common::cleanup(&path);
}

#[tokio::test]
async fn injected_errors_apply_nothing_and_timeouts_are_unknown_until_asked() {
    let path = common::journal("carrier-sim");
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    let c = HttpCarrier::new(&base, KEY, Duration::from_millis(300));
    let m = "+818011112222";
    set_faults(
        &base,
        &Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let e = c
        .submit(&cmd("a1", m, activate("8981100000000000011")))
        .await;
    assert!(matches!(e, Err(GatewayError::Transient(_))), "{e:?}");
    assert!(
        entries(&base).await.is_empty(),
        "an injected error applies nothing"
    );

    set_faults(
        &base,
        &Faults {
            timeout_rate: 1.0,
            hold_ms: 1_000,
            ..Faults::default()
        },
    )
    .await;
    let e = c
        .submit(&cmd("a1", m, activate("8981100000000000011")))
        .await;
    assert!(matches!(e, Err(GatewayError::Unknown(_))), "{e:?}");
    // The janitor's question: applied after all.
    let seen = c.line(m).await.expect("status").expect("the line exists");
    assert_eq!(seen.status, CarrierStatus::Active);
    // The retry with the same key settles it without applying twice.
    set_faults(&base, &Faults::default()).await;
    let l = c
        .submit(&cmd("a1", m, activate("8981100000000000011")))
        .await
        .expect("settled");
    assert_eq!(l, seen);
    assert_eq!(entries(&base).await.len(), 1);
    common::cleanup(&path);
}

#[tokio::test]
async fn the_inventory_pages_through_every_line() {
    let path = common::journal("carrier-sim");
    let (base, _task) = common::start(&path, KEY, Faults::default()).await;
    let c = HttpCarrier::new(&base, KEY, Duration::from_secs(2));
    for i in 0..25u32 {
        let m = format!("+8170{:08}", i);
        let iccid = format!("89811000000000{:05}", i);
        c.submit(&cmd(&format!("inv-{i}"), &m, activate(&iccid)))
            .await
            .expect("activated");
    }
    let (mut after, mut seen) = (None::<String>, Vec::new());
    loop {
        let p = c.inventory(after.as_deref(), 10).await.expect("page");
        assert!(p.lines.len() <= 10);
        seen.extend(p.lines.iter().map(|l| l.msisdn.clone()));
        match p.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let mut want: Vec<String> = (0..25u32).map(|i| format!("+8170{:08}", i)).collect();
    want.sort();
    assert_eq!(seen, want);
    common::cleanup(&path);
}

/// 300 commands on 30 lines under 30 % errors and 10 % timeouts, each retried with its key
/// (asking the status after an `Unknown`) until the carrier answers for good: every line
/// ends as the model says, and the journal holds each key once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_no_key_is_applied_twice() {
    let path = common::journal("carrier-sim");
    let faults = Faults {
        error_rate: 0.3,
        timeout_rate: 0.1,
        hold_ms: 400,
        ..Faults::default()
    };
    let (base, _task) = common::start(&path, KEY, faults).await;
    let c = HttpCarrier::new(&base, KEY, Duration::from_millis(200));
    let mut model = std::collections::BTreeMap::new();
    let mut tasks = Vec::new();
    for line in 0..30u32 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let m = format!("+8160{line:08}");
            let mut cmds = vec![activate(&format!("89811000000001{line:05}"))];
            for i in 0..9 {
                cmds.push(if i % 2 == 0 {
                    Command::Suspend
                } else {
                    Command::Resume
                });
            }
            let mut last = None;
            for (i, command) in cmds.into_iter().enumerate() {
                let lc = cmd(&format!("{m}/{i}"), &m, command);
                let mut tries = 0;
                let answer = loop {
                    tries += 1;
                    assert!(tries < 200, "{m}: no definite answer");
                    match c.submit(&lc).await {
                        Ok(l) => break l,
                        Err(GatewayError::Transient(_)) => {}
                        Err(GatewayError::Unknown(_)) => {
                            // Applied or not, the same key settles it.
                            let _ = c.line(&m).await;
                        }
                        Err(e) => panic!("{m}: {e}"),
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                };
                last = Some(answer.status);
            }
            (m, last)
        }));
    }
    for t in tasks {
        let (m, last) = t.await.expect("task");
        model.insert(m, last);
    }
    let c = HttpCarrier::new(&base, KEY, Duration::from_secs(5));
    set_faults(&base, &Faults::default()).await;
    for (m, last) in &model {
        let l = c.line(m).await.expect("read").expect("exists");
        assert_eq!(Some(l.status), *last, "{m}");
        // Activate, then five stops and four resumptions: suspended, at sequence 10.
        assert_eq!(
            (l.status, l.sequence),
            (CarrierStatus::Suspended, 10),
            "{m}"
        );
    }
    let journal = entries(&base).await;
    let mut keys: Vec<&str> = journal.iter().map(|e| e.key.as_str()).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!((n, keys.len()), (300, 300), "each key journalled once");
    assert!(journal.iter().all(|e| matches!(e.answer, Answer::Line(_))));
    common::cleanup(&path);
}
