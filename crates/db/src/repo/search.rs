//! One search box over customers, lines, SIMs and devices: names and e-mails anywhere (from
//! the start for one or two Japanese characters; folded by `search_fold`, migrations/0017),
//! numbers and identifiers by digits (partial where it makes sense).

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

/// `text` matches names and e-mails as typed, folded in the database (case, width, katakana
/// and hiragana; anywhere, or from the start when one or two characters); `phone` (the input's
/// digits in international form) matches MSISDNs and phones from the start, `digits` (as
/// typed) matches MSISDNs from the end and ICCID, IMSI and IMEI from the start or the end.
pub async fn search(
    tx: &mut TenantTx,
    text: &str,
    digits: Option<&str>,
    phone: Option<&str>,
    limit: i64,
) -> Result<Vec<Hit>> {
    // Digits alone are not a name: they search numbers and identifiers only.
    let text = (!text
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c)))
    .then_some(text);
    Ok(
        sqlx::query_as("SELECT * FROM ledger_search($1, $2, $3, $4::integer)")
            .bind(text)
            .bind(digits)
            .bind(phone)
            .bind(limit)
            .fetch_all(tx.conn())
            .await?,
    )
}
