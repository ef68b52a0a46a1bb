//! Replay: run a candidate version and the version in force (or the built-in rule) on the
//! same inputs — the hook's recorded samples and/or a fixture set — and show, per input
//! and in total, how the money moves. A version that fails on an input counts as the
//! built-in rule there (that is what would be invoiced) and the failure is shown.

use crate::Registry;
use crate::runtime::{Loaded, Source};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tsunagi_core::Result;
use tsunagi_plugin_host::World;
use tsunagi_plugin_host::bindings::commission::tsunagi::plugins::commission_types::CommissionInput;
use tsunagi_plugin_host::bindings::pricing::tsunagi::plugins::pricing_types::PricingInput;

/// Parses an input of a world as a fixture gives it and returns it without `config` (the
/// manifest of whichever version runs supplies that).
pub fn normalize_input(world: World, v: &Value) -> std::result::Result<Value, String> {
    let out = match world {
        World::Pricing => {
            let mut i: PricingInput =
                serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
            i.config.clear();
            serde_json::to_value(i)
        }
        World::Commission => {
            let mut i: CommissionInput =
                serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
            i.config.clear();
            serde_json::to_value(i)
        }
        World::Channel => return Err(crate::hook::NOT_REPLAYED.into()),
    };
    out.map_err(|e| e.to_string())
}

/// One input and where it came from (`sample:<tenant>/<slot>`, `fixture:<set>#<n>`).
#[derive(Debug, Clone, Serialize)]
pub struct ReplayInput {
    pub source: String,
    pub input: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayItem {
    pub source: String,
    /// The contract (pricing) or partner (commission) the input is about.
    pub subject: String,
    pub baseline_total: i64,
    pub candidate_total: i64,
    pub delta: i64,
    pub baseline_error: Option<String>,
    pub candidate_error: Option<String>,
    pub changed: bool,
    /// `+ CODE 100: reason`, `- CODE -500`, `~ CODE -500 → -800`, one per line code.
    pub differences: Vec<String>,
    pub baseline_output: Value,
    pub candidate_output: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub candidate: Source,
    pub baseline: Source,
    pub inputs: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub candidate_errors: usize,
    pub baseline_errors: usize,
    pub baseline_total: i64,
    pub candidate_total: i64,
    pub total_delta: i64,
    pub items: Vec<ReplayItem>,
}

/// A priced line of either world: code, amount, reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub code: String,
    pub amount: i64,
    pub reason: String,
}

