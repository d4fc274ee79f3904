//! The block holds activities only; constants and types go in another
//! impl block.

pub struct Payments;

#[workflow::activities]
impl Payments {
    const FEE: u64 = 30;

    async fn charge(&self, cents: u64) -> u64 {
        cents + 30
    }
}

fn main() {}
