//! The audit log: list (Relay, both directions), verify, and a live feed.

use crate::error::{GqlResult, parse_id, to_gql};
use crate::pagination::{DEFAULT_PAGE, MAX_PAGE};
use crate::types::audit::{AuditFilter, AuditRecord, AuditVerification};
use crate::{AuditFeed, app_ctx};
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields, OpaqueCursor};
use async_graphql::{Context, ID, Object, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast;
use tsunagi_app::audit::{self, AuditPage};
use tsunagi_app::views::AuditFilter as Filter;
use tsunagi_core::{Error, TenantId};

type SeqCursor = OpaqueCursor<i64>;

fn decode(c: Option<String>, field: &str) -> async_graphql::Result<Option<i64>> {
    c.map(|c| {
        SeqCursor::decode_cursor(&c)
            .map(|c| c.0)
            .map_err(|_| to_gql(Error::invalid(field, "is not a cursor from this list")))
    })
    .transpose()
}

fn filter_of(f: AuditFilter) -> async_graphql::Result<Filter> {
    Ok(Filter {
        tenant_id: f
            .tenant_id
            .as_ref()
            .map(|t| parse_id::<TenantId>(t, "filter.tenantId"))
            .transpose()?,
        actor_id: f.actor_id,
        target_type: f.target_type,
        target_id: f.target_id,
        action: f.action,
        from: f.from,
        to: f.to,
    })
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit records, newest first. Filters combine with AND.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: AuditFilter,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<SeqCursor, AuditRecord, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        if first.is_some() && last.is_some() {
            return Err(to_gql(Error::invalid(
                "last",
                "cannot be combined with first",
            )));
        }
        let from_end = last.is_some();
        let n = i64::from(last.or(first).unwrap_or(DEFAULT_PAGE as i32));
        if !(0..=MAX_PAGE).contains(&n) {
            return Err(to_gql(Error::invalid(
                if from_end { "last" } else { "first" },
                format!("must be between 0 and {MAX_PAGE}"),
            )));
        }
        let (after, before) = (decode(after, "after")?, decode(before, "before")?);
        let page = AuditPage {
            after,
            before,
            limit: n + 1,
            from_end,
        };
        let mut rows = audit::audit_list(app, &c, filter_of(filter)?, page)
            .await
            .gql()?;
        let more = rows.len() as i64 > n;
        if more {
            if from_end {
                rows.remove(0);
            } else {
                rows.truncate(n as usize);
            }
        }
        let (prev, next) = if from_end {
            (more, before.is_some())
        } else {
            (after.is_some(), more)
        };
        let mut conn = Connection::new(prev, next);
        conn.edges.extend(
            rows.into_iter()
                .map(|r| Edge::new(OpaqueCursor(r.seq), AuditRecord(r))),
        );
        Ok(conn)
    }

    /// Recomputes a tenant's hash chain (default: the caller's) and names the first broken record.
    async fn audit_verify(
        &self,
        ctx: &Context<'_>,
        tenant_id: Option<ID>,
    ) -> async_graphql::Result<AuditVerification> {
        let (app, c) = app_ctx(ctx)?;
        let t = tenant_id
            .as_ref()
            .map(|t| parse_id::<TenantId>(t, "tenantId"))
            .transpose()?;
        audit::audit_verify(app, &c, t).await.gql().map(Into::into)
    }
}

#[derive(Default)]
pub struct AuditSubscription;

#[Subscription]
impl AuditSubscription {
    /// Audit records of the caller's tenant as they are written.
    async fn audit_recorded(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = AuditRecord>> {
        let (app, c) = app_ctx(ctx)?;
        audit::audit_follow(app, &c).await.gql()?;
        let rx = ctx.data_unchecked::<AuditFeed>().0.subscribe();
        let app = app.clone();
        let tenant = c.principal.tenant_id;
        // Records of one commit arrive as a range; they are read together, oldest first.
        let ready = std::collections::VecDeque::new();
        Ok(futures_util::stream::unfold(
            (rx, app, c, ready),
            move |(mut rx, app, c, mut ready)| async move {
                loop {
                    if let Some(r) = ready.pop_front() {
                        return Some((AuditRecord(r), (rx, app, c, ready)));
                    }
                    match rx.recv().await {
                        Ok((t, from, to)) if t == tenant => {
                            // Oldest first, a page at a time (a bulk change writes thousands).
                            let mut next = from;
                            while next <= to {
                                let page = AuditPage {
                                    after: Some(to + 1),
                                    before: Some(next - 1),
                                    limit: (to - next + 1).min(MAX_PAGE),
                                    from_end: true,
                                };
                                match audit::audit_list(&app, &c, Filter::default(), page).await {
                                    // The oldest of the range, handed back newest first.
                                    Ok(rows) if !rows.is_empty() => {
                                        next = rows.first().map_or(to, |r| r.seq) + 1;
                                        ready.extend(rows.into_iter().rev());
                                    }
                                    _ => break,
                                }
                            }
                        }
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}
