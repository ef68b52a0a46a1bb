//! The words of states and kinds as people read them (`{{ data.to | label }}`): line, order,
//! contract, KYC, approval, plan, eSIM and endpoint states, order and customer kinds. An
//! unknown word is shown as it is.

use crate::render::Lang;

const LABELS: &[(&str, &str, &str)] = &[
    // lines, contracts
    ("requested", "申込受付", "requested"),
    ("activating", "開通処理中", "activating"),
    ("active", "利用中", "active"),
    ("suspending", "停止処理中", "being suspended"),
    ("suspended", "利用停止中", "suspended"),
    ("resuming", "再開処理中", "being resumed"),
    ("terminating", "解約処理中", "being terminated"),
    ("terminated", "解約済み", "terminated"),
    ("pending", "応答待ち", "pending"),
    ("needs_review", "確認待ち", "needs review"),
    ("draft", "準備中", "draft"),
    // orders
    ("acknowledged", "受付済み", "acknowledged"),
    ("held", "保留中", "on hold"),
    ("in_progress", "処理中", "in progress"),
    ("completed", "完了", "completed"),
    ("failed", "失敗", "failed"),
    ("cancelled", "取消", "cancelled"),
    ("new_line", "新規回線", "new line"),
    ("suspend", "利用停止", "suspension"),
    ("resume", "利用再開", "resumption"),
    ("terminate", "解約", "termination"),
    ("plan_change", "プラン変更", "plan change"),
    ("option_add", "オプション追加", "option added"),
    ("option_remove", "オプション解除", "option removed"),
    ("sim_swap", "SIM交換", "SIM swap"),
    // carrier steps
    ("activate", "開通", "activation"),
    ("swap_sim", "SIM交換", "SIM swap"),
    ("set_speed_limit", "通信速度の変更", "speed limit change"),
    // KYC, approvals, plans
    ("not_started", "未提出", "not started"),
    ("submitted", "確認中", "submitted"),
    ("verified", "確認済み", "verified"),
    ("rejected", "差し戻し", "rejected"),
    ("executed", "実行済み", "carried out"),
    ("expired", "期限切れ", "expired"),
    ("retired", "販売終了", "retired"),
    // eSIM profiles, endpoints, tenants, customers
    ("available", "在庫", "in stock"),
    ("allocated", "割当済み", "allocated"),
    ("downloaded", "ダウンロード済み", "downloaded"),
    ("installed", "インストール済み", "installed"),
    ("deleted", "削除済み", "deleted"),
    ("enabled", "有効", "enabled"),
    ("disabled", "停止", "disabled"),
    ("mvno", "MVNO", "MVNO"),
    ("reseller", "再販事業者", "reseller"),
    ("individual", "個人", "individual"),
    ("business", "法人", "business"),
    // incidents
    ("investigating", "調査中", "investigating"),
    ("identified", "原因特定済み", "identified"),
    ("monitoring", "経過観察中", "monitoring"),
    ("resolved", "復旧", "resolved"),
];

/// The word in a language, or the word itself when it is not a known state or kind.
pub fn label(word: &str, lang: Lang) -> String {
    LABELS
        .iter()
        .find(|(w, _, _)| *w == word)
        .map(|(_, ja, en)| match lang {
            Lang::Ja => *ja,
            Lang::En => *en,
        })
        .unwrap_or(word)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsunagi_core::states::{LineState, OrderState, StateMachine};

    #[test]
    fn every_line_and_order_state_has_words() {
        for s in LineState::ALL.iter().map(|s| s.as_str()) {
            assert_ne!(label(s, Lang::Ja), s, "{s} has no Japanese label");
        }
        for s in OrderState::ALL.iter().map(|s| s.as_str()) {
            assert_ne!(label(s, Lang::Ja), s, "{s} has no Japanese label");
        }
        assert_eq!(label("something_else", Lang::En), "something_else");
    }
}
