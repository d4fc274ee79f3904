use workflow::{WorkflowContext, WorkflowResult};

/// Stands in for the `rand` crate: the lint goes by the path as written.
mod rand {
    pub fn random<T: Default>() -> T {
        T::default()
    }

    pub fn thread_rng() {}
}

use rand::thread_rng;

#[derive(Default)]
struct Dice {
    rolled: u64,
}

#[workflow::defn]
impl Dice {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u64> {
        let roll: u64 = rand::random();
        ctx.state_mut(|s| s.rolled = roll);
        Ok(roll)
    }

    #[workflow::query]
    fn peek(&self) -> u64 {
        thread_rng();
        self.rolled
    }
}

fn main() {}
