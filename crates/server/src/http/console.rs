//! The web console: its built files at `/` and its sessions under `/auth`.
//!
//! Files come from `server.console_dir` (Vite's `dist`): hashed `assets/…` are immutable for a
//! year, `index.html` is never cached and is what every other page path answers (the app
//! routes itself). Every page carries a strict Content-Security-Policy: scripts only from
//! this origin, style elements only with the per-response nonce the page hands the
//! component library (style attributes stay allowed: they cannot run code), no frames,
//! no plugins, connections only to this origin.
//!
//! Sessions: the refresh token never reaches JavaScript. `POST /auth/session` signs in and
//! sets it as an `HttpOnly; Secure; SameSite=Strict` cookie scoped to `/auth`, answering
//! only the short-lived access token, which the app keeps in memory; `POST /auth/refresh`
//! rotates the cookie (the old refresh token is spent) and answers a new access token, so a
//! reload signs back in; `POST /auth/logout` ends the session and clears the cookie. Each
//! needs the `X-Tsunagi-Console` header, which a cross-site form cannot send.

use super::HttpState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::path::Path as FsPath;
use tsunagi_app::auth;
use tsunagi_core::Error;

const COOKIE: &str = "tsunagi_refresh";
const NONCE_MARK: &str = "__CSP_NONCE__";

fn csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `index.html` with a fresh nonce, never cached.
async fn index(dir: &FsPath) -> Response {
    let Ok(html) = tokio::fs::read_to_string(dir.join("index.html")).await else {
        return (
            StatusCode::NOT_FOUND,
            "The console is not built: run `cargo xtask console` (or set server.console_dir).",
        )
            .into_response();
    };
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut res = html.replace(NONCE_MARK, &nonce).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&csp(&nonce)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

fn secure_headers(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
}

/// `GET /` and every path the API does not own: a file of the build, or the app's page.
pub async fn file(State(s): State<HttpState>, uri: axum::http::Uri) -> Response {
    let dir: &FsPath = &s.console_dir;
    let rel = uri.path().trim_start_matches('/').to_owned();
    // Only plain relative names inside the build: no `..`, no hidden files, no backslashes.
    let plain = rel
        .split('/')
        .all(|seg| !seg.is_empty() && !seg.starts_with('.') && !seg.contains('\\'));
    let mut res = if rel.is_empty() || rel == "index.html" {
        index(dir).await
    } else if plain && rel.contains('.') {
        match tokio::fs::read(dir.join(&rel)).await {
            Ok(bytes) => {
                let mut r = bytes.into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&rel)),
                );
                let cache = if rel.starts_with("assets/") {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                r
            }
            Err(_) => (StatusCode::NOT_FOUND, "no such file").into_response(),
        }
    } else if plain {
        // A page of the app (`/lines/…`): the app routes it.
        index(dir).await
    } else {
        (StatusCode::NOT_FOUND, "no such file").into_response()
    };
    secure_headers(&mut res);
    res
}

#[derive(Deserialize)]
pub struct SignIn {
    tenant: String,
    email: String,
    password: String,
}

/// The refusal of a request without the console's header (None: it has it).
fn not_from_console(h: &HeaderMap) -> Option<Response> {
    h.get("x-tsunagi-console").is_none().then(|| {
        problem(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "the X-Tsunagi-Console header is required",
        )
    })
}

fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

fn cookie_of(h: &HeaderMap) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(res: &mut Response, value: &str, max_age: u64) {
    let c = format!(
        "{COOKIE}={value}; Path=/auth; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age}"
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn signed_in(s: &HttpState, pair: auth::TokenPair) -> Response {
    let mut res = Json(json!({
        "accessToken": pair.access_token,
        "expiresIn": pair.expires_in,
    }))
    .into_response();
    set_cookie(&mut res, &pair.refresh_token, s.refresh_ttl_secs);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn refused(e: &Error) -> Response {
    match e {
        Error::Unauthenticated => problem(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "the tenant, e-mail or password is wrong, or the session ended",
        ),
        Error::RateLimited { .. } => {
            problem(StatusCode::TOO_MANY_REQUESTS, e.code(), &e.public_message())
        }
        other if other.is_client_error() => problem(
            StatusCode::BAD_REQUEST,
            other.code(),
            &other.public_message(),
        ),
        other => {
            tracing::warn!(error = %other.detail(), "console session failed");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                other.code(),
                &other.public_message(),
            )
        }
    }
}

/// `POST /auth/session`: signs in; the refresh token goes into the cookie.
pub async fn session(State(s): State<HttpState>, h: HeaderMap, Json(b): Json<SignIn>) -> Response {
    if let Some(r) = not_from_console(&h) {
        return r;
    }
    match auth::login(&s.app, &b.tenant, &b.email, &b.password, None).await {
        Ok(pair) => signed_in(&s, pair),
        Err(e) => refused(&e),
    }
}

/// `POST /auth/refresh`: a new access token from the cookie, which rotates.
pub async fn refresh(State(s): State<HttpState>, h: HeaderMap) -> Response {
    if let Some(r) = not_from_console(&h) {
        return r;
    }
    let Some(token) = cookie_of(&h) else {
        return refused(&Error::Unauthenticated);
    };
    match auth::refresh(&s.app, &token, None).await {
        Ok(pair) => signed_in(&s, pair),
        Err(e) => {
            let mut r = refused(&e);
            set_cookie(&mut r, "", 0);
            r
        }
    }
}

/// `POST /auth/logout`: ends the session of the bearer and clears the cookie.
pub async fn logout(State(s): State<HttpState>, h: HeaderMap) -> Response {
    if let Some(r) = not_from_console(&h) {
        return r;
    }
    if let Some(token) = super::graphql::bearer(&h).map(str::to_owned) {
        // On a task of its own: a sign-out that reached us completes even when the browser
        // navigates away before the answer (the request is then dropped), so the refresh
        // cookie it could not clear no longer signs anyone in.
        let app = s.app.clone();
        let revoke = tokio::spawn(async move {
            if let Ok(principal) = auth::authenticate(&app, &token).await {
                let ctx = tsunagi_app::Ctx::new(principal, None);
                if let Err(e) = auth::logout(&app, &ctx).await {
                    tracing::warn!(error = %e.detail(), "console sign-out");
                }
            }
        });
        let _ = revoke.await;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut res, "", 0);
    res
}
