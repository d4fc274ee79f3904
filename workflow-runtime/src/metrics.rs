//! OpenTelemetry metrics of workers and of the embedded engine's store, on
//! the meter of the global meter provider: install one (a Prometheus or
//! OTLP exporter) before opening the engine and starting workers, as the
//! instruments are made then.
//!
//! | Name | Kind | Attributes |
//! |---|---|---|
//! | `workflow.task.duration` (s) | histogram | `workflow_type`, `task_queue` |
//! | `workflow.signals` | counter | `workflow_type`, `outcome` (`handled`, `unhandled`) |
//! | `workflow.updates` | counter | `workflow_type`, `outcome` (`accepted`, `rejected`) |
//! | `workflow.queries` | counter | `workflow_type`, `query`, `outcome` (`answered`, `failed`, `unknown`) |
//! | `workflow.query.duration` (s) | histogram | `workflow_type` |
//! | `workflow.activity.attempts` | counter | `activity_type`, `task_queue`, `outcome` (`completed`, `failed`) |
//! | `workflow.activity.duration` (s) | histogram | `activity_type`, `task_queue` |
//! | `workflow.activity.schedule_to_start` (s) | histogram | `activity_type`, `task_queue` |
//! | `workflow.store.commit.batch` | histogram | messages committed together (embedded) |
//! | `workflow.store.commit.duration` (s) | histogram | a commit, its sync included (embedded) |
//! | `workflow.cache.runs` | gauge | run instances in the cache (embedded) |
//!
//! On Temporal, Core's own metrics (`temporal_workflow_task_schedule_to_start_latency`,
//! `temporal_activity_schedule_to_start_latency`, pollers, slots, sticky
//! cache...) are recorded on the same provider, under the `temporal` meter.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter};
use opentelemetry::KeyValue;
use workflow_client::{Headers, Payload};

use crate::activity::Execute;
use crate::executor::{QueryError, RunInstance, TaskFailure};
use crate::protocol::{Activation, Command, Job};

/// Bucket bounds of the duration histograms, in seconds: from half a
/// millisecond (a workflow task, a commit) to ten seconds (an activity).
pub(crate) const SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The meter every instrument is made on.
fn meter() -> Meter {
    opentelemetry::global::meter("workflow")
}

/// A worker's instruments.
#[derive(Clone)]
pub(crate) struct WorkerMetrics {
    /// The task queue, an attribute of every measurement.
    task_queue: KeyValue,
    task_duration: Histogram<f64>,
    signals: Counter<u64>,
    updates: Counter<u64>,
    queries: Counter<u64>,
    query_duration: Histogram<f64>,
    activity_attempts: Counter<u64>,
    activity_duration: Histogram<f64>,
    activity_schedule_to_start: Histogram<f64>,
}

impl WorkerMetrics {
    pub(crate) fn new(task_queue: &str) -> Self {
        let meter = meter();
        let seconds = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_unit("s")
                .with_description(description)
                .with_boundaries(SECONDS.to_vec())
                .build()
        };
        let count = |name: &'static str, description: &'static str| {
            meter.u64_counter(name).with_description(description).build()
        };
        WorkerMetrics {
            task_queue: KeyValue::new("task_queue", task_queue.to_owned()),
            task_duration: seconds("workflow.task.duration", "Time the executor spent on one workflow task"),
            signals: count("workflow.signals", "Signals delivered to runs, by outcome"),
            updates: count("workflow.updates", "Updates validated, by outcome"),
            queries: count("workflow.queries", "Queries answered, by outcome"),
            query_duration: seconds("workflow.query.duration", "Time to answer a query"),
            activity_attempts: count("workflow.activity.attempts", "Activity attempts, by outcome"),
            activity_duration: seconds("workflow.activity.duration", "Time of one activity attempt"),
            activity_schedule_to_start: seconds(
                "workflow.activity.schedule_to_start",
                "Time an activity attempt waited between being scheduled and starting",
            ),
        }
    }

    /// `execute` with its attempts counted and timed.
    pub(crate) fn activity(&self, activity_type: &str, execute: Execute) -> Execute {
        let metrics = self.clone();
        let activity_type = KeyValue::new("activity_type", activity_type.to_owned());
        Arc::new(move |ctx, args| {
            let (metrics, execute, activity_type) = (metrics.clone(), execute.clone(), activity_type.clone());
            let waited = SystemTime::now()
                .duration_since(ctx.info().current_attempt_scheduled_time)
                .unwrap_or_default();
            Box::pin(async move {
                let mut labels = vec![activity_type, metrics.task_queue.clone()];
                metrics.activity_schedule_to_start.record(waited.as_secs_f64(), &labels);
                let started = Instant::now();
                let outcome = execute(ctx, args).await;
                let result = if outcome.is_ok() { "completed" } else { "failed" };
                metrics
                    .activity_duration
                    .record(started.elapsed().as_secs_f64(), &labels);
                labels.push(KeyValue::new("outcome", result));
                metrics.activity_attempts.add(1, &labels);
                outcome
            })
        })
    }
}

