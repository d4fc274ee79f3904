use std::thread;
use std::time::Duration;

use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Napper;

#[workflow::defn]
impl Napper {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        std::thread::sleep(Duration::from_secs(1));
        Ok(())
    }

    /// A plain helper runs inside workflow code too.
    fn nap(&self) {
        thread::sleep(Duration::from_millis(10));
    }
}

fn main() {}
