//! Four-eyes approvals, a generic mechanism. A critical command is not run when asked: it is
//! stored as an approval request (with its order held, where there is one). A different
//! principal allowed to approve approves it — then the same command runs once, in the
//! approval's transaction, and its audit record names the request and both people — or
//! rejects it. Undecided requests expire after the tenant's `approvalTtlHours`.

use crate::payloads;
use crate::record::record_event;
use crate::tenants::effective_settings;
use crate::{App, Ctx};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tsunagi_core::events::{ApprovalChanged, Event};
use tsunagi_core::states::{ApprovalState, StateMachine};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::approvals::{self as repo, ApprovalRequest};
use uuid::Uuid;

/// The commands that need a second person. Stored as JSON in the request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    LineOperation {
        op: crate::orders::LineOp,
        line_id: Uuid,
        order_id: Uuid,
        reason: String,
    },
    KycVerify {
        customer_id: Uuid,
        note: Option<String>,
    },
    PluginActivate {
        hook: String,
        version_id: Uuid,
        reason: String,
    },
    LineReviewResolve {
        line_id: Uuid,
        to: String,
        reason: String,
    },
}

/// Who asked and who approved, carried into the executed change's audit record.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalLink {
    pub approval_id: Uuid,
    pub requested_by: String,
    pub approved_by: String,
}

impl ApprovalLink {
    /// Marks an audit entry as executed under this approval.
    pub fn stamp(&self, mut e: AuditEntry) -> AuditEntry {
        e.approval_id = Some(self.approval_id);
        let mut after = e.after.take().unwrap_or_else(|| json!({}));
        if let Some(o) = after.as_object_mut() {
            o.insert("requested_by".into(), json!(self.requested_by));
            o.insert("approved_by".into(), json!(self.approved_by));
        }
        e.after = Some(after);
        e
    }
}

/// Files an approval request in the caller's transaction.
pub async fn request(
    tx: &mut TenantTx,
    ctx: &Ctx,
    target_type: &str,
    target_id: impl ToString,
    summary: String,
    command: Command,
) -> Result<ApprovalRequest> {
    let ttl = effective_settings(tx, ctx.principal.tenant_id)
        .await?
        .approval_ttl_hours;
    let action = match &command {
        Command::LineOperation { op, .. } => format!("line.{}", op.as_str()),
        Command::KycVerify { .. } => "customer.kyc_verify".to_owned(),
        Command::PluginActivate { .. } => "plugin.activate".to_owned(),
        Command::LineReviewResolve { .. } => "line.review_resolve".to_owned(),
    };
    let a = repo::approval_insert(
        tx,
        &ApprovalRequest {
            tenant_id: ctx.principal.tenant_id.as_uuid(),
            id: Uuid::now_v7(),
            action: action.clone(),
            target_type: target_type.into(),
            target_id: target_id.to_string(),
            command: serde_json::to_value(&command)?,
            summary,
            status: ApprovalState::Pending.as_str().into(),
            requested_by: ctx.principal.actor.id(),
            requested_by_label: ctx.principal.actor.label(),
            decided_by: None,
            decided_by_label: None,
            decision_note: None,
            result: None,
            failure: None,
            expires_at: Utc::now() + Duration::hours(i64::from(ttl)),
            decided_at: None,
            executed_at: None,
            version: 1,
            created_at: Utc::now(),
        },
    )
    .await?;
    record_event(
        tx,
        ctx,
        AuditEntry::new("approval.request", "approval", a.id).after(&a),
        Event::ApprovalRequested(payloads::approval(&a)),
    )
    .await?;
    Ok(a)
}

