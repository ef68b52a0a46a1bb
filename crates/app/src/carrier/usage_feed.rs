//! The carrier's usage feed, pulled. For every tenant with a carrier, the worker asks for
//! the records after the tenant's position, page by page, and takes each page through the
//! same intake as a file (source `carrier`, format `feed`): de-duplicated, checked, routed,
//! rated, refused records kept with their reason. The position moves only after a page's
//! records are committed, so a crash or a carrier error re-reads that page, and the
//! intake's exactly-once key makes the second reading change nothing. A failing carrier is
//! recorded on the feed (`lastError`) and asked again at the next activation. One reader at a
//! time per tenant: a reading takes a lease on the tenant's feed row first.

use crate::usage::Ingest;
use crate::usage::formats::{Item, from_json_object};
use crate::{App, Ctx};
use tsunagi_carrier::CarrierGateway;
use tsunagi_core::{Error, Result, TenantId};
use tsunagi_db::repo::usage_feed as repo;
pub use tsunagi_db::repo::usage_feed::Feed;

/// The source the carrier's records are taken under (a mediation system posting the same
/// records under it would see them as duplicates, as it should).
pub const SOURCE: &str = "carrier";
/// Records asked for per page.
const PAGE: u32 = 1_000;
/// Pages per tenant per activation (a backlog goes on at the next one).
const PAGES: usize = 50;
/// How long a reader holds a tenant's feed at most (a crashed reader's lease runs out).
const LEASE_SECS: i32 = 300;

/// What one pull took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pulled {
    pub pages: usize,
    pub received: i64,
    pub accepted: i64,
}

/// The tenant's feed as it stands (None: never pulled). Needs `carrier:read`.
pub async fn feed(app: &App, ctx: &Ctx) -> Result<Option<Feed>> {
    app.authz.check(&ctx.principal, "carrier", "read").await?;
    let mut tx = app.read(ctx).await?;
    let f = repo::feed_get(&mut tx).await?;
    tx.end()?;
    Ok(f)
}

/// Why a reading stopped short.
enum Stop {
    /// The carrier failed: what was read before is taken and the position moves past it.
    Carrier(String),
    /// Taking the records failed: nothing of this reading counts; it is read again.
    Intake(String),
}

/// Pulls what the tenant's carrier has after the tenant's position (see the module's
/// documentation), at most `PAGES` pages as one submission. `ctx` acts for the tenant with
/// the `usage_feed` role. A failure is recorded on the feed before it is returned.
pub async fn pull(app: &App, ctx: &Ctx) -> Result<Pulled> {
    let mut tx = app.tx(ctx).await?;
    // One reader at a time per tenant (several worker replicas each read every tenant).
    let gw = match app.carriers.of(app, &mut tx, true).await? {
        Some(gw) if repo::feed_claim(&mut tx, LEASE_SECS).await? => gw,
        _ => {
            tx.commit().await?;
            return Ok(Pulled::default());
        }
    };
    let start = repo::feed_get(&mut tx).await?.and_then(|f| f.position);
    tx.commit().await?;
    let mut position = start.clone();
    let mut ingest: Option<Ingest> = None;
    let mut out = Pulled::default();
    let mut at = 0i64;
    let mut stop = None;
    'pages: for _ in 0..PAGES {
        let page = match gw.usage(position.as_deref(), PAGE).await {
            Ok(p) => p,
            Err(e) => {
                stop = Some(Stop::Carrier(e.to_string()));
                break;
            }
        };
        if page.records.is_empty() {
            break;
        }
        if ingest.is_none() {
            match Ingest::start(app, ctx, SOURCE, "feed").await {
                Ok(i) => ingest = Some(i),
                Err(e) => {
                    stop = Some(Stop::Intake(e.detail()));
                    break;
                }
            }
        }
        let Some(i) = ingest.as_mut() else { break };
        for r in &page.records {
            at += 1;
            let pushed = match from_json_object(r) {
                Item::Record(s) => i.push(at, &s).await,
                Item::Unreadable { raw, why } => i.push_unreadable(at, &raw, &why).await,
            };
            if let Err(e) = pushed {
                stop = Some(Stop::Intake(e.detail()));
                break 'pages;
            }
        }
        out.pages += 1;
        position = Some(page.next);
        if !page.more {
            break;
        }
    }
    // What was read is committed before the position moves past it.
    if let Some(i) = ingest {
        match &stop {
            Some(Stop::Intake(why)) => {
                // Closes the batch as failed; the position stays, so all of it is read again.
                if let Err(e) = i.fail(why).await {
                    tracing::warn!(error = %e.detail(), "usage feed: the failed batch was not closed");
                }
            }
            _ => match i.finish().await {
                Ok(summary) => {
                    out.received = summary.received;
                    out.accepted = summary.accepted;
                }
                Err(e) => stop = Some(Stop::Intake(e.detail())),
            },
        }
    }
    let mut tx = app.tx(ctx).await?;
    let why = match &stop {
        None => {
            repo::feed_advance(&mut tx, position.as_deref(), out.received).await?;
            None
        }
        Some(Stop::Carrier(why)) => {
            if position != start {
                repo::feed_advance(&mut tx, position.as_deref(), out.received).await?;
            }
            Some(why.clone())
        }
        Some(Stop::Intake(why)) => Some(format!("taking the records failed: {why}")),
    };
    if let Some(why) = &why {
        repo::feed_failed(&mut tx, why).await?;
    }
    repo::feed_release(&mut tx).await?;
    tx.commit().await?;
    match why {
        Some(why) => Err(Error::unavailable(why)),
        None => Ok(out),
    }
}

/// Worker activation: pulls the feed of every tenant with a carrier; one tenant's failing
/// carrier does not stop the others. Returns the records received.
pub async fn pull_all(app: &App) -> Result<i64> {
    let mut n = 0;
    for tenant in tsunagi_db::repo::reconcile::tenants_with_carrier(&app.db).await? {
        let Some(mut ctx) = Ctx::system(app, TenantId(tenant), "system:usage-feed").await? else {
            continue;
        };
        ctx.principal.roles = vec!["usage_feed".into()];
        match pull(app, &ctx).await {
            Ok(p) => n += p.received,
            Err(e) => {
                tracing::warn!(tenant = %tenant, error = %e.detail(), "usage feed pull failed; next activation retries")
            }
        }
    }
    Ok(n)
}
