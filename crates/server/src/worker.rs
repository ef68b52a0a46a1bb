//! `tsunagi worker`: background activations. Each is input-free and idempotent, runs
//! periodically, and never retries inside itself (the next activation is the retry). The
//! notification hub and the billing jobs join this loop in their issues.

use std::time::Duration;
use tsunagi_app::App;
use tsunagi_db::idempotency::idem_purge_expired;

/// Deletes idempotency keys past their retention.
pub async fn purge_idempotency_keys(app: &App) {
    match idem_purge_expired(&app.db).await {
        Ok(n) if n > 0 => tracing::info!(deleted = n, "idempotency keys purged"),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e.detail(), "idempotency purge failed; next activation retries")
        }
    }
}

pub async fn run(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        let span = tracing::info_span!("job", job = "idempotency_purge");
        tracing::Instrument::instrument(purge_idempotency_keys(&app), span).await;
    }
}
