//! From events to delivery rows, for one tenant's batch in one transaction: each event is
//! decoded into the contract's `Event`; webhook subscriptions and routing rules pick the
//! targets; quota alerts are once-only; opt-outs skip non-critical alerts; digestible alerts
//! join a digest; everything else is rendered in the recipient's language and created
//! `pending`. Events already processed are left alone, so a redelivered event never creates
//! a second delivery.

use crate::message::{self, Templates, TenantInfo};
use crate::recipients::{self, Person};
use crate::store::{self, Delivery, EndpointRoute, NewDelivery, Rule};
use crate::topics::{self, DEFAULT_RULES};
use crate::{Envelope, Hub};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use tsunagi_core::events::{Event, Topic};
use tsunagi_core::{Result, TenantId};
use tsunagi_db::{Scope, TenantTx};
use uuid::Uuid;

const DUP: &str = "already alerted for this line, threshold and cycle";

/// One event of the batch, decoded against the contract.
struct Planned<'a> {
    ev: &'a Envelope,
    /// The typed event, or why the payload is not the topic's (a row older than the
    /// contract, say): such an event still reaches webhooks, but nothing is rendered.
    event: std::result::Result<Event, String>,
    critical: bool,
    duplicate: bool,
}

/// The tenant's routing inputs for the batch.
struct Inputs {
    info: TenantInfo,
    rules: Vec<Rule>,
    endpoints: Vec<EndpointRoute>,
    templates: Templates,
}

/// Who asked not to receive what: users' opt-outs (user, topic, channel) and addresses
/// unsubscribed by one-click link (address, topic).
struct OptOuts {
    users: HashSet<(Uuid, String, String)>,
    addresses: HashSet<(String, String)>,
}

impl OptOuts {
    fn excludes(&self, user: Option<Uuid>, address: &str, topic: &str, channel: &str) -> bool {
        [topic, "*"].iter().any(|tp| {
            user.is_some_and(|u| {
                self.users
                    .contains(&(u, (*tp).to_owned(), channel.to_owned()))
            }) || (channel == "email"
                && user.is_none()
                && self
                    .addresses
                    .contains(&(address.to_owned(), (*tp).to_owned())))
        })
    }
}

/// One (event, rule, person) to deliver to; no person for console alerts to a role.
struct Target<'a> {
    planned: &'a Planned<'a>,
    rule: &'a Rule,
    person: Option<Person>,
}

fn default_rules() -> Vec<Rule> {
    DEFAULT_RULES
        .iter()
        .map(|r| Rule {
            topic: r.topic.as_str().into(),
            audience: r.audience.into(),
            role: r.role.map(Into::into),
            channel: r.channel.into(),
            fallback_channel: None,
        })
        .collect()
}

async fn load_inputs(tx: &mut TenantTx) -> Result<Inputs> {
    let info = message::tenant_info(tx).await?;
    let mut rules = store::rules(tx).await?;
    if rules.is_empty() {
        rules = default_rules();
    }
    Ok(Inputs {
        info,
        rules,
        endpoints: store::endpoint_routes(tx).await?,
        templates: store::templates(tx).await?,
    })
}

async fn decode<'a>(tx: &mut TenantTx, ev: &'a Envelope) -> Result<Planned<'a>> {
    let event = Topic::parse(&ev.topic)
        .ok_or_else(|| format!("`{}` is not a topic of the contract", ev.topic))
        .and_then(|t| Event::decode(t, &ev.payload));
    let critical = event.as_ref().is_ok_and(Event::is_critical);
    let duplicate = match event.as_ref().ok().and_then(topics::quota_key) {
        Some(k) => !store::quota_mark(tx, &k, ev.id).await?,
        None => false,
    };
    Ok(Planned {
        ev,
        event,
        critical,
        duplicate,
    })
}

