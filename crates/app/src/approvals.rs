//! Four-eyes approvals, a generic mechanism that knows no command: a critical command is
//! not run when asked but stored as an approval request (with its order held, where there
//! is one), and each module registers the executor of its own kinds of command
//! (`Registry`, filled by `App::new`). A different
//! principal allowed to approve approves it — then the same command runs once, in the
//! approval's transaction, and its audit record names the request and both people — or
//! rejects it. Undecided requests expire after the tenant's `approvalTtlHours`.

use crate::payloads;
use crate::record::record_event;
use crate::{App, Ctx};
use chrono::{Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use tsunagi_core::events::{ApprovalChanged, Event};
use tsunagi_core::states::{ApprovalState, StateMachine};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::approvals::{self as repo, ApprovalRequest};
use uuid::Uuid;

/// A command that needs a second person. It is stored as JSON with its `type` (`KIND`),
/// and run, once approved, by the executor its module registered for that kind.
pub trait ApprovalCommand: Serialize {
    const KIND: &'static str;
    /// The action the request is for (`line.suspend`, `customer.kyc_verify`, …).
    fn action(&self) -> String;
}

/// How a request ended without its command running (or with it failing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Rejected,
    Expired,
    /// Approved, but the command could not run any more.
    Failed,
}

/// Runs one kind of stored command, in the approval's transaction.
#[async_trait::async_trait]
pub trait Executor: Send + Sync + 'static {
    async fn execute(
        &self,
        app: &App,
        tx: &mut TenantTx,
        ctx: &Ctx,
        link: &ApprovalLink,
        command: Value,
    ) -> Result<Value>;

    /// The request ended without its change: release what it held (an order waiting).
    async fn abandon(
        &self,
        _tx: &mut TenantTx,
        _ctx: &Ctx,
        _command: &Value,
        _ending: Ending,
        _why: &str,
    ) -> Result<()> {
        Ok(())
    }
}

/// The executors by command kind; each module registers its own (`App::new`).
#[derive(Default, Clone)]
pub struct Registry(std::collections::HashMap<&'static str, std::sync::Arc<dyn Executor>>);

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Registry {
    pub fn register(&mut self, kind: &'static str, e: impl Executor) {
        self.0.insert(kind, std::sync::Arc::new(e));
    }

    fn of(&self, command: &Value) -> Result<std::sync::Arc<dyn Executor>> {
        let kind = command.get("type").and_then(Value::as_str).unwrap_or("");
        self.0
            .get(kind)
            .cloned()
            .ok_or_else(|| Error::internal(format!("no executor for stored command {kind:?}")))
    }
}

/// A stored command, read back by its executor.
pub fn read_command<C: serde::de::DeserializeOwned>(v: Value) -> Result<C> {
    serde_json::from_value(v).map_err(|e| Error::internal(format!("stored command: {e}")))
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

/// Asks for a second person's decision on `command`; the request and its record are written
/// in `tx`. Returns the stored request.
pub async fn request<C: ApprovalCommand>(
    app: &App,
    tx: &mut TenantTx,
    ctx: &Ctx,
    target_type: &str,
    target_id: impl ToString,
    summary: String,
    command: &C,
) -> Result<ApprovalRequest> {
    let a = draft(app, tx, ctx, target_type, target_id, summary, command).await?;
    let a = repo::approval_insert(tx, &a).await?;
    requested(tx, ctx, &a).await?;
    Ok(a)
}

/// The request [`request`] would store, not yet written (for a caller that writes it together
/// with the object it decides, then calls [`requested`]). Its expiry is the tenant's setting.
pub async fn draft<C: ApprovalCommand>(
    app: &App,
    tx: &mut TenantTx,
    ctx: &Ctx,
    target_type: &str,
    target_id: impl ToString,
    summary: String,
    command: &C,
) -> Result<ApprovalRequest> {
    let ttl = app.settings.of(tx).await?.settings.approval_ttl_hours;
    let mut stored = serde_json::to_value(command)?;
    if let Some(o) = stored.as_object_mut() {
        o.insert("type".into(), json!(C::KIND));
    }
    Ok(ApprovalRequest {
        tenant_id: ctx.principal.tenant_id.as_uuid(),
        id: Uuid::now_v7(),
        action: command.action(),
        target_type: target_type.into(),
        target_id: target_id.to_string(),
        command: stored,
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
    })
}

/// Records and announces a stored request.
pub async fn requested(tx: &mut TenantTx, ctx: &Ctx, a: &ApprovalRequest) -> Result<()> {
    record_event(
        tx,
        ctx,
        AuditEntry::new("approval.request", "approval", a.id).after(a),
        Event::ApprovalRequested(payloads::approval(a)),
    )
    .await
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
    let executor = app.approvals.of(&a.command)?;
    let link = ApprovalLink {
        approval_id: a.id,
        requested_by: a.requested_by_label.clone(),
        approved_by: ctx.principal.actor.label(),
    };
    let now = Utc::now();
    match executor
        .execute(app, &mut tx, ctx, &link, a.command.clone())
        .await
    {
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
            executor
                .abandon(&mut tx, ctx, &a.command, Ending::Failed, &failure)
                .await?;
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
    app.approvals
        .of(&a.command)?
        .abandon(
            &mut tx,
            ctx,
            &a.command,
            Ending::Rejected,
            &format!("approval rejected: {note}"),
        )
        .await?;
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
            app.approvals
                .of(&a.command)?
                .abandon(
                    &mut tx,
                    &ctx,
                    &a.command,
                    Ending::Expired,
                    "approval request expired undecided",
                )
                .await?;
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
