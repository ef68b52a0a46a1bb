//! Tiered partner commission: for every *paid* invoice of a customer the partner brought in,
//! the partner earns a share of the invoice total; the share depends on how many contracts the
//! partner sold in the period (`tiers`, e.g. `0:3,10:5,50:8` — from 0 sales 3 %, from 10
//! sales 5 %, from 50 sales 8 %). Each new sale of the period also earns a one-off
//! `activation_bonus` (default 0). Unpaid invoices earn nothing yet.

use tsunagi_plugin_sdk::commission::{CommissionInput, CommissionLine, Guest, info, setting};

struct Tiered;

/// Parses `from:percent` pairs, ascending by `from`.
fn tiers(spec: &str) -> Result<Vec<(usize, i64)>, String> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (from, pct) = part
            .split_once(':')
            .ok_or_else(|| format!("config `tiers`: {part:?} is not `from:percent`"))?;
        let from: usize = from
            .trim()
            .parse()
            .map_err(|_| format!("config `tiers`: {from:?} is not a count"))?;
        let pct: i64 = pct
            .trim()
            .parse()
            .ok()
            .filter(|p| (0..=100).contains(p))
            .ok_or_else(|| format!("config `tiers`: {pct:?} is not a percentage 0–100"))?;
        if out.last().is_some_and(|(f, _)| *f >= from) {
            return Err("config `tiers`: thresholds must ascend".into());
        }
        out.push((from, pct));
    }
    if out.is_empty() {
        return Err("config `tiers`: at least one tier is needed".into());
    }
    Ok(out)
}

impl Guest for Tiered {
    fn commission(input: CommissionInput) -> Result<Vec<CommissionLine>, String> {
        let tiers = tiers(setting(&input.config, "tiers").unwrap_or("0:3,10:5,50:8"))?;
        let bonus: i64 = match setting(&input.config, "activation_bonus") {
            None => 0,
            Some(v) => v
                .parse()
                .ok()
                .filter(|b: &i64| *b >= 0)
                .ok_or_else(|| format!("config `activation_bonus`: {v:?} is not an amount"))?,
        };
        let sold = input.sales.len();
        let pct = tiers
            .iter()
            .rev()
            .find(|(from, _)| sold >= *from)
            .map_or(0, |(_, p)| *p);
        info(&format!("partner {} sold {sold}: {pct}%", input.partner.id));
        let mut out = Vec::new();
        for inv in input.invoices.iter().filter(|i| i.paid && i.total > 0) {
            let amount = inv.total * pct / 100;
            if amount > 0 {
                out.push(CommissionLine {
                    code: "share".into(),
                    reason: format!(
                        "{pct}% of paid invoice {} ({sold} sales this period)",
                        inv.invoice_id
                    ),
                    amount,
                    contract_id: None,
                });
            }
        }
        if bonus > 0 {
            for s in &input.sales {
                let (start, end) = (&input.period.start, &input.period.end);
                if s.activated_at.as_str() >= start.as_str()
                    && s.activated_at.as_str() < end.as_str()
                {
                    out.push(CommissionLine {
                        code: "activation".into(),
                        reason: format!("Activation bonus for {} ({})", s.contract_id, s.plan_code),
                        amount: bonus,
                        contract_id: Some(s.contract_id.clone()),
                    });
                }
            }
        }
        Ok(out)
    }
}

tsunagi_plugin_sdk::commission::export_commission!(Tiered);
