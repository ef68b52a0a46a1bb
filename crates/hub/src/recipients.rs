//! Who an audience is for one event: staff with a role, the customer's administrators (or
//! the customer's own address when it has no portal users), or the users of the line. Which
//! customer and line an event concerns is the contract's to say (`Facts`).

use tsunagi_core::Result;
use tsunagi_core::events::Event;
use tsunagi_db::TenantTx;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub name: String,
    pub locale: Option<String>,
}

pub async fn staff(tx: &mut TenantTx, role: &str) -> Result<Vec<Person>> {
    Ok(sqlx::query_as(
        "SELECT id AS user_id, email, display_name AS name, locale FROM users \
         WHERE tenant_id = app_tenant() AND status = 'active' AND customer_id IS NULL AND $1 = ANY (roles) \
         ORDER BY email",
    )
    .bind(role)
    .fetch_all(tx.conn())
    .await?)
}

/// The customer an event is about: the payload says, or its line's customer.
pub async fn customer_of(tx: &mut TenantTx, ev: &Event) -> Result<Option<Uuid>> {
    let f = ev.facts();
    if let Some(c) = f.customer_id() {
        return Ok(Some(c));
    }
    let Some(line) = f.line_id() else {
        return Ok(None);
    };
    Ok(sqlx::query_scalar(
        "SELECT customer_id FROM lines WHERE tenant_id = app_tenant() AND id = $1",
    )
    .bind(line)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn customer_admins(tx: &mut TenantTx, customer: Uuid) -> Result<Vec<Person>> {
    let users: Vec<Person> = sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.display_name AS name, COALESCE(u.locale, c.locale) AS locale \
         FROM users u LEFT JOIN customers c ON c.tenant_id = u.tenant_id AND c.id = u.customer_id \
         WHERE u.tenant_id = app_tenant() AND u.status = 'active' AND u.customer_id = $1 \
           AND 'customer_admin' = ANY (u.roles) ORDER BY u.email",
    )
    .bind(customer)
    .fetch_all(tx.conn())
    .await?;
    if !users.is_empty() {
        return Ok(users);
    }
    Ok(sqlx::query_as(
        "SELECT NULL::uuid AS user_id, email, name, locale FROM customers \
         WHERE tenant_id = app_tenant() AND id = $1 AND email IS NOT NULL",
    )
    .bind(customer)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn line_users(tx: &mut TenantTx, line: Uuid) -> Result<Vec<Person>> {
    Ok(sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.display_name AS name, COALESCE(u.locale, c.locale) AS locale \
         FROM users u LEFT JOIN customers c ON c.tenant_id = u.tenant_id AND c.id = u.customer_id \
         WHERE u.tenant_id = app_tenant() AND u.status = 'active' AND u.line_id = $1 ORDER BY u.email",
    )
    .bind(line)
    .fetch_all(tx.conn())
    .await?)
}
