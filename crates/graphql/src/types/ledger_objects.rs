//! Resources, orders, approvals, search hits and the plan-change preview as GraphQL
//! objects. Identifiers are masked unless the caller may `identifier:unmask`.

use super::ledger::{ApprovalStatus, EsimStatus, NumberStatus, OrderStatus, SimStatus, id};
use super::ledger_lines::Line;
use crate::{GqlResult, app_ctx};
use async_graphql::{Context, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::views::{approvals, inventory, orders, search};
use tsunagi_core::identifiers::{Iccid, Imei, Imsi};

fn masked(unmask: bool, full: &str, f: impl Fn(&str) -> Option<String>) -> String {
    if unmask {
        full.to_owned()
    } else {
        f(full).unwrap_or_else(|| "*".repeat(full.len()))
    }
}

pub struct Sim {
    pub row: inventory::Sim,
    pub unmask: bool,
}

#[Object]
impl Sim {
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    /// Masked (`898100*********1234`) unless your role may see identifiers.
    async fn iccid(&self) -> String {
        masked(self.unmask, &self.row.iccid, |s| {
            Iccid::parse("x", s).ok().map(|i| i.masked())
        })
    }
    async fn imsi(&self) -> String {
        masked(self.unmask, &self.row.imsi, |s| {
            Imsi::parse("x", s).ok().map(|i| i.masked())
        })
    }
    async fn status(&self) -> async_graphql::Result<SimStatus> {
        SimStatus::of(&self.row.status)
    }
    async fn has_pin(&self) -> bool {
        self.row.pin_enc.is_some()
    }
    async fn version(&self) -> i32 {
        self.row.version
    }
}

pub struct EsimProfile {
    pub row: inventory::Esim,
    pub unmask: bool,
}

#[Object]
impl EsimProfile {
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    async fn iccid(&self) -> String {
        masked(self.unmask, &self.row.iccid, |s| {
            Iccid::parse("x", s).ok().map(|i| i.masked())
        })
    }
    async fn status(&self) -> async_graphql::Result<EsimStatus> {
        EsimStatus::of(&self.row.status)
    }
    /// The eUICC (EID) the profile was downloaded to, as the SM-DP+ reported it (masked
    /// like other identifiers).
    async fn eid(&self) -> Option<String> {
        let e = self.row.eid.as_deref()?;
        Some(masked(self.unmask, e, |s| {
            (s.len() > 8).then(|| format!("{}{}", "*".repeat(s.len() - 4), &s[s.len() - 4..]))
        }))
    }
    /// When the SM-DP+ confirmed the order: from then the activation code is ready.
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.row.confirmed_at
    }
    /// Why the last download or installation failed (status FAILED): release the profile
    /// again (`esimProfileRelease`) once the customer can retry.
    async fn failure(&self) -> Option<&str> {
        self.row.failure.as_deref()
    }
    async fn version(&self) -> i32 {
        self.row.version
    }
}

pub struct Device {
    pub row: inventory::Device,
    pub unmask: bool,
}

#[Object]
impl Device {
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    async fn imei(&self) -> String {
        masked(self.unmask, &self.row.imei, |s| {
            Imei::parse("x", s).ok().map(|i| i.masked())
        })
    }
    async fn model(&self) -> &str {
        &self.row.model
    }
    async fn status(&self) -> &str {
        &self.row.status
    }
}

#[derive(SimpleObject)]
pub struct Number {
    /// E.164 with '+'.
    pub msisdn: String,
    pub status: NumberStatus,
    pub quarantine_until: Option<DateTime<Utc>>,
    /// Ported in from another operator (MNP).
    pub ported_in: bool,
}

impl Number {
    pub fn of(n: inventory::Number) -> async_graphql::Result<Self> {
        Ok(Self {
            msisdn: format!("+{}", n.msisdn),
            status: NumberStatus::of(&n.status)?,
            quarantine_until: n.quarantine_until,
            ported_in: n.ported_in,
        })
    }
}

pub struct Order(pub orders::Order);

