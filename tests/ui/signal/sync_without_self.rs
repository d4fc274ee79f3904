use workflow::WorkflowContext;

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> u32 {
        ctx.state(|s| s.value)
    }

    #[workflow::signal]
    fn reset() {}

    #[workflow::signal]
    fn add(ctx: &mut WorkflowContext<Self>, n: u32) {
        ctx.state_mut(|s| s.value += n);
    }
}

fn main() {}
