use workflow::WorkflowContext;

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal]
    fn add(&mut self, n: u32) {
        self.value += n;
    }

    #[workflow::signal(name = "add")]
    fn add_twice(&mut self, n: u32) {
        self.value += 2 * n;
    }

    // Another kind may reuse a name: no error.
    #[workflow::query(name = "add")]
    fn value(&self) -> u32 {
        self.value
    }
}

fn main() {}
