//! Throughput and memory figures of the engines, with the targets of the
//! performance issue.
//!
//! ```sh
//! cargo run --release --example bench                                # memory, then sqlite
//! cargo run --release --example bench -- --engine sqlite --quick
//! cargo run --release --example bench -- --engine memory --workload A,D
//! WORKFLOW_TEMPORAL_ADDRESS=localhost:7233 \
//!     cargo run --release --features temporal --example bench -- --engine temporal
//! ```
//!
//! Options:
//!
//! * `--engine memory|sqlite|temporal|all` (default: memory, then sqlite).
//!   `all` adds temporal when the `temporal` feature is compiled in and
//!   `WORKFLOW_TEMPORAL_ADDRESS` is set; `temporal` alone connects to that
//!   address (default `localhost:7233`).
//! * `--workload A,A16,D,C,B,X,XL,R,M,O,L` (default: all of them).
//! * `--quick`: every workload at a tenth of its size (always so on temporal).
//! * `--large`: workload `O` with 1,000,000 runs instead of 100,000.
//!
//! Workloads, on a `Counter` workflow (full sizes):
//!
//! * `A`: 10,000 sequential signals to one execution, then a query checking the value.
//! * `A16`: 16 executions, 16 concurrent clients, 10,000 signals each.
//! * `D`: 100,000 sequential queries on one execution.
//! * `C`: 10,000 sequential `execute_update` round trips.
//! * `B`: 10,000 concurrent signal-with-start of `finish`, every result awaited.
//! * `X`: 10,000 sequential activities in one run (a `Chain` workflow): each
//!   a schedule, a worker's attempt and a completion.
//! * `XL`: the same with local activities: no schedule, one marker each, and
//!   no synced commit of their own on SQLite.
//! * `R` (sqlite): the first query on a 10,000-event history (5,000 signals,
//!   each in its own workflow task) after reopening the engine with the run
//!   cache off, so it replays the whole history from the store (median of 5
//!   reopens).
//! * `M` (sqlite): resident memory with 100,000 open idle workflows.
//! * `O` (sqlite): a file with 100,000 open idle runs (3 signals each, all
//!   handled); a fresh process opens it and makes one signal round trip.
//!   Prints `O sqlite <runs> <ms>ms <MiB>MiB`: the time from `Engine::open`
//!   to the signal's answer, and that process's resident memory after it.
//! * `L` (sqlite): 100,000 closed runs, each with a `CustomerId` search
//!   attribute (100 runs per customer); the first page of 100 of one
//!   customer's completed runs (`list_workflows_page`, median of 5), in ms.
//!
//! Each workload gets its own engine (and, on sqlite, its own temporary
//! directory). Output, one line per workload:
//! `<workload> <engine> <count> <seconds>s <rate>/s` (`R` adds its
//! milliseconds, `M` prints `M <engine> <count> <MiB>MiB`), then one line per
//! target met or missed. With sqlite, a `ceiling sqlite` line gives the rate
//! of bare SQLite commits with the engine's durability settings, measured in
//! the same run (before and after the workloads, the faster of the two, as a
//! shared disk's speed drifts): the physical bound of workload A. Progress
//! notes go to stderr.

use std::error::Error;
use std::fmt;
use std::future::{self, Future};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::stream::{self, StreamExt, TryStreamExt};
use tempfile::TempDir;
use workflow::{
    Client, ClientError, Engine, EngineBuilder, Limits, SearchAttributeKey, StartOptions, Worker, WorkflowHandle,
};

#[path = "../benches/common/chain.rs"]
mod chain;
#[path = "../benches/common/counter.rs"]
mod counter;

use counter::Counter;

type BoxError = Box<dyn Error + Send + Sync>;
type Outcome<T> = Result<T, BoxError>;

/// Calls the concurrent workloads keep in flight at once.
const IN_FLIGHT: usize = 256;
/// Concurrent clients (and executions) of workload A16.
const CLIENTS: u64 = 16;
/// Timed replays of workload R; the median is reported.
const REPLAY_SAMPLES: usize = 5;
/// Runs kept in memory by workload M's engine.
const M_CACHE_CAPACITY: usize = 10_000;
/// The SQLite file in each workload's temporary directory.
const DB_FILE: &str = "bench.db";

/// Signals each run of workload O has handled.
const O_SIGNALS: u64 = 3;
/// Runs in the page workload L lists.
const L_PAGE: usize = 100;
/// The hidden command line of workload O's probe process.
const PROBE: &str = "--open-probe";

const USAGE: &str =
    "usage: bench [--engine memory|sqlite|temporal|all] [--quick] [--large] [--workload A,A16,D,C,B,X,XL,R,M,O,L]";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EngineKind {
    Memory,
    Sqlite,
    Temporal,
}

