//! The notification hub's API: topics, routing rules, templates and previews, the caller's
//! preferences, webhook endpoints (hub subscriptions), deliveries with attempts and replay,
//! (live alerts for staff consoles are in `alerts`).

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::notifications::*;
use async_graphql::{ComplexObject, Context, ID, InputObject, Json, Object};
use tsunagi_app::notifications::{self as n, DeliveryFilter, webhooks};
use uuid::Uuid;

#[ComplexObject]
impl Delivery {
    /// Every attempt, oldest first.
    async fn attempts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DeliveryAttempt>> {
        let (app, c) = app_ctx(ctx)?;
        let id: Uuid = parse_id(&self.id, "id")?;
        Ok(n::attempts(app, &c, id)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(InputObject)]
pub struct NotificationRuleInput {
    pub topic: String,
    pub audience: String,
    pub role: Option<String>,
    pub channel: String,
    pub fallback_channel: Option<String>,
}

#[derive(InputObject)]
pub struct NotificationTemplateInput {
    pub topic: String,
    pub channel: String,
    /// `ja` or `en`.
    pub locale: String,
    pub subject: String,
    pub body: String,
}

impl From<NotificationTemplateInput> for n::TemplateInput {
    fn from(i: NotificationTemplateInput) -> Self {
        Self {
            topic: i.topic,
            channel: i.channel,
            locale: i.locale,
            subject: i.subject,
            body: i.body,
        }
    }
}

#[derive(InputObject)]
pub struct WebhookEndpointInput {
    /// The callback URL (https in production; private addresses need the platform's allowlist).
    pub url: String,
    pub description: Option<String>,
    /// Topic filters: `*`, `line.*`, `payment.failed`.
    pub topics: Vec<String>,
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The topics the hub knows, with criticality, sample data and shipped templates.
    async fn notification_topics(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<NotificationTopic>> {
        let (app, c) = app_ctx(ctx)?;
        app.authz
            .check(&c.principal, "notification", "read")
            .await
            .gql()?;
        Ok(n::topic_catalog()
            .into_iter()
            .map(|t| {
                let (sj, bj) = n::shipped_template(t.topic, "ja");
                let (se, be) = n::shipped_template(t.topic, "en");
                NotificationTopic {
                    topic: t.topic.into(),
                    critical: t.critical,
                    digested: t.digested,
                    sample_data: Json(t.sample),
                    default_subject_ja: sj,
                    default_body_ja: bj,
                    default_subject_en: se,
                    default_body_en: be,
                }
            })
            .collect())
    }
    /// The tenant's routing rules (none: the shipped defaults apply).
    async fn notification_rules(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<NotificationRule>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(n::rules(app, &c)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn notification_templates(
        &self,
        ctx: &Context<'_>,
        topic: Option<String>,
    ) -> async_graphql::Result<Vec<NotificationTemplate>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(n::templates(app, &c, topic.as_deref())
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// The caller's own notification preferences.
    async fn my_notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<NotificationPreference>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(n::my_preferences(app, &c)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<WebhookEndpoint>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(webhooks::endpoints(app, &c)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let (app, c) = app_ctx(ctx)?;
        webhooks::endpoint(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Into::into)
    }
    /// Deliveries, newest first, filtered by endpoint, event, status or channel.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        event_id: Option<ID>,
        status: Option<String>,
        channel: Option<String>,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<Delivery>> {
        let (app, c) = app_ctx(ctx)?;
        let f = DeliveryFilter {
            endpoint_id: endpoint_id
                .as_ref()
                .map(|i| parse_id(i, "endpointId"))
                .transpose()?,
            event_id: event_id
                .as_ref()
                .map(|i| parse_id(i, "eventId"))
                .transpose()?,
            status,
            channel,
            before: None,
            limit: i64::from(first.clamp(1, 500)),
        };
        Ok(n::deliveries(app, &c, f)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    async fn create_notification_rule(
        &self,
        ctx: &Context<'_>,
        input: NotificationRuleInput,
    ) -> async_graphql::Result<NotificationRule> {
        let (app, c) = app_ctx(ctx)?;
        let i = n::RuleInput {
            topic: input.topic,
            audience: input.audience,
            role: input.role,
            channel: input.channel,
            fallback_channel: input.fallback_channel,
        };
        n::create_rule(app, &c, i).await.gql().map(Into::into)
    }
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
    async fn set_notification_template(
        &self,
        ctx: &Context<'_>,
        input: NotificationTemplateInput,
    ) -> async_graphql::Result<NotificationTemplate> {
        let (app, c) = app_ctx(ctx)?;
        n::set_template(app, &c, input.into())
            .await
            .gql()
            .map(Into::into)
    }
    /// Back to the shipped template.
    async fn delete_notification_template(
        &self,
        ctx: &Context<'_>,
        topic: String,
        channel: String,
        locale: String,
    ) -> async_graphql::Result<bool> {
        let (app, c) = app_ctx(ctx)?;
        n::delete_template(app, &c, &topic, &channel, &locale)
            .await
            .gql()
    }
    /// Renders a template against sample data (the topic's, or `data`) without saving it.
    async fn preview_notification_template(
        &self,
        ctx: &Context<'_>,
        input: NotificationTemplateInput,
        data: Option<Json<serde_json::Value>>,
    ) -> async_graphql::Result<TemplatePreview> {
        let (app, c) = app_ctx(ctx)?;
        app.authz
            .check(&c.principal, "notification", "read")
            .await
            .gql()?;
        let (subject, body) = n::preview(app, &input.into(), data.map(|d| d.0)).gql()?;
        Ok(TemplatePreview { subject, body })
    }
    /// Opts the caller out of (or back into) a non-critical topic, or `*`, on a channel.
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
    async fn replay_delivery(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Delivery> {
        let (app, c) = app_ctx(ctx)?;
        n::replay_delivery(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Into::into)
    }
    /// Replays every failed message of an (enabled) endpoint; returns how many.
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
