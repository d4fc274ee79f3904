//! An activity returning a type without serde derives: one error, at the
//! type. (A workflow calling it with `ctx.execute_activity` is told at the
//! call as well: `execute_activity` itself requires a result it can decode.)

use workflow::Engine;

pub struct Receipt {
    pub id: u64,
}

#[workflow::activity]
async fn charge(amount: u64) -> Receipt {
    Receipt { id: amount }
}

fn register(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let _worker = engine.worker("payments").activity(charge).start()?;
    Ok(())
}

fn main() {
    let _ = register;
}
