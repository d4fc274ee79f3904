//! OpenTelemetry metrics, read back through an in-memory exporter: workflow
//! tasks, signals, updates, queries and activity attempts on each engine,
//! and the embedded engine's commits and run cache. One test, as the meter
//! provider is global to the process.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use workflow::{ActivityOptions, ApplicationError, Engine, RetryPolicy, StartOptions, WorkflowContext, WorkflowResult};

/// Adds what it is signalled, takes its total to an activity at the end.
#[derive(Default)]
pub struct Tally {
    total: u32,
    done: bool,
}

#[workflow::defn]
impl Tally {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u32> {
        ctx.wait_condition(|t| t.done).await?;
        let total = ctx.state(|t| t.total);
        let options = ActivityOptions::start_to_close(Duration::from_secs(5)).retry_policy(RetryPolicy {
            initial_interval: Duration::from_millis(10),
            ..RetryPolicy::default()
        });
        ctx.execute_activity(flaky_double, total, options).await
    }

    #[workflow::signal]
    fn add(&mut self, n: u32) {
        self.total += n;
    }

    #[workflow::update]
    fn finish(&mut self) -> u32 {
        self.done = true;
        self.total
    }

    #[workflow::validator(finish)]
    fn check_finish(&self) -> Result<(), ApplicationError> {
        match self.total {
            0 => Err(ApplicationError::new("nothing to finish")),
            _ => Ok(()),
        }
    }

    #[workflow::query]
    fn total(&self) -> u32 {
        self.total
    }
}

static ATTEMPTS: AtomicU32 = AtomicU32::new(0);

/// Fails every other attempt.
#[workflow::activity]
async fn flaky_double(n: u32) -> Result<u32, ApplicationError> {
    match ATTEMPTS.fetch_add(1, Ordering::SeqCst) % 2 {
        0 => Err(ApplicationError::new("flaky")),
        _ => Ok(n * 2),
    }
}

/// Drives one `Tally` through every measured path on `engine`.
async fn drive(engine: &Engine, task_queue: &str) {
    let _worker = engine
        .worker(task_queue)
        .workflow::<Tally>()
        .activity(flaky_double)
        .start()
        .unwrap();
    let id = format!("{task_queue}-tally");
    let options = StartOptions::new(&id).task_queue(task_queue);
    let handle = engine.client().start_workflow(Tally::run, (), options).await.unwrap();
    assert!(handle.execute_update(Tally::finish, ()).await.is_err(), "rejected");
    handle.signal(Tally::add, 2).await.unwrap();
    handle.signal_by_name("nobody-listens", ()).await.unwrap();
    handle.signal(Tally::add, 3).await.unwrap();
    assert_eq!(handle.query(Tally::total, ()).await.unwrap(), 5);
    assert!(handle.query_by_name::<u32>("nope", ()).await.is_err());
    assert_eq!(handle.execute_update(Tally::finish, ()).await.unwrap(), 5);
    assert_eq!(handle.result().await.unwrap(), 10);
}

