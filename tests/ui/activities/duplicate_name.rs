//! Two activities of a block cannot share a name.

pub struct Payments;

#[workflow::activities]
impl Payments {
    async fn charge(&self, cents: u64) -> u64 {
        cents
    }

    #[workflow::activity(name = "charge")]
    async fn charge_again(&self, cents: u64) -> u64 {
        cents
    }
}

fn main() {}
