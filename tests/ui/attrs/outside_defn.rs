struct Counter {
    value: u32,
}

impl Counter {
    #[workflow::signal]
    fn add(&mut self, n: u32) {
        self.value += n;
    }

    #[workflow::query]
    fn value(&self) -> u32 {
        self.value
    }
}

#[workflow::run]
async fn run() {}

fn main() {
    let mut counter = Counter { value: 0 };
    counter.add(1);
    assert_eq!(counter.value(), 1);
    let _ = run();
}
