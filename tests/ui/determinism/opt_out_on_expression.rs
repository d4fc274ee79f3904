use std::time::Duration;

use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Sleeper;

#[workflow::defn]
impl Sleeper {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        #[workflow::nondeterministic]
        std::thread::sleep(Duration::from_millis(1));
        Ok(())
    }
}

fn main() {}
