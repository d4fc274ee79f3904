//! A validator may take a `String` argument as `&str` and a `Vec<T>` as
//! `&[T]`, the forms clippy asks for.

use workflow::{ApplicationError, WorkflowContext, WorkflowResult};

#[derive(Default)]
pub struct Roster {
    names: Vec<String>,
}

#[workflow::defn]
impl Roster {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<usize> {
        ctx.wait_condition(|s| s.names.len() > 2).await?;
        Ok(ctx.state(|s| s.names.len()))
    }

    #[workflow::update]
    fn add(&mut self, team: String, names: Vec<String>) -> usize {
        self.names.extend(names.into_iter().map(|n| format!("{team}/{n}")));
        self.names.len()
    }

    #[workflow::validator(add)]
    fn validate_add(&self, team: &str, names: &[String]) -> Result<(), ApplicationError> {
        if team.is_empty() || names.is_empty() {
            return Err(ApplicationError::new("name a team and at least one member"));
        }
        Ok(())
    }
}

fn main() {}
