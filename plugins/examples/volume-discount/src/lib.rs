//! Volume discount: a contract with at least `min_lines` lines gets `percent` % off the
//! plan's and options' monthly fees (business customers only unless `individuals = true`);
//! from `tier2_lines` lines the rate is `tier2_percent`. Usage charges are not discounted.
//!
//! Config: `min_lines` (default 5), `percent` (default 5), `tier2_lines` (default 50),
//! `tier2_percent` (default 10), `individuals` (default false).

use tsunagi_plugin_sdk::pricing::{
    Adjustment, AdjustmentKind, Guest, PricingInput, Setting, info, setting,
};

struct VolumeDiscount;

fn num(settings: &[Setting], key: &str, default: i64) -> Result<i64, String> {
    match setting(settings, key) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("config `{key}`: {v:?} is not a non-negative integer")),
    }
}

impl Guest for VolumeDiscount {
    fn price(input: PricingInput) -> Result<Vec<Adjustment>, String> {
        let c = &input.config;
        let min_lines = num(c, "min_lines", 5)?;
        let percent = num(c, "percent", 5)?;
        let tier2_lines = num(c, "tier2_lines", 50)?;
        let tier2_percent = num(c, "tier2_percent", 10)?;
        if percent > 100 || tier2_percent > 100 {
            return Err("config `percent`/`tier2_percent`: at most 100".into());
        }
        let individuals = setting(c, "individuals") == Some("true");
        let lines = i64::from(input.contract.line_count);
        if lines < min_lines || (input.contract.customer_kind != "business" && !individuals) {
            return Ok(Vec::new());
        }
        let rate = if lines >= tier2_lines {
            tier2_percent
        } else {
            percent
        };
        let fees: i64 = input
            .lines
            .iter()
            .filter(|l| l.code.starts_with("plan:") || l.code.starts_with("option:"))
            .map(|l| l.amount)
            .sum();
        // Round the discount down, in the customer's favour of the operator's choice: floor.
        let amount = fees * rate / 100;
        if amount == 0 {
            return Ok(Vec::new());
        }
        info(&format!("{lines} lines: {rate}% off {fees}"));
        Ok(vec![Adjustment {
            kind: AdjustmentKind::Discount,
            code: "volume-discount".into(),
            reason: format!("Volume discount {rate}% ({lines} lines)"),
            amount: -amount,
        }])
    }
}

tsunagi_plugin_sdk::pricing::export_pricing!(VolumeDiscount);
