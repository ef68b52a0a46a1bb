//! The outbox relay: claims unpublished outbox rows in order and marks them published in one
//! statement (`FOR UPDATE SKIP LOCKED`, so any number of replicas share the work), XADDs them
//! to the bounded stream in one pipeline, and only then commits. Killed between XADD and
//! commit, the rows are published again and consumers drop the duplicates. It also republishes what was
//! published but never processed: at once when Redis lost its data (the epoch key is gone),
//! and after `republish_after_secs` otherwise (an entry trimmed unread).

use crate::{Envelope, Hub};
use chrono::Utc;
use redis::AsyncCommands;
use redis::streams::StreamMaxlen;
use std::time::{Duration, Instant};
use tsunagi_db::TenantTx;

/// A Redis connection whose commands may wait `block` (the default waits 500 ms at most).
pub async fn connect(
    hub: &Hub,
    block: Duration,
) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let cfg = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(block + Duration::from_secs(5)));
    hub.redis
        .get_multiplexed_async_connection_with_config(&cfg)
        .await
}

/// Relays one batch; returns how many events went out.
pub async fn relay_once(
    hub: &Hub,
    conn: &mut redis::aio::MultiplexedConnection,
) -> anyhow::Result<usize> {
    let mut tx = TenantTx::begin_unscoped(&hub.db)
        .await
        .map_err(|e| anyhow::anyhow!(e.detail()))?;
    let mut rows: Vec<Envelope> = sqlx::query_as("SELECT * FROM hub_publish_batch($1)")
        .bind(hub.cfg.relay_batch)
        .fetch_all(&mut *tx)
        .await?;
    rows.sort_unstable_by_key(|r| r.seq);
    if rows.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let mut pipe = redis::pipe();
    for r in &rows {
        pipe.xadd_maxlen(
            &hub.cfg.stream,
            StreamMaxlen::Approx(hub.cfg.stream_maxlen),
            "*",
            &[("e", serde_json::to_string(r)?)],
        )
        .ignore();
    }
    pipe.query_async::<()>(conn).await?;
    tx.commit().await?;
    Ok(rows.len())
}

async fn republish(hub: &Hub, before: chrono::DateTime<Utc>) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT hub_republish($1)")
        .bind(before)
        .fetch_one(hub.db.pool())
        .await?)
}

/// Detects a Redis that lost its data by the epoch key this relay last saw, and republishes
/// everything unprocessed when it did.
pub async fn check_epoch(
    hub: &Hub,
    conn: &mut redis::aio::MultiplexedConnection,
    known: &mut Option<String>,
) -> anyhow::Result<()> {
    let key = format!("{}:epoch", hub.cfg.stream);
    let current: Option<String> = conn.get(&key).await?;
    match (&current, known.as_ref()) {
        (Some(c), Some(k)) if c == k => return Ok(()),
        (Some(c), None) => {
            *known = Some(c.clone());
            return Ok(());
        }
        _ => {}
    }
    if current.is_none() {
        let _: bool = conn.set_nx(&key, uuid::Uuid::new_v4().to_string()).await?;
    }
    let n = republish(hub, Utc::now() + chrono::Duration::seconds(1)).await?;
    *known = conn.get(&key).await?;
    if n > 0 {
        tracing::warn!(
            republished = n,
            "redis lost the stream; unprocessed events published again"
        );
    }
    Ok(())
}

pub async fn run(hub: Hub) {
    let mut listener = match sqlx::postgres::PgListener::connect_with(hub.db.pool()).await {
        Ok(mut l) => l.listen("tsunagi_outbox").await.ok().map(|_| l),
        Err(_) => None,
    };
    let mut epoch: Option<String> = None;
    let poll = Duration::from_millis(hub.cfg.relay_poll_ms);
    loop {
        let mut conn = match connect(&hub, Duration::ZERO).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "relay: redis unavailable; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let mut last_check = Instant::now() - Duration::from_secs(3600);
        loop {
            if last_check.elapsed() >= Duration::from_secs(2) {
                last_check = Instant::now();
                let stale =
                    Utc::now() - chrono::Duration::seconds(hub.cfg.republish_after_secs as i64);
                let r = async {
                    check_epoch(&hub, &mut conn, &mut epoch).await?;
                    republish(&hub, stale).await
                }
                .await;
                match r {
                    Ok(n) if n > 0 => tracing::warn!(
                        republished = n,
                        "events published long ago and never processed published again"
                    ),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "relay: maintenance failed");
                        break;
                    }
                }
            }
            match relay_once(&hub, &mut conn).await {
                Ok(n) if n as i64 >= i64::from(hub.cfg.relay_batch) => continue,
                Ok(_) => match listener.as_mut() {
                    Some(l) => {
                        let _ = tokio::time::timeout(poll, l.recv()).await;
                    }
                    None => tokio::time::sleep(poll).await,
                },
                Err(e) => {
                    tracing::warn!(error = %e, "relay: batch failed; its events stay unpublished");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            }
        }
    }
}
