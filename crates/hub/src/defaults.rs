//! The templates shipped with Tsunagi, in Japanese and English, for every known topic, a
//! digest of quota alerts and a generic one for any other topic. Each says what happened and
//! what to do next. Tenants override them per topic, channel and locale.

use crate::topics::{ENDPOINT_DISABLED, QUOTA};

/// Key of the digest template of a topic.
pub fn digest_topic(topic: &str) -> String {
    format!("{topic}#digest")
}

/// (topic, language, subject, body). `*` is the generic template.
const SHIPPED: &[(&str, &str, &str, &str)] = &[
    (
        "payment.failed",
        "ja",
        "【{{tenant.name}}】お支払いが確認できませんでした（{{data.amount|money}}）",
        "{{recipient.name}} 様\n\n請求書 {{data.invoice_id}} のお支払い（{{data.amount|money}}）が完了しませんでした。\n\n■ 次に行っていただくこと\nお支払い方法を更新してください: {{links.payment_method}}\n\n■ 今後の予定\n次回の自動再請求: {{data.next_retry_at|datetime}}\n{{data.suspension_deadline|datetime}} までにお支払いが確認できない場合、回線のご利用を停止します。\n\n{{tenant.name}}\n",
    ),
    (
        "payment.failed",
        "en",
        "[{{tenant.name}}] Your payment of {{data.amount|money}} failed",
        "Dear {{recipient.name}},\n\nThe payment of {{data.amount|money}} for invoice {{data.invoice_id}} did not go through.\n\nWhat to do next:\nUpdate your payment method: {{links.payment_method}}\n\nWhat happens next:\nWe will retry automatically on {{data.next_retry_at|datetime}}.\nIf no payment is received by {{data.suspension_deadline|datetime}}, your lines will be suspended.\n\n{{tenant.name}}\n",
    ),
    (
        "invoice.issued",
        "ja",
        "【{{tenant.name}}】{{data.period}}分のご請求（{{data.amount|money}}）",
        "{{recipient.name}} 様\n\n{{data.period}}分のご請求書 {{data.invoice_id}}（{{data.amount|money}}）を発行しました。\nお支払い期限: {{data.due_date|date}}\n\n請求書の確認: {{links.invoices}}\n\n{{tenant.name}}\n",
    ),
    (
        "invoice.issued",
        "en",
        "[{{tenant.name}}] Your invoice for {{data.period}} ({{data.amount|money}})",
        "Dear {{recipient.name}},\n\nInvoice {{data.invoice_id}} for {{data.period}} ({{data.amount|money}}) has been issued.\nDue date: {{data.due_date|date}}\n\nView your invoices: {{links.invoices}}\n\n{{tenant.name}}\n",
    ),
    (
        QUOTA,
        "ja",
        "【{{tenant.name}}】{{data.msisdn}} のデータ容量が{{data.threshold}}%に達しました",
        "{{recipient.name}} 様\n\n{{data.msisdn}} の今月（{{data.cycle}}）のデータ通信量が、ご契約容量の{{data.threshold}}%に達しました。\n{{#if data.used_mb}}使用量: {{data.used_mb}} MB / {{data.quota_mb}} MB\n{{/if}}\n■ 次に行っていただくこと\n容量を超えると通信速度が制限されます。データ追加オプションのお申し込みはこちら: {{links.line}}\n\n{{tenant.name}}\n",
    ),
    (
        QUOTA,
        "en",
        "[{{tenant.name}}] {{data.msisdn}} has used {{data.threshold}}% of its data",
        "Dear {{recipient.name}},\n\n{{data.msisdn}} has used {{data.threshold}}% of its data allowance for {{data.cycle}}.\n{{#if data.used_mb}}Used: {{data.used_mb}} MB of {{data.quota_mb}} MB\n{{/if}}\nWhat to do next:\nAbove the allowance the speed is reduced. Add data here: {{links.line}}\n\n{{tenant.name}}\n",
    ),
    (
        "quota.threshold_reached#digest",
        "ja",
        "【{{tenant.name}}】{{count}}回線がデータ容量の{{data.threshold}}%に達しました",
        "{{recipient.name}} 様\n\n次の{{count}}回線の今月（{{data.cycle}}）のデータ通信量が、ご契約容量の{{data.threshold}}%に達しました。\n{{#each items}}・{{this.msisdn}}\n{{/each}}\n■ 次に行っていただくこと\n容量を超えると通信速度が制限されます。回線ごとのデータ追加はこちら: {{links.lines}}\n\n{{tenant.name}}\n",
    ),
    (
        "quota.threshold_reached#digest",
        "en",
        "[{{tenant.name}}] {{count}} lines have used {{data.threshold}}% of their data",
        "Dear {{recipient.name}},\n\nThese {{count}} lines have used {{data.threshold}}% of their data allowance for {{data.cycle}}:\n{{#each items}}- {{this.msisdn}}\n{{/each}}\nWhat to do next:\nAbove the allowance the speed is reduced. Add data per line here: {{links.lines}}\n\n{{tenant.name}}\n",
    ),
    (
        "incident.outage",
        "ja",
        "【障害】{{data.title}}",
        "{{data.started_at|datetime}} から {{data.area}} で障害が発生しています（状況: {{data.status}}）。\n次回の更新予定: {{data.next_update_at|datetime}}\n\n■ 次に行っていただくこと\nお客様からのお問い合わせには障害 {{data.incident_id}} としてご案内ください: {{links.incident}}\n",
    ),
    (
        "incident.outage",
        "en",
        "[Outage] {{data.title}}",
        "Since {{data.started_at|datetime}} there is an outage in {{data.area}} (status: {{data.status}}).\nNext update expected: {{data.next_update_at|datetime}}\n\nWhat to do next:\nRefer customers who call to incident {{data.incident_id}}: {{links.incident}}\n",
    ),
    (
        "line.status_changed",
        "ja",
        "【{{tenant.name}}】回線 {{data.after.msisdn}} の状態が「{{data.after.status}}」になりました",
        "{{recipient.name}} 様\n\n回線 {{data.after.msisdn}} の状態が「{{data.before.status}}」から「{{data.after.status}}」に変わりました。\n{{#if data.after.status_reason}}理由: {{data.after.status_reason}}\n{{/if}}\n■ 次に行っていただくこと\nお心当たりがない場合や再開をご希望の場合は、こちらからご確認ください: {{links.line}}\n\n{{tenant.name}}\n",
    ),
    (
        "line.status_changed",
        "en",
        "[{{tenant.name}}] Line {{data.after.msisdn}} is now {{data.after.status}}",
        "Dear {{recipient.name}},\n\nLine {{data.after.msisdn}} changed from {{data.before.status}} to {{data.after.status}}.\n{{#if data.after.status_reason}}Reason: {{data.after.status_reason}}\n{{/if}}\nWhat to do next:\nIf you did not expect this, or want the line resumed, check here: {{links.line}}\n\n{{tenant.name}}\n",
    ),
    (
        "approval.requested",
        "ja",
        "承認依頼: {{data.after.action}}",
        "{{data.after.requested_by}} さんから「{{data.after.action}}」の承認依頼が届きました。\n理由: {{data.after.reason}}\n期限: {{data.after.expires_at|datetime}}\n\n■ 次に行っていただくこと\n承認キューで承認または却下してください: {{links.approvals}}\n",
    ),
    (
        "approval.requested",
        "en",
        "Approval requested: {{data.after.action}}",
        "{{data.after.requested_by}} asks for approval of {{data.after.action}}.\nReason: {{data.after.reason}}\nExpires: {{data.after.expires_at|datetime}}\n\nWhat to do next:\nApprove or reject it in the approvals queue: {{links.approvals}}\n",
    ),
    (
        "order.completed",
        "ja",
        "注文が完了しました（{{data.after.kind}}）",
        "注文 {{event.aggregate_id}}（{{data.after.kind}}）が完了しました。\n詳細: {{links.order}}\n",
    ),
    (
        "order.completed",
        "en",
        "Order completed ({{data.after.kind}})",
        "Order {{event.aggregate_id}} ({{data.after.kind}}) is complete.\nDetails: {{links.order}}\n",
    ),
    (
        "order.failed",
        "ja",
        "注文が失敗しました（{{data.after.kind}}）",
        "注文 {{event.aggregate_id}}（{{data.after.kind}}）が失敗しました。\n{{#if data.after.status_reason}}理由: {{data.after.status_reason}}\n{{/if}}\n■ 次に行っていただくこと\n内容を確認し、必要なら再注文してください: {{links.order}}\n",
    ),
    (
        "order.failed",
        "en",
        "Order failed ({{data.after.kind}})",
        "Order {{event.aggregate_id}} ({{data.after.kind}}) failed.\n{{#if data.after.status_reason}}Reason: {{data.after.status_reason}}\n{{/if}}\nWhat to do next:\nReview it and place it again if needed: {{links.order}}\n",
    ),
    (
        "kyc.status_changed",
        "ja",
        "本人確認の状況: {{data.after.kyc_status}}",
        "{{recipient.name}} 様\n\n本人確認の状況が「{{data.after.kyc_status}}」になりました。\n\n■ 次に行っていただくこと\n詳細はこちらでご確認ください: {{links.portal}}\n",
    ),
    (
        "kyc.status_changed",
        "en",
        "Identity verification: {{data.after.kyc_status}}",
        "Dear {{recipient.name}},\n\nYour identity verification is now {{data.after.kyc_status}}.\n\nWhat to do next:\nSee the details here: {{links.portal}}\n",
    ),
    (
        ENDPOINT_DISABLED,
        "ja",
        "【{{tenant.name}}】Webhook エンドポイントを停止しました",
        "Webhook エンドポイント {{data.url}} への配信を停止しました。\n理由: {{data.reason}}\n\n■ 次に行っていただくこと\n受信側を修正してからエンドポイントを再開し、失敗した配信を再送してください: {{links.webhooks}}\n",
    ),
    (
        ENDPOINT_DISABLED,
        "en",
        "[{{tenant.name}}] A webhook endpoint was disabled",
        "Deliveries to the webhook endpoint {{data.url}} have been stopped.\nReason: {{data.reason}}\n\nWhat to do next:\nFix the receiver, re-enable the endpoint and replay the failed messages: {{links.webhooks}}\n",
    ),
    (
        "*",
        "ja",
        "【{{tenant.name}}】{{event.topic}}",
        "{{event.topic}}: {{event.aggregate_type}} {{event.aggregate_id}}\n詳細: {{links.portal}}\n",
    ),
    (
        "*",
        "en",
        "[{{tenant.name}}] {{event.topic}}",
        "{{event.topic}}: {{event.aggregate_type}} {{event.aggregate_id}}\nDetails: {{links.portal}}\n",
    ),
];

