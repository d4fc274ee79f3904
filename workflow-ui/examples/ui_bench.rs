//! The web UI's server time on a large file: the runs page over 100,000
//! runs (unfiltered, filtered by status and type, and by a search
//! attribute), and the page of a run with a 10,000-event history.
//!
//! ```text
//! cargo run --release -p workflow-ui --example ui_bench [-- --quick]
//! ```
//!
//! Each figure is the median of several requests sent to the router in
//! process, from the request to the last byte of the page, so it is the
//! server's time without the network's. `--quick` uses a tenth of the
//! sizes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use workflow::futures::{future, stream, StreamExt, TryStreamExt};
use workflow::{Engine, Limits, SearchAttributeKey, StartOptions, StoreFile, WorkflowContext, WorkflowResult};
use workflow_ui::{router, Access};

/// Requests timed per figure.
const SAMPLES: usize = 7;

/// Starts in flight at once while the file is filled.
const IN_FLIGHT: usize = 256;

/// The search attribute the filtered page asks for.
const CUSTOMER_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("CustomerId");

/// A run that ends at its first signal.
#[derive(Default)]
struct Order {
    done: bool,
}

#[workflow::defn]
impl Order {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|s| s.done).await
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }
}

/// A run that takes in signals for ever.
#[derive(Default)]
struct Ledger {
    entries: u64,
}

#[workflow::defn]
impl Ledger {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|_| false).await
    }

    #[workflow::signal]
    fn entry(&mut self, _sku: String, _quantity: u32) {
        self.entries += 1;
    }
}

type Outcome<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Outcome<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let (runs, signals) = if quick { (10_000, 1_000) } else { (100_000, 10_000) };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ui-bench.db");
    let limits = Limits {
        max_received_signals: usize::MAX,
        ..Limits::default()
    };
    let engine = Engine::builder().limits(limits).open(&path)?;
    let _worker = engine
        .worker("bench")
        .workflow::<Order>()
        .workflow::<Ledger>()
        .start()?;
    let client = engine.client();

    let started = Instant::now();
    stream::iter(0..runs)
        .map(|i| {
            let client = client.clone();
            async move {
                let options = StartOptions::new(format!("order-{i}"))
                    .task_queue("bench")
                    .search_attribute(CUSTOMER_ID, format!("c-{}", i % 1000));
                let options = match i % 10 {
                    0 => options,
                    _ => options.start_signal(Order::finish, ()),
                };
                client.start_workflow(Order::run, (), options).await.map(drop)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_for_each(|()| future::ready(Ok(())))
        .await?;
    let ledger = client
        .start_workflow(Ledger::run, (), StartOptions::new("ledger").task_queue("bench"))
        .await?;
    stream::iter(0..signals)
        .map(|i| ledger.signal(Ledger::entry, (format!("sku-{}", i % 97), i)))
        .buffer_unordered(IN_FLIGHT)
        .try_for_each(|()| future::ready(Ok(())))
        .await?;
    let events = ledger.fetch_history().await?.events.len();
    eprintln!(
        "made {} runs and a history of {events} events in {:.1} s",
        runs + 1,
        started.elapsed().as_secs_f64()
    );

    let app = router(StoreFile::open(&path)?, Access::loopback());
    let pages = [
        (
            format!("runs page, {} runs", runs + 1),
            "/".to_owned(),
            format!("{} runs match", runs + 1),
            200,
        ),
        (
            "runs page, status and type filters".to_owned(),
            "/?status=Completed&type=Order".to_owned(),
            format!("{} runs match", runs / 10 * 9),
            200,
        ),
        (
            "runs page, a search attribute query".to_owned(),
            "/?q=CustomerId+%3D+%27c-42%27".to_owned(),
            format!("{} runs match", runs / 1000),
            200,
        ),
        (
            format!("run page, {events} events"),
            "/runs/ledger".to_owned(),
            format!("<td>{events}</td>"),
            300,
        ),
    ];
    for (name, uri, expected, target_ms) in pages {
        let mut samples = Vec::with_capacity(SAMPLES);
        let mut size = 0;
        for _ in 0..SAMPLES {
            let mut request = Request::get(&uri).header("host", "localhost").body(Body::empty())?;
            // As `UiServer` serves it: the loopback access checks the peer.
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 1))));
            let began = Instant::now();
            let response = app.clone().oneshot(request).await?;
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            samples.push(began.elapsed());
            if status != StatusCode::OK {
                return Err(format!("{uri} answered {status}: {}", String::from_utf8_lossy(&body)).into());
            }
            size = body.len();
            if !String::from_utf8_lossy(&body).contains(&expected) {
                return Err(format!("{uri} does not show `{expected}`").into());
            }
        }
        samples.sort();
        let median = samples[SAMPLES / 2];
        let verdict = match median <= Duration::from_millis(target_ms) {
            true => "met",
            false => "missed",
        };
        println!(
            "{name}: {:.1} ms server time, {} KiB (target <= {target_ms} ms: {verdict})",
            median.as_secs_f64() * 1e3,
            size / 1024
        );
    }
    engine.close();
    Ok(())
}