fn lines(v: &Value) -> Vec<Line> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|l| Line {
                    code: l["code"].as_str().unwrap_or_default().to_owned(),
                    amount: l["amount"].as_i64().unwrap_or_default(),
                    reason: l["reason"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The differences between two outputs, by line code (amounts of one code summed).
pub fn diff_lines(baseline: &[Line], candidate: &[Line]) -> Vec<String> {
    fn by_code(ls: &[Line]) -> BTreeMap<&str, (i64, &str)> {
        let mut m: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
        for l in ls {
            let e = m.entry(l.code.as_str()).or_insert((0, l.reason.as_str()));
            e.0 = e.0.saturating_add(l.amount);
        }
        m
    }
    let (b, c) = (by_code(baseline), by_code(candidate));
    let mut out = Vec::new();
    for (code, (amount, reason)) in &c {
        match b.get(code) {
            None => out.push(format!("+ {code} {amount}: {reason}")),
            Some((was, _)) if was != amount => out.push(format!("~ {code} {was} → {amount}")),
            Some((_, was)) if was != reason => {
                out.push(format!("~ {code} reason {was:?} → {reason:?}"));
            }
            Some(_) => {}
        }
    }
    for (code, (amount, _)) in &b {
        if !c.contains_key(code) {
            out.push(format!("- {code} {amount}"));
        }
    }
    out
}

fn subject(input: &Value) -> String {
    input
        .pointer("/contract/id")
        .or_else(|| input.pointer("/partner/id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl Registry {
    /// Replays `inputs` through `candidate` and `baseline` (None: the built-in rule).
    pub async fn replay(
        &self,
        candidate: &Loaded,
        baseline: Option<&Loaded>,
        inputs: Vec<ReplayInput>,
    ) -> Result<ReplayReport> {
        let mut r = ReplayReport {
            candidate: candidate.source(),
            baseline: baseline.map_or(Source::BuiltIn, Loaded::source),
            inputs: inputs.len(),
            changed: 0,
            unchanged: 0,
            candidate_errors: 0,
            baseline_errors: 0,
            baseline_total: 0,
            candidate_total: 0,
            total_delta: 0,
            items: Vec::with_capacity(inputs.len()),
        };
        // One version after the other, each on one instance (two sessions at once could
        // wait on each other for pool slots).
        let all: Vec<&Value> = inputs.iter().map(|i| &i.input).collect();
        let cands = self.call_json_all(candidate, &all).await?;
        let bases = match baseline {
            Some(b) => self.call_json_all(b, &all).await?,
            None => all.iter().map(|_| Ok(Value::Array(Vec::new()))).collect(),
        };
        for ((i, cand), base) in inputs.into_iter().zip(cands).zip(bases) {
            let split = |o: std::result::Result<Value, tsunagi_plugin_host::PluginError>| match o {
                Ok(v) => (v, None),
                Err(e) => (Value::Array(Vec::new()), Some(e.to_string())),
            };
            let (cv, ce) = split(cand);
            let (bv, be) = split(base);
            let (cl, bl) = (lines(&cv), lines(&bv));
            let total = |ls: &[Line]| ls.iter().map(|l| l.amount).fold(0i64, i64::saturating_add);
            let (ct, bt) = (total(&cl), total(&bl));
            let differences = diff_lines(&bl, &cl);
            let changed = !differences.is_empty() || ce.is_some() != be.is_some();
            r.changed += usize::from(changed);
            r.unchanged += usize::from(!changed);
            r.candidate_errors += usize::from(ce.is_some());
            r.baseline_errors += usize::from(be.is_some());
            r.baseline_total = r.baseline_total.saturating_add(bt);
            r.candidate_total = r.candidate_total.saturating_add(ct);
            r.items.push(ReplayItem {
                subject: subject(&i.input),
                source: i.source,
                baseline_total: bt,
                candidate_total: ct,
                delta: ct.saturating_sub(bt),
                baseline_error: be,
                candidate_error: ce,
                changed,
                differences,
                baseline_output: bv,
                candidate_output: cv,
            });
        }
        r.total_delta = r.candidate_total.saturating_sub(r.baseline_total);
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn l(code: &str, amount: i64) -> Line {
        Line {
            code: code.into(),
            amount,
            reason: format!("r-{code}"),
        }
    }

    #[test]
    fn differences_by_code() {
        let b = [l("VOL", -500), l("OLD", 100)];
        let c = [l("VOL", -800), l("NEW", 50)];
        assert_eq!(
            diff_lines(&b, &c),
            vec!["+ NEW 50: r-NEW", "~ VOL -500 → -800", "- OLD 100"]
        );
        assert!(diff_lines(&b, &b).is_empty());
    }

    proptest! {
        /// No differences exactly when every code sums to the same amount (same reasons),
        /// whatever the order of the lines.
        #[test]
        fn no_difference_iff_same_sums(a in proptest::collection::vec((0u8..4, -1000i64..1000), 0..8),
                                       shuffle in proptest::collection::vec(0usize..100, 0..8)) {
            let base: Vec<Line> = a.iter().map(|(c, x)| l(&format!("C{c}"), *x)).collect();
            let mut perm = base.clone();
            for (i, s) in shuffle.iter().enumerate() {
                if !perm.is_empty() { let n = perm.len(); perm.swap(i % n, s % n); }
            }
            prop_assert!(diff_lines(&base, &perm).is_empty());
            let mut more = perm.clone();
            more.push(l("EXTRA", 1));
            prop_assert!(!diff_lines(&base, &more).is_empty());
        }
    }
}
