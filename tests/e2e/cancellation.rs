//! A request cancelled while its transaction is being opened (the client went away, a
//! timeout fired) must not leave its pooled connection inside that transaction: the next
//! request on the connection would run in it — read-only, or already failed — with
//! "there is already a transaction in progress". sqlx's guard for a cancelled BEGIN does not
//! roll back (its depth counter is raised only after the answer); TenantTx opens on a task
//! of its own, so the BEGIN is never cut off half way.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;
use tsunagi_core::TenantId;
use tsunagi_db::{Scope, TenantTx};
use tsunagi_tests::TestEnv;

#[tokio::test]
async fn transactions_cancelled_while_opening_leave_no_connection_inside_them() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let app = tsunagi_server::connect(&env.config).await.expect("app");
    let tenant = TenantId::parse(s.tenant("sakura-mobile")).expect("tenant id");
    for i in 0..400u32 {
        // Cut off after a few polls: before the BEGIN is sent, while its answer is awaited
        // (the window that matters), or after.
        let mut opening = Box::pin(TenantTx::begin_read(&app.db, Scope::single(tenant)));
        for _ in 0..=(i % 4) {
            let ready =
                std::future::poll_fn(|cx| Poll::Ready(opening.as_mut().poll(cx).is_ready())).await;
            if ready {
                break;
            }
            tokio::task::yield_now().await;
        }
        drop(opening);
        // The next transaction on the pool (often on the same connection) writes.
        tokio::task::yield_now().await;
        let mut tx = TenantTx::begin(&app.db, Scope::single(tenant))
            .await
            .expect("begin");
        let read_only: String =
            sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
                .fetch_one(tx.conn())
                .await
                .expect("setting");
        assert_eq!(
            read_only, "off",
            "after cancellation {i}, a new write transaction ran inside a cancelled read-only one"
        );
        tx.commit().await.expect("commit");
    }
    // Returned connections settle on tasks of their own.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stuck: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = 'tsunagi' AND state LIKE 'idle in transaction%'",
    )
    .fetch_one(&env.admin)
    .await
    .expect("activity");
    assert_eq!(
        stuck, 0,
        "pooled connections left inside a cancelled transaction"
    );
    // And every pooled connection still writes.
    for _ in 0..20 {
        let mut tx = TenantTx::begin(&app.db, Scope::single(tenant))
            .await
            .expect("begin");
        sqlx::query("CREATE TEMP TABLE IF NOT EXISTS cancelled_probe (x int)")
            .execute(tx.conn())
            .await
            .expect("a write transaction, not a read-only one left over");
        tx.commit().await.expect("commit");
    }
}
