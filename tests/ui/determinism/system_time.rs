use std::time::SystemTime;

use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Stamp {
    at: Option<SystemTime>,
}

#[workflow::defn]
impl Stamp {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let now = std::time::SystemTime::now();
        ctx.state_mut(|s| s.at = Some(now));
        Ok(())
    }

    #[workflow::signal]
    fn touch(&mut self) {
        self.at = Some(SystemTime::now());
    }
}

fn main() {}
