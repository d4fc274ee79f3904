use std::time::Duration;

use tokio::spawn;
use tokio::time::sleep;
use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Napper;

/// A helper of the module's own: called by a path, it is not taken for
/// Tokio's.
fn pause(_: Duration) {}

#[workflow::defn]
impl Napper {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        sleep(Duration::from_secs(1)).await;
        ctx.sleep(Duration::from_secs(1)).await?;
        self::pause(Duration::from_secs(1));
        Ok(())
    }

    #[workflow::signal]
    fn poke(&mut self) {
        let _ = spawn(async {});
    }
}

fn main() {}
