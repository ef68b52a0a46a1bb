//! Demo ledger data for sakura-mobile: a catalog, stock, customers with lines, a held order
//! and a pending approval, plus self-service logins — so the demo shows the whole ledger.
//! Idempotent: skipped when the tenant already has plans.

use crate::cli::system_ctx;
use crate::demo::DEMO_PASSWORD;
use anyhow::Result;
use tsunagi_app::catalog::{self, PriceInput};
use tsunagi_app::customers::{self, CustomerCreate};
use tsunagi_app::inventory::{self, SimInput};
use tsunagi_app::orders::{self, LineOp, NewLine};
use tsunagi_app::users::{self, UserCreate};
use tsunagi_app::{App, Ctx, approvals};
use tsunagi_core::identifiers::luhn_check_digit;
use tsunagi_core::{Actor, CustomerScope, Error};
use uuid::Uuid;

fn ops(e: Error) -> anyhow::Error {
    anyhow::anyhow!("{}", e.detail())
}

fn iccid(i: u32) -> String {
    let body = format!("898110{i:012}");
    format!("{body}{}", luhn_check_digit(&body))
}

fn price(fee: i64, data_mb: i64) -> PriceInput {
    PriceInput {
        monthly_fee: fee,
        data_mb,
        voice_min: 0,
        sms: 0,
        overage_data_per_gb: 550,
        overage_voice_per_min: 22,
        overage_sms: 3,
        valid_from: None,
        applies: "immediately".into(),
        rating: serde_json::json!({ "voiceIncrementSeconds": 30, "internationalSms": 100, "roaming": [{ "zone": "asia", "dataPerMb": 2, "voicePerMin": 140, "sms": 100 }] }),
    }
}

/// A second person for the demo's approvals.
async fn approver(app: &App, slug: &str) -> Result<Ctx> {
    let mut ctx = system_ctx(app, slug, Some("approver")).await?;
    ctx.principal.actor = Actor::System {
        label: "system:demo-approver".into(),
    };
    Ok(ctx)
}

async fn verified(
    app: &App,
    ctx: &Ctx,
    ok: &Ctx,
    kind: &str,
    name: &str,
    email: &str,
    phone: &str,
) -> Result<Uuid> {
    let input = CustomerCreate {
        kind: kind.into(),
        name: name.into(),
        email: Some(email.into()),
        phone: Some(phone.into()),
        billing_account_name: None,
        locale: None,
    };
    let (c, _) = customers::customer_create(app, ctx, input)
        .await
        .map_err(ops)?;
    customers::kyc_submit(app, ctx, c.id, Some("driver's licence received".into()))
        .await
        .map_err(ops)?;
    let a = customers::kyc_verify_request(app, ctx, c.id, None)
        .await
        .map_err(ops)?;
    approvals::approval_approve(app, ok, a.id, Some("documents match".into()))
        .await
        .map_err(ops)?;
    Ok(c.id)
}

