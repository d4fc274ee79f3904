use workflow::{ApplicationError, WorkflowContext};

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::update]
    fn set(&mut self, value: u32, reason: String) {
        self.value = value;
        drop(reason);
    }

    #[workflow::validator(set)]
    fn check_set(&self, value: &u64, reason: String) -> Result<(), ApplicationError> {
        if *value > 10 || reason.is_empty() {
            return Err(ApplicationError::new("rejected"));
        }
        Ok(())
    }

    #[workflow::update]
    fn reset(&mut self) {
        self.value = 0;
    }

    #[workflow::validator(reset)]
    fn check_reset(&self, force: &bool) -> Result<(), ApplicationError> {
        drop(force);
        Ok(())
    }
}

fn main() {}