impl EngineKind {
    fn name(self) -> &'static str {
        match self {
            EngineKind::Memory => "memory",
            EngineKind::Sqlite => "sqlite",
            EngineKind::Temporal => "temporal",
        }
    }

    /// The engines `--engine <arg>` selects.
    fn parse(arg: &str) -> Result<Vec<EngineKind>, String> {
        let temporal_configured = std::env::var_os("WORKFLOW_TEMPORAL_ADDRESS").is_some();
        match arg {
            "memory" => Ok(vec![EngineKind::Memory]),
            "sqlite" => Ok(vec![EngineKind::Sqlite]),
            "temporal" if cfg!(feature = "temporal") => Ok(vec![EngineKind::Temporal]),
            "temporal" => Err("the temporal engine needs `--features temporal`".to_owned()),
            "all" if cfg!(feature = "temporal") && temporal_configured => {
                Ok(vec![EngineKind::Memory, EngineKind::Sqlite, EngineKind::Temporal])
            }
            "all" => Ok(vec![EngineKind::Memory, EngineKind::Sqlite]),
            other => Err(format!("unknown engine `{other}`")),
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    A,
    A16,
    D,
    C,
    B,
    X,
    XL,
    R,
    M,
    O,
    L,
}

impl Workload {
    const ALL: [Workload; 11] = [
        Workload::A,
        Workload::A16,
        Workload::D,
        Workload::C,
        Workload::B,
        Workload::X,
        Workload::XL,
        Workload::R,
        Workload::M,
        Workload::O,
        Workload::L,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::A => "A",
            Workload::A16 => "A16",
            Workload::D => "D",
            Workload::C => "C",
            Workload::B => "B",
            Workload::X => "X",
            Workload::XL => "XL",
            Workload::R => "R",
            Workload::M => "M",
            Workload::O => "O",
            Workload::L => "L",
        }
    }

    fn parse(arg: &str) -> Result<Workload, String> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(arg))
            .ok_or_else(|| format!("unknown workload `{arg}`"))
    }

    /// R, M and O measure the SQLite store and the process itself.
    fn runs_on(self, engine: EngineKind) -> bool {
        !matches!(self, Workload::R | Workload::M | Workload::O | Workload::L) || engine == EngineKind::Sqlite
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The command line.
struct Options {
    engines: Vec<EngineKind>,
    workloads: Vec<Workload>,
    quick: bool,
    large: bool,
}

impl Options {
    /// `Ok(None)` for `--help`.
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
        let mut options = Options {
            engines: vec![EngineKind::Memory, EngineKind::Sqlite],
            workloads: Workload::ALL.to_vec(),
            quick: false,
            large: false,
        };
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("`{name}` needs a value"));
            match arg.as_str() {
                "--engine" => options.engines = EngineKind::parse(&value("--engine")?)?,
                "--workload" => {
                    options.workloads = value("--workload")?
                        .split(',')
                        .map(|w| Workload::parse(w.trim()))
                        .collect::<Result<_, _>>()?;
                }
                "--quick" => options.quick = true,
                "--large" => options.large = true,
                "--help" | "-h" => return Ok(None),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(Some(options))
    }
}

/// What one workload measured.
struct Measurement {
    workload: Workload,
    engine: EngineKind,
    figure: Figure,
}

enum Figure {
    /// `count` operations in `elapsed`.
    Rate { count: u64, elapsed: Duration },
    /// Resident memory with `count` open workflows.
    Memory { count: u64, mib: f64 },
    /// Opening a file of `count` runs plus one round trip took `elapsed`,
    /// leaving `mib` resident.
    Open { count: u64, elapsed: Duration, mib: f64 },
}

impl Measurement {
    fn rate(workload: Workload, engine: EngineKind, count: u64, elapsed: Duration) -> Self {
        Measurement {
            workload,
            engine,
            figure: Figure::Rate { count, elapsed },
        }
    }

    /// Operations per second, for rate figures.
    fn per_second(&self) -> Option<f64> {
        match self.figure {
            Figure::Rate { count, elapsed } => Some(count as f64 / elapsed.as_secs_f64().max(1e-9)),
            Figure::Memory { .. } | Figure::Open { .. } => None,
        }
    }
}

