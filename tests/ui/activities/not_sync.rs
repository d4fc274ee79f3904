//! A worker shares the instance between attempts running at once, on
//! several threads: the type must be `Sync`. Reported at the type, and at
//! each method, whose future holds `&self`.

use std::cell::Cell;

pub struct Counter {
    count: Cell<u64>,
}

#[workflow::activities]
impl Counter {
    async fn next(&self) -> u64 {
        self.count.set(self.count.get() + 1);
        self.count.get()
    }
}

fn main() {}
