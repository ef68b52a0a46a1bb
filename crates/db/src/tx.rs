//! `TenantTx`: the only way to reach tenant data. It opens a transaction and sets the RLS
//! context with transaction-local settings (`set_config(..., true)`), so nothing leaks to
//! the next user of a pooled connection. Reads see `visible` (the tenant and its
//! descendants); writes are confined to `tenant_id`.

use crate::Db;
use sqlx::{PgConnection, Postgres, Transaction};
use std::sync::Arc;
use tsunagi_core::{Error, Principal, Result, TenantId};

/// The tenant context of one transaction.
#[derive(Debug, Clone)]
pub struct Scope {
    pub tenant_id: TenantId,
    pub visible: Arc<[TenantId]>,
}

impl Scope {
    pub fn of(p: &Principal) -> Self {
        Self {
            tenant_id: p.tenant_id,
            visible: p.visible_tenants.clone(),
        }
    }
    /// A scope that sees and writes one tenant only (sign-in, token refresh).
    pub fn single(tenant_id: TenantId) -> Self {
        Self {
            tenant_id,
            visible: Arc::from(vec![tenant_id]),
        }
    }
}

pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    scope: Scope,
    /// Audit records (with their events) written at commit, as one batch.
    audit: Vec<crate::audit::Pending>,
    /// How many were pending, and how many flushes announced, when the savepoint was taken.
    savepoint_audit: Option<(usize, usize)>,
    /// What the flushes wrote, announced once the commit succeeded.
    written: Vec<crate::announce::Written>,
    announcer: crate::announce::Announcer,
    read_only: bool,
}

impl std::fmt::Debug for TenantTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantTx")
            .field("scope", &self.scope)
            .finish()
    }
}

/// A failed commit: a collision with a concurrent change is the caller's to retry.
fn commit_error(e: sqlx::Error) -> Error {
    if crate::error::is_retryable(&e) {
        Error::conflict("the change collided with a concurrent one; retry")
    } else {
        Error::from(e)
    }
}

fn uuid_array(ids: &[TenantId]) -> String {
    let mut s = String::with_capacity(2 + ids.len() * 37);
    s.push('{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push('}');
    s
}

impl TenantTx {
    pub async fn begin(db: &Db, scope: Scope) -> Result<Self> {
        Self::open(db, scope, false).await
    }

    /// A read-only transaction (PostgreSQL refuses any write in it), ended by `end`: no
    /// COMMIT round trip, the rollback goes with the connection's return to the pool.
    pub async fn begin_read(db: &Db, scope: Scope) -> Result<Self> {
        Self::open(db, scope, true).await
    }

    #[allow(clippy::disallowed_methods)] // the one sanctioned `begin`
    async fn open(db: &Db, scope: Scope, read_only: bool) -> Result<Self> {
        // BEGIN and the context in one round trip. Only UUIDs are interpolated, formatted
        // from typed ids here, so nothing a client sent reaches this string.
        let sql = format!(
            "BEGIN{}; SELECT set_config('app.tenant_id', '{}', true), set_config('app.visible_tenants', '{}', true)",
            if read_only { " READ ONLY" } else { "" },
            scope.tenant_id,
            uuid_array(&scope.visible)
        );
        // A pooled connection is pinged only after a second idle (pool.rs): one the server
        // dropped since (a restart) fails here, before anything ran, and is discarded as it
        // goes back; the next one is tried.
        //
        // The BEGIN runs on a task of its own, so a caller cancelled while waiting for it (a
        // client gone, a timeout) cannot cut it off half way: sqlx's guard for a cancelled
        // BEGIN does not roll back (its depth counter rises only with the answer), and the
        // connection would go back to the pool inside the transaction, for the next request
        // to run in (tests/e2e/cancellation.rs). A finished task's unclaimed transaction is
        // dropped there and rolled back as usual.
        let pool = db.pool().clone();
        let opening = tokio::spawn(async move {
            let mut attempt = 0;
            loop {
                attempt += 1;
                match pool.begin_with(sqlx::AssertSqlSafe(sql.clone())).await {
                    Err(sqlx::Error::Io(_)) if attempt < 3 => continue,
                    r => break r,
                }
            }
        });
        let tx = opening
            .await
            .map_err(|e| Error::internal(format!("opening a transaction: {e}")))?
            .map_err(|e| Error::unavailable(format!("database: {e}")))?;
        crate::stats::count();
        Ok(Self {
            tx,
            scope,
            audit: Vec::new(),
            savepoint_audit: None,
            written: Vec::new(),
            announcer: db.announcer().clone(),
            read_only,
        })
    }

