//! A schedule as a client builds it, as an engine keeps it, and as
//! `describe` and `list` show it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::policy::{OverlapPolicy, SchedulePolicies};
use super::spec::{IntervalSpec, ScheduleSpec};
use super::state::ScheduleInfo;
use crate::backend::StartRequest;
use crate::client::start_request;
use crate::error::ClientError;
use crate::marker::{Run, WorkflowType};
use crate::options::StartOptions;
use crate::payload::IntoArgs;

/// A schedule: when (a cron expression or an interval), what (a workflow
/// to start) and how (overlap, catch-up, pause).
///
/// ```
/// # #![allow(non_upper_case_globals)]
/// # use std::time::Duration;
/// # use workflow_client::{Run, StartOptions, WorkflowType};
/// # use workflow_client::schedule::{OverlapPolicy, Schedule};
/// # struct Report;
/// # impl WorkflowType for Report { const NAME: &'static str = "Report"; type Output = (); }
/// # impl Report { const run: Run<Self, ()> = Run::__new("run", |()| Ok(Vec::new())); }
/// let nightly = Schedule::cron("0 3 * * *")
///     .start(Report::run, (), StartOptions::new("report").task_queue("reports"))
///     .overlap(OverlapPolicy::BufferOne)
///     .jitter(Duration::from_secs(60));
/// ```
pub struct Schedule {
    spec: Result<ScheduleSpec, String>,
    action: Option<Result<StartRequest, ClientError>>,
    policies: SchedulePolicies,
    paused: Option<String>,
}

impl Schedule {
    /// Fires at the times a cron expression matches, in UTC (a malformed
    /// expression fails the create call).
    pub fn cron(expression: &str) -> Self {
        let spec = expression
            .parse()
            .map(|cron| ScheduleSpec::new().cron(cron))
            .map_err(|e: super::cron::CronError| e.to_string());
        Self::of(spec)
    }

    /// Fires every `interval`, counted from the Unix epoch.
    pub fn every(interval: Duration) -> Self {
        let spec = IntervalSpec::new(interval, Duration::ZERO)
            .map(|every| ScheduleSpec::new().interval(every))
            .map_err(|e| e.to_string());
        Self::of(spec)
    }

    /// Fires as a full spec says: several crons and intervals, start and end.
    pub fn spec(spec: ScheduleSpec) -> Self {
        Self::of(Ok(spec))
    }

    fn of(spec: Result<ScheduleSpec, String>) -> Self {
        Schedule {
            spec,
            action: None,
            policies: SchedulePolicies::new(),
            paused: None,
        }
    }

    /// The action: start this workflow. Each start's workflow id is the
    /// options' id, `-`, and the time it was due (`report-2026-12-02T03:00:00Z`).
    pub fn start<W: WorkflowType, A>(mut self, run: Run<W, A>, args: A, options: StartOptions<W>) -> Self {
        self.action = Some(start_request(W::NAME, run.encode(args), options));
        self
    }

    /// The action, by workflow type name (dynamic workflows, other SDKs,
    /// the CLI); each element of `args` is one argument of the run method.
    pub fn start_by_name(mut self, workflow_type: &str, args: impl IntoArgs, options: StartOptions) -> Self {
        self.action = Some(start_request(workflow_type, args.into_args(), options));
        self
    }

    /// What to do with a start due while the last one still runs (default:
    /// skip it).
    pub fn overlap(mut self, policy: OverlapPolicy) -> Self {
        self.policies = self.policies.overlap(policy);
        self
    }

    /// How late a missed start may still run, after the engine was down
    /// (default: a year; at least 10 s).
    pub fn catchup_window(mut self, window: Duration) -> Self {
        self.policies = self.policies.catchup_window(window);
        self
    }

    /// Pauses the schedule when a started workflow fails or times out.
    pub fn pause_on_failure(mut self, pause: bool) -> Self {
        self.policies = self.policies.pause_on_failure(pause);
        self
    }

    /// Delays each start by a deterministic amount below `jitter`.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.spec = self.spec.map(|spec| spec.jitter(jitter));
        self
    }

    /// Creates the schedule paused, with this note.
    pub fn paused(mut self, note: impl Into<String>) -> Self {
        self.paused = Some(note.into());
        self
    }

    /// The schedule as engines keep it, or why it cannot be created.
    pub(crate) fn into_definition(self) -> Result<ScheduleDefinition, ClientError> {
        let invalid = |message: String| ClientError::InvalidOptions { message };
        let spec = self.spec.map_err(invalid)?;
        spec.validate().map_err(|e| invalid(e.to_string()))?;
        let action = self
            .action
            .ok_or_else(|| invalid("a schedule needs an action: call `.start(...)`".to_owned()))??;
        if action.start_signal.is_some() {
            return Err(invalid(
                "a schedule starts workflows; it cannot signal-with-start".to_owned(),
            ));
        }
        Ok(ScheduleDefinition {
            spec,
            action,
            policies: self.policies,
            paused: self.paused.is_some(),
            note: self.paused.unwrap_or_default(),
        })
    }
}

/// A schedule as engines keep it and `describe` returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleDefinition {
    /// When it fires.
    pub spec: ScheduleSpec,
    /// The workflow it starts; its id is the prefix of each start's id.
    pub action: StartRequest,
    /// Overlap, catch-up and pause-on-failure.
    pub policies: SchedulePolicies,
    /// Whether it was created paused.
    pub paused: bool,
    /// The note it was created with.
    pub note: String,
}

/// What [`ScheduleHandle::describe`](super::ScheduleHandle::describe) tells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleDescription {
    /// The schedule's id.
    pub schedule_id: String,
    /// Its spec, action and policies.
    pub definition: ScheduleDefinition,
    /// Whether it is paused now, and the last pause or unpause note.
    pub paused: bool,
    /// The note of its last pause or unpause.
    pub note: String,
    /// Its counters and recent actions.
    pub info: ScheduleInfo,
    /// The workflow ids of the starts still running.
    pub running_workflows: Vec<String>,
    /// The next times it fires (up to 10), in ms since the Unix epoch.
    pub next_action_times_ms: Vec<i64>,
}

/// One schedule, as [`Client::list_schedules`](crate::Client::list_schedules)
/// lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSummary {
    /// The schedule's id.
    pub schedule_id: String,
    /// The workflow type it starts.
    pub workflow_type: String,
    /// Whether it is paused.
    pub paused: bool,
    /// When it fires next, in ms since the Unix epoch.
    pub next_action_time_ms: Option<i64>,
}

/// A call on one schedule, as backends carry it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ScheduleOp {
    /// Create it.
    Create(Box<ScheduleDefinition>),
    /// Describe it.
    Describe,
    /// Pause it, with a note.
    Pause(String),
    /// Unpause it, with a note.
    Unpause(String),
    /// Start its action now, with this overlap policy (or its own).
    Trigger(Option<OverlapPolicy>),
    /// Replace its spec, action and policies.
    Update(Box<ScheduleDefinition>),
    /// Delete it (the workflows it started run on).
    Delete,
}

/// What a [`ScheduleOp`] answers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ScheduleReply {
    /// Done.
    Done,
    /// The schedule, described.
    Description(Box<ScheduleDescription>),
}
