//! Replay sources: the bounded sample of real inputs each hook's active plugin was called
//! with, and fixture sets uploaded by the tenant. Samples are a reservoir per (tenant, hook)
//! and process: the first `size` calls fill it, later calls replace a random slot with
//! falling probability, so the sample stays uniform over everything since the process
//! started at a cost of O(size · log calls) writes. Config and secrets are never part of a
//! sample: the host adds them to the input only inside the sandbox call.

use crate::store::{FixtureSetRow, SampleRow};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use tsunagi_core::{Error, Result};
use tsunagi_db::{TenantTx, on_constraint};
use uuid::Uuid;

/// Per (tenant, hook): calls seen by this process.
#[derive(Debug, Default)]
pub struct Reservoir(Mutex<HashMap<(Uuid, String), u64>>);

impl Reservoir {
    /// The slot this call's sample goes to, if any.
    pub fn slot(&self, tenant: Uuid, hook: &str, size: u32) -> Option<i32> {
        let mut m = self.0.lock().expect("reservoir lock");
        let seen = m.entry((tenant, hook.to_owned())).or_insert(0);
        let k = *seen;
        *seen += 1;
        pick(k, u64::from(size), rand::random_range(0..=k))
    }
}

/// Reservoir sampling (algorithm R): call `k` (0-based) with random `r` in `0..=k`.
fn pick(k: u64, size: u64, r: u64) -> Option<i32> {
    if size == 0 {
        return None;
    }
    let slot = if k < size { k } else { r };
    (slot < size).then(|| i32::try_from(slot).unwrap_or(i32::MAX))
}

#[allow(clippy::too_many_arguments)]
pub async fn put(
    tx: &mut TenantTx,
    hook: &str,
    slot: i32,
    owner: Uuid,
    version_id: Uuid,
    input: &Value,
    output: Option<&Value>,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO plugin_samples (tenant_id, hook, slot, owner_tenant_id, version_id, input, output, error) \
         VALUES (app_tenant(), $1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant_id, hook, slot) DO UPDATE SET owner_tenant_id = $3, version_id = $4, input = $5, \
            output = $6, error = $7, recorded_at = now()",
    )
    .bind(hook)
    .bind(slot)
    .bind(owner)
    .bind(version_id)
    .bind(input)
    .bind(output)
    .bind(error)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Samples of a hook in the tenant and the tenants below it, newest first.
pub async fn list(tx: &mut TenantTx, hook: &str, limit: i64) -> Result<Vec<SampleRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM plugin_samples WHERE hook = $1 ORDER BY recorded_at DESC, tenant_id, slot LIMIT $2",
    )
    .bind(hook)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn fixture_insert(
    tx: &mut TenantTx,
    world: &str,
    name: &str,
    inputs: &Value,
    created_by: &str,
) -> Result<FixtureSetRow> {
    sqlx::query_as(
        "INSERT INTO plugin_fixture_sets (tenant_id, id, world, name, inputs, created_by) \
         VALUES (app_tenant(), $1, $2, $3, $4, $5) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(world)
    .bind(name)
    .bind(inputs)
    .bind(created_by)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("plugin_fixture_sets_name_key", || {
        Error::invalid("input.name", format!("a fixture set named {name:?} exists"))
    }))
}

pub async fn fixtures(tx: &mut TenantTx) -> Result<Vec<FixtureSetRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM plugin_fixture_sets WHERE tenant_id = app_tenant() ORDER BY name",
    )
    .fetch_all(tx.conn())
    .await?)
}

pub async fn fixture_get(tx: &mut TenantTx, id: Uuid) -> Result<FixtureSetRow> {
    sqlx::query_as("SELECT * FROM plugin_fixture_sets WHERE tenant_id = app_tenant() AND id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(Error::not_found("fixture set"))
}

pub async fn fixture_delete(tx: &mut TenantTx, id: Uuid) -> Result<FixtureSetRow> {
    sqlx::query_as(
        "DELETE FROM plugin_fixture_sets WHERE tenant_id = app_tenant() AND id = $1 RETURNING *",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::not_found("fixture set"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Slots are always within the reservoir; the first `size` calls fill it in order.
        #[test]
        fn slots_stay_in_bounds(k in 0u64..100_000, size in 0u64..500, r in 0u64..100_000) {
            let r = r % (k + 1);
            match pick(k, size, r) {
                Some(s) => {
                    prop_assert!((s as u64) < size);
                    if k < size { prop_assert_eq!(s as u64, k); }
                }
                None => prop_assert!(size == 0 || (k >= size && r >= size)),
            }
        }
    }
}
