//! The registry of a worker: the workflow types and activities it serves,
//! which both engines consult.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::KeyValue;
use workflow_client::codec::PayloadCodec;

use crate::activity::{Activity, Execute, Instance};
use crate::codec::{codec_activity, CodecRun};
use crate::definition::WorkflowDefinition;
use crate::executor::{new_instance, RunInstance};
use crate::interceptor::{intercepted_activity, InterceptedRun, Interceptors, WorkerInterceptor};
use crate::metrics::{MeteredRun, WorkerMetrics};

/// Builds a fresh run instance of one workflow type.
type NewRun = fn(usize) -> Box<dyn RunInstance>;

/// Builds fresh run instances of one workflow type, behind the worker's
/// codec if it has one.
#[derive(Clone)]
pub(crate) struct Factory {
    new: NewRun,
    /// The workflow type asked for (a dynamic workflow serves many).
    workflow_type: String,
    codec: Option<Arc<dyn PayloadCodec>>,
    metrics: Option<WorkerMetrics>,
    interceptors: Interceptors,
}

impl Factory {
    /// A fresh instance allowed `max_pending_outgoing_signals`.
    pub(crate) fn instance(&self, max_pending_outgoing_signals: usize) -> Box<dyn RunInstance> {
        let mut instance = (self.new)(max_pending_outgoing_signals);
        if !self.interceptors.is_empty() {
            instance = Box::new(InterceptedRun {
                inner: instance,
                interceptors: self.interceptors.clone(),
                run: Default::default(),
                workflow_type: String::new(),
            });
        }
        if let Some(codec) = &self.codec {
            instance = Box::new(CodecRun {
                inner: instance,
                codec: codec.clone(),
            });
        }
        if let Some(metrics) = &self.metrics {
            instance = Box::new(MeteredRun {
                inner: instance,
                metrics: metrics.clone(),
                workflow_type: KeyValue::new("workflow_type", self.workflow_type.clone()),
            });
        }
        instance
    }
}

/// What a worker serves: its workflow types and activities.
#[derive(Default)]
pub(crate) struct Offer {
    workflows: HashMap<&'static str, NewRun>,
    dynamic_workflow: Option<NewRun>,
    activities: HashMap<String, Execute>,
    dynamic_activity: Option<Execute>,
    /// Replacements registered with `mock_activity`; they win over the rest.
    mocks: HashMap<String, Execute>,
    /// The worker's `log_slow_activations` threshold; it travels with the
    /// offer because that is what both engines keep of a worker.
    slow_activations: Option<Duration>,
    /// The engine's payload codec, applied to the worker's runs and activities.
    codec: Option<Arc<dyn PayloadCodec>>,
    /// The worker's instruments (none in a replayer).
    metrics: Option<WorkerMetrics>,
    /// The worker's interceptors, in the order installed.
    interceptors: Vec<Arc<dyn WorkerInterceptor>>,
}

impl Offer {
    /// Activations slower than this are logged (`log_slow_activations`).
    pub(crate) fn slow_activations(&self) -> Option<Duration> {
        self.slow_activations
    }

    /// Adds workflow `W` (a `dynamic` one serves every unregistered type name).
    pub(crate) fn add_workflow<W: WorkflowDefinition>(&mut self) {
        if W::DYNAMIC {
            self.dynamic_workflow = Some(new_instance::<W>);
        } else {
            self.workflows.insert(W::NAME, new_instance::<W>);
        }
    }

    /// Whether it runs `workflow_type` (its own, or the dynamic workflow).
    pub(crate) fn serves_workflow(&self, workflow_type: &str) -> bool {
        self.new_run(workflow_type).is_some()
    }

    fn new_run(&self, workflow_type: &str) -> Option<NewRun> {
        self.workflows.get(workflow_type).copied().or(self.dynamic_workflow)
    }

    /// The factory for a workflow type: its own, else the dynamic workflow.
    pub(crate) fn workflow(&self, workflow_type: &str) -> Option<Factory> {
        let new = self.new_run(workflow_type)?;
        Some(Factory {
            new,
            workflow_type: workflow_type.to_owned(),
            codec: self.codec.clone(),
            metrics: self.metrics.clone(),
            interceptors: self.interceptors.iter().cloned().collect(),
        })
    }

    /// Applies `codec` to the payloads of the runs and activities offered.
    pub(crate) fn set_codec(&mut self, codec: Option<Arc<dyn PayloadCodec>>) {
        self.codec = codec;
    }

    /// Passes the runs and activities offered through `interceptor`, after
    /// those added before.
    pub(crate) fn add_interceptor(&mut self, interceptor: Arc<dyn WorkerInterceptor>) {
        self.interceptors.push(interceptor);
    }

