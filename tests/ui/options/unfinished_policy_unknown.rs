use workflow::WorkflowContext;

#[derive(Default)]
struct Jobs;

#[workflow::defn]
impl Jobs {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal(unfinished_policy = "ignore")]
    async fn work(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::update(unfinished_policy = true)]
    async fn finish(_ctx: &mut WorkflowContext<Self>) {}
}

fn main() {}
