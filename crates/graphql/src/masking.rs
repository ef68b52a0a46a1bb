//! Masking at the edge: every `String` and `JSON` value the API returns, in queries,
//! mutations and subscriptions alike, passes the one masking rule
//! (`tsunagi_core::disclosure`) for the caller — identifier fields by name, JSON by key
//! (order inputs, audit before/after, samples), free text by shape (carrier answers,
//! reasons, alert bodies). Stored data, the hash-chained audit log included, stays as
//! written; what leaves depends on who asks. Typed identifier fields mask themselves too.

use crate::RequestCtx;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use std::sync::Arc;
use tokio::sync::OnceCell;
use tsunagi_app::App;
use tsunagi_core::disclosure::Disclosure;

pub struct Masking;

impl ExtensionFactory for Masking {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MaskingExt {
            rule: OnceCell::new(),
        })
    }
}

struct MaskingExt {
    /// Decided once per request (or per subscription connection).
    rule: OnceCell<Disclosure>,
}

impl MaskingExt {
    async fn rule(&self, ctx: &ExtensionContext<'_>) -> Disclosure {
        *self
            .rule
            .get_or_init(|| async {
                let app = ctx.data_opt::<App>();
                let principal = ctx
                    .data_opt::<RequestCtx>()
                    .and_then(|r| r.principal.as_ref());
                match (app, principal) {
                    (Some(app), Some(p)) => tsunagi_app::inventory::disclosure(app, p)
                        .await
                        .unwrap_or(Disclosure::MASKED),
                    _ => Disclosure::MASKED,
                }
            })
            .await
    }
}

/// Applies the rule to a resolved value of a field named `name`.
pub fn mask_value(rule: &Disclosure, name: &str, json: bool, v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(rule.field(name, &s)),
        Value::List(items) if !json => Value::List(
            items
                .into_iter()
                .map(|x| mask_value(rule, name, json, x))
                .collect(),
        ),
        v if json => match v.into_json() {
            Ok(mut j) => {
                rule.json(&mut j);
                Value::from_json(j).unwrap_or(Value::Null)
            }
            Err(_) => Value::Null,
        },
        v => v,
    }
}

#[async_trait::async_trait]
impl Extension for MaskingExt {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let base = info
            .return_type
            .trim_matches(|c| matches!(c, '!' | '[' | ']'));
        let json = base == "JSON";
        if !json && base != "String" {
            return next.run(ctx, info).await;
        }
        let name = info.name.to_owned();
        let v = next.run(ctx, info).await?;
        let rule = self.rule(ctx).await;
        Ok(v.map(|v| mask_value(&rule, &name, json, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_lists_and_json_are_masked() {
        let r = Disclosure::MASKED;
        let ic = "8981100000000123457";
        assert!(tsunagi_core::identifiers::luhn_valid(ic));
        let s = mask_value(&r, "iccid", false, Value::String(ic.into()));
        assert_eq!(s, Value::String("898110*********3457".into()));
        let list = mask_value(
            &r,
            "note",
            false,
            Value::List(vec![Value::String(format!("SIM {ic}"))]),
        );
        assert!(!list.to_string().contains(ic), "{list}");
        let j = Value::from_json(json!({"input": {"iccid": ic, "pin": "1234"}})).expect("value");
        let out = mask_value(&r, "input", true, j).into_json().expect("json");
        assert_eq!(out["input"]["pin"], "[redacted]");
        assert!(!out.to_string().contains(ic));
    }
}
