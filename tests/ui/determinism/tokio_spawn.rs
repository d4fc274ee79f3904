use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Spawner;

#[workflow::defn]
impl Spawner {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let task = tokio::spawn(async { 1 + 1 });
        drop(task);
        Ok(())
    }

    #[workflow::signal]
    fn fork(&mut self) {
        std::thread::spawn(|| {});
    }
}

fn main() {}
