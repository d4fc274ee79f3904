use workflow::WorkflowContext;

#[derive(Default)]
struct Counter;

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::run]
    async fn run_again(_ctx: &mut WorkflowContext<Self>) {}
}

fn main() {}
