//! `#[workflow::activities]` goes on the impl block, not on the type or on
//! a function.

#[workflow::activities]
pub struct Payments {
    pub fee: u64,
}

#[workflow::activities]
async fn charge(cents: u64) -> u64 {
    cents
}

fn main() {
    let _ = Payments { fee: 30 };
    let _ = charge(1);
}
