use workflow::{ApplicationError, WorkflowContext};

#[derive(Default)]
struct Jobs {
    count: u32,
}

#[workflow::defn]
impl Jobs {
    #[workflow::run(unfinished_policy = "abandon")]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::query(unfinished_policy = "abandon")]
    fn count(&self) -> u32 {
        self.count
    }

    #[workflow::update]
    fn set(&mut self, count: u32) {
        self.count = count;
    }

    #[workflow::validator(set, unfinished_policy = "abandon")]
    fn check_set(&self, count: &u32) -> Result<(), ApplicationError> {
        if *count > 10 {
            return Err(ApplicationError::new("too many"));
        }
        Ok(())
    }
}

fn main() {}