/// Whether the caller is a customer login, from whom staff-only order detail is withheld.
fn withheld(ctx: &Context<'_>) -> bool {
    app_ctx(ctx).is_ok_and(|(_, c)| c.principal.is_customer())
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// new_line, plan_change, option_add, option_remove, sim_swap, suspend, resume, terminate.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn status(&self) -> async_graphql::Result<OrderStatus> {
        OrderStatus::of(&self.0.status)
    }
    /// Why the order is held (approval, KYC).
    async fn hold_reason(&self) -> Option<&str> {
        self.0.hold_reason.as_deref()
    }
    /// Why it failed (the carrier's or staff's words); null for customer logins.
    async fn failure(&self, ctx: &Context<'_>) -> Option<&str> {
        if withheld(ctx) {
            return None;
        }
        self.0.failure.as_deref()
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(id)
    }
    async fn contract_id(&self) -> Option<ID> {
        self.0.contract_id.map(id)
    }
    async fn line_id(&self) -> Option<ID> {
        self.0.line_id.map(id)
    }
    async fn approval_id(&self) -> Option<ID> {
        self.0.approval_id.map(id)
    }
    /// What was asked, as recorded (reasons staff wrote included); `{}` for customer
    /// logins, who see their orders' kind and state only.
    async fn input(&self, ctx: &Context<'_>) -> Json<serde_json::Value> {
        if withheld(ctx) {
            return Json(serde_json::json!({}));
        }
        Json(self.0.input.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn line(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Line>> {
        let Some(l) = self.0.line_id else {
            return Ok(None);
        };
        let (app, c) = app_ctx(ctx)?;
        tsunagi_app::lines::line_get(app, &c, l)
            .await
            .gql()
            .map(|l| Some(Line::plain(l)))
    }
}

pub struct ApprovalRequest(pub approvals::ApprovalRequest);

#[Object]
impl ApprovalRequest {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// e.g. `line.suspend`, `customer.kyc_verify`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }
    async fn target_id(&self) -> &str {
        &self.0.target_id
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    async fn status(&self) -> async_graphql::Result<ApprovalStatus> {
        ApprovalStatus::of(&self.0.status)
    }
    async fn requested_by(&self) -> &str {
        &self.0.requested_by_label
    }
    async fn decided_by(&self) -> Option<&str> {
        self.0.decided_by_label.as_deref()
    }
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }
    /// Why execution failed after approval (the object had moved on).
    async fn failure(&self) -> Option<&str> {
        self.0.failure.as_deref()
    }
    async fn result(&self) -> Option<Json<serde_json::Value>> {
        self.0.result.clone().map(Json)
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
}

#[derive(SimpleObject)]
pub struct SearchHit {
    /// customer, line, sim, esim or device.
    pub kind: String,
    pub id: ID,
    pub tenant_id: ID,
    /// Name, MSISDN or identifier (masked per your role).
    pub label: String,
    pub status: String,
}

impl From<search::Hit> for SearchHit {
    fn from(h: search::Hit) -> Self {
        let label = if h.kind == "line" {
            format!("+{}", h.label)
        } else {
            h.label
        };
        Self {
            kind: h.kind,
            id: id(h.id),
            tenant_id: id(h.tenant_id),
            label,
            status: h.status,
        }
    }
}

#[derive(SimpleObject)]
pub struct PlanChangePreview {
    pub contract_id: ID,
    pub current_plan_id: ID,
    pub new_plan_id: ID,
    pub currency: String,
    pub current_monthly_fee: i64,
    pub new_monthly_fee: i64,
    pub days_remaining: i64,
    pub days_in_period: i64,
    /// Charged (positive) or credited (negative) for the rest of this month.
    pub proration: i64,
}

impl From<tsunagi_app::orders::PlanChangePreview> for PlanChangePreview {
    fn from(p: tsunagi_app::orders::PlanChangePreview) -> Self {
        Self {
            contract_id: id(p.contract_id),
            current_plan_id: id(p.current_plan_id),
            new_plan_id: id(p.new_plan_id),
            currency: p.currency,
            current_monthly_fee: p.current_monthly_fee,
            new_monthly_fee: p.new_monthly_fee,
            days_remaining: p.days_remaining,
            days_in_period: p.days_in_period,
            proration: p.proration,
        }
    }
}
