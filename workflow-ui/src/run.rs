//! One run's page: what it is, what it waits on, how it relates to other
//! runs, its history as a timeline, and the actions on it.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use workflow::visibility::{Field, Filter, VisibilityQuery, WorkflowSummary};
use workflow::{Description, EventKind, History, ParentInfo, StoreFile, Untyped, WorkflowHandle};

use crate::page::{json_block, segment, shell, status_badge, Base, PageError, Section};
use crate::present::{activity_state, attributes_json, event_fields, memo_json, payload_json, utc};
use crate::state::Shared;

/// Which run of a workflow id a request is about: the latest without one.
#[derive(Debug, Deserialize)]
pub(crate) struct RunParam {
    /// The run id.
    pub(crate) run: Option<String>,
    /// On the run's page: list only the events after this id in the
    /// timeline, as the live refresh asks, so a long history is not sent
    /// again at each change.
    pub(crate) after: Option<u64>,
}

/// How many other runs of the same workflow id the page lists.
const OTHER_RUNS: usize = 20;

/// A handle on the run a request names.
pub(crate) fn handle(file: &StoreFile, workflow_id: &str, run: &RunParam) -> WorkflowHandle<Untyped> {
    let handle = file.client().get_workflow_handle(workflow_id);
    match &run.run {
        Some(run_id) => handle.with_run_id(run_id),
        None => handle,
    }
}

/// `GET /runs/{workflow_id}`: the run page.
pub(crate) async fn run_page(
    State(shared): State<Shared>,
    base: Base,
    Path(workflow_id): Path<String>,
    Query(run): Query<RunParam>,
) -> Result<Markup, PageError> {
    let asked = handle(&shared.file, &workflow_id, &run);
    let description = asked.describe().await?;
    // The run described, even if a newer one has started since.
    let history = asked.with_run_id(&description.run_id).fetch_history().await?;
    let same_id = VisibilityQuery {
        filter: Some(Filter::equals(Field::WorkflowId, &workflow_id)),
        order_by: Vec::new(),
    };
    let others = shared
        .file
        .client()
        .list_workflows_page(&same_id.to_string(), OTHER_RUNS, None)
        .await?
        .runs;
    let facts = Facts::read(&history);
    let of_this_run = |what: &str| {
        format!(
            "{}/{what}?run={}",
            base.run(&workflow_id, None),
            segment(&description.run_id)
        )
    };
    let body = html! {
        div #live data-state=(of_this_run("state")) data-page=(base.run(&workflow_id, Some(&description.run_id)))
            data-version=(version(&description)) {
            (summary(&base, &description, &facts, &others))
            (waiting(&description, &facts, &of_this_run("stack")))
            (children(&base, &facts))
            (timeline(&history, run.after.unwrap_or(0)))
        }
        (crate::actions::forms(&base, &description))
    };
    Ok(shell(&base, &shared.csrf, Section::Runs, &workflow_id, body))
}

/// What changes when a run moves on: its status and history length.
fn version(d: &Description) -> String {
    format!("{}:{}", d.status, d.history_length)
}

/// What the live refresh polls.
#[derive(Serialize)]
pub(crate) struct RunState {
    /// The run's status and history length, as the page's `data-version`.
    version: String,
}

/// `GET /runs/{workflow_id}/state`: whether the run has changed.
pub(crate) async fn run_state(
    State(shared): State<Shared>,
    Path(workflow_id): Path<String>,
    Query(run): Query<RunParam>,
) -> Result<Json<RunState>, PageError> {
    let description = handle(&shared.file, &workflow_id, &run).describe().await?;
    Ok(Json(RunState {
        version: version(&description),
    }))
}

/// What the page reads off a history: input and outcome, relations to
/// other runs, and the timers and children still open.
#[derive(Default)]
struct Facts<'h> {
    /// How many events the history has.
    length: usize,
    input: Vec<Value>,
    parent: Option<&'h ParentInfo>,
    continued_from: Option<&'h str>,
    continued_as: Option<&'h str>,
    attempt: u32,
    /// How the run closed, as JSON, if it did.
    outcome: Option<Value>,
    /// Open timers by `seq`: when each fires (ms since the epoch).
    timers: BTreeMap<u32, u64>,
    /// Children by `seq`.
    children: BTreeMap<u32, Child<'h>>,
}

