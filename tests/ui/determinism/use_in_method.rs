use std::time::Duration;

use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Stamped {
    at: Option<std::time::SystemTime>,
}

#[workflow::defn]
impl Stamped {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        use tokio::time::sleep;
        sleep(Duration::from_secs(1)).await;
        ctx.sleep(Duration::from_secs(1)).await?;
        Ok(())
    }

    #[workflow::signal]
    fn stamp(&mut self) {
        use std::time::SystemTime as Clock;
        self.at = Some(Clock::now());
    }
}

fn main() {}
