//! Schedules on Temporal: the server's schedule calls. The server rewrites
//! cron strings into calendars; `describe` writes them back as cron text.

use temporalio_client::tonic::{Code, Request, Status};
use temporalio_common::protos::temporal::api::common::v1::WorkflowType;
use temporalio_common::protos::temporal::api::enums::v1::ScheduleOverlapPolicy;
use temporalio_common::protos::temporal::api::schedule::v1 as proto;
use temporalio_common::protos::temporal::api::workflow::v1::NewWorkflowExecutionInfo;
use temporalio_common::protos::temporal::api::workflowservice::v1::*;
use workflow_client::id::unique_id;
use workflow_client::schedule::{
    CronExpr, IntervalSpec, OverlapPolicy, ScheduleDefinition, ScheduleDescription, ScheduleInfo, ScheduleOp,
    SchedulePolicies, ScheduleReply, ScheduleSpec, ScheduleStart, ScheduleSummary,
};
use workflow_client::{ClientError, IdReusePolicy, RunOptions, StartRequest};

use super::{server_error, task_queue, TemporalBackend};
use crate::temporal::convert::{
    duration_in, duration_out, header_in, header_out, memo_in, memo_out, millis_in, payload_in, payloads_out,
    retry_policy_in, retry_policy_out, search_attributes_in, search_attributes_out,
};

