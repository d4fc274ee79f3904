//! Each argument and result of an activity has one concrete type.

pub struct Payments;

#[workflow::activities]
impl Payments {
    async fn charge<T: Into<u64>>(&self, cents: T) -> u64 {
        cents.into()
    }
}

fn main() {}
