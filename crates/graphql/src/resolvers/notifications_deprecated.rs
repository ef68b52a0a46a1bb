//! The notification mutations under their first names, kept for one release; each calls
//! exactly what its house-named successor in `notification_mutations` calls.

use super::notifications::{
    NotificationRuleInput, NotificationTemplateInput, WebhookEndpointInput,
};
use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::notifications::*;
use async_graphql::{Context, ID, Json, Object};
use tsunagi_app::notifications::{self as n, templates as t, webhooks};

#[derive(Default)]
pub struct NotificationMutationDeprecated;

#[Object]
impl NotificationMutationDeprecated {
    #[graphql(deprecation = "use notificationRuleCreate; removed in the next release")]
    async fn create_notification_rule(
        &self,
        ctx: &Context<'_>,
        input: NotificationRuleInput,
    ) -> async_graphql::Result<NotificationRule> {
        let (app, c) = app_ctx(ctx)?;
        n::create_rule(app, &c, input.into())
            .await
            .gql()
            .map(Into::into)
    }
    #[graphql(deprecation = "use notificationRuleDelete; removed in the next release")]
    async fn delete_notification_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<NotificationRule> {
        let (app, c) = app_ctx(ctx)?;
        n::delete_rule(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Into::into)
    }
    /// Sets the tenant's template; it must render against the topic's sample data.
    #[graphql(deprecation = "use notificationTemplateSet; removed in the next release")]
    async fn set_notification_template(
        &self,
        ctx: &Context<'_>,
        input: NotificationTemplateInput,
    ) -> async_graphql::Result<NotificationTemplate> {
        let (app, c) = app_ctx(ctx)?;
        t::set_template(app, &c, input.into())
            .await
            .gql()
            .map(Into::into)
    }
    /// Back to the shipped template.
    #[graphql(deprecation = "use notificationTemplateDelete; removed in the next release")]
    async fn delete_notification_template(
        &self,
        ctx: &Context<'_>,
        topic: String,
        channel: String,
        locale: String,
    ) -> async_graphql::Result<bool> {
        let (app, c) = app_ctx(ctx)?;
        t::delete_template(app, &c, &topic, &channel, &locale)
            .await
            .gql()
    }
    /// Renders a template against sample data (the topic's, or `data`) without saving it.
    #[graphql(deprecation = "use notificationTemplatePreview; removed in the next release")]
    async fn preview_notification_template(
        &self,
        ctx: &Context<'_>,
        input: NotificationTemplateInput,
        data: Option<Json<serde_json::Value>>,
    ) -> async_graphql::Result<TemplatePreview> {
        let (app, c) = app_ctx(ctx)?;
        let (subject, body) = t::preview(app, &c, &input.into(), data.map(|d| d.0))
            .await
            .gql()?;
        Ok(TemplatePreview { subject, body })
    }
    /// Opts the caller out of (or back into) a non-critical topic, or `*`, on a channel.
    #[graphql(deprecation = "use notificationPreferenceSet; removed in the next release")]
    async fn set_my_notification_preference(
        &self,
        ctx: &Context<'_>,
        topic: String,
        channel: String,
        opted_out: bool,
    ) -> async_graphql::Result<NotificationPreference> {
        let (app, c) = app_ctx(ctx)?;
        n::set_my_preference(app, &c, &topic, &channel, opted_out)
            .await
            .gql()
            .map(Into::into)
    }
    /// Registers a webhook endpoint (hub subscription); the secret is shown only here.
    #[graphql(deprecation = "use webhookEndpointCreate; removed in the next release")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointWithSecret> {
        let (app, c) = app_ctx(ctx)?;
        let (e, secret) = webhooks::create(
            app,
            &c,
            &input.url,
            input.description.as_deref().unwrap_or(""),
            &input.topics,
        )
        .await
        .gql()?;
        Ok(WebhookEndpointWithSecret {
            endpoint: e.into(),
            secret,
        })
    }
    /// A new secret; both sign during `overlapHours` (default 24).
    #[graphql(deprecation = "use webhookEndpointSecretRotate; removed in the next release")]
    async fn rotate_webhook_endpoint_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        #[graphql(default = 24)] overlap_hours: i32,
    ) -> async_graphql::Result<WebhookEndpointWithSecret> {
        let (app, c) = app_ctx(ctx)?;
        let (e, secret) =
            webhooks::rotate_secret(app, &c, parse_id(&id, "id")?, version, overlap_hours)
                .await
                .gql()?;
        Ok(WebhookEndpointWithSecret {
            endpoint: e.into(),
            secret,
        })
    }
    #[graphql(deprecation = "use webhookEndpointSetEnabled; removed in the next release")]
    async fn set_webhook_endpoint_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        enabled: bool,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let (app, c) = app_ctx(ctx)?;
        webhooks::set_enabled(app, &c, parse_id(&id, "id")?, version, enabled)
            .await
            .gql()
            .map(Into::into)
    }
    #[graphql(deprecation = "use webhookEndpointDelete; removed in the next release")]
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let (app, c) = app_ctx(ctx)?;
        webhooks::delete(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Into::into)
    }
    /// Sends a failed or skipped delivery again (same message id, fresh schedule).
    #[graphql(deprecation = "use deliveryReplay; removed in the next release")]
    async fn replay_delivery(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Delivery> {
        let (app, c) = app_ctx(ctx)?;
        n::replay_delivery(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Into::into)
    }
    /// Replays every failed message of an (enabled) endpoint; returns how many.
    #[graphql(deprecation = "use webhookEndpointReplayFailed; removed in the next release")]
    async fn replay_failed_webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
    ) -> async_graphql::Result<i32> {
        let (app, c) = app_ctx(ctx)?;
        let count = webhooks::replay_failed(app, &c, parse_id(&endpoint_id, "endpointId")?)
            .await
            .gql()?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
}
