//! The schedules page and one schedule's page.

use axum::extract::{Path, State};
use maud::{html, Markup};

use crate::page::{segment, shell, Base, PageError, Section};
use crate::present::{duration, utc};
use crate::state::Shared;

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
                ul { @for id in &d.running_workflows { li { a href=(base.run(id, None)) { (id) } } } }
            }
            section { h2 { "Recent starts" }
                ul { @for start in d.info.recent_actions.iter().rev() {
                    li { a href=(base.run(&start.workflow_id, None)) { (start.workflow_id) }
                        @if start.manual { " (triggered)" } }
                } }
            }
            section { h2 { "Next starts (UTC)" }
                ul { @for ms in &d.next_action_times_ms { li { (utc((*ms).max(0) as u64)) } } }
            }
        }
    };
    Ok(shell(&base, &shared.csrf, Section::Schedules, &schedule_id, body))
}