impl fmt::Display for Measurement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (workload, engine) = (self.workload, self.engine);
        match self.figure {
            Figure::Rate { count, elapsed } => {
                let rate = self.per_second().unwrap_or_default();
                write!(
                    f,
                    "{workload} {engine} {count} {:.2}s {rate:.0}/s",
                    elapsed.as_secs_f64()
                )?;
                if matches!(workload, Workload::R | Workload::L) {
                    write!(f, " {:.2}ms", elapsed.as_secs_f64() * 1e3)?;
                }
                Ok(())
            }
            Figure::Memory { count, mib } => write!(f, "{workload} {engine} {count} {mib:.0}MiB"),
            Figure::Open { count, elapsed, mib } => write!(
                f,
                "{workload} {engine} {count} {:.1}ms {mib:.0}MiB",
                elapsed.as_secs_f64() * 1e3
            ),
        }
    }
}

/// What a workload should reach.
enum Target {
    AtLeastPerSecond(f64),
    AtMostMib(f64),
    /// Open plus first round trip within this many ms, using at most this many MiB.
    OpenWithin(f64, f64),
}

const TARGETS: [(Workload, EngineKind, Target); 10] = [
    (Workload::A, EngineKind::Sqlite, Target::AtLeastPerSecond(5_000.0)),
    (Workload::A16, EngineKind::Sqlite, Target::AtLeastPerSecond(50_000.0)),
    (Workload::D, EngineKind::Sqlite, Target::AtLeastPerSecond(200_000.0)),
    (Workload::C, EngineKind::Sqlite, Target::AtLeastPerSecond(3_000.0)),
    (Workload::B, EngineKind::Sqlite, Target::AtLeastPerSecond(5_000.0)),
    // 10,000 events in at most 50 ms.
    (Workload::R, EngineKind::Sqlite, Target::AtLeastPerSecond(200_000.0)),
    (Workload::M, EngineKind::Sqlite, Target::AtMostMib(1_024.0)),
    // 100 ms (200 ms with --large) and 64 MiB plus the run cache, which
    // holds the one run touched.
    (Workload::O, EngineKind::Sqlite, Target::OpenWithin(100.0, 64.0)),
    // A first page of 100 in at most 50 ms.
    (Workload::L, EngineKind::Sqlite, Target::AtLeastPerSecond(20.0)),
    (Workload::A, EngineKind::Memory, Target::AtLeastPerSecond(200_000.0)),
];

/// Temporal runs every workload at this fraction of its size: a server is
/// far slower than the embedded engines.
const TEMPORAL_SCALE: u64 = 50;

/// The Python SDK on a Temporal dev server on this machine (operations/s),
/// as the performance issue gives them; used when no Python SDK is at hand
/// to measure in the same run.
const PYTHON_REFERENCE: [(Workload, f64); 4] = [
    (Workload::A, 446.0),
    (Workload::D, 299.0),
    (Workload::C, 167.0),
    (Workload::B, 120.0),
];

/// One line per target that a measurement answers; the ratio is measured /
/// target. `python` holds the Python SDK's rates measured in this run.
fn verdicts(results: &[Measurement], python: &[(Workload, f64)]) -> Vec<String> {
    let mut lines = Vec::new();
    for m in results {
        for (workload, engine, target) in &TARGETS {
            if (m.workload, m.engine) != (*workload, *engine) {
                continue;
            }
            let (bound, ratio, met) = match (target, &m.figure) {
                (Target::AtLeastPerSecond(goal), _) => {
                    let Some(rate) = m.per_second() else { continue };
                    (format!(">= {goal:.0}/s"), rate / goal, rate >= *goal)
                }
                (Target::AtMostMib(goal), Figure::Memory { mib, .. }) => {
                    (format!("<= {goal:.0}MiB"), mib / goal, mib <= goal)
                }
                (Target::OpenWithin(ms, goal_mib), Figure::Open { count, elapsed, mib }) => {
                    let ms = if *count > 100_000 { ms * 2.0 } else { *ms };
                    let took = elapsed.as_secs_f64() * 1e3;
                    let ratio = (took / ms).max(mib / goal_mib);
                    (
                        format!("<= {ms:.0}ms and <= {goal_mib:.0}MiB"),
                        ratio,
                        took <= ms && mib <= goal_mib,
                    )
                }
                (Target::AtMostMib(_) | Target::OpenWithin(..), _) => continue,
            };
            let verdict = if met { "met" } else { "missed" };
            lines.push(format!("target {workload} {engine} {bound}: {verdict} (x{ratio:.2})"));
        }
        if m.engine == EngineKind::Temporal {
            let (label, reference) = match python.iter().find(|(w, _)| *w == m.workload) {
                Some(measured) => ("python (same run)", Some(measured)),
                None => (
                    "python-reference",
                    PYTHON_REFERENCE.iter().find(|(w, _)| *w == m.workload),
                ),
            };
            if let (Some((workload, python)), Some(rate)) = (reference, m.per_second()) {
                let verdict = if rate >= *python { "met" } else { "missed" };
                lines.push(format!(
                    "target {workload} temporal >= {label} {python:.0}/s: {verdict} (x{:.2})",
                    rate / python
                ));
            }
        }
    }
    lines
}