    /// Ends a read-only transaction (`begin_read`) without a round trip.
    pub fn end(self) -> Result<()> {
        if self.read_only && self.audit.is_empty() && self.written.is_empty() {
            Ok(())
        } else {
            Err(Error::internal(
                "end() is for read-only transactions; a read-write one commits",
            ))
        }
    }

    /// A transaction with no tenant context at all: RLS shows it nothing. For resolving
    /// tenants by slug during sign-in (through SECURITY DEFINER functions) and for tests.
    #[allow(clippy::disallowed_methods)]
    pub async fn begin_unscoped(db: &Db) -> Result<Transaction<'static, Postgres>> {
        // On a task of its own, as `open` (a cancelled BEGIN must not stay on the connection).
        let pool = db.pool().clone();
        tokio::spawn(async move { pool.begin().await })
            .await
            .map_err(|e| Error::internal(format!("opening a transaction: {e}")))?
            .map_err(|e| Error::unavailable(format!("database: {e}")))
    }

    pub fn tenant_id(&self) -> TenantId {
        self.scope.tenant_id
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub(crate) fn push_audit(&mut self, p: crate::audit::Pending) {
        self.audit.push(p);
    }

    /// Writes the pending audit records (and their events) into the current tenant's chain.
    async fn flush_audit(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.audit);
        // A rollback to a savepoint taken before undoes the flushed records with the rest.
        if let Some((_, written)) = self.savepoint_audit {
            self.savepoint_audit = Some((0, written));
        }
        if let Some(w) = crate::audit_append::audit_flush(self, pending).await? {
            self.written.push(w);
        }
        Ok(())
    }

    /// The connection, for one statement (each call is counted as one).
    pub fn conn(&mut self) -> &mut PgConnection {
        crate::stats::count();
        &mut self.tx
    }

    /// Moves the write scope to a direct child the current tenant just created (to write the
    /// child's first admin and the genesis of its audit chain). Refused for anything else.
    pub async fn enter_child(&mut self, child: TenantId) -> Result<()> {
        self.flush_audit().await?;
        let parent: Option<uuid::Uuid> =
            sqlx::query_scalar("SELECT parent_id FROM tenants WHERE id = $1")
                .bind(child.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await?
                .flatten();
        if parent != Some(self.scope.tenant_id.as_uuid()) {
            return Err(Error::internal(format!(
                "enter_child: {child} is not a child of {}",
                self.scope.tenant_id
            )));
        }
        let scope = Scope::single(child);
        sqlx::query("SELECT set_config('app.tenant_id', $1, true), set_config('app.visible_tenants', $2, true)")
            .bind(child.to_string())
            .bind(uuid_array(&scope.visible))
            .execute(&mut *self.tx)
            .await?;
        self.scope = scope;
        Ok(())
    }

    /// Marks a point to roll back to without losing the whole transaction (one level).
    pub async fn savepoint(&mut self) -> Result<()> {
        sqlx::query("SAVEPOINT tsunagi_sp")
            .execute(&mut *self.tx)
            .await?;
        self.savepoint_audit = Some((self.audit.len(), self.written.len()));
        Ok(())
    }

    pub async fn rollback_to_savepoint(&mut self) -> Result<()> {
        sqlx::query("ROLLBACK TO SAVEPOINT tsunagi_sp")
            .execute(&mut *self.tx)
            .await?;
        if let Some((pending, written)) = self.savepoint_audit {
            self.audit.truncate(pending);
            self.written.truncate(written);
        }
        Ok(())
    }

    pub async fn release_savepoint(&mut self) -> Result<()> {
        sqlx::query("RELEASE SAVEPOINT tsunagi_sp")
            .execute(&mut *self.tx)
            .await?;
        self.savepoint_audit = None;
        Ok(())
    }

    /// Writes the pending audit records, then commits (crate::audit_append on how the two
    /// go together), then announces what was written (crate::announce).
    pub async fn commit(mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.audit);
        if pending.is_empty() {
            crate::stats::count();
            self.tx.commit().await.map_err(commit_error)?;
        } else {
            let w = crate::audit_append::audit_commit(&mut self, pending)
                .await
                .map_err(commit_error)?;
            self.written.push(w);
            // Committed; `self.tx` now holds the empty transaction the message opened, rolled
            // back when the connection returns to the pool.
        }
        for w in std::mem::take(&mut self.written) {
            self.announcer.committed(w);
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}
