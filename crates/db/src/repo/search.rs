//! One search box over customers, lines, SIMs and devices: names and e-mails by prefix of a
//! word, numbers and identifiers by digits (partial where it makes sense).

use crate::TenantTx;
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::Result;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Hit {
    /// `customer`, `line`, `sim`, `esim` or `device`.
    pub kind: String,
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The customer's name, the line's MSISDN, the SIM's ICCID, the device's IMEI.
    pub label: String,
    pub status: String,
    /// The matched identifier's kind, for masking (`iccid`, `imsi`, `imei`, `msisdn`, `text`).
    pub matched: String,
}

/// `text` matches names and e-mails (case-insensitive, anywhere); `phone` (the input's
/// digits in international form) matches MSISDNs and phones from the start, `digits` (as
/// typed) matches MSISDNs from the end and ICCID, IMSI and IMEI from the start or the end.
pub async fn search(
    tx: &mut TenantTx,
    text: &str,
    digits: Option<&str>,
    phone: Option<&str>,
    limit: i64,
) -> Result<Vec<Hit>> {
    let like = format!(
        "%{}%",
        text.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );

    Ok(sqlx::query_as(
        "(SELECT 'customer' AS kind, id, tenant_id, name AS label, kyc_status AS status, 'text' AS matched FROM customers \
            WHERE lower(name) LIKE $1 OR lower(email) LIKE $1 OR ($4::text IS NOT NULL AND phone LIKE $4 || '%') LIMIT $3) \
         UNION ALL (SELECT 'line', id, tenant_id, msisdn, status, 'msisdn' FROM lines WHERE $4::text IS NOT NULL \
            AND (msisdn LIKE $4 || '%' OR reverse(msisdn) LIKE reverse($2) || '%') LIMIT $3) \
         UNION ALL (SELECT 'sim', id, tenant_id, iccid, status, CASE WHEN imsi LIKE $2 || '%' THEN 'imsi' ELSE 'iccid' END FROM sims \
            WHERE $2::text IS NOT NULL AND (iccid LIKE $2 || '%' OR reverse(iccid) LIKE reverse($2) || '%' OR imsi LIKE $2 || '%') LIMIT $3) \
         UNION ALL (SELECT 'esim', id, tenant_id, iccid, status, 'iccid' FROM esim_profiles WHERE $2::text IS NOT NULL \
            AND (iccid LIKE $2 || '%' OR reverse(iccid) LIKE reverse($2) || '%') LIMIT $3) \
         UNION ALL (SELECT 'device', id, tenant_id, imei, status, 'imei' FROM devices WHERE $2::text IS NOT NULL \
            AND (imei LIKE $2 || '%' OR reverse(imei) LIKE reverse($2) || '%') LIMIT $3)",
    )
    .bind(like)
    .bind(digits)
    .bind(limit)
    .bind(phone)
    .fetch_all(tx.conn())
    .await?)
}