/// The workloads of one engine.
struct Bench {
    engine: EngineKind,
    /// Sizes are divided by this (10 with `--quick` and on Temporal).
    scale: u64,
    /// Prefix of workflow ids and task queues, unique per process (a
    /// Temporal server keeps what earlier runs left).
    prefix: String,
    /// Workload O with a million runs.
    large: bool,
}

impl Bench {
    fn new(engine: EngineKind, quick: bool, large: bool) -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        Bench {
            engine,
            scale: match engine {
                EngineKind::Temporal => TEMPORAL_SCALE,
                _ if quick => 10,
                _ => 1,
            },
            prefix: format!("bench-{}-{millis}", std::process::id()),
            large,
        }
    }

    fn size(&self, full: u64) -> u64 {
        (full / self.scale).max(1)
    }

    async fn run(&self, workload: Workload) -> Outcome<Measurement> {
        match workload {
            Workload::A => sequential_signals(self).await,
            Workload::A16 => concurrent_signals(self).await,
            Workload::D => sequential_queries(self).await,
            Workload::C => sequential_updates(self).await,
            Workload::B => signal_with_start(self).await,
            Workload::X => sequential_activities(self, false).await,
            Workload::XL => sequential_activities(self, true).await,
            Workload::R => cold_replay(self).await,
            Workload::M => idle_memory(self).await,
            Workload::O => lazy_open(self).await,
            Workload::L => visibility_page(self).await,
        }
    }

    /// Embedded engine options: the signal limit is lifted, since the
    /// workloads send more than Temporal's 10,000 signals to one execution.
    fn builder(&self) -> EngineBuilder {
        Engine::builder().limits(Limits {
            max_received_signals: 100_000_000,
            ..Limits::default()
        })
    }

    /// A fresh engine for `workload`, without a worker yet (`builder` is
    /// ignored on Temporal).
    async fn open(&self, workload: Workload, builder: EngineBuilder) -> Outcome<Setup> {
        let (engine, dir) = match self.engine {
            EngineKind::Memory => (builder.in_memory()?, None),
            EngineKind::Sqlite => {
                let dir = tempfile::tempdir()?;
                (builder.open(dir.path().join(DB_FILE))?, Some(dir))
            }
            EngineKind::Temporal => (connect().await?, None),
        };
        let prefix = format!("{}-{}", self.prefix, workload.name().to_ascii_lowercase());
        Ok(Setup {
            client: engine.client(),
            engine,
            worker: None,
            task_queue: prefix.clone(),
            prefix,
            dir,
        })
    }
}

#[cfg(feature = "temporal")]
async fn connect() -> Outcome<Engine> {
    let address = std::env::var("WORKFLOW_TEMPORAL_ADDRESS").unwrap_or_else(|_| "localhost:7233".to_owned());
    Ok(Engine::connect(workflow::ConnectOptions::new(address)).await?)
}

#[cfg(not(feature = "temporal"))]
async fn connect() -> Outcome<Engine> {
    Err("the temporal engine needs `--features temporal`".into())
}

/// One workload's engine, client and worker.
struct Setup {
    engine: Engine,
    client: Client,
    worker: Option<Worker>,
    task_queue: String,
    prefix: String,
    /// Holds the SQLite file; removed after the engine closes.
    dir: Option<TempDir>,
}

impl Setup {
    fn start_worker(&mut self) -> Outcome<()> {
        let worker = self.engine.worker(&self.task_queue).workflow::<Counter>().start()?;
        self.worker = Some(worker);
        Ok(())
    }

    fn options(&self, name: &str) -> StartOptions<Counter> {
        StartOptions::new(format!("{}-{name}", self.prefix)).task_queue(&self.task_queue)
    }

    async fn start(&self, name: &str) -> Outcome<WorkflowHandle<Counter>> {
        Ok(self.client.start_workflow(Counter::run, (), self.options(name)).await?)
    }

    /// Stops the worker and the engine (open workflows stay in the store).
    /// Returns the directory of the SQLite file, which is removed when dropped.
    fn close(mut self) -> Option<TempDir> {
        if let Some(worker) = self.worker.take() {
            worker.shutdown();
        }
        self.engine.close();
        self.dir.take()
    }

    /// Closes the engine and opens its SQLite file again with `builder`,
    /// without a worker: a cold start from the store.
    fn reopen(self, builder: EngineBuilder) -> Outcome<Setup> {
        let (task_queue, prefix) = (self.task_queue.clone(), self.prefix.clone());
        let dir = self.close().ok_or("only an engine on a SQLite file can be reopened")?;
        let engine = builder.open(dir.path().join(DB_FILE))?;
        Ok(Setup {
            client: engine.client(),
            engine,
            worker: None,
            task_queue,
            prefix,
            dir: Some(dir),
        })
    }
}

