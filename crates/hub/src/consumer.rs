//! Stream consumers: read the stream in a consumer group, plan each tenant's events into
//! delivery rows (idempotent), acknowledge, and hand the new deliveries to the dispatcher.
//! Entries left pending by a dead consumer are claimed with XAUTOCLAIM after
//! `reclaim_idle_ms`. A group lost with Redis's data is created again.

use crate::dispatch::Sender;
use crate::{Envelope, Hub, plan, relay};
use redis::AsyncCommands;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply,
};
use std::time::{Duration, Instant};
use tracing::Instrument;
use uuid::Uuid;

type Conn = redis::aio::MultiplexedConnection;

pub async fn ensure_group(hub: &Hub, conn: &mut Conn) -> redis::RedisResult<()> {
    let r: redis::RedisResult<()> = conn
        .xgroup_create_mkstream(&hub.cfg.stream, &hub.cfg.group, "0")
        .await;
    match r {
        Err(e) if e.to_string().contains("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Plans, acknowledges and dispatches a batch of entries. Entries whose planning failed
/// stay pending and are claimed again later.
pub async fn handle(
    hub: &Hub,
    conn: &mut Conn,
    entries: Vec<StreamId>,
    sender: &Sender,
) -> anyhow::Result<()> {
    let mut ack: Vec<String> = Vec::new();
    let mut by_tenant: Vec<(Uuid, Vec<(String, Envelope)>)> = Vec::new();
    for e in entries {
        let parsed = match e.map.get("e") {
            Some(redis::Value::BulkString(b)) => serde_json::from_slice::<Envelope>(b).ok(),
            _ => None,
        };
        let Some(env) = parsed else {
            tracing::warn!(entry = %e.id, "unreadable stream entry dropped (the outbox republishes it)");
            ack.push(e.id);
            continue;
        };
        match by_tenant.iter_mut().find(|(t, _)| *t == env.tenant_id) {
            Some((_, v)) => v.push((e.id, env)),
            None => by_tenant.push((env.tenant_id, vec![(e.id, env)])),
        }
    }
    for (tenant, items) in by_tenant {
        let events: Vec<Envelope> = items.iter().map(|(_, e)| e.clone()).collect();
        let span = tracing::info_span!("hub.event", tenant_id = %tenant, events = events.len());
        match plan::process_tenant(hub, tenant, &events)
            .instrument(span)
            .await
        {
            Ok(deliveries) => {
                ack.extend(items.into_iter().map(|(id, _)| id));
                if !deliveries.is_empty() && sender.send(deliveries).await.is_err() {
                    tracing::warn!("dispatcher gone; deliveries wait for the due scan");
                }
            }
            Err(e) => {
                tracing::warn!(tenant_id = %tenant, error = %e.detail(), "planning failed; entries stay pending")
            }
        }
    }
    if !ack.is_empty() {
        let _: i64 = conn.xack(&hub.cfg.stream, &hub.cfg.group, &ack).await?;
    }
    Ok(())
}

/// Claims entries idle longer than the reclaim time (their consumer died) and handles them.
pub async fn reclaim(
    hub: &Hub,
    conn: &mut Conn,
    me: &str,
    sender: &Sender,
) -> anyhow::Result<usize> {
    let mut start = "0-0".to_owned();
    let mut total = 0;
    for _ in 0..10 {
        let r: StreamAutoClaimReply = conn
            .xautoclaim_options(
                &hub.cfg.stream,
                &hub.cfg.group,
                me,
                hub.cfg.reclaim_idle_ms,
                &start,
                StreamAutoClaimOptions::default().count(hub.cfg.consumer_batch),
            )
            .await?;
        if !r.deleted_ids.is_empty() {
            let _: i64 = conn
                .xack(&hub.cfg.stream, &hub.cfg.group, &r.deleted_ids)
                .await?;
        }
        total += r.claimed.len();
        if !r.claimed.is_empty() {
            tracing::info!(
                claimed = r.claimed.len(),
                "reclaimed entries of a stalled consumer"
            );
            handle(hub, conn, r.claimed, sender).await?;
        }
        if r.next_stream_id == "0-0" {
            break;
        }
        start = r.next_stream_id;
    }
    Ok(total)
}

pub async fn run(hub: Hub, me: String, sender: Sender) {
    let block = Duration::from_millis(hub.cfg.block_ms as u64);
    loop {
        let mut conn = match relay::connect(&hub, block).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "consumer: redis unavailable; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if let Err(e) = ensure_group(&hub, &mut conn).await {
            tracing::warn!(error = %e, "consumer: cannot create the group; retrying");
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let reclaim_every = Duration::from_millis((hub.cfg.reclaim_idle_ms / 2).max(100));
        let mut last_reclaim = Instant::now();
        loop {
            if last_reclaim.elapsed() >= reclaim_every {
                last_reclaim = Instant::now();
                if let Err(e) = reclaim(&hub, &mut conn, &me, &sender).await {
                    tracing::warn!(error = %e, "consumer: reclaim failed");
                }
            }
            let opts = StreamReadOptions::default()
                .group(&hub.cfg.group, &me)
                .count(hub.cfg.consumer_batch)
                .block(hub.cfg.block_ms);
            let r: redis::RedisResult<Option<StreamReadReply>> =
                conn.xread_options(&[&hub.cfg.stream], &[">"], &opts).await;
            match r {
                Ok(Some(reply)) => {
                    let entries: Vec<StreamId> =
                        reply.keys.into_iter().flat_map(|k| k.ids).collect();
                    if !entries.is_empty()
                        && let Err(e) = handle(&hub, &mut conn, entries, &sender).await
                    {
                        tracing::warn!(error = %e, "consumer: batch failed; entries stay pending");
                    }
                }
                Ok(None) => {}
                Err(e) if e.to_string().contains("NOGROUP") => {
                    if ensure_group(&hub, &mut conn).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "consumer: read failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            }
        }
    }
}
