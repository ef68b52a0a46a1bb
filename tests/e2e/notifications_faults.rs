//! Nothing lost, nothing twice: Redis killed (and restarted empty) during a burst of 5,000
//! events; a consumer that died holding pending entries.

use crate::notifications::{hub_env, start};
use redis::AsyncCommands;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use tsunagi_tests::TestEnv;
use tsunagi_tests::hub::{LOAD_EVENTS_SQL, LOAD_FILTER, PrivateRedis, Receiver};

async fn emit_batch(env: &TestEnv, tenant: &str, from: usize, n: usize) {
    sqlx::query(LOAD_EVENTS_SQL)
        .bind(tenant)
        .bind(i32::try_from(from).expect("i32"))
        .bind(i32::try_from(from + n - 1).expect("i32"))
        .execute(&env.admin)
        .await
        .expect("emit");
}

async fn endpoint(s: &tsunagi_tests::Seeded, rx: &Receiver) -> String {
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let r = admin.ok("mutation($u: String!, $t: String!) { webhookEndpointCreate(input: {url: $u, topics: [$t]}) { endpoint { id } } }",
        json!({"u": format!("{}/load", rx.base), "t": LOAD_FILTER})).await;
    r["webhookEndpointCreate"]["endpoint"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn hits_per_message(rx: &Receiver) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for h in rx.hits("load") {
        let id = h
            .headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        *m.entry(id).or_insert(0) += 1;
    }
    m
}

#[tokio::test]
async fn redis_killed_during_a_burst_loses_and_duplicates_nothing() {
    let mut redis = PrivateRedis::start().await.expect("private redis");
    let rx = Receiver::start().await.expect("receiver");
    let mut cfg = hub_env("smtp://127.0.0.1:9");
    cfg.push(("TSUNAGI_REDIS__URL", redis.url()));
    cfg.push(("TSUNAGI_HUB__REPUBLISH_AFTER_SECS", "5".into()));
    let env = start(&cfg).await;
    let s = env.seed().await.expect("seed");
    let tenant = s.tenant("sakura-mobile").to_owned();
    endpoint(&s, &rx).await;
    let _hub = env.start_hub().expect("hub");
    const N: usize = 5000;
    for b in 0..20 {
        emit_batch(&env, &tenant, b * 250, 250).await;
        if b == 8 {
            redis.kill();
        }
        if b == 12 {
            redis.restart().await.expect("restart");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while hits_per_message(&rx).len() < N && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hits = hits_per_message(&rx);
    assert_eq!(hits.len(), N, "every event delivered");
    let twice: Vec<_> = hits.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "none delivered twice: {} duplicates",
        twice.len()
    );
    let (rows, delivered, events): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'delivered'), count(DISTINCT event_id) FROM hub_deliveries WHERE topic = 'inventory.sims_added'",
    )
    .fetch_one(&env.admin)
    .await
    .expect("count");
    assert_eq!(
        (rows, delivered, events),
        (N as i64, N as i64, N as i64),
        "one delivery row per event"
    );
}

#[tokio::test]
async fn a_dead_consumers_pending_entries_are_reclaimed() {
    let rx = Receiver::start().await.expect("receiver");
    let env = start(&hub_env("smtp://127.0.0.1:9")).await;
    let s = env.seed().await.expect("seed");
    let tenant = s.tenant("sakura-mobile").to_owned();
    endpoint(&s, &rx).await;
    emit_batch(&env, &tenant, 0, 50).await;
    // A consumer relays and reads the batch, then dies before planning or acknowledging it.
    let app = &env.running.app;
    let hub = tsunagi_hub::Hub::new(
        app.db.clone(),
        redis::Client::open(env.config.redis.url.0.as_str()).expect("redis"),
        env.config.hub.clone(),
        app.config.data_key.clone().expect("key"),
        None,
    )
    .expect("hub");
    let mut conn = tsunagi_hub::relay::connect(&hub, Duration::from_secs(1))
        .await
        .expect("conn");
    tsunagi_hub::consumer::ensure_group(&hub, &mut conn)
        .await
        .expect("group");
    // Redis has not lost anything: the epoch is set, so nothing is republished and only
    // the reclaim can bring these entries back. (The seed's own events are relayed too.)
    tsunagi_hub::relay::check_epoch(&hub, &mut conn, &mut None)
        .await
        .expect("epoch");
    let relayed = tsunagi_hub::relay::relay_once(&hub, &mut conn)
        .await
        .expect("relay");
    assert!(relayed >= 50, "relayed {relayed}");
    let opts = redis::streams::StreamReadOptions::default()
        .group(&hub.cfg.group, "dead-consumer")
        .count(1000);
    let r: redis::streams::StreamReadReply = conn
        .xread_options(&[&hub.cfg.stream], &[">"], &opts)
        .await
        .expect("read");
    assert_eq!(
        r.keys[0].ids.len(),
        relayed,
        "the dead consumer holds every entry"
    );
    // The live hub claims them once they are idle past reclaim_idle_ms, and delivers each once.
    let _hub = env.start_hub().expect("hub");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while hits_per_message(&rx).len() < 50 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hits = hits_per_message(&rx);
    assert_eq!(hits.len(), 50, "all reclaimed and delivered");
    assert!(hits.values().all(|n| *n == 1), "each once");
    let mut left = usize::MAX;
    for _ in 0..100 {
        let p: redis::streams::StreamPendingReply = conn
            .xpending(&hub.cfg.stream, &hub.cfg.group)
            .await
            .expect("pending");
        left = p.count();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "nothing left pending");
    let len: usize = conn.xlen(&hub.cfg.stream).await.expect("xlen");
    assert_eq!(
        len, relayed,
        "delivered from the reclaimed entries, not from a republish"
    );
}
