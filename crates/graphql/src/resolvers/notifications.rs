//! The notification hub's API: topics, routing rules, templates and previews, the caller's
//! preferences, webhook endpoints (hub subscriptions), deliveries with attempts and replay,
//! (live alerts for staff consoles are in `alerts`).

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::notifications::*;
use async_graphql::{ComplexObject, Context, ID, InputObject, Json, Object};
use tsunagi_app::notifications::{self as n, DeliveryFilter, templates as t, webhooks};
use uuid::Uuid;

#[ComplexObject]
impl Delivery {
    /// Every attempt, oldest first.
    async fn attempts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DeliveryAttempt>> {
        let (app, c) = app_ctx(ctx)?;
        let id: Uuid = parse_id(&self.id, "id")?;
        if let Some(l) = ctx.data_opt::<crate::loaders::Loaders>() {
            let rows = l.attempts.load_one(id).await.gql()?.unwrap_or_default();
            return Ok(rows.into_iter().map(Into::into).collect());
        }
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

impl From<NotificationRuleInput> for n::RuleInput {
    fn from(i: NotificationRuleInput) -> Self {
        Self {
            topic: i.topic,
            audience: i.audience,
            role: i.role,
            channel: i.channel,
            fallback_channel: i.fallback_channel,
        }
    }
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

impl From<NotificationTemplateInput> for t::TemplateInput {
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
    /// Every topic of the event contract: what it means, whether it is critical, its
    /// payload's JSON Schema and example, and the shipped templates.
    async fn notification_topics(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<NotificationTopic>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(t::topic_catalog(app, &c)
            .await
            .gql()?
            .into_iter()
            .map(|t| NotificationTopic {
                topic: t.topic.as_str().into(),
                description: t.topic.description().into(),
                critical: t.critical,
                critical_when: t.critical_when.map(Into::into),
                digested: t.digested,
                sample_data: Json(t.sample),
                payload_schema: Json(t.schema),
                default_subject_ja: t.shipped_ja.0,
                default_body_ja: t.shipped_ja.1,
                default_subject_en: t.shipped_en.0,
                default_body_en: t.shipped_en.1,
            })
            .collect())
    }
    /// The tenant's own e-mail: sender, DKIM signing, SMTP providers.
    async fn notification_mail_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<MailSettings> {
        let (app, c) = app_ctx(ctx)?;
        n::mail::settings(app, &c).await.gql().map(Into::into)
    }
    /// Addresses that unsubscribed from a topic by one-click link, newest first (`address`:
    /// a part of the address).
    async fn notification_suppressions(
        &self,
        ctx: &Context<'_>,
        address: Option<String>,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<NotificationSuppression>> {
        let (app, c) = app_ctx(ctx)?;
        n::suppressions::list(app, &c, address.as_deref(), i64::from(first))
            .await
            .gql()
            .map(|v| v.into_iter().map(Into::into).collect())
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
        Ok(t::templates(app, &c, topic.as_deref())
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
