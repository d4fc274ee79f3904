//! An associated function has no instance to run on: it can be a free
//! `#[workflow::activity]`.

pub struct Payments;

#[workflow::activities]
impl Payments {
    async fn rate(currency: String) -> u64 {
        currency.len() as u64
    }
}

fn main() {}
