//! The shapes `#[workflow::activities]` accepts: a context or none, one
//! argument or several, any error, a renamed and a dynamic method, docs,
//! `crate = "..."`; registered with an instance or an `Arc` of one, called
//! through the markers named like the methods.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow::{ActivityContext, ActivityOptions, Engine, RawValue, WorkflowContext, WorkflowResult};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub cents: u64,
}

pub struct Payments {
    charged: AtomicU64,
    log: Mutex<Vec<String>>,
}

#[workflow::activities]
impl Payments {
    /// Charges the order.
    async fn charge(&self, ctx: ActivityContext, order: Order) -> anyhow::Result<String> {
        ctx.heartbeat(&order.id)?;
        self.charged.fetch_add(order.cents, Ordering::SeqCst);
        Ok(format!("receipt for {}", order.id))
    }

    async fn refund(&self, order: Order, cents: u64) -> Result<(), std::io::Error> {
        self.charged.fetch_sub(cents.min(order.cents), Ordering::SeqCst);
        Ok(())
    }

    #[workflow::activity(name = "Notify")]
    pub async fn notify(&self, to: String) -> String {
        self.log.lock().unwrap().push(to.clone());
        to
    }

    #[workflow::activity(dynamic)]
    async fn other(&self, name: String, args: Vec<RawValue>) -> String {
        format!("{name} with {} arguments", args.len())
    }
}

mod reexport {
    pub use workflow as wf;
}

pub struct Clock;

#[reexport::wf::activities(crate = "crate::reexport::wf")]
impl Clock {
    async fn tick(&self) -> u64 {
        1
    }
}

#[derive(Default)]
pub struct Checkout;

#[workflow::defn]
impl Checkout {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, order: Order) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        let receipt = ctx.execute_activity(Payments::charge, order.clone(), options.clone()).await?;
        ctx.execute_activity(Payments::refund, (order, 5), options.clone()).await?;
        let to: String = ctx.execute_activity(Payments::notify, receipt, options.clone()).await?;
        let ticks: u64 = ctx.execute_activity(Clock::tick, (), options).await?;
        Ok(format!("{to} {ticks}"))
    }
}

fn register(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let payments = Payments {
        charged: AtomicU64::new(0),
        log: Mutex::new(Vec::new()),
    };
    let _worker = engine
        .worker("orders")
        .workflow::<Checkout>()
        .activities(payments)
        .activities(Arc::new(Clock))
        .start()?;
    Ok(())
}

fn main() {
    let _ = register;
    assert_eq!(Payments::charge.name(), "charge");
    assert_eq!(Payments::notify.name(), "Notify");
    assert_eq!(Payments::charge.owner(), Some("Payments"));
    assert!(Payments::other.is_dynamic());
    assert_eq!(Clock::tick.owner(), Some("Clock"));
}
