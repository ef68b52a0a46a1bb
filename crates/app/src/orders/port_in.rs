//! Number portability on a new line (MNP port-in): the rules a port-in order must meet
//! before anything is written (the number normalised, the donor's reservation number of 10
//! digits with enough days left, or the one-stop method without one), and the number's
//! entry into the pool as `porting_in` until the carrier completes the port.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tsunagi_core::identifiers::Msisdn;
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::repo::inventory;

/// A port-in: the customer's number at another operator, with the donor's MNP reservation
/// number (10 digits, valid 15 days) and its expiry date, or by the one-stop method (no
/// reservation number: the carrier asks the donor itself).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortIn {
    pub msisdn: String,
    pub reservation_number: Option<String>,
    pub reservation_expires_on: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub one_stop: bool,
}

/// Days an MNP reservation number is valid from its issue.
const RESERVATION_VALID_DAYS: i64 = 15;

/// Checks a port-in against the MNP rules, normalising its number (E.164 digits) and its
/// reservation number (full-width digits, spaces and hyphens accepted).
pub(crate) fn check_port_in(
    v: &mut Validator,
    p: &mut PortIn,
    settings: &tsunagi_core::tenant::TenantSettings,
) -> Result<()> {
    match Msisdn::parse(
        "input.portIn.msisdn",
        &p.msisdn,
        &settings.country_calling_code,
    ) {
        Ok(m) => p.msisdn = m.as_str().to_owned(),
        Err(Error::Validation(f)) => f.into_iter().for_each(|e| v.push(&e.field, e.reason)),
        Err(e) => return Err(e),
    }
    if p.one_stop {
        v.check(
            p.reservation_number.is_none(),
            "input.portIn.reservationNumber",
            "not with oneStop: the carrier asks the donor operator itself",
        );
        p.reservation_expires_on = None;
        return Ok(());
    }
    let Some(raw) = p.reservation_number.take() else {
        v.push(
            "input.portIn.reservationNumber",
            "required (the donor's 10-digit MNP reservation number), or set oneStop",
        );
        return Ok(());
    };
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}' | '\u{2212}' | '\u{30fc}'))
        .map(|c| match c {
            '\u{ff10}'..='\u{ff19}' => char::from(b'0' + (c as u32 - 0xff10) as u8),
            c => c,
        })
        .collect();
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        v.push(
            "input.portIn.reservationNumber",
            "must be the 10 digits of the MNP reservation number",
        );
    }
    p.reservation_number = Some(digits);
    let Some(expires) = p.reservation_expires_on else {
        v.push(
            "input.portIn.reservationExpiresOn",
            "required with a reservation number (its expiry date)",
        );
        return Ok(());
    };
    let today = Utc::now().with_timezone(&settings.tz()).date_naive();
    let left = (expires - today).num_days();
    let min = i64::from(settings.mnp_min_days_left);
    let field = "input.portIn.reservationExpiresOn";
    if left < 0 {
        v.push(
            field,
            format!("the reservation number expired on {expires}: ask the customer for a new one"),
        );
    } else if left < min {
        v.push(
            field,
            format!(
                "the reservation number expires on {expires}, in {left} days; at least {min} must be left (tenant setting mnpMinDaysLeft): ask the customer for a new one"
            ),
        );
    } else if left > RESERVATION_VALID_DAYS {
        v.push(
            field,
            format!("{expires} is more than {RESERVATION_VALID_DAYS} days ahead; a reservation number is valid for {RESERVATION_VALID_DAYS} days (check the date)"),
        );
    }
    Ok(())
}

/// The number of a port-in, `porting_in` in the pool until the carrier completes the port.
pub(crate) async fn port_in_number(tx: &mut TenantTx, msisdn: &str) -> Result<inventory::Number> {
    if let Some(n) = tsunagi_db::repo::esim::number_port_in(tx, msisdn).await? {
        return Ok(n);
    }
    let why = match tsunagi_db::repo::esim::number_status(tx, msisdn).await? {
        Some(s) => format!("+{msisdn} is already in your pool ({s}): order it without portIn"),
        None => format!("+{msisdn} cannot be ported in here"),
    };
    Err(Error::invalid("input.portIn.msisdn", why))
}