impl TemporalBackend {
    pub(super) async fn schedule_call(self, schedule_id: String, op: ScheduleOp) -> Result<ScheduleReply, ClientError> {
        let missing = |s: Status| match s.code() {
            Code::NotFound => ClientError::ScheduleNotFound {
                schedule_id: schedule_id.clone(),
            },
            Code::InvalidArgument => ClientError::InvalidOptions {
                message: s.message().to_owned(),
            },
            _ => server_error(&s),
        };
        let mut service = self.service();
        match op {
            ScheduleOp::Create(definition) => {
                let request = CreateScheduleRequest {
                    namespace: self.namespace.clone(),
                    schedule_id: schedule_id.clone(),
                    schedule: Some(schedule_out(&definition)),
                    identity: self.identity.clone(),
                    request_id: unique_id(),
                    ..Default::default()
                };
                match service.create_schedule(Request::new(request)).await {
                    Ok(_) => {}
                    Err(s) if s.code() == Code::AlreadyExists => {
                        return Err(ClientError::ScheduleAlreadyExists { schedule_id })
                    }
                    Err(s) => return Err(missing(s)),
                }
            }
            ScheduleOp::Describe => {
                let described = self.describe_schedule(&schedule_id).await.map_err(missing)?;
                return Ok(ScheduleReply::Description(Box::new(described_in(
                    schedule_id,
                    described,
                ))));
            }
            ScheduleOp::Pause(_) | ScheduleOp::Unpause(_) | ScheduleOp::Trigger(_) => {
                let patch = match op {
                    // The server reads an empty note as "no change".
                    ScheduleOp::Pause(note) => proto::SchedulePatch {
                        pause: non_empty(note, "paused"),
                        ..Default::default()
                    },
                    ScheduleOp::Unpause(note) => proto::SchedulePatch {
                        unpause: non_empty(note, "unpaused"),
                        ..Default::default()
                    },
                    ScheduleOp::Trigger(overlap) => proto::SchedulePatch {
                        trigger_immediately: Some(proto::TriggerImmediatelyRequest {
                            overlap_policy: overlap.map_or(ScheduleOverlapPolicy::Unspecified, overlap_out) as i32,
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    _ => unreachable!("matched above"),
                };
                service
                    .patch_schedule(Request::new(PatchScheduleRequest {
                        namespace: self.namespace.clone(),
                        schedule_id: schedule_id.clone(),
                        patch: Some(patch),
                        identity: self.identity.clone(),
                        request_id: unique_id(),
                    }))
                    .await
                    .map_err(missing)?;
            }
            ScheduleOp::Update(definition) => {
                // The update keeps the schedule's pause state.
                let current = self.describe_schedule(&schedule_id).await.map_err(missing)?;
                let mut schedule = schedule_out(&definition);
                schedule.state = current.schedule.and_then(|s| s.state);
                service
                    .update_schedule(Request::new(UpdateScheduleRequest {
                        namespace: self.namespace.clone(),
                        schedule_id: schedule_id.clone(),
                        schedule: Some(schedule),
                        conflict_token: current.conflict_token,
                        identity: self.identity.clone(),
                        request_id: unique_id(),
                        ..Default::default()
                    }))
                    .await
                    .map_err(missing)?;
            }
            ScheduleOp::Delete => {
                service
                    .delete_schedule(Request::new(DeleteScheduleRequest {
                        namespace: self.namespace.clone(),
                        schedule_id: schedule_id.clone(),
                        identity: self.identity.clone(),
                    }))
                    .await
                    .map_err(missing)?;
            }
        }
        Ok(ScheduleReply::Done)
    }

    async fn describe_schedule(&self, schedule_id: &str) -> Result<DescribeScheduleResponse, Status> {
        let request = DescribeScheduleRequest {
            namespace: self.namespace.clone(),
            schedule_id: schedule_id.to_owned(),
        };
        Ok(self
            .service()
            .describe_schedule(Request::new(request))
            .await?
            .into_inner())
    }

    pub(super) async fn all_schedules(self) -> Result<Vec<ScheduleSummary>, ClientError> {
        let mut all = Vec::new();
        let mut next_page_token = Vec::new();
        loop {
            let page = self
                .service()
                .list_schedules(Request::new(ListSchedulesRequest {
                    namespace: self.namespace.clone(),
                    maximum_page_size: 1000,
                    next_page_token,
                    ..Default::default()
                }))
                .await
                .map_err(|s| server_error(&s))?
                .into_inner();
            all.extend(page.schedules.into_iter().map(|entry| {
                let info = entry.info.unwrap_or_default();
                ScheduleSummary {
                    schedule_id: entry.schedule_id,
                    workflow_type: info.workflow_type.map(|t| t.name).unwrap_or_default(),
                    paused: info.paused,
                    next_action_time_ms: info.future_action_times.first().map(|t| millis_in(Some(*t)) as i64),
                }
            }));
            if page.next_page_token.is_empty() {
                break;
            }
            next_page_token = page.next_page_token;
        }
        all.sort_by(|a, b| a.schedule_id.cmp(&b.schedule_id));
        Ok(all)
    }
}

fn non_empty(note: String, default: &str) -> String {
    if note.is_empty() {
        default.to_owned()
    } else {
        note
    }
}

fn overlap_out(policy: OverlapPolicy) -> ScheduleOverlapPolicy {
    match policy {
        OverlapPolicy::Skip => ScheduleOverlapPolicy::Skip,
        OverlapPolicy::BufferOne => ScheduleOverlapPolicy::BufferOne,
        OverlapPolicy::BufferAll => ScheduleOverlapPolicy::BufferAll,
        OverlapPolicy::CancelOther => ScheduleOverlapPolicy::CancelOther,
        OverlapPolicy::TerminateOther => ScheduleOverlapPolicy::TerminateOther,
        OverlapPolicy::AllowAll => ScheduleOverlapPolicy::AllowAll,
    }
}

fn timestamp_out(ms: i64) -> prost_wkt_types::Timestamp {
    prost_wkt_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

/// A schedule on the wire: the spec's cron strings and intervals, the
/// start action, the policies and the initial state.
fn schedule_out(definition: &ScheduleDefinition) -> proto::Schedule {
    let spec = &definition.spec;
    let action = &definition.action;
    let run = action.run.clone();
    proto::Schedule {
        spec: Some(proto::ScheduleSpec {
            cron_string: spec.cron.iter().map(ToString::to_string).collect(),
            interval: spec
                .intervals
                .iter()
                .map(|i| proto::IntervalSpec {
                    interval: Some(duration_out(i.every)),
                    phase: Some(duration_out(i.offset)),
                })
                .collect(),
            start_time: spec.start_at.map(timestamp_out),
            end_time: spec.end_at.map(timestamp_out),
            jitter: Some(duration_out(spec.jitter)),
            ..Default::default()
        }),
        action: Some(proto::ScheduleAction {
            action: Some(proto::schedule_action::Action::StartWorkflow(
                NewWorkflowExecutionInfo {
                    workflow_id: action.workflow_id.clone(),
                    workflow_type: Some(WorkflowType {
                        name: action.workflow_type.clone(),
                    }),
                    task_queue: Some(task_queue(action.task_queue.clone())),
                    input: payloads_out(action.args.clone()),
                    workflow_execution_timeout: run.execution_timeout.map(duration_out),
                    workflow_run_timeout: run.run_timeout.map(duration_out),
                    workflow_task_timeout: run.task_timeout.map(duration_out),
                    retry_policy: run.retry_policy.map(retry_policy_out),
                    memo: memo_out(run.memo),
                    search_attributes: search_attributes_out(&run.search_attributes),
                    header: header_out(action.header.clone()),
                    ..Default::default()
                },
            )),
        }),
        policies: Some(proto::SchedulePolicies {
            overlap_policy: overlap_out(definition.policies.overlap) as i32,
            catchup_window: Some(duration_out(definition.policies.catchup_window)),
            pause_on_failure: definition.policies.pause_on_failure,
            ..Default::default()
        }),
        state: Some(proto::ScheduleState {
            notes: definition.note.clone(),
            paused: definition.paused,
            ..Default::default()
        }),
    }
}

/// A cron expression from the calendar the server rewrote it into:
/// each field's ranges as `a-b/step` lists (seconds and years are whole).
fn cron_in(calendar: &proto::StructuredCalendarSpec) -> Option<CronExpr> {
    let field = |ranges: &[proto::Range]| {
        if ranges.is_empty() {
            return "*".to_owned();
        }
        let parts: Vec<String> = ranges
            .iter()
            .map(|r| match (r.end > r.start, r.step > 1) {
                (false, _) => r.start.to_string(),
                (true, false) => format!("{}-{}", r.start, r.end),
                (true, true) => format!("{}-{}/{}", r.start, r.end, r.step),
            })
            .collect();
        parts.join(",")
    };
    let text = [
        &calendar.minute,
        &calendar.hour,
        &calendar.day_of_month,
        &calendar.month,
        &calendar.day_of_week,
    ]
    .map(|ranges| field(ranges))
    .join(" ");
    text.parse().ok()
}

/// A description from the server's.
fn described_in(schedule_id: String, described: DescribeScheduleResponse) -> ScheduleDescription {
    let schedule = described.schedule.unwrap_or_default();
    let spec = schedule.spec.unwrap_or_default();
    let policies = schedule.policies.unwrap_or_default();
    let state = schedule.state.unwrap_or_default();
    let start = match schedule.action.and_then(|a| a.action) {
        Some(proto::schedule_action::Action::StartWorkflow(start)) => start,
        None => NewWorkflowExecutionInfo::default(),
    };
    let ms = |t: Option<prost_wkt_types::Timestamp>| millis_in(t) as i64;
    let overlap = match ScheduleOverlapPolicy::try_from(policies.overlap_policy) {
        Ok(ScheduleOverlapPolicy::BufferOne) => OverlapPolicy::BufferOne,
        Ok(ScheduleOverlapPolicy::BufferAll) => OverlapPolicy::BufferAll,
        Ok(ScheduleOverlapPolicy::CancelOther) => OverlapPolicy::CancelOther,
        Ok(ScheduleOverlapPolicy::TerminateOther) => OverlapPolicy::TerminateOther,
        Ok(ScheduleOverlapPolicy::AllowAll) => OverlapPolicy::AllowAll,
        _ => OverlapPolicy::Skip,
    };
    let definition = ScheduleDefinition {
        spec: ScheduleSpec {
            cron: spec.structured_calendar.iter().filter_map(cron_in).collect(),
            intervals: spec
                .interval
                .iter()
                .map(|i| IntervalSpec {
                    every: duration_in(i.interval).unwrap_or_default(),
                    offset: duration_in(i.phase).unwrap_or_default(),
                })
                .collect(),
            jitter: duration_in(spec.jitter).unwrap_or_default(),
            start_at: spec.start_time.map(|t| ms(Some(t))),
            end_at: spec.end_time.map(|t| ms(Some(t))),
        },
        action: StartRequest {
            workflow_type: start.workflow_type.map(|t| t.name).unwrap_or_default(),
            workflow_id: start.workflow_id,
            task_queue: start.task_queue.map(|q| q.name).unwrap_or_default(),
            args: start
                .input
                .map(|p| p.payloads.into_iter().map(payload_in).collect())
                .unwrap_or_default(),
            start_signal: None,
            id_reuse_policy: IdReusePolicy::AllowDuplicate,
            id_conflict_policy: None,
            run: RunOptions {
                execution_timeout: duration_in(start.workflow_execution_timeout),
                run_timeout: duration_in(start.workflow_run_timeout),
                task_timeout: duration_in(start.workflow_task_timeout),
                retry_policy: start.retry_policy.map(retry_policy_in),
                start_delay: None,
                memo: memo_in(start.memo),
                search_attributes: search_attributes_in(start.search_attributes),
            },
            header: header_in(start.header),
        },
        policies: SchedulePolicies {
            overlap,
            catchup_window: duration_in(policies.catchup_window).unwrap_or(SchedulePolicies::DEFAULT_CATCHUP_WINDOW),
            pause_on_failure: policies.pause_on_failure,
        },
        paused: state.paused,
        note: state.notes.clone(),
    };
    let info = described.info.unwrap_or_default();
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    ScheduleDescription {
        schedule_id,
        definition,
        paused: state.paused,
        note: state.notes,
        info: ScheduleInfo {
            num_actions: count(info.action_count),
            num_actions_skipped_overlap: count(info.overlap_skipped),
            num_actions_missed_catchup_window: count(info.missed_catchup_window),
            buffer_dropped: count(info.buffer_dropped),
            recent_actions: info
                .recent_actions
                .into_iter()
                .map(|a| ScheduleStart {
                    nominal_ms: ms(a.schedule_time),
                    actual_ms: ms(a.actual_time),
                    workflow_id: a.start_workflow_result.map(|w| w.workflow_id).unwrap_or_default(),
                    manual: false,
                })
                .collect(),
        },
        running_workflows: info.running_workflows.into_iter().map(|w| w.workflow_id).collect(),
        next_action_times_ms: info.future_action_times.into_iter().map(|t| ms(Some(t))).collect(),
    }
}
