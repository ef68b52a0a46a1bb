//! Taking usage in: a submission (one bulk file, one GraphQL batch, one feed pull) is a
//! batch; its records are checked in process ([`tsunagi_core::usage::check`]), written into
//! the staging table with `COPY` in chunks of [`CHUNK`], and each chunk is routed and
//! committed by one set-based statement (tsunagi_db::repo::usage) with its audit record.
//! A chunk is its own transaction: a submission cut off half way keeps the chunks it
//! committed, and sending it again is safe (what was taken counts as duplicates). One chunk
//! commits in its own task while the next is read and checked.

use crate::record::record;
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeSet;
use tsunagi_core::usage::{Rejection, Submitted, UsageRecord, check};
use tsunagi_core::{Error, Result};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::copy_text::CopyText;
use tsunagi_db::repo::usage::{self as repo, Routed};
use uuid::Uuid;

/// Records per chunk (one COPY, one routing statement, one commit).
pub const CHUNK: usize = 10_000;
/// Rejections listed in a submission's answer (the rest are in `usageRejections`).
pub const ANSWER_REJECTIONS: i64 = 100;

/// A source names where records come from (`carrier`, `roaming-partner-x`): the record id is
/// unique within it.
pub fn valid_source(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// What a submission did, as its answer says.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub batch_id: Uuid,
    pub received: i64,
    pub accepted: i64,
    pub duplicates: i64,
    pub rejected: i64,
    /// The first rejections of the batch, in submission order.
    pub rejections: Vec<RejectionBrief>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectionBrief {
    pub id: Uuid,
    pub position: i64,
    pub record_id: Option<String>,
    pub code: String,
    pub field: Option<String>,
    pub reason: String,
}

/// One submission in progress.
#[derive(Debug)]
pub struct Ingest {
    app: App,
    ctx: Ctx,
    batch: Uuid,
    source: String,
    /// The tenant's settings rating reads (its time zone too).
    rule: super::limit::Rule,
    country_code: String,
    now: DateTime<Utc>,
    buf: CopyText,
    months: BTreeSet<NaiveDate>,
    ensured: BTreeSet<NaiveDate>,
    totals: Routed,
    chunks: u32,
    inflight: Option<tokio::task::JoinHandle<Result<Routed>>>,
}

/// One chunk on its way to commit: staged, routed, counted on its batch, audited.
struct Chunk {
    app: App,
    ctx: Ctx,
    batch: Uuid,
    source: String,
    rule: super::limit::Rule,
    number: u32,
    rows: CopyText,
}

impl Chunk {
    async fn commit(self) -> Result<Routed> {
        let mut tx = self.app.tx(&self.ctx).await?;
        // A month being closed waits for this chunk; a closed one refuses its records.
        tsunagi_db::repo::usage_periods::hold_open(&mut tx).await?;
        repo::stage(&mut tx, self.rows.bytes()).await?;
        let routed = repo::route(
            &mut tx,
            &self.source,
            self.batch,
            self.rule.tz.name(),
            &self.ctx.principal.actor.label(),
        )
        .await?;
        let rated = super::rate::rate_fresh(&mut tx, &self.app, &self.ctx, &self.rule).await?;
        repo::batch_add(&mut tx, self.batch, &routed).await?;
        record(
            &mut tx,
            &self.ctx,
            AuditEntry::new("usage.ingest", "usage_batch", self.batch).after(serde_json::json!({
                "source": self.source,
                "chunk": self.number,
                "received": routed.received,
                "accepted": routed.accepted,
                "duplicates": routed.duplicates(),
                "rejected": routed.rejected,
                "rejectionsClosed": routed.resolved,
                "rated": rated.records,
                "charged": rated.charged,
                "thresholdsCrossed": rated.crossings,
            })),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(routed)
    }
}

fn month_of(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let d = t.with_timezone(&tz).date_naive();
    super::first_of(d)
}

impl Ingest {
    /// Opens a batch. Needs `usage:create`; `format` is ndjson, csv, graphql, feed or reprocess.
    pub async fn start(app: &App, ctx: &Ctx, source: &str, format: &str) -> Result<Self> {
        app.authz.check(&ctx.principal, "usage", "create").await?;
        if !valid_source(source) {
            return Err(Error::invalid(
                "source",
                "must be 1-40 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit",
            ));
        }
        let mut tx = app.tx(ctx).await?;
        let settings = app.settings.of(&mut tx).await?.settings.clone();
        let batch = Uuid::now_v7();
        repo::batch_insert(&mut tx, batch, source, format, &ctx.principal.actor.label()).await?;
        tx.commit().await?;
        settings
            .time_zone
            .parse::<Tz>()
            .map_err(|_| Error::internal(format!("tenant time zone {:?}", settings.time_zone)))?;
        Ok(Self {
            app: app.clone(),
            ctx: ctx.clone(),
            batch,
            source: source.to_owned(),
            rule: super::limit::Rule::of(&settings),
            country_code: settings.country_calling_code,
            now: Utc::now(),
            buf: CopyText::new(),
            months: BTreeSet::new(),
            ensured: BTreeSet::new(),
            totals: Routed::default(),
            chunks: 0,
            inflight: None,
        })
    }

    pub fn batch_id(&self) -> Uuid {
        self.batch
    }

    /// Checks a submitted record and queues it; commits a chunk when one is full.
    pub async fn push(&mut self, position: i64, s: &Submitted<'_>) -> Result<()> {
        match check(s, &self.country_code, self.now) {
            Ok(r) => self.stage_valid(position, &r),
            Err(why) => {
                let fields = super::formats::fields_json(s);
                self.stage_refused(position, s.record_id(), &fields, None, &why);
            }
        }
        self.maybe_flush().await
    }

    /// Queues a record that could not be read at all.
    pub async fn push_unreadable(
        &mut self,
        position: i64,
        raw: &str,
        why: &Rejection,
    ) -> Result<()> {
        self.stage_refused(position, None, &serde_json::json!({}), Some(raw), why);
        self.maybe_flush().await
    }

    fn stage_valid(&mut self, position: i64, r: &UsageRecord) {
        self.months.insert(month_of(r.occurred_at, self.rule.tz));
        self.months.insert(month_of(r.occurred_at, chrono_tz::UTC));
        let b = &mut self.buf;
        b.int(position)
            .text(&r.record_id)
            .text(r.kind.as_str())
            .text(r.msisdn.as_str())
            .time(r.occurred_at)
            .int(r.bytes_up)
            .int(r.bytes_down)
            .opt_text(r.apn.as_deref())
            .int(i64::from(r.seconds))
            .opt_text(r.destination.map(|d| d.as_str()))
            .opt_text(r.roaming_zone.as_deref())
            .null()
            .null()
            .null()
            .null()
            .null();
        b.end();
    }

    fn stage_refused(
        &mut self,
        position: i64,
        record_id: Option<&str>,
        fields: &serde_json::Value,
        raw: Option<&str>,
        why: &Rejection,
    ) {
        let b = &mut self.buf;
        b.int(position).opt_text(record_id);
        for _ in 0..9 {
            b.null();
        }
        b.text(&fields.to_string())
            .opt_text(raw)
            .text(why.code.as_str())
            .opt_text(why.field.map(|f| f.json_name()))
            .text(&why.reason);
        b.end();
    }

    async fn maybe_flush(&mut self) -> Result<()> {
        if self.buf.rows() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sends the queued chunk to be committed while the next one is read: at most one chunk
    /// is in flight (reading and checking in this task, routing in PostgreSQL, overlap).
    async fn flush(&mut self) -> Result<()> {
        if self.buf.rows() == 0 {
            return Ok(());
        }
        let missing: Vec<NaiveDate> = self.months.difference(&self.ensured).copied().collect();
        if !missing.is_empty() {
            repo::partitions_ensure(&self.app.db, &missing).await?;
            self.ensured.extend(missing);
        }
        self.settle().await?;
        self.chunks += 1;
        let chunk = Chunk {
            app: self.app.clone(),
            ctx: self.ctx.clone(),
            batch: self.batch,
            source: self.source.clone(),
            rule: self.rule.clone(),
            number: self.chunks,
            rows: std::mem::take(&mut self.buf),
        };
        // The request's statement count follows the chunk into its task.
        self.inflight = Some(tokio::spawn(crate::in_request(chunk.commit())));
        Ok(())
    }

    /// Waits for the chunk in flight and counts what it did.
    async fn settle(&mut self) -> Result<()> {
        if let Some(h) = self.inflight.take() {
            let routed = h
                .await
                .map_err(|e| Error::internal(format!("usage chunk task: {e}")))??;
            self.totals.received += routed.received;
            self.totals.accepted += routed.accepted;
            self.totals.rejected += routed.rejected;
            self.totals.resolved += routed.resolved;
        }
        Ok(())
    }

    /// Commits what is queued and closes the batch; the answer lists its first rejections.
    pub async fn finish(mut self) -> Result<Summary> {
        let flushed = self.flush().await;
        let settled = self.settle().await;
        if let Err(e) = flushed.and(settled) {
            // The batch does not stay `receiving`: it is closed as failed, with what was
            // taken before, and the error goes back to the caller.
            let batch = self.batch;
            if let Err(closing) = self.close(Some(&e.public_message())).await {
                tracing::error!(%batch, error = %closing.detail(), "usage: the batch could not be closed");
            }
            return Err(e);
        }
        self.close(None).await
    }

    /// Closes the batch as failed (the body could not be read to its end, say), keeping the
    /// chunks already committed. The error is the caller's to return.
    pub async fn fail(mut self, why: &str) -> Result<Summary> {
        // What was read before the failure is still taken, where it can be; the batch is
        // closed as failed either way.
        let flushed = self.flush().await;
        let settled = self.settle().await;
        if let Err(e) = flushed.and(settled) {
            tracing::warn!(batch = %self.batch, error = %e.detail(), "usage: a chunk of a failed submission was not taken");
        }
        self.close(Some(why)).await
    }

    async fn close(self, failure: Option<&str>) -> Result<Summary> {
        let mut tx = self.app.tx(&self.ctx).await?;
        repo::batch_finish(&mut tx, self.batch, failure).await?;
        let rows = repo::rejections_in_batch(&mut tx, self.batch, ANSWER_REJECTIONS).await?;
        tx.commit().await?;
        let t = self.totals;
        Ok(Summary {
            batch_id: self.batch,
            received: t.received,
            accepted: t.accepted,
            duplicates: t.duplicates(),
            rejected: t.rejected,
            rejections: rows
                .into_iter()
                .map(|r| RejectionBrief {
                    id: r.id,
                    position: r.position,
                    record_id: r.record_id,
                    code: r.code,
                    field: r.field,
                    reason: r.reason,
                })
                .collect(),
        })
    }
}
