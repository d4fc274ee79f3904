use workflow::WorkflowContext;

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::query]
    fn next(&mut self) -> u32 {
        self.value += 1;
        self.value
    }
}

fn main() {}
