//! Batch loading for lists (async-graphql DataLoaders, one set per request): a page of
//! lines asks for its contracts, customers, plans, SIMs and devices in one statement per
//! kind, a page of deliveries for all their attempts and a page of lines for all their
//! orders at once, instead of one read per row. The app's batch reads (`tsunagi_app::batch`)
//! apply the same scope as single reads: what a caller may not see is left out of the answer
//! (a single read says NOT_FOUND).
//! Loader tasks count their statements against the request (`x-sql-statements`).

use async_graphql::dataloader::{DataLoader, Loader};
use std::collections::HashMap;
use tsunagi_app::views::AttemptRow;
use tsunagi_app::views::catalog::Plan;
use tsunagi_app::views::contracts::Contract;
use tsunagi_app::views::customers::Customer;
use tsunagi_app::views::inventory::{Device, Sim};
use tsunagi_app::views::orders::Order;
use tsunagi_app::{App, Ctx, batch};
use tsunagi_core::Error;
use uuid::Uuid;

/// One kind of row, loaded in batches for one request's caller.
pub struct By<T> {
    app: App,
    ctx: Ctx,
    _kind: std::marker::PhantomData<fn() -> T>,
}

macro_rules! loader {
    ($row:ty, $fetch:path, $key:expr) => {
        impl Loader<Uuid> for By<$row> {
            type Value = $row;
            type Error = Error;
            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $row>, Error> {
                let rows = $fetch(&self.app, &self.ctx, keys).await?;
                Ok(rows.into_iter().map(|r| ($key(&r), r)).collect())
            }
        }
    };
}

loader!(Contract, batch::contracts, |r: &Contract| r.id);
loader!(Customer, batch::customers, |r: &Customer| r.id);
loader!(Plan, batch::plans, |r: &Plan| r.id);
loader!(Sim, batch::sims, |r: &Sim| r.id);
loader!(Device, batch::devices, |r: &Device| r.id);

/// The attempts of a delivery, by delivery.
pub struct Attempts {
    app: App,
    ctx: Ctx,
}

impl Loader<Uuid> for Attempts {
    type Value = Vec<AttemptRow>;
    type Error = Error;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<AttemptRow>>, Error> {
        let mut out: HashMap<Uuid, Vec<AttemptRow>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for (d, a) in batch::attempts(&self.app, &self.ctx, keys).await? {
            out.entry(d).or_default().push(a);
        }
        Ok(out)
    }
}

/// The orders of a line (its own and its contract's, newest first), by (line, contract).
pub struct LineOrders {
    app: App,
    ctx: Ctx,
}

impl Loader<(Uuid, Uuid)> for LineOrders {
    type Value = Vec<Order>;
    type Error = Error;
    async fn load(
        &self,
        keys: &[(Uuid, Uuid)],
    ) -> Result<HashMap<(Uuid, Uuid), Vec<Order>>, Error> {
        let mut out: HashMap<(Uuid, Uuid), Vec<Order>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for (k, o) in batch::orders_of_lines(&self.app, &self.ctx, keys).await? {
            out.entry(k).or_default().push(o);
        }
        Ok(out)
    }
}

/// The loaders of one request.
pub struct Loaders {
    pub contracts: DataLoader<By<Contract>>,
    pub customers: DataLoader<By<Customer>>,
    pub plans: DataLoader<By<Plan>>,
    pub sims: DataLoader<By<Sim>>,
    pub devices: DataLoader<By<Device>>,
    pub attempts: DataLoader<Attempts>,
    pub line_orders: DataLoader<LineOrders>,
}

fn spawn(f: futures_util::future::BoxFuture<'static, ()>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(tsunagi_app::in_request(f))
}

impl Loaders {
    pub fn new(app: &App, ctx: &Ctx) -> Self {
        fn by<T>(app: &App, ctx: &Ctx) -> By<T> {
            By {
                app: app.clone(),
                ctx: ctx.clone(),
                _kind: std::marker::PhantomData,
            }
        }
        Self {
            contracts: DataLoader::new(by(app, ctx), spawn),
            customers: DataLoader::new(by(app, ctx), spawn),
            plans: DataLoader::new(by(app, ctx), spawn),
            sims: DataLoader::new(by(app, ctx), spawn),
            devices: DataLoader::new(by(app, ctx), spawn),
            attempts: DataLoader::new(
                Attempts {
                    app: app.clone(),
                    ctx: ctx.clone(),
                },
                spawn,
            ),
            line_orders: DataLoader::new(
                LineOrders {
                    app: app.clone(),
                    ctx: ctx.clone(),
                },
                spawn,
            ),
        }
    }
}

/// The value of one key, or NOT_FOUND when the caller may not see it.
pub async fn one<T>(l: &DataLoader<T>, key: Uuid, what: &'static str) -> Result<T::Value, Error>
where
    T: Loader<Uuid, Error = Error>,
{
    l.load_one(key).await?.ok_or_else(|| Error::not_found(what))
}
