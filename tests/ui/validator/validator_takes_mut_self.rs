use workflow::{ApplicationError, WorkflowContext};

#[derive(Default)]
struct Counter {
    value: u32,
    checks: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::update]
    fn set(&mut self, value: u32) {
        self.value = value;
    }

    #[workflow::validator(set)]
    fn check_set(&mut self, value: &u32) -> Result<(), ApplicationError> {
        self.checks += 1;
        if *value > 10 {
            return Err(ApplicationError::new("too big"));
        }
        Ok(())
    }
}

fn main() {}
