//! The catalog as rating reads it: for the contracts of a chunk, the history of their terms
//! (plan, base price version and options over time, migration 0024), every price version of
//! those plans and the options' rules, read once. A contract's tariff at an instant is
//! built from the terms in force then and, of their plan, the price version in force then
//! (tsunagi_core::pricing); built once per (contract, terms, version) and checked before use.

use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::{BTreeSet, HashMap};
use tsunagi_core::pricing::{self, Applies, Version};
use tsunagi_core::rating::Tariff;
use tsunagi_core::rating::rules::{self, OptionRules, PriceColumns, PriceRules};
use tsunagi_core::tenant::RoundingRule;
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::repo::catalog::PlanPrice;
use tsunagi_db::repo::rating as repo;
use uuid::Uuid;

/// Which tariff: a contract, the index of its terms in force, the price version in force.
pub type TariffKey = (Uuid, usize, Uuid);

/// A tariff as priced for one contract at one time.
#[derive(Debug, Clone)]
pub struct Priced {
    pub key: TariffKey,
    pub tariff: Tariff,
    pub rules: PriceRules,
    pub price_id: Uuid,
    pub currency: String,
}

/// The catalog as rating needs it for a set of contracts, read once per chunk.
pub struct Book {
    /// Each contract's terms, oldest first (the first from its creation).
    terms: HashMap<Uuid, Vec<repo::TermsAt>>,
    prices: HashMap<Uuid, Vec<PlanPrice>>,
    options: HashMap<Uuid, OptionRules>,
    rounding: RoundingRule,
    tz: Tz,
    cache: HashMap<TariffKey, Priced>,
}

impl Book {
    pub async fn load(
        tx: &mut TenantTx,
        tenant: Uuid,
        contracts: &[Uuid],
        rounding: RoundingRule,
        tz: Tz,
    ) -> Result<Self> {
        let mut terms: HashMap<Uuid, Vec<repo::TermsAt>> = HashMap::new();
        for t in repo::terms_history(tx, tenant, contracts).await? {
            terms.entry(t.contract_id).or_default().push(t);
        }
        let terms_list = || terms.values().flatten();
        let plans: BTreeSet<Uuid> = terms_list().map(|t| t.plan_id).collect();
        let plans: Vec<Uuid> = plans.into_iter().collect();
        let mut prices: HashMap<Uuid, Vec<PlanPrice>> = HashMap::new();
        for p in repo::prices_of_plans(tx, &plans).await? {
            prices.entry(p.plan_id).or_default().push(p);
        }
        let option_ids: BTreeSet<Uuid> = terms_list().flat_map(|t| t.option_ids.clone()).collect();
        let option_ids: Vec<Uuid> = option_ids.into_iter().collect();
        let mut options = HashMap::new();
        for (id, v) in repo::option_rules(tx, &option_ids).await? {
            let r = OptionRules::parse(&v, "option.rating")
                .map_err(|e| Error::internal(format!("option {id}: {}: {}", e.field, e.reason)))?;
            options.insert(id, r);
        }
        Ok(Self {
            terms,
            prices,
            options,
            rounding,
            tz,
            cache: HashMap::new(),
        })
    }

    /// The tariff of a contract at an instant: its terms then, and of their plan the price
    /// version in force then.
    pub fn priced(&mut self, contract: Uuid, at: chrono::DateTime<chrono::Utc>) -> Result<&Priced> {
        let history = self
            .terms
            .get(&contract)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::internal(format!("contract {contract} is not readable")))?;
        // The latest terms that started at or before `at` (the first if none did).
        let index = history
            .iter()
            .rposition(|t| t.valid_from.is_none_or(|from| from <= at))
            .unwrap_or(0);
        let terms = &history[index];
        let versions = self
            .prices
            .get(&terms.plan_id)
            .ok_or_else(|| Error::internal(format!("plan {} has no price", terms.plan_id)))?;
        let base = versions
            .iter()
            .position(|p| p.id == terms.plan_price_id)
            .ok_or_else(|| Error::internal("the contract's price version is missing"))?;
        let v: Vec<Version> = versions
            .iter()
            .map(|p| Version {
                valid_from: p.valid_from,
                applies: Applies::parse(&p.applies).unwrap_or(Applies::Immediately),
            })
            .collect();
        let p = &versions[pricing::in_force(&v, base, at, self.tz)];
        let key = (contract, index, p.id);
        if !self.cache.contains_key(&key) {
            let rules = PriceRules::parse(&p.rating, "rating").map_err(|e| {
                Error::internal(format!("price {}: {}: {}", p.id, e.field, e.reason))
            })?;
            let opts: Vec<OptionRules> = terms
                .option_ids
                .iter()
                .filter_map(|o| self.options.get(o).cloned())
                .collect();
            let tariff = rules::tariff(&columns(p), &rules, &opts, self.rounding);
            tariff
                .check()
                .map_err(|e| Error::internal(format!("price {}: {}", p.id, e.0)))?;
            self.cache.insert(
                key,
                Priced {
                    key,
                    tariff,
                    rules,
                    price_id: p.id,
                    currency: p.currency.clone(),
                },
            );
        }
        Ok(&self.cache[&key])
    }

    /// Whether the contract was in service before `period` began (its first day, local).
    pub fn served_before(&self, contract: Uuid, period: NaiveDate) -> bool {
        self.terms
            .get(&contract)
            .and_then(|h| h.first())
            .and_then(|t| t.started_at)
            .is_some_and(|s| s.with_timezone(&self.tz).date_naive() < period)
    }

    /// A tariff [`Book::priced`] already built.
    pub fn built(&self, key: &TariffKey) -> Result<&Priced> {
        self.cache
            .get(key)
            .ok_or_else(|| Error::internal("a tariff was not built before rating"))
    }
}

fn columns(p: &PlanPrice) -> PriceColumns {
    PriceColumns {
        data_mb: p.data_mb,
        voice_min: i64::from(p.voice_min),
        sms: i64::from(p.sms),
        overage_data_per_gb: p.overage_data_per_gb,
        overage_voice_per_min: p.overage_voice_per_min,
        overage_sms: p.overage_sms,
    }
}
