//! An activity whose error type is not a `std::error::Error`: one error, at
//! the return type, saying what an activity's error may be.

use workflow::Engine;

#[derive(Debug)]
pub struct Declined {
    pub code: u32,
}

#[workflow::activity]
async fn charge(amount: u64) -> Result<u64, Declined> {
    match amount {
        0 => Err(Declined { code: 51 }),
        n => Ok(n),
    }
}

fn register(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let _worker = engine.worker("payments").activity(charge).start()?;
    Ok(())
}

fn main() {
    let _ = register;
}
