//! `/graphql/ws`: subscriptions over graphql-transport-ws (and the legacy graphql-ws). The
//! `connection_init` payload carries `{"Authorization": "Bearer <token>"}`.

use super::HttpState;
use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use tsunagi_core::Error;
use tsunagi_graphql::{RequestCtx, to_gql};

pub async fn subscriptions(
    State(s): State<HttpState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let app = s.app.clone();
            GraphQLWebSocket::new(stream, s.schema.clone(), protocol)
                .on_connection_init(move |payload: serde_json::Value| async move {
                    let header = ["Authorization", "authorization"]
                        .iter()
                        .find_map(|k| payload.get(k).and_then(|v| v.as_str()))
                        .map(str::to_owned)
                        .ok_or_else(|| to_gql(Error::Unauthenticated))?;
                    let token = header.strip_prefix("Bearer ").unwrap_or(&header);
                    let principal = tsunagi_app::auth::authenticate(&app, token)
                        .await
                        .map_err(to_gql)?;
                    let mut data = Data::default();
                    data.insert(RequestCtx {
                        principal: Some(principal),
                        request_id: uuid::Uuid::now_v7().to_string(),
                    });
                    Ok(data)
                })
                .serve()
        })
}
