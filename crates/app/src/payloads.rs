//! Event payloads from the app's rows: the one place where a stored row becomes the
//! contract's shape (camelCase, E.164 with `+`, money as `{minor, currency}`, resources by
//! id). Producers call these and wrap the result in the topic's `Event` variant.

use tsunagi_core::events as ev;
use tsunagi_db::repo::api_keys::ApiKey;
use tsunagi_db::repo::approvals::ApprovalRequest;
use tsunagi_db::repo::catalog::{Plan, PlanPrice};
use tsunagi_db::repo::contracts::Line;
use tsunagi_db::repo::orders::Order;
use tsunagi_db::repo::tenants::Tenant;
use tsunagi_db::repo::users::User;
use tsunagi_registry::store::VersionRow;

pub fn tenant_created(t: &Tenant) -> ev::TenantCreated {
    ev::TenantCreated {
        tenant_id: t.id,
        parent_id: t.parent_id,
        slug: t.slug.clone(),
        name: t.name.clone(),
        kind: t.kind.clone(),
        status: t.status.clone(),
    }
}

pub fn user(u: &User) -> ev::UserChanged {
    ev::UserChanged {
        user_id: u.id,
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        roles: u.roles.clone(),
        status: u.status.clone(),
        customer_id: u.customer_id,
        line_id: u.line_id,
        locale: u.locale.clone(),
    }
}

pub fn api_key(k: &ApiKey) -> ev::ApiKeyChanged {
    ev::ApiKeyChanged {
        api_key_id: k.id,
        name: k.name.clone(),
        roles: k.roles.clone(),
        created_by: k.created_by.clone(),
        expires_at: k.expires_at,
        revoked_at: k.revoked_at,
    }
}

pub fn price(p: &PlanPrice) -> ev::PriceVersion {
    ev::PriceVersion {
        price_id: p.id,
        monthly_fee: ev::Money {
            minor: p.monthly_fee,
            currency: p.currency.clone(),
        },
        data_mb: p.data_mb,
        voice_min: p.voice_min,
        sms: p.sms,
        valid_from: p.valid_from,
        applies: p.applies.clone(),
    }
}

pub fn plan(p: &Plan, first_price: Option<&PlanPrice>) -> ev::PlanChanged {
    ev::PlanChanged {
        plan_id: p.id,
        code: p.code.clone(),
        name: p.name.clone(),
        status: p.status.clone(),
        allowed_option_ids: p.allowed_options.clone(),
        price: first_price.map(price),
    }
}

pub fn line_status(
    l: &Line,
    from: &str,
    to: &str,
    reason: Option<String>,
) -> ev::LineStatusChanged {
    ev::LineStatusChanged {
        line_id: l.id,
        contract_id: l.contract_id,
        customer_id: l.customer_id,
        msisdn: ev::E164::from_digits(&l.msisdn),
        from: from.to_owned(),
        to: to.to_owned(),
        reason,
    }
}

pub fn line_created(l: &Line) -> ev::LineCreated {
    ev::LineCreated {
        line_id: l.id,
        contract_id: l.contract_id,
        customer_id: l.customer_id,
        msisdn: ev::E164::from_digits(&l.msisdn),
        status: l.status.clone(),
        sim_id: l.sim_id,
        esim_profile_id: l.esim_id,
        device_id: l.device_id,
    }
}

pub fn order(o: &Order) -> ev::OrderChanged {
    ev::OrderChanged {
        order_id: o.id,
        kind: o.kind.clone(),
        status: o.status.clone(),
        customer_id: o.customer_id,
        contract_id: o.contract_id,
        line_id: o.line_id,
        hold_reason: o.hold_reason.clone(),
        failure: o.failure.clone(),
        approval_id: o.approval_id,
    }
}

pub fn approval(a: &ApprovalRequest) -> ev::ApprovalChanged {
    ev::ApprovalChanged {
        approval_id: a.id,
        action: a.action.clone(),
        target_type: a.target_type.clone(),
        target_id: a.target_id.clone(),
        summary: a.summary.clone(),
        status: a.status.clone(),
        requested_by: a.requested_by_label.clone(),
        decided_by: a.decided_by_label.clone(),
        note: a.decision_note.clone(),
        failure: a.failure.clone(),
        expires_at: a.expires_at,
    }
}

/// The event shape of a stored plugin version.
pub fn plugin_version(r: &VersionRow) -> ev::PluginVersionChanged {
    ev::PluginVersionChanged {
        version_id: r.id,
        plugin: r.plugin_name.clone(),
        version: r.version.clone(),
        world: r.world.clone(),
        digest: r.digest.clone(),
        size_bytes: i64::from(r.size_bytes),
        manifest_revision: r.manifest_rev,
        secret_keys: r.secret_keys.clone(),
    }
}