/// Fails unless the workflow reported what the workload sent.
fn expect(what: &str, actual: u64, expected: u64) -> Outcome<()> {
    if actual == expected {
        return Ok(());
    }
    Err(format!("{what}: expected {expected}, got {actual}").into())
}

/// Signals `finish` and checks the result.
async fn finish(handle: &WorkflowHandle<Counter>, expected: u64) -> Outcome<()> {
    handle.signal(Counter::finish, ()).await?;
    expect("result", handle.result().await?, expected)
}

/// Runs `call(0..count)` with at most [`IN_FLIGHT`] calls in flight; stops at the first error.
async fn bounded<F, Fut>(count: u64, call: F) -> Outcome<()>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Outcome<()>>,
{
    stream::iter(0..count)
        .map(call)
        .buffer_unordered(IN_FLIGHT)
        .try_for_each(|()| future::ready(Ok(())))
        .await
}

/// A: sequential signals to one execution, then one query.
async fn sequential_signals(bench: &Bench) -> Outcome<Measurement> {
    let n = bench.size(10_000);
    let mut setup = bench.open(Workload::A, bench.builder()).await?;
    setup.start_worker()?;
    let handle = setup.start("counter").await?;
    let started = Instant::now();
    for _ in 0..n {
        handle.signal(Counter::add, 1).await?;
    }
    expect("value", handle.query(Counter::value, ()).await?, n)?;
    let elapsed = started.elapsed();
    finish(&handle, n).await?;
    setup.close();
    Ok(Measurement::rate(Workload::A, bench.engine, n, elapsed))
}

