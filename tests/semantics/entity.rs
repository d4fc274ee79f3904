//! The entity workflow for life: one workflow id takes 50,000 signals,
//! continuing as new before each run's 10,000-signal limit, carrying its
//! state and every signal not handled yet, and losing none.

use serde::{Deserialize, Serialize};
use workflow::{EngineBuilder, StartOptions, WorkflowContext, WorkflowResult};

use crate::support::{Env, Flavor};

/// Signals in all; five times one run's limit.
const SIGNALS: u64 = 50_000;
/// Concurrent senders.
const SENDERS: u64 = 8;
/// Values a run handles between checks, so a run often continues as new
/// with values still pending: they travel in the carried state.
const PER_STEP: usize = 100;

/// What a ledger carries from run to run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    /// Bit `n` is set once value `n` was handled.
    seen: Vec<u64>,
    handled: u64,
    duplicates: u64,
    /// Runs before this one.
    generation: u32,
    /// Values handed on while still pending, over all continues-as-new.
    carried_pending: u64,
    /// Signals received and not handled yet.
    pending: Vec<u64>,
    finishing: bool,
}

/// An entity: handles each value in its run loop, continues as new when the
/// engine suggests it.
pub struct Ledger {
    state: Carried,
}

#[workflow::defn]
impl Ledger {
    #[workflow::init]
    fn new(carried: Carried) -> Self {
        Ledger { state: carried }
    }

    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, _carried: Carried) -> WorkflowResult<Carried> {
        loop {
            ctx.wait_condition(|s| !s.state.pending.is_empty() || s.state.finishing)
                .await?;
            ctx.state_mut(|s| s.handle_pending());
            if ctx.state(|s| s.state.finishing) {
                return Ok(ctx.state(|s| s.state.clone()));
            }
            if ctx.continue_as_new_suggested() && ctx.all_handlers_finished() {
                let mut next = ctx.state(|s| s.state.clone());
                next.generation += 1;
                next.carried_pending += next.pending.len() as u64;
                return ctx.continue_as_new(next);
            }
        }
    }

    #[workflow::signal]
    fn record(&mut self, value: u64) {
        self.state.pending.push(value);
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.state.finishing = true;
    }

    #[workflow::query]
    fn handled(&self) -> u64 {
        self.state.handled
    }
}

impl Ledger {
    fn handle_pending(&mut self) {
        let state = &mut self.state;
        let step = state.pending.len().min(PER_STEP);
        for value in state.pending.drain(..step).collect::<Vec<_>>() {
            let (word, bit) = ((value / 64) as usize, value % 64);
            if state.seen.len() <= word {
                state.seen.resize(word + 1, 0);
            }
            if state.seen[word] & (1 << bit) != 0 {
                state.duplicates += 1;
            }
            state.seen[word] |= 1 << bit;
            state.handled += 1;
        }
    }
}

async fn ledger_for_life(flavor: Flavor) {
    let env = Env::with(flavor, EngineBuilder::new()).await;
    let _worker = env
        .engine
        .worker(env.tq("ledger"))
        .workflow::<Ledger>()
        .start()
        .unwrap();
    let id = env.id("ledger");
    let options = StartOptions::new(id.clone()).task_queue(env.tq("ledger"));
    env.client
        .start_workflow(Ledger::run, Carried::default(), options)
        .await
        .unwrap();
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let handle = env.client.get_workflow_handle_for(Ledger::run, id.clone());
        senders.push(tokio::spawn(async move {
            for value in (sender..SIGNALS).step_by(SENDERS as usize) {
                handle.signal(Ledger::record, value).await.unwrap();
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    let handle = env.client.get_workflow_handle_for(Ledger::run, id.clone());
    handle.signal(Ledger::finish, ()).await.unwrap();
    let end = handle.result().await.unwrap();
    assert_eq!(
        (end.handled, end.duplicates),
        (SIGNALS, 0),
        "every signal handled exactly once"
    );
    let seen: u64 = end.seen.iter().map(|w| u64::from(w.count_ones())).sum();
    assert_eq!(seen, SIGNALS, "no value missing");
    assert!(
        end.generation >= 5,
        "continued as new before each limit ({} runs)",
        end.generation + 1
    );
    let last = handle.describe().await.unwrap();
    assert!(last.signals_received < 10_000, "the last run stayed under the limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_takes_50000_signals_across_runs_and_loses_none_in_memory() {
    ledger_for_life(Flavor::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_takes_50000_signals_across_runs_and_loses_none_on_sqlite() {
    ledger_for_life(Flavor::Sqlite).await;
}
