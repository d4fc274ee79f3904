use workflow::{WorkflowContext, WorkflowHandle};

#[derive(Default)]
struct Greeting {
    greetings: Vec<String>,
}

#[workflow::defn]
impl Greeting {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal]
    fn submit(&mut self, name: String) {
        self.greetings.push(name);
    }

    #[workflow::query]
    fn greeting(&self, index: usize) -> Option<String> {
        self.greetings.get(index).cloned()
    }

    #[workflow::update]
    fn clear(&mut self, keep: usize) -> usize {
        self.greetings.truncate(keep);
        self.greetings.len()
    }
}

async fn calls(handle: WorkflowHandle<Greeting>) {
    handle.signal(Greeting::submit, 42).await.unwrap();
    handle.query(Greeting::greeting, "first").await.unwrap();
    handle.execute_update(Greeting::clear, true).await.unwrap();
}

fn main() {
    let _ = calls;
}
