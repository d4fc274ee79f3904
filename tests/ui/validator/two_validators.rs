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
    fn set(&mut self, value: u32) {
        self.value = value;
    }

    #[workflow::validator(set)]
    fn not_too_big(&self, value: &u32) -> Result<(), ApplicationError> {
        if *value > 10 {
            return Err(ApplicationError::new("too big"));
        }
        Ok(())
    }

    #[workflow::validator(set)]
    fn not_zero(&self, value: &u32) -> Result<(), ApplicationError> {
        if *value == 0 {
            return Err(ApplicationError::new("zero"));
        }
        Ok(())
    }
}

fn main() {}
