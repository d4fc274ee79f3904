//! An activity returning a type without serde derives: one error, at the
//! type, however many workflows call it.

use std::time::Duration;

use workflow::{ActivityOptions, Engine, WorkflowContext, WorkflowResult};

pub struct Receipt {
    pub id: u64,
}

#[workflow::activity]
async fn charge(amount: u64) -> Receipt {
    Receipt { id: amount }
}

#[derive(Default)]
pub struct Checkout;

#[workflow::defn]
impl Checkout {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, amount: u64) -> WorkflowResult<u64> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        let receipt = ctx.execute_activity(charge, amount, options).await?;
        Ok(receipt.id)
    }
}

fn register(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let _worker = engine.worker("payments").workflow::<Checkout>().activity(charge).start()?;
    Ok(())
}

fn main() {
    let _ = register;
}
