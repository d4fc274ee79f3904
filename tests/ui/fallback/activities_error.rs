//! An activities block with a mistake is reported once; registering its
//! instance and calling its activities from a workflow add no errors.

use std::time::Duration;

use workflow::{ActivityOptions, Engine, WorkflowContext, WorkflowResult};

pub struct Payments;

#[workflow::activities]
impl Payments {
    fn charge(&self, cents: u64) -> u64 {
        cents
    }
}

#[derive(Default)]
struct Checkout;

#[workflow::defn]
impl Checkout {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, cents: u64) -> WorkflowResult<u64> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(5));
        ctx.execute_activity(Payments::charge, cents, options).await
    }
}

fn register(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let _worker = engine
        .worker("orders")
        .workflow::<Checkout>()
        .activities(Payments)
        .start()?;
    Ok(())
}

fn main() {
    let _ = register;
}
