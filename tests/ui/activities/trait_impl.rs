//! Activities are the methods of an inherent impl, not of a trait's.

pub trait Charge {
    fn charge(&self, cents: u64) -> u64;
}

pub struct Payments;

#[workflow::activities]
impl Charge for Payments {
    fn charge(&self, cents: u64) -> u64 {
        cents
    }
}

fn main() {
    let _ = Payments.charge(1);
}
