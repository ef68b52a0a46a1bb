//! Changing notifications: routing rules, templates (with preview), the caller's
//! preferences, webhook endpoints (hub subscriptions) and replays. House naming:
//! `resourceVerb(input:)` returning a payload with the changed object.

use super::notifications::{
    NotificationRuleInput, NotificationTemplateInput, WebhookEndpointInput,
};
use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::notifications::*;
use async_graphql::{Context, ID, InputObject, Json, Object};
use tsunagi_app::notifications::{self as n, mail, templates as t, webhooks};

#[derive(InputObject)]
pub struct IdInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct NotificationSuppressionLiftInput {
    pub address: String,
    pub topic: String,
    /// Why (kept in the audit log): e.g. the customer asked by phone to get invoices again.
    pub reason: String,
}

#[derive(InputObject)]
pub struct NotificationTemplateKeyInput {
    pub topic: String,
    pub channel: String,
    pub locale: String,
}

#[derive(InputObject)]
pub struct NotificationTemplatePreviewInput {
    pub template: NotificationTemplateInput,
    /// A payload of the topic to render instead of its example; read with the topic's type.
    pub data: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct NotificationPreferenceInput {
    /// A topic or `*` (every non-critical topic).
    pub topic: String,
    /// `email` or `console`.
    pub channel: String,
    pub opted_out: bool,
}

#[derive(InputObject)]
pub struct WebhookEndpointSecretRotateInput {
    pub id: ID,
    pub version: i32,
    /// How long the previous secret keeps signing (0–168 hours).
    #[graphql(default = 24)]
    pub overlap_hours: i32,
}

#[derive(InputObject)]
pub struct WebhookEndpointSetEnabledInput {
    pub id: ID,
    pub version: i32,
    pub enabled: bool,
}

#[derive(InputObject)]
pub struct WebhookEndpointReplayFailedInput {
    pub endpoint_id: ID,
}

#[derive(InputObject)]
pub struct MailSettingsInput {
    /// The current version (0 when none are stored yet).
    pub version: i32,
    /// The sender of the tenant's messages (`Name <addr@domain>`); null: the platform's.
    pub from_address: Option<String>,
    pub dkim_domain: Option<String>,
    pub dkim_selector: Option<String>,
    /// `rsa:<PKCS#1 PEM>` or `ed25519:<base64 of the 32-byte seed>`; null keeps the stored
    /// key while the domain and selector are given. Never shown again.
    pub dkim_private_key: Option<String>,
}

#[derive(InputObject)]
pub struct SmtpProviderInput {
    pub name: String,
    /// `smtp://user:pass@host:587?tls=required`, `smtps://host:465`, …
    pub url: String,
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Routes a topic filter to an audience by a channel.
    async fn notification_rule_create(
        &self,
        ctx: &Context<'_>,
        input: NotificationRuleInput,
    ) -> async_graphql::Result<NotificationRulePayload> {
        let (app, c) = app_ctx(ctx)?;
        let rule = n::create_rule(app, &c, input.into()).await.gql()?.into();
        Ok(NotificationRulePayload { rule })
    }

    async fn notification_rule_delete(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> async_graphql::Result<NotificationRulePayload> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.id, "input.id")?;
        let rule = n::delete_rule(app, &c, id).await.gql()?.into();
        Ok(NotificationRulePayload { rule })
    }

    /// Sets the tenant's template; it must render against the topic's example payload.
    async fn notification_template_set(
        &self,
        ctx: &Context<'_>,
        input: NotificationTemplateInput,
    ) -> async_graphql::Result<NotificationTemplatePayload> {
        let (app, c) = app_ctx(ctx)?;
        let template = t::set_template(app, &c, input.into()).await.gql()?.into();
        Ok(NotificationTemplatePayload { template })
    }

    /// Back to the shipped template.
    async fn notification_template_delete(
        &self,
        ctx: &Context<'_>,
        input: NotificationTemplateKeyInput,
    ) -> async_graphql::Result<NotificationTemplateDeletePayload> {
        let (app, c) = app_ctx(ctx)?;
        let deleted = t::delete_template(app, &c, &input.topic, &input.channel, &input.locale)
            .await
            .gql()?;
        Ok(NotificationTemplateDeletePayload { deleted })
    }

    /// Renders a template as the hub would, without saving it.
    async fn notification_template_preview(
        &self,
        ctx: &Context<'_>,
        input: NotificationTemplatePreviewInput,
    ) -> async_graphql::Result<TemplatePreview> {
        let (app, c) = app_ctx(ctx)?;
        let data = input.data.map(|d| d.0);
        let (subject, body) = t::preview(app, &c, &input.template.into(), data)
            .await
            .gql()?;
        Ok(TemplatePreview { subject, body })
    }