fn webhook_rows(inputs: &Inputs, p: &Planned) -> Vec<NewDelivery> {
    inputs
        .endpoints
        .iter()
        .filter(|e| e.topics.iter().any(|f| topics::matches(f, &p.ev.topic)))
        .map(|ep| NewDelivery {
            event_id: p.ev.id,
            topic: p.ev.topic.clone(),
            channel: "webhook".into(),
            recipient: ep.id.to_string(),
            user_id: None,
            endpoint_id: Some(ep.id),
            locale: None,
            subject: p.ev.topic.clone(),
            body: message::webhook_body(p.ev, &inputs.info, p.critical),
            critical: p.critical,
            status: if p.duplicate { "skipped" } else { "pending" },
            reason: p.duplicate.then(|| DUP.to_owned()),
            digest_id: None,
            fallback_channel: None,
            fallback_of: None,
        })
        .collect()
}

/// The people each matching rule reaches (staff by role are read once per batch).
async fn targets<'a>(
    tx: &mut TenantTx,
    inputs: &'a Inputs,
    planned: &'a [Planned<'a>],
) -> Result<Vec<Target<'a>>> {
    let mut staff: HashMap<String, Vec<Person>> = HashMap::new();
    let mut out = Vec::new();
    for p in planned {
        for rule in inputs
            .rules
            .iter()
            .filter(|r| topics::matches(&r.topic, &p.ev.topic))
        {
            if rule.channel == "console" {
                out.push(Target {
                    planned: p,
                    rule,
                    person: None,
                });
                continue;
            }
            let event = p.event.as_ref().ok();
            let people = match (rule.audience.as_str(), &rule.role, event) {
                ("role", Some(role), _) => {
                    if !staff.contains_key(role) {
                        let people = recipients::staff(tx, role).await?;
                        staff.insert(role.clone(), people);
                    }
                    staff[role].clone()
                }
                ("customer_admins", _, Some(e)) => match recipients::customer_of(tx, e).await? {
                    Some(c) => recipients::customer_admins(tx, c).await?,
                    None => vec![],
                },
                ("customer_users", _, Some(e)) => match e.facts().line_id() {
                    Some(l) => recipients::line_users(tx, l).await?,
                    None => vec![],
                },
                _ => vec![],
            };
            out.extend(people.into_iter().map(|person| Target {
                planned: p,
                rule,
                person: Some(person),
            }));
        }
    }
    Ok(out)
}

/// The delivery row for one person (or role console), rendered and with its status.
fn personal_row(hub: &Hub, inputs: &Inputs, t: &Target, opted: &OptOuts) -> NewDelivery {
    let (ev, critical) = (t.planned.ev, t.planned.critical);
    // Channel plugins render the e-mail templates (subject and body) and are never
    // digested; preferences (e-mail, console) do not apply to them.
    let channel: &str = match t.rule.channel.as_str() {
        "console" => "console",
        c if c.starts_with("plugin:") => c,
        _ => "email",
    };
    let plugin = channel.starts_with("plugin:");
    let template_channel = if plugin { "email" } else { channel };
    let (recipient, name, user_id, locale) = match &t.person {
        None => (
            format!("role:{}", t.rule.role.as_deref().unwrap_or("")),
            String::new(),
            None,
            None,
        ),
        Some(p) => (
            p.email
                .clone()
                .unwrap_or_else(|| format!("user:{}", p.user_id.unwrap_or_default())),
            p.name.clone(),
            p.user_id,
            p.locale.as_deref(),
        ),
    };
    let lang = message::lang_of(locale, &inputs.info);
    let rendered = match &t.planned.event {
        Ok(e) => {
            let ctx = message::context(&hub.cfg.portal_url, &inputs.info, ev, Some(e), &name);
            message::render(
                &inputs.templates,
                &inputs.info,
                &ev.topic,
                template_channel,
                lang,
                &ctx,
            )
            .map_err(|e| format!("template: {e}"))
        }
        Err(e) => Err(format!("payload: {e}")),
    };
    let (subject, body, render_err) = match rendered {
        Ok((s, b)) => (s, b, None),
        Err(e) => (ev.topic.clone(), String::new(), Some(e)),
    };
    let opted_out = opted.excludes(user_id, &recipient, &ev.topic, channel);
    let digested = Topic::parse(&ev.topic).is_some_and(topics::is_digested);
    let (status, reason) = if t.planned.duplicate {
        ("skipped", Some(DUP.to_owned()))
    } else if let Some(e) = render_err {
        ("failed", Some(e))
    } else if channel == "email" && t.person.as_ref().is_some_and(|p| p.email.is_none()) {
        (
            "skipped",
            Some("recipient has no e-mail address".to_owned()),
        )
    } else if opted_out && !critical {
        (
            "skipped",
            Some("recipient opted out of this topic on this channel".to_owned()),
        )
    } else if channel == "console" {
        ("delivered", None)
    } else if digested && !critical && !plugin {
        ("digested", None)
    } else {
        ("pending", None)
    };
    NewDelivery {
        event_id: ev.id,
        topic: ev.topic.clone(),
        channel: channel.to_owned(),
        recipient,
        user_id,
        endpoint_id: None,
        locale: Some(lang.code().to_owned()),
        subject,
        body,
        critical,
        status,
        reason,
        digest_id: None,
        fallback_channel: t.rule.fallback_channel.clone(),
        fallback_of: None,
    }
}

