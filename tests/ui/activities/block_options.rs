//! `#[workflow::activities]` takes only `crate = "..."`: names and
//! `dynamic` go on the methods.

pub struct Payments;

#[workflow::activities(name = "payments", dynamic)]
impl Payments {
    async fn charge(&self, cents: u64) -> u64 {
        cents
    }
}

fn main() {}
