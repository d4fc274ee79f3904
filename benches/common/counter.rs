//! The `Counter` workflow of the performance workloads, shared by the bench
//! binary (`examples/bench.rs`) and the criterion benches.

use workflow::{ApplicationError, WorkflowContext, WorkflowResult};

/// Adds signals, finishes on `finish`, and returns its value.
#[derive(Default)]
pub struct Counter {
    value: u64,
    done: bool,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u64> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(ctx.state(|s| s.value))
    }

    #[workflow::signal]
    fn add(&mut self, n: u64) {
        self.value += n;
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }

    #[workflow::query]
    fn value(&self) -> u64 {
        self.value
    }

    /// Sets the value; returns the previous one.
    #[workflow::update]
    fn set_value(&mut self, n: i64) -> u64 {
        // The validator has rejected negative values.
        std::mem::replace(&mut self.value, u64::try_from(n).unwrap_or_default())
    }

    #[workflow::validator(set_value)]
    fn validate_set_value(&self, n: &i64) -> Result<(), ApplicationError> {
        if *n < 0 {
            return Err(ApplicationError::new(format!("{n} is negative")).with_type("ValueError"));
        }
        Ok(())
    }
}