/// The sum (counters, gauges' last value) or count (histograms) of the
/// data points of `name` whose attributes include each of `with`.
fn total(metrics: &[ResourceMetrics], name: &str, with: &[(&str, &str)]) -> u64 {
    let mut total = 0;
    for metric in metrics
        .iter()
        .flat_map(|r| r.scope_metrics())
        .flat_map(|s| s.metrics())
        .filter(|m| m.name() == name)
    {
        let points: Vec<(Vec<&KeyValue>, u64)> = match metric.data() {
            AggregatedMetrics::U64(MetricData::Sum(sum)) => sum
                .data_points()
                .map(|p| (p.attributes().collect(), p.value()))
                .collect(),
            AggregatedMetrics::U64(MetricData::Gauge(gauge)) => gauge
                .data_points()
                .map(|p| (p.attributes().collect(), p.value()))
                .collect(),
            AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                h.data_points().map(|p| (p.attributes().collect(), p.count())).collect()
            }
            AggregatedMetrics::U64(MetricData::Histogram(h)) => {
                h.data_points().map(|p| (p.attributes().collect(), p.count())).collect()
            }
            other => panic!("unexpected data for {name}: {other:?}"),
        };
        let has = |attributes: &[&KeyValue], (key, value): &(&str, &str)| {
            attributes
                .iter()
                .any(|a| a.key.as_str() == *key && a.value == Value::from(value.to_string()))
        };
        total += points
            .iter()
            .filter(|(attributes, _)| with.iter().all(|w| has(attributes, w)))
            .map(|(_, value)| value)
            .sum::<u64>();
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_and_the_store_report_what_they_do() {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    opentelemetry::global::set_meter_provider(provider.clone());

    let dir = tempfile::tempdir().unwrap();
    let mut engines = vec![("embedded", Engine::open(dir.path().join("wf.db")).unwrap())];
    if let Some(address) = std::env::var("WORKFLOW_TEMPORAL_ADDRESS")
        .ok()
        .filter(|a| !a.is_empty())
    {
        let connected = Engine::connect(workflow::ConnectOptions::new(address)).await.unwrap();
        engines.push(("temporal", connected));
    } else {
        eprintln!("WORKFLOW_TEMPORAL_ADDRESS is unset: the Temporal engine's metrics are not checked");
    }
    let suffix = &workflow::crates::client::id::unique_id()[..8];
    for (name, engine) in &engines {
        drive(engine, &format!("metrics-{name}-{suffix}")).await;
    }
    provider.force_flush().unwrap();
    let metrics = exporter.get_finished_metrics().unwrap();

    for (name, _) in &engines {
        let queue = format!("metrics-{name}-{suffix}");
        let tq = ("task_queue", queue.as_str());
        let tally = ("workflow_type", "Tally");
        assert!(
            total(&metrics, "workflow.task.duration", &[tally, tq]) >= 4,
            "{name}: workflow tasks timed"
        );
        let attempts = |outcome| total(&metrics, "workflow.activity.attempts", &[tq, ("outcome", outcome)]);
        assert_eq!(
            (attempts("failed"), attempts("completed")),
            (1, 1),
            "{name}: one retry, then done"
        );
        assert_eq!(
            total(
                &metrics,
                "workflow.activity.duration",
                &[tq, ("activity_type", "flaky_double")]
            ),
            2
        );
        assert_eq!(
            total(
                &metrics,
                "workflow.activity.schedule_to_start",
                &[tq, ("activity_type", "flaky_double")]
            ),
            2,
            "{name}: each attempt's wait to start"
        );
    }
    // Counted across engines (their runs share the workflow type).
    let n = engines.len() as u64;
    let tally = ("workflow_type", "Tally");
    assert_eq!(
        total(&metrics, "workflow.signals", &[tally, ("outcome", "handled")]),
        2 * n
    );
    assert_eq!(
        total(&metrics, "workflow.signals", &[tally, ("outcome", "unhandled")]),
        n
    );
    assert_eq!(
        total(&metrics, "workflow.updates", &[tally, ("outcome", "rejected")]),
        n
    );
    assert_eq!(
        total(&metrics, "workflow.updates", &[tally, ("outcome", "accepted")]),
        n
    );
    let queries = |outcome| total(&metrics, "workflow.queries", &[tally, ("outcome", outcome)]);
    assert!(queries("answered") >= n, "{}", queries("answered"));
    assert_eq!(queries("unknown"), n);

    // Temporal Core's own metrics arrive on the same provider.
    if engines.iter().any(|(name, _)| *name == "temporal") {
        let queue = format!("metrics-temporal-{suffix}");
        let tq = ("task_queue", queue.as_str());
        for name in [
            "temporal_workflow_task_schedule_to_start_latency",
            "temporal_activity_schedule_to_start_latency",
            "temporal_workflow_task_execution_latency",
        ] {
            assert!(total(&metrics, name, &[tq]) >= 1, "Core's {name} is forwarded");
        }
    }

    // The embedded engine's store: every commit measured, the cache seen.
    assert!(total(&metrics, "workflow.store.commit.batch", &[]) >= 5);
    assert!(total(&metrics, "workflow.store.commit.duration", &[]) >= 5);
    assert!(total(&metrics, "workflow.cache.runs", &[]) >= 1);
}