async fn execute(
    app: &App,
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: &ApprovalLink,
    cmd: Command,
) -> Result<Value> {
    match cmd {
        Command::LineOperation {
            op,
            line_id,
            order_id,
            reason,
        } => {
            crate::orders::line_op_execute(app, tx, ctx, link, op, line_id, order_id, &reason).await
        }
        Command::KycVerify { customer_id, note } => {
            crate::customers::kyc_verify_execute(app, tx, ctx, link, customer_id, note).await
        }
        Command::PluginActivate {
            hook,
            version_id,
            reason,
        } => {
            crate::plugins::activation::activate_execute(tx, ctx, link, &hook, version_id, &reason)
                .await
        }
        Command::LineReviewResolve {
            line_id,
            to,
            reason,
        } => {
            crate::orders::carrier::line_review_execute(tx, ctx, link, line_id, &to, &reason).await
        }
    }
}

/// Approves and executes. The approver must be allowed to approve and must not be the
/// requester. If the command cannot run any more (the line moved on), the request ends
/// `failed` with the reason, and its order with it.
pub async fn approval_approve(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
    note: Option<String>,
) -> Result<ApprovalRequest> {
    app.authz
        .check(&ctx.principal, "approval", "approve")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let mut a = decidable(&mut tx, ctx, id).await?;
    let cmd: Command = serde_json::from_value(a.command.clone())
        .map_err(|e| Error::internal(format!("stored command: {e}")))?;
    let link = ApprovalLink {
        approval_id: a.id,
        requested_by: a.requested_by_label.clone(),
        approved_by: ctx.principal.actor.label(),
    };
    let now = Utc::now();
    match execute(app, &mut tx, ctx, &link, cmd.clone()).await {
        Ok(result) => {
            decide(&mut a, ctx, ApprovalState::Executed, note, now)?;
            a.executed_at = Some(Utc::now());
            a.result = Some(result);
            let a = repo::approval_update(&mut tx, &a).await?;
            record_decision(
                &mut tx,
                ctx,
                &a,
                "approval.approve",
                Event::ApprovalExecuted,
                json!({ "status": a.status }),
                Some(&link),
            )
            .await?;
            tx.commit().await?;
            Ok(a)
        }
        Err(e) if e.is_client_error() => {
            tx.rollback().await?;
            let failure = e.public_message();
            let mut tx = app.tx(ctx).await?;
            let mut a = decidable(&mut tx, ctx, id).await?;
            decide(&mut a, ctx, ApprovalState::Failed, note, now)?;
            a.failure = Some(failure.clone());
            let a = repo::approval_update(&mut tx, &a).await?;
            if let Command::LineOperation { order_id, .. } = cmd {
                crate::orders::order_fail(&mut tx, ctx, order_id, &failure).await?;
            }
            record_decision(
                &mut tx,
                ctx,
                &a,
                "approval.fail",
                Event::ApprovalFailed,
                json!({ "failure": failure }),
                Some(&link),
            )
            .await?;
            tx.commit().await?;
            Ok(a)
        }
        Err(e) => Err(e),
    }
}

/// Stamps the decision on a request: who, when, with which note.
fn decide(
    a: &mut ApprovalRequest,
    ctx: &Ctx,
    to: ApprovalState,
    note: Option<String>,
    at: chrono::DateTime<Utc>,
) -> Result<()> {
    let from = if to == ApprovalState::Rejected {
        ApprovalState::Pending
    } else {
        ApprovalState::Approved
    };
    if from == ApprovalState::Approved {
        ApprovalState::Pending.transition(ApprovalState::Approved)?;
    }
    a.status = from.transition(to)?.as_str().into();
    a.decided_by = Some(ctx.principal.actor.id());
    a.decided_by_label = Some(ctx.principal.actor.label());
    a.decision_note = note;
    a.decided_at = Some(at);
    Ok(())
}

/// Records a decision on a request: its audit entry (stamped with the approval when it ran
/// the command) and the `approval.<outcome>` event carrying the request.
async fn record_decision(
    tx: &mut TenantTx,
    ctx: &Ctx,
    a: &ApprovalRequest,
    action: &str,
    event: fn(ApprovalChanged) -> Event,
    after: Value,
    link: Option<&ApprovalLink>,
) -> Result<()> {
    let entry = AuditEntry::new(action, "approval", a.id).after(after);
    let entry = match link {
        Some(l) => l.stamp(entry),
        None => entry,
    };
    record_event(tx, ctx, entry, event(payloads::approval(a))).await
}