/// A16: [`CLIENTS`] tasks, each signalling its own execution.
async fn concurrent_signals(bench: &Bench) -> Outcome<Measurement> {
    let n = bench.size(10_000);
    let mut setup = bench.open(Workload::A16, bench.builder()).await?;
    setup.start_worker()?;
    let mut handles = Vec::new();
    for client in 0..CLIENTS {
        handles.push(setup.start(&format!("counter-{client}")).await?);
    }
    let started = Instant::now();
    let tasks: Vec<_> = handles
        .iter()
        .cloned()
        .map(|handle| {
            tokio::spawn(async move {
                for _ in 0..n {
                    handle.signal(Counter::add, 1).await?;
                }
                Ok::<_, ClientError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    for handle in &handles {
        expect("value", handle.query(Counter::value, ()).await?, n)?;
        finish(handle, n).await?;
    }
    setup.close();
    Ok(Measurement::rate(Workload::A16, bench.engine, CLIENTS * n, elapsed))
}

/// D: sequential queries on one execution. The state does not change
/// between them, so an engine may answer them from a memo of earlier answers.
async fn sequential_queries(bench: &Bench) -> Outcome<Measurement> {
    let n = bench.size(100_000);
    let mut setup = bench.open(Workload::D, bench.builder()).await?;
    setup.start_worker()?;
    let handle = setup.start("counter").await?;
    handle.signal(Counter::add, 7).await?;
    let started = Instant::now();
    for _ in 0..n {
        expect("value", handle.query(Counter::value, ()).await?, 7)?;
    }
    let elapsed = started.elapsed();
    finish(&handle, 7).await?;
    setup.close();
    Ok(Measurement::rate(Workload::D, bench.engine, n, elapsed))
}

/// C: sequential updates, each validated, accepted and completed.
async fn sequential_updates(bench: &Bench) -> Outcome<Measurement> {
    let n = bench.size(10_000);
    let mut setup = bench.open(Workload::C, bench.builder()).await?;
    setup.start_worker()?;
    let handle = setup.start("counter").await?;
    let started = Instant::now();
    for value in 1..=n {
        let previous = handle.execute_update(Counter::set_value, i64::try_from(value)?).await?;
        expect("previous value", previous, value - 1)?;
    }
    let elapsed = started.elapsed();
    match handle.execute_update(Counter::set_value, -1).await {
        Err(ClientError::UpdateRejected { .. }) => {}
        other => return Err(format!("a negative value should be rejected, got {other:?}").into()),
    }
    finish(&handle, n).await?;
    setup.close();
    Ok(Measurement::rate(Workload::C, bench.engine, n, elapsed))
}

/// X (XL with `local`): sequential activities (local activities) in one run.
async fn sequential_activities(bench: &Bench, local: bool) -> Outcome<Measurement> {
    let workload = if local { Workload::XL } else { Workload::X };
    let n = bench.size(10_000);
    let setup = bench.open(workload, bench.builder()).await?;
    let worker = setup
        .engine
        .worker(&setup.task_queue)
        .workflow::<chain::Chain>()
        .activity(chain::step)
        .start()?;
    let options = StartOptions::new(format!("{}-chain", setup.prefix)).task_queue(&setup.task_queue);
    let started = Instant::now();
    let handle = setup
        .client
        .start_workflow(chain::Chain::run, (n, local), options)
        .await?;
    expect("result", handle.result().await?, n)?;
    let elapsed = started.elapsed();
    worker.shutdown();
    setup.close();
    Ok(Measurement::rate(workload, bench.engine, n, elapsed))
}

/// B: concurrent signal-with-start of `finish`; each result awaited.
async fn signal_with_start(bench: &Bench) -> Outcome<Measurement> {
    let n = bench.size(10_000);
    let mut setup = bench.open(Workload::B, bench.builder()).await?;
    setup.start_worker()?;
    let shared = &setup;
    let started = Instant::now();
    bounded(n, |i| async move {
        let options = shared
            .options(&format!("counter-{i}"))
            .start_signal(Counter::finish, ());
        let handle = shared.client.start_workflow(Counter::run, (), options).await?;
        expect("result", handle.result().await?, 0)
    })
    .await?;
    let elapsed = started.elapsed();
    setup.close();
    Ok(Measurement::rate(Workload::B, bench.engine, n, elapsed))
}

/// R: the first query on a run with a 10,000-event history after the
/// engine is reopened with the run cache off, so the query rebuilds the run
/// by replaying its whole history read from the store. Each sample reopens
/// the engine, so no earlier answer or instance is reused. The history is a
/// realistic one: each signal was delivered by its own workflow task.
async fn cold_replay(bench: &Bench) -> Outcome<Measurement> {
    let signals = bench.size(5_000);
    let mut setup = bench.open(Workload::R, bench.builder()).await?;
    setup.start_worker()?;
    let workflow_id = setup.start("counter").await?.id().to_owned();
    let handle = setup.client.get_workflow_handle_for(Counter::run, &workflow_id);
    for _ in 0..signals {
        handle.signal(Counter::add, 1).await?;
    }
    let events = handle.fetch_history().await?.events.len() as u64;
    let mut samples = Vec::with_capacity(REPLAY_SAMPLES);
    for _ in 0..REPLAY_SAMPLES {
        setup = setup.reopen(bench.builder().cache_capacity(0))?;
        setup.start_worker()?;
        let handle = setup.client.get_workflow_handle_for(Counter::run, &workflow_id);
        let started = Instant::now();
        expect("value", handle.query(Counter::value, ()).await?, signals)?;
        samples.push(started.elapsed());
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let shown: Vec<String> = samples
        .iter()
        .map(|d| format!("{:.2}ms", d.as_secs_f64() * 1e3))
        .collect();
    eprintln!("R: {events} events, replays {}", shown.join(" "));
    let handle = setup.client.get_workflow_handle_for(Counter::run, &workflow_id);
    finish(&handle, signals).await?;
    setup.close();
    Ok(Measurement::rate(Workload::R, bench.engine, events, median))
}

/// M: resident memory with many open workflows, each waiting on its condition.
async fn idle_memory(bench: &Bench) -> Outcome<Measurement> {
    let n = bench.size(100_000);
    let builder = bench.builder().cache_capacity(M_CACHE_CAPACITY);
    let mut setup = bench.open(Workload::M, builder).await?;
    setup.start_worker()?;
    let before = resident_mib()?;
    let shared = &setup;
    let started = Instant::now();
    bounded(n, |i| async move {
        shared.start(&format!("counter-{i}")).await?;
        Ok(())
    })
    .await?;
    let elapsed = started.elapsed();
    // Every start ran its first workflow task in the batch that answered it.
    let last = setup
        .client
        .get_workflow_handle_for(Counter::run, format!("{}-counter-{}", setup.prefix, n - 1));
    expect("value", last.query(Counter::value, ()).await?, 0)?;
    let mib = resident_mib()?;
    eprintln!(
        "M: {n} workflows started in {:.2}s ({:.0}/s); resident {before:.0}MiB before, {mib:.0}MiB after",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    setup.close();
    Ok(Measurement {
        workload: Workload::M,
        engine: bench.engine,
        figure: Figure::Memory { count: n, mib },
    })
}

/// O: a file with many open idle runs, opened by a fresh process that then
/// signals one of them (see [`open_probe`]). The runs are made through the
/// engine, so the file is what an application leaves.
async fn lazy_open(bench: &Bench) -> Outcome<Measurement> {
    let n = bench.size(if bench.large { 1_000_000 } else { 100_000 });
    let builder = bench.builder().cache_capacity(M_CACHE_CAPACITY);
    let mut setup = bench.open(Workload::O, builder).await?;
    setup.start_worker()?;
    let shared = &setup;
    let started = Instant::now();
    bounded(n, |i| async move {
        let handle = shared.start(&format!("counter-{i}")).await?;
        for _ in 0..O_SIGNALS {
            handle.signal(Counter::add, 1).await?;
        }
        Ok(())
    })
    .await?;
    eprintln!(
        "O: {n} runs with {O_SIGNALS} signals each made in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    let workflow_id = format!("{}-counter-{}", setup.prefix, n / 2);
    let task_queue = setup.task_queue.clone();
    let dir = setup.close().ok_or("workload O runs on a file")?;
    let path = dir.path().join(DB_FILE);
    let output = std::process::Command::new(std::env::current_exe()?)
        .arg(PROBE)
        .arg(&path)
        .args([&workflow_id, &task_queue])
        .output()?;
    if !output.status.success() {
        return Err(format!("the open probe failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [ms, mib] = fields[..] else {
        return Err(format!("unexpected probe output `{text}`").into());
    };
    Ok(Measurement {
        workload: Workload::O,
        engine: bench.engine,
        figure: Figure::Open {
            count: n,
            elapsed: Duration::from_secs_f64(ms.parse::<f64>()? / 1e3),
            mib: mib.parse()?,
        },
    })
}

/// L: the first page of one customer's completed runs among many closed
/// runs (median of [`REPLAY_SAMPLES`] timings).
async fn visibility_page(bench: &Bench) -> Outcome<Measurement> {
    const CUSTOMER_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("CustomerId");
    let n = bench.size(100_000);
    let customers = (n / L_PAGE as u64).max(1);
    let mut setup = bench.open(Workload::L, bench.builder()).await?;
    setup.start_worker()?;
    let shared = &setup;
    let started = Instant::now();
    bounded(n, |i| async move {
        let options = shared
            .options(&format!("order-{i}"))
            .start_signal(Counter::finish, ())
            .search_attribute(CUSTOMER_ID, format!("c-{}", i % customers));
        shared.client.start_workflow(Counter::run, (), options).await?;
        Ok(())
    })
    .await?;
    let completed = "ExecutionStatus = 'Completed'";
    while setup.client.count_workflows(completed).await? < n {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("L: {n} closed runs made in {:.2}s", started.elapsed().as_secs_f64());
    let query = format!("CustomerId = 'c-{}' AND {completed}", customers / 2);
    let mut samples = Vec::with_capacity(REPLAY_SAMPLES);
    for _ in 0..REPLAY_SAMPLES {
        let started = Instant::now();
        let page = setup.client.list_workflows_page(&query, L_PAGE, None).await?;
        samples.push(started.elapsed());
        expect("page size", page.runs.len() as u64, (n / customers).min(L_PAGE as u64))?;
    }
    samples.sort();
    setup.close();
    Ok(Measurement::rate(
        Workload::L,
        bench.engine,
        1,
        samples[REPLAY_SAMPLES / 2],
    ))
}

/// Workload O's fresh process: opens the file, signals the run and waits
/// for the answer; prints the milliseconds that took and the resident MiB.
async fn open_probe(path: &str, workflow_id: &str, task_queue: &str) -> Outcome<()> {
    let started = Instant::now();
    let engine = Engine::open(path)?;
    let _worker = engine.worker(task_queue).workflow::<Counter>().start()?;
    let handle = engine.client().get_workflow_handle_for(Counter::run, workflow_id);
    handle.signal(Counter::add, 1).await?;
    let elapsed = started.elapsed();
    let mib = resident_mib()?;
    expect("value", handle.query(Counter::value, ()).await?, O_SIGNALS + 1)?;
    println!("{:.3} {mib:.1}", elapsed.as_secs_f64() * 1e3);
    engine.close();
    Ok(())
}

/// The process's resident memory (`VmRSS`), in MiB.
fn resident_mib() -> Outcome<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or("no VmRSS line in /proc/self/status")?;
    Ok(kib / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [probe, path, workflow_id, task_queue] = &args[..] {
        if probe == PROBE {
            return open_probe(path, workflow_id, task_queue).await;
        }
    }
    let options = match Options::parse(args.into_iter()) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return Ok(());
        }
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let ceiling_commits = if options.quick { 500 } else { 5_000 };
    let sqlite = options.engines.contains(&EngineKind::Sqlite);
    let before = if sqlite {
        Some(commit_ceiling(ceiling_commits)?)
    } else {
        None
    };
    let mut results = Vec::new();
    for &engine in &options.engines {
        let bench = Bench::new(engine, options.quick, options.large);
        for &workload in &options.workloads {
            if !workload.runs_on(engine) {
                eprintln!("{workload}: sqlite only, skipped on {engine}");
                continue;
            }
            let measurement = bench.run(workload).await?;
            println!("{measurement}");
            results.push(measurement);
        }
    }
    let ceiling = if let Some(before) = before {
        let after = commit_ceiling(ceiling_commits)?;
        let (count, elapsed) = if after.1 < before.1 { after } else { before };
        eprintln!(
            "ceiling: {:.0}/s before the workloads, {:.0}/s after",
            before.0 as f64 / before.1.as_secs_f64().max(1e-9),
            after.0 as f64 / after.1.as_secs_f64().max(1e-9)
        );
        let rate = count as f64 / elapsed.as_secs_f64().max(1e-9);
        println!("ceiling sqlite {count} {:.2}s {rate:.0}/s", elapsed.as_secs_f64());
        Some(rate)
    } else {
        None
    };
    let python = if options.engines.contains(&EngineKind::Temporal) {
        python_figures()?
    } else {
        Vec::new()
    };
    for line in verdicts(&results, &python) {
        println!("{line}");
    }
    let rate_of = |workload, engine| {
        results
            .iter()
            .find(|m| (m.workload, m.engine) == (workload, engine))
            .and_then(Measurement::per_second)
    };
    if let Some(ceiling) = ceiling {
        for workload in [Workload::A, Workload::A16, Workload::C, Workload::X] {
            if let Some(rate) = rate_of(workload, EngineKind::Sqlite) {
                println!("{workload} sqlite vs ceiling {ceiling:.0}/s: x{:.2}", rate / ceiling);
            }
        }
    }
    // A local activity needs no dispatch and no synced commit of its own.
    for engine in [EngineKind::Memory, EngineKind::Sqlite] {
        if let (Some(xl), Some(x)) = (rate_of(Workload::XL, engine), rate_of(Workload::X, engine)) {
            println!("XL {engine} vs X {engine} {x:.0}/s: x{:.2}", xl / x);
        }
    }
    // Where the CPU binds before the disk, durability should cost little
    // under concurrency: A16 on SQLite against A16 in memory.
    if let (Some(sqlite), Some(memory)) = (
        rate_of(Workload::A16, EngineKind::Sqlite),
        rate_of(Workload::A16, EngineKind::Memory),
    ) {
        println!("A16 sqlite vs A16 memory {memory:.0}/s: x{:.2}", sqlite / memory);
    }
    Ok(())
}

/// The Python SDK on the same server and workloads, measured now by
/// `benches/python_reference.py` with the interpreter in `WORKFLOW_PYTHON`
/// (empty when it is unset). Its lines are printed as they are.
fn python_figures() -> Outcome<Vec<(Workload, f64)>> {
    let Some(python) = std::env::var_os("WORKFLOW_PYTHON") else {
        eprintln!("WORKFLOW_PYTHON is unset: comparing with the issue's Python figures");
        return Ok(Vec::new());
    };
    let address = std::env::var("WORKFLOW_TEMPORAL_ADDRESS").unwrap_or_else(|_| "localhost:7233".to_owned());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/python_reference.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .args(["--address", &address, "--scale", &TEMPORAL_SCALE.to_string()])
        .output()?;
    if !output.status.success() {
        return Err(format!("{script} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let mut figures = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        println!("{line}");
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [workload, "python", _, _, rate] = fields[..] {
            let workload = Workload::ALL.iter().find(|w| w.to_string() == workload);
            let rate = rate.trim_end_matches("/s").parse::<f64>();
            if let (Some(workload), Ok(rate)) = (workload, rate) {
                figures.push((*workload, rate));
            }
        }
    }
    Ok(figures)
}

/// The physical ceiling of one sequential durable acknowledgement on this
/// machine, measured now: SQLite alone, with the engine's settings (WAL,
/// `synchronous=FULL`), one small insert per commit.
fn commit_ceiling(count: u64) -> Outcome<(u64, Duration)> {
    let dir = TempDir::new()?;
    let conn = rusqlite::Connection::open(dir.path().join("ceiling.db"))?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE events (run_id TEXT, id INTEGER, data TEXT, PRIMARY KEY (run_id, id)) WITHOUT ROWID",
    )?;
    let started = Instant::now();
    for id in 0..count {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute("INSERT INTO events VALUES ('run', ?1, 'event')", [id as i64])?;
        conn.execute_batch("COMMIT")?;
    }
    Ok((count, started.elapsed()))
}
