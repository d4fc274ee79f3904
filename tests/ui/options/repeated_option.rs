use workflow::WorkflowContext;

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal(name = "a", name = "b")]
    fn add(&mut self, n: u32) {
        self.value += n;
    }

    #[workflow::update(unfinished_policy = "abandon", unfinished_policy = "abandon")]
    async fn reset(ctx: &mut WorkflowContext<Self>) {
        ctx.state_mut(|s| s.value = 0);
    }
}

#[workflow::activity(dynamic, dynamic)]
async fn any_activity(_name: String, _args: Vec<workflow::RawValue>) {}

fn main() {}
