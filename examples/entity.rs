//! The entity workflow pattern: a long-lived `Account` receives a stream of
//! `transaction` signals and handles them strictly in order, each to the end
//! (a `ProcessTransaction` child workflow per item, awaited) before the next.
//! Every few items, or when the engine suggests it, the account continues as
//! new, carrying its balance and the transactions not handled yet, so its
//! history stays short however many signals it gets. A query shows progress.
//!
//! Run it with `cargo run --example entity`.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow::{ChildWorkflowOptions, Engine, StartOptions, WorkflowContext, WorkflowResult};

const TASK_QUEUE: &str = "accounts";
/// Items one run handles before it continues as new (small, to show it happen).
const ITEMS_PER_RUN: u32 = 4;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Transaction {
    id: u32,
    amount: i64,
}

/// What a run hands to the next one: all the state, unhandled items included.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AccountInput {
    balance: i64,
    handled: Vec<u32>,
    pending: VecDeque<Transaction>,
    runs: u32,
    closing: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Progress {
    run: u32,
    handled: usize,
    queued: usize,
    balance: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Statement {
    balance: i64,
    handled_in_order: Vec<u32>,
    runs: u32,
}

/// Handles one transaction; an account runs one at a time as its child.
#[derive(Default)]
pub struct ProcessTransaction;

#[workflow::defn]
impl ProcessTransaction {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, txn: Transaction) -> WorkflowResult<i64> {
        // Stands for real work (activities, approvals) taking a little time.
        ctx.sleep(Duration::from_millis(20)).await?;
        Ok(txn.amount)
    }
}

pub struct Account {
    state: AccountInput,
    handled_this_run: u32,
}

#[workflow::defn]
impl Account {
    #[workflow::init]
    fn new(input: AccountInput) -> Self {
        let mut state = input;
        state.runs += 1;
        Account {
            state,
            handled_this_run: 0,
        }
    }

    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, _input: AccountInput) -> WorkflowResult<Statement> {
        let account_id = ctx.info().workflow_id;
        loop {
            ctx.wait_condition(|s| !s.state.pending.is_empty() || s.state.closing)
                .await?;
            // Peek, handle, then pop: an item leaves the queue only once handled.
            while let Some(txn) = ctx.state(|s| s.state.pending.front().cloned()) {
                if ctx.continue_as_new_suggested() || ctx.state(|s| s.handled_this_run >= ITEMS_PER_RUN) {
                    let carried = ctx.state(|s| s.state.clone());
                    return ctx.continue_as_new(carried);
                }
                let child = ChildWorkflowOptions::new(format!("{account_id}-txn-{}", txn.id));
                let amount = ctx
                    .execute_child_workflow(ProcessTransaction::run, txn.clone(), child)
                    .await?;
                ctx.state_mut(|s| {
                    s.state.pending.pop_front();
                    s.state.balance += amount;
                    s.state.handled.push(txn.id);
                    s.handled_this_run += 1;
                });
            }
            if ctx.state(|s| s.state.closing) {
                return Ok(ctx.state(|s| Statement {
                    balance: s.state.balance,
                    handled_in_order: s.state.handled.clone(),
                    runs: s.state.runs,
                }));
            }
        }
    }

    #[workflow::signal]
    fn transaction(&mut self, txn: Transaction) {
        self.state.pending.push_back(txn);
    }

    /// Finishes the account once every queued transaction is handled.
    #[workflow::signal]
    fn close(&mut self) {
        self.state.closing = true;
    }

    #[workflow::query]
    fn progress(&self) -> Progress {
        Progress {
            run: self.state.runs,
            handled: self.state.handled.len(),
            queued: self.state.pending.len(),
            balance: self.state.balance,
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::in_memory()?;
    let worker = engine
        .worker(TASK_QUEUE)
        .workflow::<Account>()
        .workflow::<ProcessTransaction>()
        .start()?;
    let client = engine.client();

    let handle = client
        .start_workflow(
            Account::run,
            AccountInput::default(),
            StartOptions::new("account-42").task_queue(TASK_QUEUE),
        )
        .await?;
    for id in 1..=10 {
        let amount = if id % 3 == 0 { -5 } else { 10 * i64::from(id) };
        handle.signal(Account::transaction, Transaction { id, amount }).await?;
    }
    println!("signal transaction x10 (ids 1..=10)");

    for _ in 0..3 {
        let p = handle.query(Account::progress, ()).await?;
        println!(
            "query progress -> run {}, handled {}, queued {}, balance {}",
            p.run, p.handled, p.queued, p.balance
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    handle.signal(Account::close, ()).await?;
    println!("signal close");
    let statement = handle.result().await?;
    println!(
        "result -> balance {}, handled in order {:?}, runs {}",
        statement.balance, statement.handled_in_order, statement.runs
    );
    let description = handle.describe().await?;
    println!(
        "describe -> status {}, history length of the last run {}",
        description.status, description.history_length
    );

    worker.shutdown();
    Ok(())
}
