//! Usage: small batches submitted over GraphQL (bulk goes to `POST /usage/records`), a
//! line's records, the submissions, and the rejected records with re-process and discard.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::pagination::{IdCursor, forward_connection, forward_page};
use crate::types::usage::{
    UsageBatch, UsageRecord, UsageRejection, UsageRejectionCode, UsageRejectionStatus,
    UsageSubmission,
};
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields, OpaqueCursor};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::usage::{self, RejectionFilter, rejections};
use tsunagi_core::Error;
use tsunagi_core::usage::{Field, Submitted};

/// One record as the carrier sent it. Values are checked like the bulk formats' (a wrong
/// value rejects the record with its reason; it does not fail the call).
#[derive(InputObject)]
pub struct UsageRecordInput {
    /// The carrier's record id (unique within the source, per month).
    pub record_id: String,
    /// data, voice or sms.
    #[graphql(name = "type")]
    pub kind: String,
    /// E.164 (`+81…`) or national.
    pub msisdn: String,
    /// RFC 3339 with offset, e.g. `2026-11-01T09:30:00+09:00`.
    pub time: String,
    pub bytes_up: Option<i64>,
    pub bytes_down: Option<i64>,
    pub apn: Option<String>,
    pub seconds: Option<i64>,
    /// domestic or international (voice and sms).
    pub destination: Option<String>,
    /// Null on the home network.
    pub roaming_zone: Option<String>,
}

impl UsageRecordInput {
    fn submitted(&self) -> Submitted<'_> {
        let mut s = Submitted::default();
        s.set(Field::RecordId, self.record_id.as_str());
        s.set(Field::Type, self.kind.as_str());
        s.set(Field::Msisdn, self.msisdn.as_str());
        s.set(Field::Time, self.time.as_str());
        let num = |s: &mut Submitted<'_>, f, v: Option<i64>| {
            if let Some(v) = v {
                s.set(f, v.to_string());
            }
        };
        num(&mut s, Field::BytesUp, self.bytes_up);
        num(&mut s, Field::BytesDown, self.bytes_down);
        num(&mut s, Field::Seconds, self.seconds);
        for (f, v) in [
            (Field::Apn, &self.apn),
            (Field::Destination, &self.destination),
            (Field::RoamingZone, &self.roaming_zone),
        ] {
            if let Some(v) = v {
                s.set(f, v.as_str());
            }
        }
        s
    }
}

#[derive(InputObject)]
pub struct UsageSubmitInput {
    /// Where the records come from (`carrier`); the record id is unique within it.
    pub source: String,
    /// At most 1,000.
    pub records: Vec<UsageRecordInput>,
}

#[derive(SimpleObject)]
pub struct UsageSubmitPayload {
    pub submission: UsageSubmission,
}

#[derive(InputObject)]
pub struct UsageRejectionReprocessInput {
    pub id: ID,
    /// The corrected record; omitted: the record as it was sent (after the line or contract
    /// it lacked was fixed).
    pub record: Option<UsageRecordInput>,
}

#[derive(SimpleObject)]
pub struct UsageRejectionReprocessPayload {
    /// The rejection as it stands now: REPROCESSED when taken, still OPEN with the new
    /// reason when not.
    pub rejection: UsageRejection,
    pub submission: UsageSubmission,
}