pub async fn seed(app: &App) -> Result<()> {
    let slug = "sakura-mobile";
    let ctx = system_ctx(app, slug, None).await?;
    if !catalog::plan_list(app, &ctx, None)
        .await
        .map_err(ops)?
        .is_empty()
    {
        return Ok(());
    }
    let ok = approver(app, slug).await?;
    let calls = catalog::option_create(
        app,
        &ctx,
        "CALL-10",
        "10-minute calls",
        880,
        serde_json::json!({ "freeCallSeconds": 600 }),
    )
    .await
    .map_err(ops)?;
    // A data add-on customers buy in self-service when their month's data runs out.
    catalog::option_create(
        app,
        &ctx,
        "DATA-1G",
        "1 GB data charge",
        550,
        serde_json::json!({ "addOnMb": 1000 }),
    )
    .await
    .map_err(ops)?;
    let (basic, _) = catalog::plan_create(
        app,
        &ctx,
        "BASIC-3G",
        "Basic 3GB",
        vec![calls.id],
        price(2980, 3072),
    )
    .await
    .map_err(ops)?;
    let (big, _) = catalog::plan_create(
        app,
        &ctx,
        "BIG-20G",
        "Big 20GB",
        vec![calls.id],
        price(4980, 20480),
    )
    .await
    .map_err(ops)?;
    catalog::plan_set_status(
        app,
        &ctx,
        basic.id,
        tsunagi_core::states::PlanState::Active,
        basic.version,
    )
    .await
    .map_err(ops)?;
    catalog::plan_set_status(
        app,
        &ctx,
        big.id,
        tsunagi_core::states::PlanState::Active,
        big.version,
    )
    .await
    .map_err(ops)?;
    let numbers: Vec<String> = (0..20).map(|i| format!("+81 70-1000-{i:04}")).collect();
    inventory::numbers_add(app, &ctx, &numbers)
        .await
        .map_err(ops)?;
    let sims: Vec<SimInput> = (0..20)
        .map(|i| SimInput {
            iccid: iccid(i),
            imsi: format!("44010{i:010}"),
            pin: Some("0000".into()),
            puk: Some(format!("{:08}", 12345678 + i)),
        })
        .collect();
    inventory::sims_add(app, &ctx, &sims).await.map_err(ops)?;
    let esims: Vec<(String, String, String)> = (100..103)
        .map(|i| {
            (
                iccid(i),
                format!("44010{i:010}"),
                format!("LPA:1$smdp.sakura.example$DEMO-{i}"),
            )
        })
        .collect();
    inventory::esims_add(app, &ctx, &esims).await.map_err(ops)?;
    inventory::devices_add(
        app,
        &ctx,
        &[
            ("356938035643809".into(), "Pixel 8".into()),
            ("490154203237518".into(), "iPhone 15".into()),
        ],
    )
    .await
    .map_err(ops)?;

    let tanaka = verified(
        app,
        &ctx,
        &ok,
        "individual",
        "Tanaka Hanako",
        "hanako@tanaka.example",
        "090-1111-2222",
    )
    .await?;
    let osaka = verified(
        app,
        &ctx,
        &ok,
        "business",
        "Osaka Trading KK",
        "it@osaka-trading.example",
        "06-1234-5678",
    )
    .await?;
    let new_line = |customer: Uuid, plan: Uuid, iccid: Option<String>| NewLine {
        customer_id: customer,
        plan_id: plan,
        option_ids: vec![],
        msisdn: None,
        iccid,
        device_id: None,
        port_in: None,
    };
    let t_line = orders::order_new_line(app, &ctx, new_line(tanaka, basic.id, Some(iccid(0))))
        .await
        .map_err(ops)?;
    orders::order_new_line(app, &ctx, new_line(osaka, big.id, Some(iccid(1))))
        .await
        .map_err(ops)?;
    let o2 = orders::order_new_line(app, &ctx, new_line(osaka, big.id, None))
        .await
        .map_err(ops)?;
    // A customer whose KYC is still open: the order waits.
    let (pending, _) = customers::customer_create(
        app,
        &ctx,
        CustomerCreate {
            kind: "individual".into(),
            name: "Suzuki Ichiro".into(),
            email: Some("ichiro@suzuki.example".into()),
            phone: None,
            billing_account_name: None,
            locale: None,
        },
    )
    .await
    .map_err(ops)?;
    orders::order_new_line(app, &ctx, new_line(pending.id, basic.id, Some(iccid(2))))
        .await
        .map_err(ops)?;
    // A suspension waiting for a second person.
    if let Some(line) = o2.line_id {
        orders::line_op_request(
            app,
            &ctx,
            line,
            LineOp::Suspend,
            "the company reported the phone lost",
        )
        .await
        .map_err(ops)?;
    }
    // Self-service logins linked to their customers.
    let links = [
        (
            "boss@osaka-trading.example",
            "customer_admin",
            CustomerScope {
                customer_id: osaka,
                line_id: None,
            },
        ),
        (
            "hanako@tanaka.example",
            "customer_user",
            CustomerScope {
                customer_id: tanaka,
                line_id: t_line.line_id,
            },
        ),
    ];
    for (email, role, scope) in links {
        let input = UserCreate {
            email: email.into(),
            display_name: email.into(),
            password: DEMO_PASSWORD.into(),
            roles: vec![role.into()],
            customer: Some(scope),
            locale: None,
        };
        users::user_create(app, &ctx, input).await.map_err(ops)?;
    }
    Ok(())
}
