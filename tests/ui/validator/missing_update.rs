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

    #[workflow::validator(sett)]
    fn check_set(&self, value: &u32) -> Result<(), ApplicationError> {
        if *value > 10 {
            return Err(ApplicationError::new("too big"));
        }
        Ok(())
    }

    #[workflow::validator(value)]
    fn check_value(&self) -> Result<(), ApplicationError> {
        Ok(())
    }

    fn value(&self) -> u32 {
        self.value
    }
}

fn main() {}
