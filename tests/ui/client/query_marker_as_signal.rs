use workflow::{WorkflowContext, WorkflowHandle};

#[derive(Default)]
struct Greeting {
    greetings: Vec<String>,
}

#[workflow::defn]
impl Greeting {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::query]
    fn greetings(&self) -> Vec<String> {
        self.greetings.clone()
    }
}

async fn calls(handle: WorkflowHandle<Greeting>) {
    handle.signal(Greeting::greetings, ()).await.unwrap();
}

fn main() {
    let _ = calls;
}
