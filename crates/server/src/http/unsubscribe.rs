//! `/notifications/unsubscribe/{token}`: the one-click links of non-critical e-mail
//! (RFC 8058). `GET` shows what the link will do and a button; `POST` (the mail client's
//! `List-Unsubscribe=One-Click`, or the button) does it. No sign-in: the sealed token is the
//! authority, and it names one recipient and one topic.

use super::HttpState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use tsunagi_app::notifications::mail;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto\">{body}</body></html>"
    ))
}

fn refused() -> (StatusCode, Html<String>) {
    (
        StatusCode::BAD_REQUEST,
        page(
            "無効なリンク / Invalid link",
            "<h1>このリンクは無効です / This link is not valid</h1>\
             <p>通知の設定はポータルから変更できます。/ You can change your notifications in the portal.</p>",
        ),
    )
}

pub async fn show(
    State(s): State<HttpState>,
    Path(token): Path<String>,
) -> (StatusCode, Html<String>) {
    match mail::unsubscribe_preview(&s.app, &token) {
        Ok(u) => (
            StatusCode::OK,
            page(
                "配信停止 / Unsubscribe",
                &format!(
                    "<h1>配信停止 / Unsubscribe</h1>\
                     <p>{addr} 宛の「{topic}」のメールを停止します。<br>{addr} will no longer receive “{topic}” e-mail.</p>\
                     <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
                     <button type=\"submit\">停止する / Unsubscribe</button></form>",
                    addr = escape(&u.address),
                    topic = escape(&u.topic)
                ),
            ),
        ),
        Err(_) => refused(),
    }
}

pub async fn apply(
    State(s): State<HttpState>,
    Path(token): Path<String>,
) -> (StatusCode, Html<String>) {
    match mail::unsubscribe(&s.app, &token).await {
        Ok(u) => (
            StatusCode::OK,
            page(
                "配信を停止しました / Unsubscribed",
                &format!(
                    "<h1>配信を停止しました / Unsubscribed</h1><p>{addr}: {topic}</p>",
                    addr = escape(&u.address),
                    topic = escape(&u.topic)
                ),
            ),
        ),
        Err(e) if e.is_client_error() => refused(),
        Err(e) => {
            tracing::error!(error = %e.detail(), "unsubscribe failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                page(
                    "エラー / Error",
                    "<p>しばらくしてからもう一度お試しください。/ Please try again later.</p>",
                ),
            )
        }
    }
}
