//! Inventory: numbers, SIMs, eSIM profiles, devices — added in batches, listed, secrets read.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::pagination::{IdCursor, forward_connection, forward_page};
use crate::types::ledger::{EsimStatus, NumberStatus, SimStatus};
use crate::types::ledger_lines::{Device, EsimProfile, Number, Sim};
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use tsunagi_app::inventory::{self, SimInput};
use tsunagi_core::states::StateMachine;

#[derive(InputObject)]
pub struct NumbersAddInput {
    /// E.164 (`+81 90-1234-5678`) or national (`090-1234-5678`).
    pub items: Vec<String>,
}

#[derive(InputObject)]
pub struct SimItem {
    pub iccid: String,
    pub imsi: String,
    pub pin: Option<String>,
    pub puk: Option<String>,
}

#[derive(InputObject)]
pub struct SimsAddInput {
    pub items: Vec<SimItem>,
}

#[derive(InputObject)]
pub struct EsimItem {
    pub iccid: String,
    pub imsi: String,
    /// `LPA:1$<SM-DP+ address>$<matching id>`; stored encrypted.
    pub activation_code: String,
}

#[derive(InputObject)]
pub struct EsimProfilesAddInput {
    pub items: Vec<EsimItem>,
}

#[derive(InputObject)]
pub struct DeviceItem {
    pub imei: String,
    pub model: String,
}

#[derive(InputObject)]
pub struct DevicesAddInput {
    pub items: Vec<DeviceItem>,
}

#[derive(InputObject)]
pub struct EsimProfileStatusInput {
    pub id: ID,
    /// DOWNLOADED, INSTALLED or DELETED (as the SM-DP+ reports); the profile's state machine decides.
    pub status: EsimStatus,
}

#[derive(SimpleObject)]
pub struct EsimProfilePayload {
    pub esim_profile: EsimProfile,
}

#[derive(SimpleObject)]
pub struct BatchPayload {
    /// How many were added (all or none).
    pub added: i64,
}

#[derive(SimpleObject)]
pub struct SimSecrets {
    pub pin: Option<String>,
    pub puk: Option<String>,
}

