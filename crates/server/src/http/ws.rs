//! `/graphql/ws`: subscriptions over graphql-transport-ws (and the legacy graphql-ws). The
//! `connection_init` payload carries `{"Authorization": "Bearer <token>"}`; without a valid
//! one the socket closes with 4403 (Forbidden). A subscription lives only as long as its
//! session: on every authentication change (logout, session or key revocation, a user
//! disabled, a tenant suspended — `NOTIFY tsunagi_auth` from any replica) and when the
//! access token expires, the token is checked again, and a connection whose principal is
//! gone closes at once with 4401 (Unauthorized). A `subscribe` may name a persisted
//! operation by hash as on `POST /graphql` (`persisted`); customer principals may run only
//! those, and a refused subscription gets an `error` message for its id.

use super::HttpState;
use super::persisted::{Persisted, WsInput};
use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols, WsMessage};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket as Socket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt, future};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tsunagi_app::App;
use tsunagi_core::Error;
use tsunagi_graphql::{RequestCtx, TsunagiSchema, to_gql};

pub const FORBIDDEN: u16 = 4403;
pub const UNAUTHORIZED: u16 = 4401;
/// Checks the session this often even without a change notification (a missed one).
const RECHECK: Duration = Duration::from_secs(30);

pub async fn subscriptions(
    State(s): State<HttpState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let protocol = headers
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
        .unwrap_or(WebSocketProtocols::GraphQLWS);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let only = s.customer_persisted_only;
            serve(
                socket,
                s.app.clone(),
                s.schema.clone(),
                protocol,
                (s.persisted.clone(), only),
            )
        })
}

/// What the connection learned at `connection_init`.
#[derive(Default)]
struct Session {
    token: Option<String>,
    /// The roles the connection was opened with: a change of roles means the
    /// subscriptions' rights changed, and the client must reconnect.
    roles: Vec<String>,
    rejected: bool,
    /// A customer principal: persisted operations only (when so configured).
    customer: bool,
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }))
}

/// The `error` message refusing subscription `id`, in the connection's protocol.
fn refusal(protocol: WebSocketProtocols, id: &str, code: &str, message: &str) -> Message {
    let error = serde_json::json!({ "message": message, "extensions": { "code": code } });
    let payload = match protocol {
        WebSocketProtocols::GraphQLWS => serde_json::json!([error]),
        _ => error,
    };
    Message::Text(
        serde_json::json!({ "id": id, "type": "error", "payload": payload })
            .to_string()
            .into(),
    )
}

async fn serve(
    socket: Socket,
    app: App,
    schema: TsunagiSchema,
    protocol: WebSocketProtocols,
    (persisted, persisted_only): (Arc<Persisted>, bool),
) {
    let session = Arc::new(Mutex::new(Session::default()));
    let (mut sink, stream) = socket.split();
    // Bounded: a client sending refused messages faster than it reads loses the surplus
    // error messages, never the server's memory.
    let (refuse, mut refused) = tokio::sync::mpsc::channel::<(String, &'static str, String)>(64);
    let input_session = session.clone();
    let input = stream
        .take_while(|res| future::ready(res.is_ok()))
        .filter_map(move |msg| {
            let data = match msg {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => Some(m.into_data()),
                _ => None,
            };
            let customer = persisted_only && input_session.lock().is_ok_and(|s| s.customer);
            future::ready(
                data.and_then(|d| match persisted.resolve_ws(d.to_vec(), customer) {
                    WsInput::Forward(d) => Some(d),
                    WsInput::Refuse(id, code, m) => {
                        let _ = refuse.try_send((id, code, m));
                        None
                    }
                }),
            )
        });
    let (init_app, init_session) = (app.clone(), session.clone());
    let output = WebSocket::new(schema, input, protocol).on_connection_init(
        move |payload: serde_json::Value| async move {
            let header = ["Authorization", "authorization"]
                .iter()
                .find_map(|k| payload.get(k).and_then(|v| v.as_str()))
                .map(str::to_owned);
            let token = header
                .as_deref()
                .map(|h| h.strip_prefix("Bearer ").unwrap_or(h).to_owned());
            let principal = match &token {
                Some(t) => tsunagi_app::auth::authenticate(&init_app, t).await,
                None => Err(Error::Unauthenticated),
            };
            let mut s = init_session.lock().unwrap_or_else(|e| e.into_inner());
            match principal {
                Ok(p) => {
                    s.token = token;
                    s.roles = p.roles.clone();
                    s.customer = p.is_customer();
                    let mut data = Data::default();
                    data.insert(RequestCtx {
                        principal: Some(p),
                        request_id: uuid::Uuid::now_v7().to_string(),
                    });
                    Ok(data)
                }
                Err(e) => {
                    s.rejected = true;
                    Err(to_gql(e))
                }
            }
        },
    );
    futures_util::pin_mut!(output);
    let mut changes = Some(app.auth_cache.changes());
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    loop {
        let token = session.lock().ok().and_then(|s| s.token.clone());
        let expires = token
            .as_deref()
            .and_then(|t| tsunagi_app::auth::token_expires_at(&app, t))
            .map(|exp| {
                let now = chrono::Utc::now().timestamp();
                Duration::from_secs(u64::try_from(exp - now).unwrap_or(0))
            });
        let expiry = async {
            match expires {
                Some(d) => tokio::time::sleep(d).await,
                None => future::pending().await,
            }
        };
        let check = tokio::select! {
            item = output.next() => {
                let Some(item) = item else { break };
                let msg = match item {
                    WsMessage::Text(t) => Message::Text(t.into()),
                    WsMessage::Close(1002, _) if session.lock().is_ok_and(|s| s.rejected) => {
                        close(FORBIDDEN, "Forbidden")
                    }
                    WsMessage::Close(code, reason) => close(code, &reason),
                };
                if sink.send(msg).await.is_err() {
                    break;
                }
                false
            }
            Some((id, code, m)) = refused.recv() => {
                if sink.send(refusal(protocol, &id, code, &m)).await.is_err() {
                    break;
                }
                false
            }
            r = async {
                match changes.as_mut() {
                    Some(c) => c.recv().await,
                    None => future::pending().await,
                }
            } => {
                if matches!(r, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                    // No more notifications: the periodic check carries on alone.
                    changes = None;
                }
                true
            }
            _ = recheck.tick() => true,
            () = expiry => true,
        };
        if check && let Some(t) = token {
            let roles = session.lock().map(|s| s.roles.clone()).unwrap_or_default();
            let reason = match tsunagi_app::auth::authenticate(&app, &t).await {
                Err(_) => Some("Unauthorized: the session has ended"),
                Ok(p) if p.roles != roles => Some("Unauthorized: your roles changed; reconnect"),
                Ok(_) => None,
            };
            if let Some(reason) = reason {
                let _ = sink.send(close(UNAUTHORIZED, reason)).await;
                break;
            }
        }
    }
}
