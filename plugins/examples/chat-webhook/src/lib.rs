//! Chat-webhook channel: posts each notification as JSON (`{"text": ..., "event": ...}`, the
//! shape Slack- and Mattermost-style incoming webhooks accept) to the `url` in the plugin's
//! config. The host only lets the request out if the URL's host is in the manifest's
//! `allowed_hosts`. 2xx → delivered; 429 and 5xx → retryable; other 4xx → permanent.

use tsunagi_plugin_sdk::channel::{
    Delivery, Guest, HttpError, Notification, Request, send, setting, warn,
};

struct ChatWebhook;

impl Guest for ChatWebhook {
    fn deliver(n: Notification) -> Delivery {
        let Some(url) = setting(&n.config, "url") else {
            return Delivery::Permanent("config `url` is missing".into());
        };
        let marker = if n.critical { ":rotating_light: " } else { "" };
        let text = format!("{marker}*{}*\n{}", n.subject, n.body);
        let data: serde_json::Value = serde_json::from_str(&n.data).unwrap_or_default();
        let body = serde_json::json!({
            "text": text,
            "event": {"id": n.event_id, "topic": n.topic, "tenant": n.tenant, "data": data},
        });
        let req = Request {
            method: "POST".into(),
            url: url.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        };
        match send(&req) {
            Ok(r) if (200..300).contains(&r.status) => Delivery::Delivered(None),
            Ok(r) if r.status == 429 || r.status >= 500 => {
                Delivery::Retryable(format!("chat webhook answered {}", r.status))
            }
            Ok(r) => Delivery::Permanent(format!("chat webhook answered {}", r.status)),
            Err(HttpError::Denied(why)) => {
                warn(&format!("request refused by the host: {why}"));
                Delivery::Permanent(format!("host refused the request: {why}"))
            }
            Err(HttpError::Timeout) => Delivery::Retryable("chat webhook timed out".into()),
            Err(HttpError::TooLarge) => Delivery::Permanent("message too large".into()),
            Err(HttpError::Failed(why)) => Delivery::Retryable(why),
        }
    }
}

tsunagi_plugin_sdk::channel::export_channel!(ChatWebhook);
