//! Load: 64 concurrent clients send a mix of signals, queries and updates to
//! 1,000 executions on a SQLite file. No call may fail, resident memory must
//! level off, and every acknowledged signal and update must be in the
//! executions' totals. Runs 5 s by default; `WORKFLOW_LONG_TESTS=1` runs the
//! full 60 s.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use workflow::{Engine, Limits, StartOptions, WorkflowContext, WorkflowHandle, WorkflowResult};

const CLIENTS: usize = 64;
const EXECUTIONS: usize = 1_000;

/// Adds what it is sent; answers its total.
#[derive(Default)]
pub struct Tally {
    total: u64,
    done: bool,
}

#[workflow::defn]
impl Tally {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u64> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(ctx.state(|s| s.total))
    }

    #[workflow::signal]
    fn add(&mut self, n: u64) {
        self.total += n;
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }

    #[workflow::update]
    fn add_checked(&mut self, n: u64) -> u64 {
        self.total += n;
        self.total
    }

    #[workflow::query]
    fn total(&self) -> u64 {
        self.total
    }
}

fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// A small xorshift generator: each client its own, seeded from its number.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_load_from_64_clients_on_1000_executions_loses_nothing() {
    let seconds = if std::env::var_os("WORKFLOW_LONG_TESTS").is_some() {
        60
    } else {
        5
    };
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_received_signals: usize::MAX,
        ..Limits::default()
    };
    let engine = Engine::builder()
        .limits(limits)
        .open(dir.path().join("load.db"))
        .unwrap();
    let _worker = engine.worker("load").workflow::<Tally>().start().unwrap();
    let client = engine.client();
    let mut handles: Vec<WorkflowHandle<Tally>> = Vec::with_capacity(EXECUTIONS);
    for i in 0..EXECUTIONS {
        let options = StartOptions::new(format!("tally-{i}")).task_queue("load");
        handles.push(client.start_workflow(Tally::run, (), options).await.unwrap());
    }
    let handles = Arc::new(handles);
    let acknowledged: Arc<Vec<AtomicU64>> = Arc::new((0..EXECUTIONS).map(|_| AtomicU64::new(0)).collect());
    let calls = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (handles, acknowledged, calls) = (handles.clone(), acknowledged.clone(), calls.clone());
        clients.push(tokio::spawn(async move {
            let mut rng = 0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1);
            while Instant::now() < deadline {
                let i = (next(&mut rng) % EXECUTIONS as u64) as usize;
                let handle = &handles[i];
                match next(&mut rng) % 10 {
                    0..=5 => {
                        handle.signal(Tally::add, 1).await.expect("a signal");
                        acknowledged[i].fetch_add(1, Ordering::SeqCst);
                    }
                    6 | 7 => {
                        handle.query(Tally::total, ()).await.expect("a query");
                    }
                    _ => {
                        handle.execute_update(Tally::add_checked, 1).await.expect("an update");
                        acknowledged[i].fetch_add(1, Ordering::SeqCst);
                    }
                }
                calls.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        samples.push(resident_mib());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for c in clients {
        c.await.unwrap();
    }
    for (i, handle) in handles.iter().enumerate() {
        handle.signal(Tally::finish, ()).await.unwrap();
        let total = handle.result().await.unwrap();
        assert_eq!(
            total,
            acknowledged[i].load(Ordering::SeqCst),
            "execution {i} has every acknowledged message"
        );
    }
    let third = samples.len() / 3;
    let early = samples[..third.max(1)].iter().copied().fold(0.0, f64::max);
    let late = samples[samples.len() - third.max(1)..]
        .iter()
        .copied()
        .fold(0.0, f64::max);
    eprintln!(
        "load: {} calls in {seconds} s from {CLIENTS} clients on {EXECUTIONS} executions; resident {early:.0} MiB early, {late:.0} MiB late",
        calls.load(Ordering::Relaxed)
    );
    assert!(
        late <= early * 1.5 + 32.0,
        "memory keeps growing: {early:.0} MiB early, {late:.0} MiB late"
    );
}
