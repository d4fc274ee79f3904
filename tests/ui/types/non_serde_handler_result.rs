//! A query and an update returning a type without serde derives: one error
//! each, at the type; typed calls on them add none.

use workflow::{Client, StartOptions, WorkflowContext, WorkflowResult};

pub struct Totals {
    pub items: u64,
}

#[derive(Default)]
pub struct Cart {
    items: u64,
}

#[workflow::defn]
impl Cart {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|s| s.items > 10).await
    }

    #[workflow::query]
    fn totals(&self) -> Totals {
        Totals { items: self.items }
    }

    #[workflow::update]
    fn add(&mut self, items: u64) -> Totals {
        self.items += items;
        Totals { items: self.items }
    }
}

async fn shop(client: Client) -> Result<u64, Box<dyn std::error::Error>> {
    let cart = client.start_workflow(Cart::run, (), StartOptions::new("cart").task_queue("carts")).await?;
    let added = cart.execute_update(Cart::add, 2).await?;
    let totals = cart.query(Cart::totals, ()).await?;
    Ok(added.items + totals.items)
}

fn main() {
    let _ = shop;
}