/// The shipped (subject, body) for a topic (or a `#digest` key) and language code;
/// falls back to the generic template.
pub fn shipped(topic: &str, lang: &str) -> (&'static str, &'static str) {
    let find = |t: &str| {
        SHIPPED
            .iter()
            .find(|(tt, l, _, _)| *tt == t && *l == lang)
            .map(|(_, _, s, b)| (*s, *b))
    };
    find(topic)
        .or_else(|| find("*"))
        .unwrap_or(("{{event.topic}}", "{{event.topic}}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Env, Lang, Template};
    use crate::topics::{KNOWN, sample_payload};
    use serde_json::json;

    /// Every shipped template parses and renders against the topic's sample data.
    #[test]
    fn every_shipped_template_renders_its_sample() {
        for topic in KNOWN
            .iter()
            .copied()
            .chain(["quota.threshold_reached#digest", "other.topic"])
        {
            let base = topic.trim_end_matches("#digest");
            let data = sample_payload(base);
            for lang in [Lang::Ja, Lang::En] {
                let ctx = json!({
                    "event": {"id": "e", "topic": base, "aggregate_type": "x", "aggregate_id": "1", "time": "2026-11-21T00:00:00Z"},
                    "data": data, "tenant": {"name": "Sakura"}, "recipient": {"name": "Hanako"},
                    "links": crate::plan::links("https://portal.example", None, &data),
                    "items": [data.clone(), data.clone()], "count": 2,
                });
                let (s, b) = shipped(topic, lang.code());
                let env = Env {
                    lang,
                    tz: chrono_tz::Asia::Tokyo,
                };
                for src in [s, b] {
                    let out = Template::parse(src).expect(topic).render(&ctx, env);
                    assert!(out.is_ok(), "{topic}/{lang:?}: {out:?}");
                }
            }
        }
    }

    #[test]
    fn payment_failed_says_what_to_do_next() {
        let data = sample_payload("payment.failed");
        let ctx = json!({"data": data, "tenant": {"name": "Sakura"}, "recipient": {"name": "田中"},
            "links": {"payment_method": "https://portal.example/billing/payment-method"}});
        let (_, b) = shipped("payment.failed", "ja");
        let env = Env {
            lang: Lang::Ja,
            tz: chrono_tz::Asia::Tokyo,
        };
        let out = Template::parse(b).expect("p").render(&ctx, env).expect("r");
        assert!(out.contains("5,280円"));
        assert!(out.contains("https://portal.example/billing/payment-method"));
        assert!(
            out.contains("2026年11月24日 19:00"),
            "next retry in JST: {out}"
        );
        assert!(
            out.contains("2026年12月1日 09:00"),
            "suspension deadline: {out}"
        );
    }
}