/// Puts a digested row into its open digest (one per topic, threshold, channel and
/// recipient within the window), opening the digest when it is the first.
async fn join_digest(
    tx: &mut TenantTx,
    digests: &mut HashMap<String, Uuid>,
    row: &mut NewDelivery,
    event: Option<&Event>,
    closes: DateTime<Utc>,
) -> Result<()> {
    let threshold = event.map(topics::digest_threshold).unwrap_or_default();
    let key = format!(
        "{}|{threshold}|{}|{}",
        row.topic, row.channel, row.recipient
    );
    let id = match digests.get(&key) {
        Some(id) => *id,
        None => {
            let lang = row.locale.clone().unwrap_or_default();
            let id = store::open_digest(tx, &key, row, &lang, closes).await?;
            digests.insert(key, id);
            id
        }
    };
    row.digest_id = Some(id);
    Ok(())
}

/// Marks processed, plans and stores one tenant's events; returns the deliveries to attempt.
pub async fn process_tenant(hub: &Hub, tenant: Uuid, events: &[Envelope]) -> Result<Vec<Delivery>> {
    let mut tx = TenantTx::begin(&hub.db, Scope::single(TenantId::from(tenant))).await?;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let fresh = store::take_unprocessed(&mut tx, &ids).await?;
    let mut planned = Vec::new();
    for ev in events.iter().filter(|e| fresh.contains(&e.id)) {
        planned.push(decode(&mut tx, ev).await?);
    }
    if planned.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let inputs = load_inputs(&mut tx).await?;
    let mut rows: Vec<NewDelivery> = planned
        .iter()
        .flat_map(|p| webhook_rows(&inputs, p))
        .collect();
    let targets = targets(&mut tx, &inputs, &planned).await?;
    let user_ids: Vec<Uuid> = targets
        .iter()
        .filter_map(|t| t.person.as_ref()?.user_id)
        .collect();
    let addresses: Vec<String> = targets
        .iter()
        .filter_map(|t| {
            t.person
                .as_ref()
                .filter(|p| p.user_id.is_none())?
                .email
                .clone()
        })
        .collect();
    let opted = OptOuts {
        users: store::opt_outs(&mut tx, &user_ids).await?,
        addresses: store::suppressions(&mut tx, &addresses).await?,
    };
    let now = Utc::now();
    let closes = now + chrono::Duration::seconds(hub.cfg.digest_window_secs as i64);
    let mut digests = HashMap::new();
    for t in &targets {
        let mut row = personal_row(hub, &inputs, t, &opted);
        if row.status == "digested" {
            let event = t.planned.event.as_ref().ok();
            join_digest(&mut tx, &mut digests, &mut row, event, closes).await?;
        }
        rows.push(row);
    }
    let lease = now + chrono::Duration::seconds(hub.cfg.lease_secs as i64);
    let created = store::insert_deliveries(&mut tx, &rows, lease).await?;
    for d in created
        .iter()
        .filter(|d| d.channel == "console" && d.status == "delivered")
    {
        store::notify_console(&mut tx, d).await?;
    }
    tx.commit().await?;
    Ok(created
        .into_iter()
        .filter(|d| d.status == "pending")
        .collect())
}
