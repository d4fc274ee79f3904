use workflow::{WorkflowContext, WorkflowHandle};

#[derive(Default)]
struct Greeting;

#[workflow::defn]
impl Greeting {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal]
    fn submit(&mut self, _name: String) {}
}

#[derive(Default)]
struct Counter;

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal]
    fn add(&mut self, _n: u32) {}
}

async fn signal_greeting(handle: WorkflowHandle<Greeting>) {
    handle.signal(Counter::add, 1).await.unwrap();
}

fn main() {
    let _ = signal_greeting;
}
