use workflow::WorkflowContext;

struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> u32 {
        ctx.state(|s| s.value)
    }
}

fn main() {}
