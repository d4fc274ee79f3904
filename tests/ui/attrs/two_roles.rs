use workflow::WorkflowContext;

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::update]
    #[workflow::signal]
    fn add(&mut self, n: u32) {
        self.value += n;
    }

    #[workflow::query]
    #[workflow::query]
    fn value(&self) -> u32 {
        self.value
    }
}

fn main() {}