#[derive(InputObject)]
pub struct UsageRejectionDiscardInput {
    pub id: ID,
    /// Why the record is not taken (kept in the audit log).
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct UsageRejectionPayload {
    pub rejection: UsageRejection,
}

type RecordCursor = OpaqueCursor<(DateTime<Utc>, String)>;

#[derive(Default)]
pub struct UsageQuery;

#[Object]
impl UsageQuery {
    /// A line's usage records with times in `[from, to)`, newest first.
    async fn line_usage(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<RecordCursor, UsageRecord, EmptyFields, EmptyFields>>
    {
        let (app, c) = app_ctx(ctx)?;
        let limit = i64::from(first.unwrap_or(50));
        if !(0..=500).contains(&limit) {
            return Err(crate::to_gql(Error::invalid(
                "first",
                "must be between 0 and 500",
            )));
        }
        let cursor = match &after {
            Some(a) => Some(
                RecordCursor::decode_cursor(a)
                    .map_err(|_| {
                        crate::to_gql(Error::invalid("after", "is not a cursor from this list"))
                    })?
                    .0,
            ),
            None => None,
        };
        let mut rows = usage::line_records(
            app,
            &c,
            parse_id(&line_id, "lineId")?,
            from,
            to,
            cursor,
            limit + 1,
        )
        .await
        .gql()?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let mut conn = Connection::new(after.is_some(), more);
        conn.edges.extend(rows.into_iter().map(|r| {
            Edge::new(
                OpaqueCursor((r.occurred_at, r.record_id.clone())),
                UsageRecord(r),
            )
        }));
        Ok(conn)
    }

    /// A line's allowance in the current bill period: included, used and left per meter,
    /// live as records are rated. Staff need `usage:read`; a customer reads their own lines.
    async fn line_allowance(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
    ) -> async_graphql::Result<crate::types::usage::LineAllowance> {
        let (app, c) = app_ctx(ctx)?;
        let a = usage::allowance::line_allowance(app, &c, parse_id(&line_id, "lineId")?)
            .await
            .gql()?;
        Ok(a.into())
    }

    /// Rejected records, oldest first; by default the open ones.
    #[allow(clippy::too_many_arguments)]
    async fn usage_rejections(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(UsageRejectionStatus::Open)")] status: Option<
            UsageRejectionStatus,
        >,
        code: Option<UsageRejectionCode>,
        source: Option<String>,
        batch_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, UsageRejection, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let filter = RejectionFilter {
            status: status.map(|s| s.as_str().to_owned()),
            code: code.map(|s| s.as_str().to_owned()),
            source,
            batch: batch_id
                .as_ref()
                .map(|b| parse_id(b, "batchId"))
                .transpose()?,
        };
        let rows = rejections::list(app, &c, filter, page).await.gql()?;
        Ok(forward_connection(rows, page, |r| r.id, UsageRejection))
    }

    async fn usage_rejection(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<UsageRejection> {
        let (app, c) = app_ctx(ctx)?;
        let r = rejections::get(app, &c, parse_id(&id, "id")?).await.gql()?;
        Ok(UsageRejection(r))
    }

    /// The latest submissions (bulk files, GraphQL batches, re-processing), newest first.
    async fn usage_batches(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<UsageBatch>> {
        let (app, c) = app_ctx(ctx)?;
        let limit = i64::from(first.unwrap_or(20).clamp(1, 200));
        let rows = usage::batches(app, &c, limit).await.gql()?;
        Ok(rows.into_iter().map(UsageBatch::from).collect())
    }
}

#[derive(Default)]
pub struct UsageMutation;

#[Object]
impl UsageMutation {
    /// Submits up to 1,000 usage records; larger sets go to `POST /usage/records`.
    /// Re-sending a record (same source and record id) changes nothing.
    async fn usage_submit(
        &self,
        ctx: &Context<'_>,
        input: UsageSubmitInput,
    ) -> async_graphql::Result<UsageSubmitPayload> {
        let (app, c) = app_ctx(ctx)?;
        let records: Vec<Submitted<'_>> = input
            .records
            .iter()
            .map(UsageRecordInput::submitted)
            .collect();
        let s = usage::submit(app, &c, &input.source, &records)
            .await
            .gql()?;
        Ok(UsageSubmitPayload {
            submission: s.into(),
        })
    }

    /// Runs a rejected record again, as sent or corrected.
    async fn usage_rejection_reprocess(
        &self,
        ctx: &Context<'_>,
        input: UsageRejectionReprocessInput,
    ) -> async_graphql::Result<UsageRejectionReprocessPayload> {
        let (app, c) = app_ctx(ctx)?;
        let corrected = input.record.as_ref().map(UsageRecordInput::submitted);
        let (r, s) = rejections::reprocess(app, &c, parse_id(&input.id, "input.id")?, corrected)
            .await
            .gql()?;
        Ok(UsageRejectionReprocessPayload {
            rejection: UsageRejection(r),
            submission: s.into(),
        })
    }

    /// Closes a rejected record without taking it, saying why.
    async fn usage_rejection_discard(
        &self,
        ctx: &Context<'_>,
        input: UsageRejectionDiscardInput,
    ) -> async_graphql::Result<UsageRejectionPayload> {
        let (app, c) = app_ctx(ctx)?;
        let r = rejections::discard(app, &c, parse_id(&input.id, "input.id")?, &input.reason)
            .await
            .gql()?;
        Ok(UsageRejectionPayload {
            rejection: UsageRejection(r),
        })
    }
}
