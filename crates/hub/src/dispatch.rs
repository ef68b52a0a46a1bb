//! The dispatcher: attempts deliveries handed over by the consumers (the immediate first
//! attempt) and those whose next attempt is due (retries, and anything whose lease ran out
//! because a worker died), with at most `concurrency` sends in flight, and records each
//! outcome.

use crate::channels::webhook::EndpointKeys;
use crate::store::{self, Delivery};
use crate::{Hub, SECRET_PURPOSE, record};
use futures_util::future::join_all;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tracing::Instrument;
use tsunagi_core::{Result, TenantId};
use tsunagi_db::{Scope, TenantTx};
use uuid::Uuid;

pub type Sender = mpsc::Sender<Vec<Delivery>>;
pub type Receiver = mpsc::Receiver<Vec<Delivery>>;

pub fn pipeline() -> (Sender, Receiver) {
    mpsc::channel(1024)
}

/// Endpoint URLs and signing keys (current, and the previous one during a rotation).
pub async fn endpoint_keys(
    hub: &Hub,
    tx: &mut TenantTx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, EndpointKeys>> {
    type Row = (Uuid, String, String, Vec<u8>, Option<Vec<u8>>, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, url, status, secret_enc, previous_secret_enc, \
                coalesce(previous_secret_until > now(), false) \
         FROM webhook_endpoints WHERE tenant_id = app_tenant() AND id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(tx.conn())
    .await?;
    let tenant = tx.tenant_id();
    let mut out = HashMap::new();
    for (id, url, status, cur, prev, prev_live) in rows {
        let mut keys = Vec::new();
        for sealed in std::iter::once(Some(cur))
            .chain(std::iter::once(prev.filter(|_| prev_live)))
            .flatten()
        {
            let secret = hub.key.open(tenant, SECRET_PURPOSE, &sealed)?;
            if let Some(k) = crate::signing::key_bytes(&secret) {
                keys.push(k);
            }
        }
        out.insert(
            id,
            EndpointKeys {
                id,
                url,
                enabled: status == "enabled",
                keys,
            },
        );
    }
    Ok(out)
}

async fn attempt_tenant(
    hub: &Hub,
    tenant: Uuid,
    batch: Vec<Delivery>,
    sem: &Semaphore,
) -> Result<Vec<Delivery>> {
    let ep_ids: Vec<Uuid> = batch.iter().filter_map(|d| d.endpoint_id).collect();
    let plugin_events: Vec<Uuid> = batch
        .iter()
        .filter(|d| d.channel.starts_with("plugin:"))
        .map(|d| d.event_id)
        .collect();
    let (endpoints, payloads) = if ep_ids.is_empty() && plugin_events.is_empty() {
        (HashMap::new(), HashMap::new())
    } else {
        let mut tx = TenantTx::begin(&hub.db, Scope::single(TenantId::from(tenant))).await?;
        let e = endpoint_keys(hub, &mut tx, &ep_ids).await?;
        let p = store::payloads(&mut tx, &plugin_events).await?;
        tx.commit().await?;
        (e, p)
    };
    let results = join_all(batch.into_iter().map(|d| {
        let ep = d.endpoint_id.and_then(|e| endpoints.get(&e));
        let data = payloads.get(&d.event_id);
        let span = tracing::info_span!("hub.attempt", tenant_id = %d.tenant_id, event_id = %d.event_id,
            delivery_id = %d.id, channel = %d.channel, attempt = d.attempts + 1);
        async move {
            let _permit = sem.acquire().await;
            let start = Instant::now();
            let outcome = hub.channels.send(&d, ep, data).await;
            tracing::debug!(outcome = outcome.name(), "attempt finished");
            (d, outcome, start.elapsed())
        }
        .instrument(span)
    }))
    .await;
    record::record(hub, tenant, results).await
}

/// Attempts a batch (grouped by tenant) and feeds fallback deliveries back in.
pub async fn attempt_batch(hub: &Hub, batch: Vec<Delivery>, sem: &Semaphore) {
    let mut by_tenant: HashMap<Uuid, Vec<Delivery>> = HashMap::new();
    for d in batch {
        by_tenant.entry(d.tenant_id).or_default().push(d);
    }
    for (tenant, ds) in by_tenant {
        let mut next = ds;
        // Fallback deliveries created by a final failure are attempted at once (bounded).
        for _ in 0..3 {
            match attempt_tenant(hub, tenant, next, sem).await {
                Ok(fallbacks) if !fallbacks.is_empty() => next = fallbacks,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(tenant_id = %tenant, error = %e.detail(), "recording attempts failed; leases expire and they run again");
                    break;
                }
            }
        }
    }
}

pub async fn run_attempts(hub: Hub, mut rx: Receiver) {
    let sem = Arc::new(Semaphore::new(hub.cfg.concurrency));
    while let Some(batch) = rx.recv().await {
        let hub = hub.clone();
        let sem = sem.clone();
        tokio::spawn(async move { attempt_batch(&hub, batch, &sem).await });
    }
}

async fn claim_due(hub: &Hub) -> Result<Vec<Delivery>> {
    let due: Vec<(Uuid, Uuid)> = sqlx::query_as("SELECT * FROM hub_claim_due($1, $2)")
        .bind(500_i32)
        .bind(i32::try_from(hub.cfg.lease_secs * 1000).unwrap_or(i32::MAX))
        .fetch_all(hub.db.pool())
        .await?;
    let mut by_tenant: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (t, id) in due {
        by_tenant.entry(t).or_default().push(id);
    }
    let mut out = Vec::new();
    for (t, ids) in by_tenant {
        let mut tx = TenantTx::begin(&hub.db, Scope::single(TenantId::from(t))).await?;
        out.extend(store::load_deliveries(&mut tx, &ids).await?);
        tx.commit().await?;
    }
    Ok(out)
}

/// Scans for due attempts every `dispatch_interval_ms`.
pub async fn run_due(hub: Hub, sender: Sender) {
    let every = Duration::from_millis(hub.cfg.dispatch_interval_ms);
    loop {
        match claim_due(&hub).await {
            Ok(ds) if !ds.is_empty() => {
                let full = ds.len() >= 500;
                if sender.send(ds).await.is_err() {
                    return;
                }
                if full {
                    continue;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e.detail(), "due scan failed"),
        }
        tokio::time::sleep(every).await;
    }
}
