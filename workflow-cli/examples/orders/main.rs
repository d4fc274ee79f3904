//! A process that owns a workflow file and runs its worker: what the
//! `workflow` command talks to. It starts two orders, then serves until its
//! standard input closes (Ctrl-D) or it is killed.
//!
//! ```text
//! cargo run -p workflow-cli --example orders -- orders.db
//! cargo run -p workflow-cli -- --db orders.db list
//! ```

mod order;

use std::io::Read as _;

use order::Order;
use workflow::{ClientError, Engine, SearchAttributeKey, StartOptions};

/// Who placed the order, to find a customer's orders by.
const CUSTOMER: SearchAttributeKey<String> = SearchAttributeKey::keyword("Customer");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "orders.db".to_owned());
    let engine = Engine::open(&path)?;
    let worker = engine.worker(order::TASK_QUEUE).workflow::<Order>().start()?;
    let client = engine.client();
    // A fresh file gets two orders; a file opened again keeps what it has.
    for (id, customer) in [("order-1", "Ada"), ("order-2", "Grace")] {
        if let Err(ClientError::NotFound { .. }) = client.get_workflow_handle(id).describe().await {
            let options = StartOptions::new(id)
                .task_queue(order::TASK_QUEUE)
                .search_attribute(CUSTOMER, customer)
                .memo("channel", "web");
            client.start_workflow(Order::run, customer.to_owned(), options).await?;
        }
    }
    println!("serving {path}; close standard input to stop");
    tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await??;
    worker.shutdown();
    engine.close();
    Ok(())
}
