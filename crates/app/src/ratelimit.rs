//! Rate limits in Redis with GCRA (a token bucket kept as one timestamp per key): per tenant,
//! per API key, and per client address before sign-in. Keys carry the tenant in a hash tag
//! (`rl:{<tenant>}:…`) so they spread across a Redis Cluster. Redis's own clock is used, so
//! replicas agree. If Redis is unreachable the request is let through and a warning logged:
//! PostgreSQL, not Redis, decides whether the business can go on.

use crate::App;
use redis::Script;
use std::sync::LazyLock;
use tsunagi_core::{Actor, Error, Principal, Result};

static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then return math.ceil((allow_at - now) / 1000) end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 0
",
    )
});

/// Takes one request from the bucket `key` (rate per second, burst). `Ok(None)` = allowed;
/// `Ok(Some(ms))` = refused, retry after ms.
async fn take(
    conn: &mut redis::aio::ConnectionManager,
    key: &str,
    per_second: u32,
    burst: u32,
) -> redis::RedisResult<Option<u64>> {
    let interval_us = 1_000_000u64 / u64::from(per_second.max(1));
    let tolerance_us = interval_us * u64::from(burst.max(1));
    let wait: u64 = GCRA
        .key(key)
        .arg(interval_us)
        .arg(tolerance_us)
        .invoke_async(conn)
        .await?;
    Ok((wait > 0).then_some(wait))
}

async fn check(app: &App, buckets: &[(String, u32, u32)]) -> Result<()> {
    let cfg = &app.config.rate_limit;
    let Some(redis) = &app.redis else {
        return Ok(());
    };
    if !cfg.enabled {
        return Ok(());
    }
    let mut conn = redis.clone();
    for (key, rate, burst) in buckets {
        match take(&mut conn, key, *rate, *burst).await {
            Ok(None) => {}
            Ok(Some(ms)) => {
                return Err(Error::RateLimited {
                    retry_after_ms: ms.max(1),
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "rate limiter unavailable; request let through");
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The limits of an authenticated principal: its tenant's, and its API key's.
pub async fn check_principal(app: &App, p: &Principal) -> Result<()> {
    let cfg = &app.config.rate_limit;
    let mut buckets = vec![(
        format!("rl:{{{}}}:tenant", p.tenant_id),
        cfg.tenant_per_second,
        cfg.tenant_burst,
    )];
    if let Actor::ApiKey { id, .. } = &p.actor {
        buckets.push((
            format!("rl:{{{}}}:key:{id}", p.tenant_id),
            cfg.api_key_per_second,
            cfg.api_key_burst,
        ));
    }
    check(app, &buckets).await
}

/// The limit of an unauthenticated caller, by client address.
pub async fn check_anonymous(app: &App, client: &str) -> Result<()> {
    let cfg = &app.config.rate_limit;
    check(
        app,
        &[(
            format!("rl:anon:{client}"),
            cfg.anonymous_per_second,
            cfg.anonymous_burst,
        )],
    )
    .await
}
