#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::signal]
    fn add(&mut self, n: u32) {
        self.value += n;
    }
}

fn main() {}