#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    async fn numbers(
        &self,
        ctx: &Context<'_>,
        status: Option<NumberStatus>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<Number>> {
        let (app, c) = app_ctx(ctx)?;
        let st: Option<tsunagi_core::states::NumberState> = status.map(Into::into);
        let after = after.map(|a| a.trim_start_matches('+').to_owned());
        let rows = inventory::number_list(
            app,
            &c,
            st.map(|s| s.as_str()),
            after.as_deref(),
            i64::from(first.unwrap_or(100).clamp(1, 500)),
        )
        .await
        .gql()?;
        rows.into_iter().map(Number::of).collect()
    }
    async fn sims(
        &self,
        ctx: &Context<'_>,
        status: Option<SimStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, Sim, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let st: Option<tsunagi_core::states::SimState> = status.map(Into::into);
        let rows = inventory::sim_list(app, &c, st.map(|s| s.as_str()), page)
            .await
            .gql()?;
        let unmask = inventory::can_unmask(app, &c).await.gql()?;
        Ok(forward_connection(
            rows,
            page,
            |r| r.id,
            |row| Sim { row, unmask },
        ))
    }
    async fn esim_profiles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, EsimProfile, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let rows = inventory::esim_list(app, &c, page).await.gql()?;
        let unmask = inventory::can_unmask(app, &c).await.gql()?;
        Ok(forward_connection(
            rows,
            page,
            |r| r.id,
            |row| EsimProfile { row, unmask },
        ))
    }
    async fn devices(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, Device, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let rows = inventory::device_list(app, &c, page).await.gql()?;
        let unmask = inventory::can_unmask(app, &c).await.gql()?;
        Ok(forward_connection(
            rows,
            page,
            |r| r.id,
            |row| Device { row, unmask },
        ))
    }
    /// A SIM's PIN and PUK (decrypted; the reading is audited).
    async fn sim_secrets(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SimSecrets> {
        let (app, c) = app_ctx(ctx)?;
        let (pin, puk) = tsunagi_app::inventory_secrets::sim_secrets(app, &c, parse_id(&id, "id")?)
            .await
            .gql()?;
        Ok(SimSecrets { pin, puk })
    }
    /// How a line's customer installs its eSIM: the SM-DP+'s activation code (also the QR
    /// code's payload) once the profile is confirmed. For the line's own customer
    /// (self-service) and staff who may read stock secrets; the reading is audited.
    async fn line_esim_activation(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
    ) -> async_graphql::Result<EsimActivation> {
        let (app, c) = app_ctx(ctx)?;
        let a = tsunagi_app::carrier::esim::activation(app, &c, parse_id(&line_id, "lineId")?)
            .await
            .gql()?;
        Ok(EsimActivation {
            qr_payload: a.activation_code.clone(),
            activation_code: a.activation_code,
            status: EsimStatus::of(&a.status)?,
            confirmed_at: a.confirmed_at,
        })
    }
    /// An eSIM profile's activation code (decrypted; the reading is audited).
    async fn esim_activation_code(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<String> {
        let (app, c) = app_ctx(ctx)?;
        tsunagi_app::inventory_secrets::esim_activation_code(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
    }
}

/// How a customer installs a line's eSIM.
#[derive(SimpleObject)]
pub struct EsimActivation {
    /// `LPA:1$<SM-DP+ address>$<matching ID>` (GSMA SGP.22), typed into the phone's
    /// eSIM settings.
    pub activation_code: String,
    /// What the QR code encodes (the same string).
    pub qr_payload: String,
    pub status: EsimStatus,
    pub confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    async fn numbers_add(
        &self,
        ctx: &Context<'_>,
        input: NumbersAddInput,
    ) -> async_graphql::Result<BatchPayload> {
        let (app, c) = app_ctx(ctx)?;
        let n = inventory::numbers_add(app, &c, &input.items).await.gql()?;
        Ok(BatchPayload { added: n as i64 })
    }
    async fn sims_add(
        &self,
        ctx: &Context<'_>,
        input: SimsAddInput,
    ) -> async_graphql::Result<BatchPayload> {
        let (app, c) = app_ctx(ctx)?;
        let items: Vec<SimInput> = input
            .items
            .into_iter()
            .map(|s| SimInput {
                iccid: s.iccid,
                imsi: s.imsi,
                pin: s.pin,
                puk: s.puk,
            })
            .collect();
        let n = inventory::sims_add(app, &c, &items).await.gql()?;
        Ok(BatchPayload { added: n as i64 })
    }
    async fn esim_profiles_add(
        &self,
        ctx: &Context<'_>,
        input: EsimProfilesAddInput,
    ) -> async_graphql::Result<BatchPayload> {
        let (app, c) = app_ctx(ctx)?;
        let items: Vec<(String, String, String)> = input
            .items
            .into_iter()
            .map(|e| (e.iccid, e.imsi, e.activation_code))
            .collect();
        let n = inventory::esims_add(app, &c, &items).await.gql()?;
        Ok(BatchPayload { added: n as i64 })
    }
    async fn devices_add(
        &self,
        ctx: &Context<'_>,
        input: DevicesAddInput,
    ) -> async_graphql::Result<BatchPayload> {
        let (app, c) = app_ctx(ctx)?;
        let items: Vec<(String, String)> =
            input.items.into_iter().map(|d| (d.imei, d.model)).collect();
        let n = inventory::devices_add(app, &c, &items).await.gql()?;
        Ok(BatchPayload { added: n as i64 })
    }
    /// Releases a profile whose download failed at the SM-DP+ (ReleaseProfile), so the
    /// customer can download it again with the same activation code: FAILED → CONFIRMED.
    async fn esim_profile_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<EsimProfilePayload> {
        let (app, c) = app_ctx(ctx)?;
        let row = tsunagi_app::carrier::esim::release(app, &c, parse_id(&id, "id")?)
            .await
            .gql()?;
        let unmask = inventory::can_unmask(app, &c).await.gql()?;
        Ok(EsimProfilePayload {
            esim_profile: EsimProfile { row, unmask },
        })
    }
    /// Moves an eSIM profile along its lifecycle (allocated → downloaded → installed → deleted).
    async fn esim_profile_set_status(
        &self,
        ctx: &Context<'_>,
        input: EsimProfileStatusInput,
    ) -> async_graphql::Result<EsimProfilePayload> {
        let (app, c) = app_ctx(ctx)?;
        let row = inventory::esim_set_status(
            app,
            &c,
            parse_id(&input.id, "input.id")?,
            input.status.into(),
        )
        .await
        .gql()?;
        let unmask = inventory::can_unmask(app, &c).await.gql()?;
        Ok(EsimProfilePayload {
            esim_profile: EsimProfile { row, unmask },
        })
    }
}