    /// Opts the caller out of (or back into) a topic, or `*`, on a channel.
    async fn notification_preference_set(
        &self,
        ctx: &Context<'_>,
        input: NotificationPreferenceInput,
    ) -> async_graphql::Result<NotificationPreferencePayload> {
        let (app, c) = app_ctx(ctx)?;
        let preference =
            n::set_my_preference(app, &c, &input.topic, &input.channel, input.opted_out)
                .await
                .gql()?
                .into();
        Ok(NotificationPreferencePayload { preference })
    }

    /// Registers a webhook endpoint (hub subscription); the secret is shown only here.
    async fn webhook_endpoint_create(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointWithSecret> {
        let (app, c) = app_ctx(ctx)?;
        let description = input.description.as_deref().unwrap_or("");
        let (e, secret) = webhooks::create(app, &c, &input.url, description, &input.topics)
            .await
            .gql()?;
        Ok(WebhookEndpointWithSecret {
            endpoint: e.into(),
            secret,
        })
    }

    /// A new secret; both sign during `overlapHours`.
    async fn webhook_endpoint_secret_rotate(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointSecretRotateInput,
    ) -> async_graphql::Result<WebhookEndpointWithSecret> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.id, "input.id")?;
        let (e, secret) = webhooks::rotate_secret(app, &c, id, input.version, input.overlap_hours)
            .await
            .gql()?;
        Ok(WebhookEndpointWithSecret {
            endpoint: e.into(),
            secret,
        })
    }

    async fn webhook_endpoint_set_enabled(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointSetEnabledInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.id, "input.id")?;
        let endpoint = webhooks::set_enabled(app, &c, id, input.version, input.enabled)
            .await
            .gql()?
            .into();
        Ok(WebhookEndpointPayload { endpoint })
    }

    async fn webhook_endpoint_delete(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.id, "input.id")?;
        let endpoint = webhooks::delete(app, &c, id).await.gql()?.into();
        Ok(WebhookEndpointPayload { endpoint })
    }

    /// Sends a failed or skipped delivery again (same message id, fresh schedule).
    async fn delivery_replay(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> async_graphql::Result<DeliveryPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.id, "input.id")?;
        let delivery = n::replay_delivery(app, &c, id).await.gql()?.into();
        Ok(DeliveryPayload { delivery })
    }

    /// Replays every failed message of an (enabled) endpoint.
    async fn webhook_endpoint_replay_failed(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointReplayFailedInput,
    ) -> async_graphql::Result<DeliveryReplayCount> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.endpoint_id, "input.endpointId")?;
        let count = webhooks::replay_failed(app, &c, id).await.gql()?;
        Ok(DeliveryReplayCount {
            count: i32::try_from(count).unwrap_or(i32::MAX),
        })
    }

    /// The tenant's sender and DKIM signing.
    async fn notification_mail_settings_set(
        &self,
        ctx: &Context<'_>,
        input: MailSettingsInput,
    ) -> async_graphql::Result<MailSettings> {
        let (app, c) = app_ctx(ctx)?;
        let i = mail::MailSettingsInput {
            version: input.version,
            from_address: input.from_address,
            dkim_domain: input.dkim_domain,
            dkim_selector: input.dkim_selector,
            dkim_private_key: input.dkim_private_key,
        };
        mail::settings_set(app, &c, i).await.gql().map(Into::into)
    }

    /// Adds an SMTP provider, tried after the tenant's others and before the platform's.
    async fn notification_smtp_provider_add(
        &self,
        ctx: &Context<'_>,
        input: SmtpProviderInput,
    ) -> async_graphql::Result<SmtpProvider> {
        let (app, c) = app_ctx(ctx)?;
        mail::provider_add(app, &c, &input.name, &input.url)
            .await
            .gql()
            .map(Into::into)
    }

    /// Lets an address that unsubscribed receive the topic by e-mail again.
    async fn notification_suppression_lift(
        &self,
        ctx: &Context<'_>,
        input: NotificationSuppressionLiftInput,
    ) -> async_graphql::Result<NotificationSuppression> {
        let (app, c) = app_ctx(ctx)?;
        n::suppressions::lift(app, &c, &input.address, &input.topic, &input.reason)
            .await
            .gql()
            .map(Into::into)
    }

    async fn notification_smtp_provider_remove(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> async_graphql::Result<SmtpProvider> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.id, "input.id")?;
        mail::provider_remove(app, &c, id)
            .await
            .gql()
            .map(Into::into)
    }
}