/// Locks a request that can still be decided by this principal.
async fn decidable(tx: &mut TenantTx, ctx: &Ctx, id: Uuid) -> Result<ApprovalRequest> {
    let a = repo::approval_lock(tx, id).await?;
    let state = ApprovalState::from_db(&a.status)?;
    if state != ApprovalState::Pending {
        return Err(Error::conflict(format!(
            "the request is already {}",
            a.status
        )));
    }
    if a.expires_at <= Utc::now() {
        return Err(Error::conflict("the request has expired; ask again"));
    }
    if a.requested_by == ctx.principal.actor.id() {
        return Err(Error::forbidden(
            "a request must be approved by someone other than the requester",
        ));
    }
    Ok(a)
}

pub async fn approval_reject(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
    note: String,
) -> Result<ApprovalRequest> {
    app.authz
        .check(&ctx.principal, "approval", "approve")
        .await?;
    let mut v = Validator::new();
    v.check(
        !note.trim().is_empty(),
        "input.note",
        "must say why the request is rejected",
    );
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let mut a = decidable(&mut tx, ctx, id).await?;
    decide(
        &mut a,
        ctx,
        ApprovalState::Rejected,
        Some(note.clone()),
        Utc::now(),
    )?;
    let a = repo::approval_update(&mut tx, &a).await?;
    if let Ok(Command::LineOperation { order_id, .. }) =
        serde_json::from_value::<Command>(a.command.clone())
    {
        crate::orders::order_cancel_in(
            &mut tx,
            ctx,
            order_id,
            &format!("approval rejected: {note}"),
        )
        .await?;
    }
    record_decision(
        &mut tx,
        ctx,
        &a,
        "approval.reject",
        Event::ApprovalRejected,
        json!({ "note": note }),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// The approvals queue (expiring overdue requests on the way).
pub async fn approval_list(
    app: &App,
    ctx: &Ctx,
    status: Option<ApprovalState>,
    page: Page,
) -> Result<Vec<ApprovalRequest>> {
    app.authz.check(&ctx.principal, "approval", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::approval_list(&mut tx, status.map(|s| s.as_str()), page).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn approval_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<ApprovalRequest> {
    app.authz.check(&ctx.principal, "approval", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::approval_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(r)
}

/// Worker activation: expires undecided requests past their time, in every tenant, and
/// cancels the orders they held. Returns how many expired.
pub async fn expire_overdue(app: &App) -> Result<usize> {
    let mut n = 0;
    for tenant in repo::tenants_with_overdue(&app.db).await? {
        let Some(ctx) = Ctx::system(
            app,
            tsunagi_core::TenantId(tenant),
            "system:approval-expiry",
        )
        .await?
        else {
            continue;
        };
        let mut tx = app.tx(&ctx).await?;
        for mut a in repo::overdue_lock(&mut tx).await? {
            a.status = ApprovalState::Pending
                .transition(ApprovalState::Expired)?
                .as_str()
                .into();
            a.decided_at = Some(Utc::now());
            let a = repo::approval_update(&mut tx, &a).await?;
            if let Ok(Command::LineOperation { order_id, .. }) =
                serde_json::from_value::<Command>(a.command.clone())
            {
                crate::orders::order_cancel_in(
                    &mut tx,
                    &ctx,
                    order_id,
                    "approval request expired undecided",
                )
                .await?;
            }
            record_decision(
                &mut tx,
                &ctx,
                &a,
                "approval.expire",
                Event::ApprovalExpired,
                json!({ "expiresAt": a.expires_at }),
                None,
            )
            .await?;
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}
