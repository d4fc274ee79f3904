//! The schedules page, one schedule's page, and the actions on a schedule
//! (pause, unpause, trigger, delete).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use maud::{html, Markup};
use serde::Deserialize;

use crate::actions::{answer, ActionError, Outcome};
use crate::page::{segment, shell, Base, PageError, Section};
use crate::present::{duration, schedule_changed, utc};
use crate::state::Shared;

/// What a schedule action's form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct ScheduleForm {
    /// The note of a pause or unpause.
    #[serde(default)]
    note: String,
}

/// `POST /schedules/{schedule_id}/actions/{action}`: runs one action,
/// through the process that owns the file.
pub(crate) async fn act(
    State(shared): State<Shared>,
    Path((schedule_id, action)): Path<(String, String)>,
    Json(form): Json<ScheduleForm>,
) -> (StatusCode, Json<Outcome>) {
    let handle = shared.file.client().get_schedule_handle(&schedule_id);
    let note = match form.note.trim() {
        "" => "from the web UI".to_owned(),
        note => note.to_owned(),
    };
    let done = match action.as_str() {
        "pause" => handle.pause(note).await.map(|()| "paused"),
        "unpause" => handle.unpause(note).await.map(|()| "unpaused"),
        "trigger" => handle.trigger(None).await.map(|()| "triggered"),
        "delete" => handle.delete().await.map(|()| "deleted"),
        unknown => return answer(Err(ActionError::Unknown(unknown.to_owned()))),
    };
    answer(
        done.map(|what| schedule_changed(&schedule_id, what))
            .map_err(ActionError::from),
    )
}

/// `GET /schedules`: every schedule of the file.
pub(crate) async fn schedules_page(State(shared): State<Shared>, base: Base) -> Result<Markup, PageError> {
    let schedules = shared.file.client().list_schedules().await?;
    let body = html! {
        h1 { "Schedules" }
        @if schedules.is_empty() {
            p.muted { "No schedules. Create one with `client.create_schedule` or `workflow schedule create`." }
        } @else {
            table.schedules {
                thead { tr { th { "Schedule ID" } th { "Workflow type" } th { "State" } th { "Next start (UTC)" } } }
                tbody { @for s in &schedules {
                    tr {
                        td { a href=(base.at(&format!("/schedules/{}", segment(&s.schedule_id)))) { (s.schedule_id) } }
                        td { (s.workflow_type) }
                        td { (if s.paused { "paused" } else { "active" }) }
                        td { (s.next_action_time_ms.map(|ms| utc(ms.max(0) as u64)).unwrap_or_default()) }
                    }
                } }
            }
        }
    };
    Ok(shell(&base, &shared.csrf, Section::Schedules, "Schedules", body))
}

/// `GET /schedules/{schedule_id}`: one schedule described.
pub(crate) async fn schedule_page(
    State(shared): State<Shared>,
    base: Base,
    Path(schedule_id): Path<String>,
) -> Result<Markup, PageError> {
    let d = shared
        .file
        .client()
        .get_schedule_handle(&schedule_id)
        .describe()
        .await?;
    let spec = &d.definition.spec;
    let mut when: Vec<String> = spec.cron.iter().map(|c| format!("cron {c}")).collect();
    when.extend(spec.intervals.iter().map(|i| format!("every {}", duration(i.every))));
    let action = &d.definition.action;
    let body = html! {
        h1 { "Schedule " (d.schedule_id) }
        dl.facts {
            dt { "Spec" } dd { (when.join(", ")) }
            dt { "Starts" } dd { (action.workflow_type) " on " (action.task_queue) ", ids " (action.workflow_id) "-…" }
            dt { "State" } dd { (if d.paused { "paused" } else { "active" }) }
            @if !d.note.is_empty() { dt { "Note" } dd { (d.note) } }
            dt { "Starts so far" } dd { (d.info.num_actions) }
            dt { "Skipped (overlap)" } dd { (d.info.num_actions_skipped_overlap) }
            dt { "Missed (catch-up window)" } dd { (d.info.num_actions_missed_catchup_window) }
        }
        div.columns {
            section { h2 { "Running" }
                @if d.running_workflows.is_empty() { p.muted { "none" } }
                ul { @for id in &d.running_workflows { li { a href=(base.run(id, None)) { (id) } } } }
            }
            section { h2 { "Recent starts" }
                @if d.info.recent_actions.is_empty() { p.muted { "none yet" } }
                ul { @for start in d.info.recent_actions.iter().rev() {
                    li { a href=(base.run(&start.workflow_id, None)) { (start.workflow_id) }
                        @if start.manual { " (triggered)" } }
                } }
            }
            section { h2 { "Next starts (UTC)" }
                ul { @for ms in &d.next_action_times_ms { li { (utc((*ms).max(0) as u64)) } } }
            }
        }
        (forms(&base, &d.schedule_id, d.paused))
    };
    Ok(shell(&base, &shared.csrf, Section::Schedules, &schedule_id, body))
}

/// A schedule's action forms: pause or unpause, trigger, delete.
fn forms(base: &Base, schedule_id: &str, paused: bool) -> Markup {
    let url = |action: &str| base.at(&format!("/schedules/{}/actions/{action}", segment(schedule_id)));
    let (toggle, label) = match paused {
        true => ("unpause", "Unpause"),
        false => ("pause", "Pause"),
    };
    html! {
        section.actions #actions {
            h2 { "Actions" }
            div.forms {
                form.action data-action=(url(toggle)) data-after="reload" {
                    h3 { (label) }
                    input name="note" placeholder="note" autocomplete="off";
                    button type="submit" { (label) }
                    pre.outcome {}
                }
                form.action data-action=(url("trigger")) data-after="reload" {
                    h3 { "Trigger" }
                    p.muted { "Start its action now, under its overlap policy." }
                    button type="submit" { "Trigger now" }
                    pre.outcome {}
                }
                form.action data-action=(url("delete")) data-confirm="Delete this schedule? Its runs go on."
                    data-after=(base.at("/schedules")) {
                    h3 { "Delete" }
                    p.muted { "The workflows it started run on." }
                    button.danger type="submit" { "Delete" }
                    pre.outcome {}
                }
            }
        }
    }
}
