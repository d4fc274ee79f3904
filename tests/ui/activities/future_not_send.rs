//! Activities run on a multi-threaded runtime: what a method holds across
//! an `.await` must be `Send`.

use std::rc::Rc;

pub struct Payments;

#[workflow::activities]
impl Payments {
    async fn charge(&self, cents: u64) -> u64 {
        let total = Rc::new(cents);
        tokio::task::yield_now().await;
        *total
    }
}

fn main() {}
