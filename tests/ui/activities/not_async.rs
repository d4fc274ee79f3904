//! Every method of an `#[workflow::activities]` block is an activity, and
//! activities are `async fn`s.

pub struct Payments;

#[workflow::activities]
impl Payments {
    fn charge(&self, cents: u64) -> u64 {
        cents
    }
}

fn main() {}