/// A child workflow the run started.
struct Child<'h> {
    workflow_id: &'h str,
    workflow_type: &'h str,
    run_id: Option<&'h str>,
    /// How it ended, if it has.
    outcome: Option<Value>,
}

impl<'h> Facts<'h> {
    fn read(history: &'h History) -> Facts<'h> {
        let mut facts = Facts {
            length: history.events.len(),
            ..Facts::default()
        };
        for event in &history.events {
            match &event.kind {
                EventKind::WorkflowExecutionStarted {
                    input,
                    parent,
                    continued_from_run_id,
                    attempt,
                    ..
                } => {
                    facts.input = input.iter().map(payload_json).collect();
                    facts.parent = parent.as_ref();
                    facts.continued_from = continued_from_run_id.as_deref();
                    facts.attempt = *attempt;
                }
                EventKind::TimerStarted { seq, duration_ms } => {
                    facts.timers.insert(*seq, event.time_ms.saturating_add(*duration_ms));
                }
                EventKind::TimerFired { seq } | EventKind::TimerCanceled { seq } => {
                    facts.timers.remove(seq);
                }
                EventKind::StartChildWorkflowExecutionInitiated {
                    seq,
                    workflow_id,
                    workflow_type,
                    ..
                } => {
                    let child = Child {
                        workflow_id,
                        workflow_type,
                        run_id: None,
                        outcome: None,
                    };
                    facts.children.insert(*seq, child);
                }
                EventKind::ChildWorkflowExecutionStarted { seq, run_id } => {
                    if let Some(child) = facts.children.get_mut(seq) {
                        child.run_id = Some(run_id);
                    }
                }
                EventKind::StartChildWorkflowExecutionFailed { seq, .. }
                | EventKind::ChildWorkflowExecutionCompleted { seq, .. }
                | EventKind::ChildWorkflowExecutionFailed { seq, .. } => {
                    if let Some(child) = facts.children.get_mut(seq) {
                        child.outcome = Some(event_fields(&event.kind));
                    }
                }
                EventKind::WorkflowExecutionContinuedAsNew { new_run_id, .. } => {
                    facts.continued_as = Some(new_run_id);
                    facts.outcome = Some(event_fields(&event.kind));
                }
                EventKind::WorkflowExecutionCompleted { .. }
                | EventKind::WorkflowExecutionFailed { .. }
                | EventKind::WorkflowExecutionCanceled
                | EventKind::WorkflowExecutionTimedOut
                | EventKind::WorkflowExecutionTerminated { .. } => {
                    facts.outcome = Some(event_fields(&event.kind));
                }
                _ => {}
            }
        }
        facts
    }
}

fn summary(base: &Base, d: &Description, facts: &Facts, others: &[WorkflowSummary]) -> Markup {
    html! {
        h1 { (d.workflow_id) " " (status_badge(d.status)) }
        dl.facts {
            dt { "Type" } dd { (d.workflow_type) }
            dt { "Run ID" } dd.mono { (d.run_id) }
            dt { "Task queue" } dd { (d.task_queue) }
            dt { "Started (UTC)" } dd { (utc(d.start_time_ms)) }
            dt { "Closed (UTC)" } dd { (d.close_time_ms.map(utc).unwrap_or_else(|| "-".to_owned())) }
            dt { "Attempt" } dd { (facts.attempt) }
            dt { "History events" } dd #history-length { (facts.length) }
            dt { "Signals received" } dd { (d.signals_received) }
            @if let Some(parent) = facts.parent {
                dt { "Parent" } dd { a href=(base.run(&parent.workflow_id, Some(&parent.run_id))) { (parent.workflow_id) } }
            }
            @if let Some(previous) = facts.continued_from {
                dt { "Continued from" } dd { a.mono href=(base.run(&d.workflow_id, Some(previous))) { (previous) } }
            }
            @if let Some(next) = facts.continued_as {
                dt { "Continued as" } dd { a.mono href=(base.run(&d.workflow_id, Some(next))) { (next) } }
            }
        }
        @if let Some(failure) = &d.task_failure {
            p.error #task-failure { "Workflow task failing: " (failure) }
        }
        @if !d.unhandled_signals.is_empty() {
            p.warning #unhandled { "Signals with no handler: " (d.unhandled_signals.join(", ")) }
        }
        div.columns {
            section { h2 { "Input" } (json_block(&Value::Array(facts.input.clone()))) }
            section { h2 { "Result" }
                @match &facts.outcome {
                    Some(outcome) => (json_block(outcome)),
                    None => p.muted { "still running" },
                }
            }
        }
        @if !d.memo.is_empty() || !d.search_attributes.is_empty() {
            div.columns {
                section { h2 { "Memo" } (json_block(&memo_json(&d.memo))) }
                section { h2 { "Search attributes" } (json_block(&attributes_json(&d.search_attributes))) }
            }
        }
        @if others.len() > 1 {
            section { h2 { "Runs of this workflow id" }
                ul.runs-of-id {
                    @for other in others {
                        li {
                            @if other.run_id == d.run_id { strong.mono { (other.run_id) } }
                            @else { a.mono href=(base.run(&other.workflow_id, Some(&other.run_id))) { (other.run_id) } }
                            " " (status_badge(other.status)) " " (utc(other.start_time_ms))
                        }
                    }
                }
            }
        }
    }
}

/// What the run waits on: pending activities and timers, and where it is
/// in its code (the stack trace, which the page loads from `stack_url`).
fn waiting(d: &Description, facts: &Facts, stack_url: &str) -> Markup {
    html! {
        @if !d.pending_activities.is_empty() {
            section { h2 { "Pending activities" }
                table { thead { tr { th { "Activity" } th { "ID" } th { "State" } th { "Attempt" }
                    th { "Next attempt (UTC)" } th { "Last failure" } } }
                    tbody { @for a in &d.pending_activities {
                        tr {
                            td { (a.activity_type) } td { (a.activity_id) }
                            td { (activity_state(a.state)) }
                            td { (a.attempt) }
                            td { (a.next_attempt_time_ms.map(utc).unwrap_or_default()) }
                            td { (a.last_failure.as_ref().map(ToString::to_string).unwrap_or_default()) }
                        }
                    } }
                }
            }
        }
        @if !facts.timers.is_empty() {
            section { h2 { "Pending timers" }
                table { thead { tr { th { "Timer" } th { "Fires (UTC)" } } }
                    tbody { @for (seq, fires) in &facts.timers { tr { td { (seq) } td { (utc(*fires)) } } } }
                }
            }
        }
        @if d.status.is_running() {
            section { h2 { "Stack trace" }
                pre #stack data-src=(stack_url) { "asking the process that runs the worker…" }
            }
        }
    }
}

fn children(base: &Base, facts: &Facts) -> Markup {
    html! {
        @if !facts.children.is_empty() {
            section { h2 { "Child workflows" }
                table { thead { tr { th { "Workflow ID" } th { "Type" } th { "Outcome" } } }
                    tbody { @for child in facts.children.values() {
                        tr {
                            td { a href=(base.run(child.workflow_id, child.run_id)) { (child.workflow_id) } }
                            td { (child.workflow_type) }
                            td { @match &child.outcome {
                                Some(outcome) => code { (outcome) },
                                None => span.muted { "running" },
                            } }
                        }
                    } }
                }
            }
        }
    }
}

/// The history's events after id `after` as the rows of a table.
fn timeline(history: &History, after: u64) -> Markup {
    let last = history.events.last().map_or(0, |e| e.id);
    html! {
        section { h2 { "History" }
            table #timeline data-last=(last) {
                thead { tr { th { "ID" } th { "Time (UTC)" } th { "Event" } th { "Details" } } }
                tbody { @for event in history.events.iter().filter(|e| e.id > after) {
                    tr {
                        td { (event.id) }
                        td.nowrap { (utc(event.time_ms)) }
                        td { (event.kind.name()) }
                        td { @let fields = event_fields(&event.kind);
                            @if fields.as_object().is_some_and(|o| !o.is_empty()) { code { (fields) } } }
                    }
                } }
            }
        }
    }
}

/// `GET /runs/{workflow_id}/stack`: the run's `__stack_trace`, from the
/// process that runs its worker (a file no process owns says so at once).
pub(crate) async fn stack_trace(
    State(shared): State<Shared>,
    Path(workflow_id): Path<String>,
    Query(run): Query<RunParam>,
) -> String {
    let file = shared.file.clone().reply_timeout(std::time::Duration::from_secs(3));
    match handle(&file, &workflow_id, &run)
        .query_by_name::<String>("__stack_trace", ())
        .await
    {
        Ok(trace) => trace,
        Err(error) => format!("error: {error}"),
    }
}
