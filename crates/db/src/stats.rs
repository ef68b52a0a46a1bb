//! Counting SQL statements: every statement a `TenantTx` sends (BEGIN with the tenant
//! context, each query, COMMIT) counts one — per request (task-local, for the
//! `x-sql-statements` response header and the statement-count tests) and per process (for
//! benchmarks).

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

tokio::task_local! {
    static STATEMENTS: Cell<u64>;
}

static TOTAL: AtomicU64 = AtomicU64::new(0);

pub fn count() {
    TOTAL.fetch_add(1, Ordering::Relaxed);
    let _ = STATEMENTS.try_with(|c| c.set(c.get() + 1));
}

/// Statements sent by this process so far.
pub fn total() -> u64 {
    TOTAL.load(Ordering::Relaxed)
}

/// Runs `f`, returning its output and the statements it sent.
pub async fn counting<F: Future>(f: F) -> (F::Output, u64) {
    STATEMENTS
        .scope(Cell::new(0), async {
            let out = f.await;
            (out, STATEMENTS.with(Cell::get))
        })
        .await
}
