//! The default roles, each with the purpose an admin reads before granting it. The rules
//! themselves are in policy.csv.

#[derive(Debug, Clone, Copy)]
pub struct RoleInfo {
    pub name: &'static str,
    pub purpose: &'static str,
    /// Only meaningful in the platform tenant.
    pub platform_only: bool,
}

pub const DEFAULT_ROLES: &[RoleInfo] = &[
    RoleInfo {
        name: "platform_operator",
        purpose: "Runs the platform: creates, suspends and resumes tenants; no tenant business data.",
        platform_only: true,
    },
    RoleInfo {
        name: "tenant_admin",
        purpose: "Owns a tenant: users, roles, API keys, policies, resellers and every domain object.",
        platform_only: false,
    },
    RoleInfo {
        name: "sales",
        purpose: "Sells: catalog, customers, contracts and orders.",
        platform_only: false,
    },
    RoleInfo {
        name: "support",
        purpose: "Answers customers: reads the ledger with masked identifiers, handles tickets, requests line operations.",
        platform_only: false,
    },
    RoleInfo {
        name: "billing",
        purpose: "Money: usage, rating, invoices, payments, dunning and partner commissions.",
        platform_only: false,
    },
    RoleInfo {
        name: "usage_feed",
        purpose: "A system feeding usage records (an API key for the carrier's mediation): submits usage and nothing else.",
        platform_only: false,
    },
    RoleInfo {
        name: "approver",
        purpose: "The second person: approves or rejects critical operations requested by others.",
        platform_only: false,
    },
    RoleInfo {
        name: "auditor",
        purpose: "Reads everything and verifies the audit chain; changes nothing.",
        platform_only: false,
    },
    RoleInfo {
        name: "customer_admin",
        purpose: "A business customer's administrator: the company's contracts, lines and invoices; may request suspend/resume.",
        platform_only: false,
    },
    RoleInfo {
        name: "customer_user",
        purpose: "One person on one line: sees that line only.",
        platform_only: false,
    },
];

pub fn is_default_role(name: &str) -> bool {
    DEFAULT_ROLES.iter().any(|r| r.name == name)
}

/// A role name a tenant may define: lowercase, digits and underscores.
pub fn valid_role_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && name.as_bytes()[0].is_ascii_lowercase()
}
