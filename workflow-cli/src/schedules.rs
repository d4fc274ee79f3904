//! `workflow schedule ...`: the schedules of a file. Reads come from the
//! file; changes go to the process that owns it, which runs them.

use std::time::Duration;

use workflow::schedule::{OverlapPolicy, Schedule};
use workflow::{StartOptions, StoreFile};

use crate::commands::{emit, json_args, print_json, Outcome};
use crate::format::{utc, Table};
use crate::parse_duration;
use workflow_ui::present::duration;

/// One schedule subcommand.
#[derive(clap::Subcommand)]
pub(crate) enum ScheduleCommand {
    /// Create a schedule that starts a workflow on a cron expression or an
    /// interval; each ARG is one JSON argument of the workflow.
    Create {
        /// The schedule's id.
        #[arg(value_name = "SCHEDULE_ID")]
        schedule_id: String,
        /// A cron expression in UTC, e.g. "0 3 * * *".
        #[arg(long, conflicts_with = "every", required_unless_present = "every")]
        cron: Option<String>,
        /// An interval, e.g. `1h`, `30m`.
        #[arg(long, value_parser = parse_duration)]
        every: Option<Duration>,
        /// The workflow type to start.
        #[arg(long = "type", value_name = "TYPE")]
        workflow_type: String,
        /// The task queue its worker polls.
        #[arg(long)]
        task_queue: String,
        /// The prefix of each start's workflow id (the schedule's id by default).
        #[arg(long)]
        workflow_id: Option<String>,
        /// What a start due while the last one runs does: skip, buffer-one,
        /// buffer-all, cancel-other, terminate-other, allow-all.
        #[arg(long, value_parser = parse_overlap, default_value = "skip")]
        overlap: OverlapPolicy,
        /// Create it paused, with this note.
        #[arg(long, value_name = "NOTE")]
        paused: Option<String>,
        /// The workflow's arguments, one JSON value each.
        #[arg(value_name = "ARG")]
        args: Vec<String>,
    },
    /// List the schedules.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show a schedule: its spec, action, state, recent and next actions.
    Describe {
        #[arg(value_name = "SCHEDULE_ID")]
        schedule_id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Stop a schedule firing.
    Pause {
        #[arg(value_name = "SCHEDULE_ID")]
        schedule_id: String,
        /// Why, shown by `describe`.
        #[arg(long, default_value = "paused from the command line")]
        note: String,
    },
    /// Let a paused schedule fire again (the times it missed do not run).
    Unpause {
        #[arg(value_name = "SCHEDULE_ID")]
        schedule_id: String,
        /// Why, shown by `describe`.
        #[arg(long, default_value = "unpaused from the command line")]
        note: String,
    },
    /// Start a schedule's action now.
    Trigger {
        #[arg(value_name = "SCHEDULE_ID")]
        schedule_id: String,
    },
    /// Delete a schedule (the workflows it started run on).
    Delete {
        #[arg(value_name = "SCHEDULE_ID")]
        schedule_id: String,
    },
}

fn parse_overlap(text: &str) -> Result<OverlapPolicy, String> {
    Ok(match text {
        "skip" => OverlapPolicy::Skip,
        "buffer-one" => OverlapPolicy::BufferOne,
        "buffer-all" => OverlapPolicy::BufferAll,
        "cancel-other" => OverlapPolicy::CancelOther,
        "terminate-other" => OverlapPolicy::TerminateOther,
        "allow-all" => OverlapPolicy::AllowAll,
        other => {
            return Err(format!(
                "unknown overlap policy `{other}`: expected skip, buffer-one, buffer-all, cancel-other, \
                 terminate-other or allow-all"
            ))
        }
    })
}

/// Runs one schedule subcommand against `file`.
pub(crate) async fn run(file: &StoreFile, command: ScheduleCommand) -> Outcome {
    let client = file.client();
    let done = |what: &str, id: &str| emit(&workflow_ui::present::schedule_changed(id, what));
    match command {
        ScheduleCommand::Create {
            schedule_id,
            cron,
            every,
            workflow_type,
            task_queue,
            workflow_id,
            overlap,
            paused,
            args,
        } => {
            let schedule = match (cron, every) {
                (Some(cron), _) => Schedule::cron(&cron),
                (None, Some(every)) => Schedule::every(every),
                (None, None) => return Err("give --cron or --every".to_owned()),
            };
            let options = StartOptions::new(workflow_id.unwrap_or_else(|| schedule_id.clone())).task_queue(task_queue);
            let mut schedule = schedule
                .start_by_name(&workflow_type, json_args(&args)?, options)
                .overlap(overlap);
            if let Some(note) = paused {
                schedule = schedule.paused(note);
            }
            client
                .create_schedule(&schedule_id, schedule)
                .await
                .map_err(|e| e.to_string())?;
            done("created", &schedule_id)
        }
        ScheduleCommand::List { json } => {
            let all = client.list_schedules().await.map_err(|e| e.to_string())?;
            if json {
                return print_json(&all);
            }
            let mut table = Table::new(["SCHEDULE ID", "TYPE", "PAUSED", "NEXT (UTC)"]);
            for s in all {
                let next = s
                    .next_action_time_ms
                    .map_or_else(|| "-".to_owned(), |ms| utc(ms as u64));
                table.row([s.schedule_id, s.workflow_type, s.paused.to_string(), next]);
            }
            emit(&table.to_string())
        }
        ScheduleCommand::Describe { schedule_id, json } => {
            let d = client
                .get_schedule_handle(&schedule_id)
                .describe()
                .await
                .map_err(|e| e.to_string())?;
            if json {
                return print_json(&d);
            }
            let spec = &d.definition.spec;
            let mut when: Vec<String> = spec.cron.iter().map(|c| format!("cron {c}")).collect();
            when.extend(spec.intervals.iter().map(|i| format!("every {}", duration(i.every))));
            let mut table = Table::plain();
            table.row(["schedule id", &d.schedule_id]);
            table.row(["spec", &when.join(", ")]);
            table.row(["workflow type", &d.definition.action.workflow_type]);
            table.row(["task queue", &d.definition.action.task_queue]);
            table.row(["paused", &d.paused.to_string()]);
            table.row(["note", &d.note]);
            table.row(["actions", &d.info.num_actions.to_string()]);
            table.row(["skipped (overlap)", &d.info.num_actions_skipped_overlap.to_string()]);
            table.row([
                "missed (catch-up)",
                &d.info.num_actions_missed_catchup_window.to_string(),
            ]);
            table.row(["running", &d.running_workflows.join(", ")]);
            for action in &d.info.recent_actions {
                table.row(["recent", &action.workflow_id]);
            }
            for ms in d.next_action_times_ms.iter().take(3) {
                table.row(["next", &utc(*ms as u64)]);
            }
            emit(&table.to_string())
        }
        ScheduleCommand::Pause { schedule_id, note } => {
            let handle = client.get_schedule_handle(&schedule_id);
            handle.pause(note).await.map_err(|e| e.to_string())?;
            done("paused", &schedule_id)
        }
        ScheduleCommand::Unpause { schedule_id, note } => {
            let handle = client.get_schedule_handle(&schedule_id);
            handle.unpause(note).await.map_err(|e| e.to_string())?;
            done("unpaused", &schedule_id)
        }
        ScheduleCommand::Trigger { schedule_id } => {
            let handle = client.get_schedule_handle(&schedule_id);
            handle.trigger(None).await.map_err(|e| e.to_string())?;
            done("triggered", &schedule_id)
        }
        ScheduleCommand::Delete { schedule_id } => {
            let handle = client.get_schedule_handle(&schedule_id);
            handle.delete().await.map_err(|e| e.to_string())?;
            done("deleted", &schedule_id)
        }
    }
}