    /// Measures the runs and activities offered with `metrics`.
    pub(crate) fn set_metrics(&mut self, metrics: WorkerMetrics) {
        self.metrics = Some(metrics);
    }

    /// Whether it runs `activity_type` (its own, or the dynamic activity).
    pub(crate) fn serves_activity(&self, activity_type: &str) -> bool {
        self.execute(activity_type).is_some()
    }

    fn execute(&self, activity_type: &str) -> Option<&Execute> {
        let named = self
            .mocks
            .get(activity_type)
            .or_else(|| self.activities.get(activity_type));
        named.or(self.dynamic_activity.as_ref())
    }

    /// The function of an activity (its own, else the dynamic activity),
    /// behind the worker's codec and instruments.
    pub(crate) fn activity(&self, activity_type: &str) -> Option<Execute> {
        let mut execute = self.execute(activity_type)?.clone();
        if !self.interceptors.is_empty() {
            execute = intercepted_activity(execute, self.interceptors.iter().cloned().collect());
        }
        if let Some(codec) = &self.codec {
            execute = codec_activity(execute, codec.clone());
        }
        if let Some(metrics) = &self.metrics {
            execute = metrics.activity(activity_type, execute);
        }
        Some(execute)
    }

    /// Adds an activity (a `dynamic` one serves every unregistered name);
    /// a method runs on `instance`.
    pub(crate) fn add_activity<A, O>(&mut self, activity: Activity<A, O>, instance: Option<Arc<Instance>>) {
        let execute = activity.executor(instance);
        if activity.is_dynamic() {
            self.dynamic_activity = Some(execute);
        } else {
            self.activities.insert(activity.name().to_owned(), execute);
        }
    }

    /// Replaces the activity `name` with `execute` (`mock_activity`).
    pub(crate) fn add_mock(&mut self, name: &str, execute: Execute) {
        self.mocks.insert(name.to_owned(), execute);
    }

    /// Logs activations slower than `threshold` (`log_slow_activations`).
    pub(crate) fn set_slow_activations(&mut self, threshold: Duration) {
        self.slow_activations = Some(threshold);
    }

    /// The names of its workflow types, and `(dynamic)` for a dynamic one.
    pub(crate) fn workflow_names(&self) -> impl Iterator<Item = &str> {
        let dynamic = self.dynamic_workflow.map(|_| "(dynamic)");
        self.workflows.keys().copied().chain(dynamic)
    }

    /// The names of its activities, and `(dynamic)` for a dynamic one.
    pub(crate) fn activity_names(&self) -> impl Iterator<Item = &str> {
        let dynamic = self.dynamic_activity.as_ref().map(|_| "(dynamic)");
        self.mocks
            .keys()
            .chain(self.activities.keys())
            .map(String::as_str)
            .chain(dynamic)
    }

    /// Whether any workflow type is registered.
    #[cfg_attr(not(feature = "temporal"), allow(dead_code))]
    pub(crate) fn serves_workflows(&self) -> bool {
        !self.workflows.is_empty() || self.dynamic_workflow.is_some()
    }

    /// Whether any activity is registered.
    #[cfg_attr(not(feature = "temporal"), allow(dead_code))]
    pub(crate) fn serves_activities(&self) -> bool {
        !self.activities.is_empty() || self.dynamic_activity.is_some()
    }
}

/// What a worker registers, as messages name it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Registrable {
    WorkflowType,
    Activity,
}

impl Registrable {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Registrable::WorkflowType => ("workflow type", "workflow types"),
            Registrable::Activity => ("activity", "activities"),
        }
    }
}

/// What a task for an unregistered workflow type or activity fails with:
/// what was asked for, where, and what is registered there.
pub(crate) fn unregistered<'a>(
    kind: Registrable,
    name: &str,
    task_queue: &str,
    registered: impl IntoIterator<Item = &'a str>,
) -> String {
    let (one, many) = kind.names();
    let mut names: Vec<&str> = registered.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    let names = match names.is_empty() {
        true => "none".to_owned(),
        false => names.join(", "),
    };
    format!("{one} `{name}` is not registered on task queue `{task_queue}`; registered {many}: {names}")
}

#[cfg(test)]
mod tests {
    use super::{unregistered, Registrable};

    #[test]
    fn the_message_lists_what_is_registered_sorted_once() {
        assert_eq!(
            unregistered(Registrable::Activity, "notify", "orders", ["ship", "charge", "ship"]),
            "activity `notify` is not registered on task queue `orders`; registered activities: charge, ship"
        );
        assert_eq!(
            unregistered(Registrable::WorkflowType, "Order", "orders", []),
            "workflow type `Order` is not registered on task queue `orders`; registered workflow types: none"
        );
    }
}
