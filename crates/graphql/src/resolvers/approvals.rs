//! The approvals queue, decisions, search and entity history.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::pagination::{IdCursor, forward_connection, forward_page};
use crate::types::audit::AuditRecord;
use crate::types::ledger::ApprovalStatus;
use crate::types::ledger_lines::{ApprovalRequest, SearchHit};
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use tsunagi_app::approvals;

#[derive(InputObject)]
pub struct ApprovalDecisionInput {
    pub id: ID,
    /// Required when rejecting.
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct ApprovalDecisionPayload {
    /// EXECUTED (or FAILED with the reason) after approval; REJECTED after rejection.
    pub approval_request: ApprovalRequest,
}

#[derive(Default)]
pub struct ApprovalQuery;

#[Object]
impl ApprovalQuery {
    /// The approvals queue (default: pending), oldest first.
    async fn approval_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(ApprovalStatus::Pending)")] status: Option<ApprovalStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, ApprovalRequest, EmptyFields, EmptyFields>>
    {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let rows = approvals::approval_list(app, &c, status.map(Into::into), page)
            .await
            .gql()?;
        Ok(forward_connection(rows, page, |r| r.id, ApprovalRequest))
    }
    async fn approval_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ApprovalRequest> {
        let (app, c) = app_ctx(ctx)?;
        approvals::approval_get(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(ApprovalRequest)
    }
    /// One field for customers (name, e-mail, phone), lines (MSISDN with or without +,
    /// spaces, hyphens), SIMs (ICCID, IMSI), eSIM profiles and devices (IMEI); partial.
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<SearchHit>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(
            tsunagi_app::search::search(app, &c, &query, i64::from(first))
                .await
                .gql()?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }
    /// The timeline of any entity (oldest first): who, when, from which state to which, why,
    /// under which approval.
    async fn history(
        &self,
        ctx: &Context<'_>,
        target_type: String,
        target_id: ID,
    ) -> async_graphql::Result<Vec<AuditRecord>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(
            tsunagi_app::history::history(app, &c, &target_type, target_id.as_str(), 500)
                .await
                .gql()?
                .into_iter()
                .map(AuditRecord)
                .collect(),
        )
    }
}

#[derive(Default)]
pub struct ApprovalMutation;

#[Object]
impl ApprovalMutation {
    /// Approves (you must not be the requester) and runs the command once.
    async fn approval_approve(
        &self,
        ctx: &Context<'_>,
        input: ApprovalDecisionInput,
    ) -> async_graphql::Result<ApprovalDecisionPayload> {
        let (app, c) = app_ctx(ctx)?;
        approvals::approval_approve(app, &c, parse_id(&input.id, "input.id")?, input.note)
            .await
            .gql()
            .map(|a| ApprovalDecisionPayload {
                approval_request: ApprovalRequest(a),
            })
    }
    async fn approval_reject(
        &self,
        ctx: &Context<'_>,
        input: ApprovalDecisionInput,
    ) -> async_graphql::Result<ApprovalDecisionPayload> {
        let (app, c) = app_ctx(ctx)?;
        approvals::approval_reject(
            app,
            &c,
            parse_id(&input.id, "input.id")?,
            input.note.unwrap_or_default(),
        )
        .await
        .gql()
        .map(|a| ApprovalDecisionPayload {
            approval_request: ApprovalRequest(a),
        })
    }
}
