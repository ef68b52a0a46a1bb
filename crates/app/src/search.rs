//! One search field over customers, lines, SIMs, eSIM profiles and devices, for staff. A
//! phone or MSISDN matches with or without '+', spaces or hyphens; identifiers match
//! by their first or last digits; results respect the tenant (RLS) and masking.

use crate::{App, Ctx};
use tsunagi_core::identifiers::{Iccid, Imei, Imsi, Msisdn};
use tsunagi_core::{Error, Result};
use tsunagi_db::repo::search::{self as repo, Hit};

pub async fn search(app: &App, ctx: &Ctx, query: &str, limit: i64) -> Result<Vec<Hit>> {
    app.authz.check(&ctx.principal, "search", "read").await?;
    let q = query.trim();
    // Two characters are a Japanese surname ("佐藤"); in Latin letters or digits, too many hits.
    let min = if q.is_ascii() { 3 } else { 2 };
    if q.chars().count() < min {
        return Err(Error::invalid(
            "query",
            "must have at least 3 characters (2 in Japanese)",
        ));
    }
    let digits = Msisdn::search_digits(q).filter(|d| d.len() >= 3);
    let unmask = crate::inventory::can_unmask(app, ctx).await?;
    let mut tx = app.read(ctx).await?;
    // A national number ("090-…") is also searched in international form, for numbers only.
    let cc = app
        .settings
        .of(&mut tx)
        .await?
        .settings
        .country_calling_code
        .clone();
    let phone = digits.as_ref().map(|d| match d.strip_prefix('0') {
        Some(national) if !q.starts_with('+') && !d.starts_with("00") && national.len() >= 6 => {
            format!("{cc}{national}")
        }
        _ => d.clone(),
    });
    let mut hits = repo::search(
        &mut tx,
        q,
        digits.as_deref(),
        phone.as_deref(),
        limit.clamp(1, 100),
    )
    .await?;
    tx.end()?;
    if !unmask {
        for h in &mut hits {
            h.label = match h.matched.as_str() {
                "iccid" => Iccid::parse("x", &h.label)
                    .map(|i| i.masked())
                    .unwrap_or_else(|_| "*".repeat(h.label.len())),
                "imsi" => Iccid::parse("x", &h.label)
                    .map(|i| i.masked())
                    .unwrap_or_else(|_| {
                        Imsi::parse("x", &h.label)
                            .map(|i| i.masked())
                            .unwrap_or_default()
                    }),
                "imei" => Imei::parse("x", &h.label)
                    .map(|i| i.masked())
                    .unwrap_or_else(|_| "*".repeat(h.label.len())),
                _ => std::mem::take(&mut h.label),
            };
        }
    }
    Ok(hits)
}
