//! Counting SQL statements: every statement a `TenantTx` sends (BEGIN with the tenant
//! context, each query, COMMIT) counts one — per request (task-local, for the
//! `x-sql-statements` response header and the statement-count tests) and per process (for
//! benchmarks).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

tokio::task_local! {
    static STATEMENTS: Arc<AtomicU64>;
}

static TOTAL: AtomicU64 = AtomicU64::new(0);

pub fn count() {
    TOTAL.fetch_add(1, Ordering::Relaxed);
    let _ = STATEMENTS.try_with(|c| c.fetch_add(1, Ordering::Relaxed));
}

/// Statements sent by this process so far.
pub fn total() -> u64 {
    TOTAL.load(Ordering::Relaxed)
}

/// Runs `f`, returning its output and the statements it sent.
pub async fn counting<F: Future>(f: F) -> (F::Output, u64) {
    let counter = Arc::new(AtomicU64::new(0));
    let out = STATEMENTS.scope(counter.clone(), f).await;
    (out, counter.load(Ordering::Relaxed))
}

/// `f`, counted against the request whose task creates it — for work a request hands to
/// another task (the API's batch loaders).
pub fn inherit<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    let counter = STATEMENTS.try_with(Arc::clone).ok();
    async move {
        match counter {
            Some(c) => STATEMENTS.scope(c, f).await,
            None => f.await,
        }
    }
}
