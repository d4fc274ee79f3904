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
    fn add(&mut self, n: u32) -> u32 {
        self.value += n;
        self.value
    }
}

fn main() {}
