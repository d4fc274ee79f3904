//! The order workflow the example serves.

use std::time::Duration;

use workflow::{ApplicationError, WorkflowContext, WorkflowResult};

/// The task queue orders run on.
pub const TASK_QUEUE: &str = "orders";

/// An order: items arrive as signals until someone approves it, or it
/// expires unapproved after a week.
#[derive(Default)]
pub struct Order {
    items: Vec<String>,
    approved_by: Option<String>,
}

#[workflow::defn]
impl Order {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, customer: String) -> WorkflowResult<String> {
        let week = Duration::from_secs(7 * 24 * 3600);
        let approved = ctx.wait_condition_timeout(week, |s| s.approved_by.is_some()).await?;
        let items = ctx.state(|s| s.items.len());
        Ok(match approved {
            true => format!("{customer}: {items} item(s) approved"),
            false => format!("{customer}: expired unapproved"),
        })
    }

    #[workflow::signal]
    fn add_item(&mut self, item: String) {
        self.items.push(item);
    }

    #[workflow::query]
    fn items(&self) -> Vec<String> {
        self.items.clone()
    }

    /// Approves the order; returns how many items it holds.
    #[workflow::update]
    fn approve(&mut self, approver: String) -> usize {
        self.approved_by = Some(approver);
        self.items.len()
    }

    #[workflow::validator(approve)]
    fn validate_approve(&self, approver: &str) -> Result<(), ApplicationError> {
        if self.items.is_empty() {
            return Err(ApplicationError::new("an empty order cannot be approved").with_type("EmptyOrder"));
        }
        if approver.trim().is_empty() {
            return Err(ApplicationError::new("say who approves").with_type("NoApprover"));
        }
        Ok(())
    }
}