/// A run instance whose tasks and messages are measured.
pub(crate) struct MeteredRun {
    pub(crate) inner: Box<dyn RunInstance>,
    pub(crate) metrics: WorkerMetrics,
    pub(crate) workflow_type: KeyValue,
}

impl MeteredRun {
    fn count(&self, counter: &Counter<u64>, n: u64, outcome: &'static str) {
        if n > 0 {
            counter.add(n, &[self.workflow_type.clone(), KeyValue::new("outcome", outcome)]);
        }
    }
}

impl RunInstance for MeteredRun {
    fn activate(&mut self, activation: Activation) -> Result<Vec<Command>, TaskFailure> {
        // What replay delivers again was counted when it was new.
        let live = !activation.replaying;
        let signals = activation
            .jobs
            .iter()
            .filter(|j| matches!(j, Job::Signal { .. }))
            .count();
        let unhandled_before = self.inner.unhandled_signals().len();
        let started = Instant::now();
        let outcome = self.inner.activate(activation);
        let labels = [self.workflow_type.clone(), self.metrics.task_queue.clone()];
        self.metrics
            .task_duration
            .record(started.elapsed().as_secs_f64(), &labels);
        if !live {
            return outcome;
        }
        let unhandled = self.inner.unhandled_signals().len().saturating_sub(unhandled_before);
        self.count(
            &self.metrics.signals,
            (signals.saturating_sub(unhandled)) as u64,
            "handled",
        );
        self.count(&self.metrics.signals, unhandled as u64, "unhandled");
        if let Ok(commands) = &outcome {
            let updates = |accepted: bool| {
                commands
                    .iter()
                    .filter(|c| match c {
                        Command::UpdateAccepted { .. } => accepted,
                        Command::UpdateRejected { .. } => !accepted,
                        _ => false,
                    })
                    .count() as u64
            };
            self.count(&self.metrics.updates, updates(true), "accepted");
            self.count(&self.metrics.updates, updates(false), "rejected");
        }
        outcome
    }

    fn query(&self, name: &str, args: Vec<Payload>, header: &Headers) -> Result<Payload, QueryError> {
        let started = Instant::now();
        let answer = self.inner.query(name, args, header);
        let outcome = match &answer {
            Ok(_) => "answered",
            Err(QueryError::Unknown { .. }) => "unknown",
            Err(_) => "failed",
        };
        let labels = [
            self.workflow_type.clone(),
            KeyValue::new("query", name.to_owned()),
            KeyValue::new("outcome", outcome),
        ];
        self.metrics.queries.add(1, &labels);
        self.metrics.query_duration.record(
            started.elapsed().as_secs_f64(),
            std::slice::from_ref(&self.workflow_type),
        );
        answer
    }

    fn unhandled_signals(&self) -> &[String] {
        self.inner.unhandled_signals()
    }
}

/// The embedded engine's store and cache instruments.
pub(crate) struct StoreMetrics {
    commit_batch: Histogram<u64>,
    commit_duration: Histogram<f64>,
    cached_runs: Gauge<u64>,
}

impl StoreMetrics {
    pub(crate) fn new() -> Self {
        let meter = meter();
        StoreMetrics {
            commit_batch: meter
                .u64_histogram("workflow.store.commit.batch")
                .with_description("Messages committed in one transaction")
                .build(),
            commit_duration: meter
                .f64_histogram("workflow.store.commit.duration")
                .with_unit("s")
                .with_description("Time of one commit, its sync to disk included")
                .with_boundaries(SECONDS.to_vec())
                .build(),
            cached_runs: meter
                .u64_gauge("workflow.cache.runs")
                .with_description("Run instances kept in memory")
                .build(),
        }
    }

    /// A commit of `messages` that took from `started` until now.
    pub(crate) fn committed(&self, messages: usize, started: Instant) {
        self.commit_batch.record(messages as u64, &[]);
        self.commit_duration.record(started.elapsed().as_secs_f64(), &[]);
    }

    /// The run cache holds `runs` instances.
    pub(crate) fn cached(&self, runs: usize) {
        self.cached_runs.record(runs as u64, &[]);
    }
}
