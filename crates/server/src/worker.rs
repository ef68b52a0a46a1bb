//! `tsunagi worker`: background activations. Each is input-free and idempotent, runs
//! periodically, and never retries inside itself (the next activation is the retry). The
//! notification hub runs beside these activations in the same process (`start_hub`: relay,
//! consumers, dispatcher, digests), and so do the carrier workers (`carrier_loop`, which
//! polls on its own short clock) and the usage feed's reader (`usage_feed_loop`); billing
//! and dunning jobs join in their issues.

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

/// Expires undecided approval requests past their time (and cancels their held orders).
pub async fn expire_approvals(app: &App) {
    match tsunagi_app::approvals::expire_overdue(app).await {
        Ok(n) if n > 0 => tracing::info!(expired = n, "approval requests expired"),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e.detail(), "approval expiry failed; next activation retries")
        }
    }
}

/// Lines whose carrier step went unanswered too long: `pending`, then `needs_review`.
pub async fn flag_unanswered_steps(app: &App) {
    match tsunagi_app::orders::carrier::flag_unanswered(app, chrono::Utc::now()).await {
        Ok((p, r)) if p + r > 0 => {
            tracing::info!(
                pending = p,
                needs_review = r,
                "unanswered carrier steps flagged"
            )
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e.detail(), "carrier watch failed; next activation retries")
        }
    }
}

/// Data limits of bill periods that have ended: the lines get their speed back.
pub async fn lift_data_limits(app: &App) {
    match tsunagi_app::usage::limit::lift_past_periods(app, chrono::Utc::now()).await {
        Ok(n) if n > 0 => tracing::info!(lines = n, "data limits of past periods lifted"),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e.detail(), "data-limit lifting failed; next activation retries")
        }
    }
}

/// Tenant-wide re-ratings nobody is working on (after a crash, a restart or a failed step).
pub async fn rerate_runs(app: &App) {
    match tsunagi_app::usage::rerate_run::work_waiting(app).await {
        Ok(n) if n > 0 => tracing::info!(runs = n, "re-rating runs resumed"),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e.detail(), "re-rating sweep failed; next activation retries")
        }
    }
}

/// Our lines against every connected carrier's inventory.
pub async fn reconcile(app: &App) {
    match tsunagi_app::carrier::reconcile::run_all(app).await {
        Ok(n) => tracing::info!(tenants = n, "reconciliation runs done"),
        Err(e) => {
            tracing::warn!(error = %e.detail(), "reconciliation failed; next activation retries")
        }
    }
}

pub async fn run(app: App) {
    let mut minute = tokio::time::interval(Duration::from_secs(60));
    let mut ticks: u64 = 0;
    loop {
        minute.tick().await;
        tracing::Instrument::instrument(
            expire_approvals(&app),
            tracing::info_span!("job", job = "approval_expiry"),
        )
        .await;
        tracing::Instrument::instrument(
            flag_unanswered_steps(&app),
            tracing::info_span!("job", job = "carrier_watch"),
        )
        .await;
        tracing::Instrument::instrument(
            lift_data_limits(&app),
            tracing::info_span!("job", job = "data_limits"),
        )
        .await;
        tracing::Instrument::instrument(
            rerate_runs(&app),
            tracing::info_span!("job", job = "rerate_runs"),
        )
        .await;
        let every = app.config.carrier.reconcile_every_mins;
        if every > 0 && ticks > 0 && ticks.is_multiple_of(every) {
            // Beside the minute's activations, not in their way (one run per tenant at a
            // time, whichever replica starts it).
            let app = app.clone();
            tokio::spawn(tracing::Instrument::instrument(
                async move { reconcile(&app).await },
                tracing::info_span!("job", job = "reconciliation"),
            ));
        }
        if ticks.is_multiple_of(5) {
            tracing::Instrument::instrument(
                purge_idempotency_keys(&app),
                tracing::info_span!("job", job = "idempotency_purge"),
            )
            .await;
        }
        ticks += 1;
    }
}

/// The carrier's usage feed: every `carrier.usage_poll_ms`, each connected carrier's new
/// records are pulled into the usage intake.
pub async fn usage_feed_loop(app: App) {
    let every = app.config.carrier.usage_poll_ms;
    if every == 0 {
        return;
    }
    loop {
        tokio::time::sleep(Duration::from_millis(every)).await;
        let round = tsunagi_app::carrier::usage_feed::pull_all(&app);
        let span = tracing::info_span!("job", job = "usage_feed");
        match tracing::Instrument::instrument(round, span).await {
            Ok(n) if n > 0 => tracing::info!(records = n, "usage feed pulled"),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e.detail(), "usage feed round failed; next round retries")
            }
        }
    }
}

/// The carrier workers: claims due provisioning jobs of every tenant and works them; a
/// full batch goes round again at once, an idle worker waits `carrier.poll_ms`.
pub async fn carrier_loop(app: App) {
    let idle = Duration::from_millis(app.config.carrier.poll_ms.max(10));
    let full = app.config.carrier.batch.max(1) as usize;
    loop {
        let round = tsunagi_app::carrier::worker::run_due(&app);
        let span = tracing::info_span!("job", job = "carrier");
        match tracing::Instrument::instrument(round, span).await {
            Ok(n) if n >= full => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e.detail(), "carrier round failed; next round retries")
            }
        }
        tokio::time::sleep(idle).await;
    }
}
