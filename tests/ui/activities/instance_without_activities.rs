//! `.activities(..)` takes an instance of a type whose impl block is
//! marked `#[workflow::activities]`.

use workflow::Engine;

pub struct Payments;

impl Payments {
    pub async fn charge(&self, cents: u64) -> u64 {
        cents
    }
}

fn register(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let _worker = engine.worker("orders").activities(Payments).start()?;
    Ok(())
}

fn main() {
    let _ = register;
}
