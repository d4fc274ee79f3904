//! Temporal history events in this crate's [`EventKind`] terms, so
//! `fetch_history` and `describe` read the same on both engines.
//!
//! Server bookkeeping (workflow task scheduled/started, activity started,
//! markers other than patches and local activities) has no counterpart and is skipped; event ids stay the server's.

use std::collections::HashMap;

use temporalio_common::protos::constants::{LOCAL_ACTIVITY_MARKER_NAME, PATCH_MARKER_NAME};
use temporalio_common::protos::coresdk::common::{decode_change_marker_details, extract_local_activity_marker_details};
use temporalio_common::protos::temporal::api::enums::v1::SignalExternalWorkflowExecutionFailedCause;
use temporalio_common::protos::temporal::api::history::v1::{history_event::Attributes as A, HistoryEvent};
use temporalio_common::protos::temporal::api::update::v1::outcome;
use workflow_client::{
    ActivityOptions, ApplicationError, Event, EventKind, ExternalFailureCause, Failure, Marker, ParentInfo, Payload,
};

use super::convert::{
    duration_in, failure_in, header_in, memo_changes_in, millis_in, payload_in, payloads_in, result_in,
    retry_policy_in, search_attribute_updates_in,
};

/// Translates a run's events, in order.
#[derive(Default)]
pub(super) struct Translator {
    /// Scheduling/initiating event id -> the `seq` the workflow used.
    seqs: HashMap<i64, u32>,
    /// Sequence numbers for commands whose id is not in history.
    next_seq: u32,
}

impl Translator {
    /// The event in this crate's terms, or `None` for server bookkeeping.
    pub(super) fn event(&mut self, event: HistoryEvent) -> Option<Event> {
        let id = event.event_id;
        let kind = self.kind(id, event.attributes?)?;
        Some(Event {
            id: u64::try_from(id).unwrap_or_default(),
            time_ms: millis_in(event.event_time),
            kind,
        })
    }

    fn seq_of(&self, event_id: i64) -> u32 {
        self.seqs.get(&event_id).copied().unwrap_or_default()
    }

    fn remember(&mut self, event_id: i64, id: &str) -> u32 {
        let seq = id.parse().unwrap_or_else(|_| {
            self.next_seq += 1;
            self.next_seq
        });
        self.seqs.insert(event_id, seq);
        seq
    }

    fn kind(&mut self, id: i64, attributes: A) -> Option<EventKind> {
        Some(match attributes {
            A::WorkflowExecutionStartedEventAttributes(a) => EventKind::WorkflowExecutionStarted {
                workflow_type: a.workflow_type.map(|t| t.name).unwrap_or_default(),
                task_queue: a.task_queue.map(|t| t.name).unwrap_or_default(),
                input: payloads_in(a.input),
                parent: a.parent_workflow_execution.map(|p| ParentInfo {
                    workflow_id: p.workflow_id,
                    run_id: p.run_id,
                    seq: 0,
                }),
                continued_from_run_id: Some(a.continued_execution_run_id).filter(|r| !r.is_empty()),
                randomness_seed: 0,
                attempt: u32::try_from(a.attempt).unwrap_or(1).max(1),
                header: header_in(a.header),
            },
            A::WorkflowExecutionSignaledEventAttributes(a) => EventKind::WorkflowExecutionSignaled {
                signal_name: a.signal_name,
                input: payloads_in(a.input),
                header: header_in(a.header),
            },
            A::WorkflowExecutionUpdateAcceptedEventAttributes(a) => {
                let request = a.accepted_request.unwrap_or_default();
                let input = request.input.unwrap_or_default();
                EventKind::WorkflowExecutionUpdateAccepted {
                    update_id: request.meta.map(|m| m.update_id).unwrap_or_default(),
                    update_name: input.name,
                    input: payloads_in(input.args),
                    header: header_in(input.header),
                }
            }
            A::WorkflowExecutionUpdateCompletedEventAttributes(a) => EventKind::WorkflowExecutionUpdateCompleted {
                update_id: a.meta.map(|m| m.update_id).unwrap_or_default(),
                outcome: match a.outcome.and_then(|o| o.value) {
                    Some(outcome::Value::Success(p)) => Ok(result_in(Some(p))),
                    Some(outcome::Value::Failure(f)) => Err(failure_in(f)),
                    None => Err(Failure::Application(ApplicationError::new(
                        "update completed without an outcome",
                    ))),
                },
            },
            A::WorkflowExecutionCancelRequestedEventAttributes(a) => {
                EventKind::WorkflowExecutionCancelRequested { reason: a.cause }
            }
            A::WorkflowTaskCompletedEventAttributes(_) => EventKind::WorkflowTaskCompleted,
            A::TimerStartedEventAttributes(a) => EventKind::TimerStarted {
                seq: self.remember(id, &a.timer_id),
                duration_ms: duration_in(a.start_to_fire_timeout).unwrap_or_default().as_millis() as u64,
            },
            A::TimerFiredEventAttributes(a) => EventKind::TimerFired {
                seq: a.timer_id.parse().unwrap_or_default(),
            },
            A::TimerCanceledEventAttributes(a) => EventKind::TimerCanceled {
                seq: a.timer_id.parse().unwrap_or_default(),
            },
            A::ActivityTaskScheduledEventAttributes(a) => EventKind::ActivityTaskScheduled {
                seq: self.remember(id, &a.activity_id),
                activity_type: a.activity_type.map(|t| t.name).unwrap_or_default(),
                task_queue: a.task_queue.map(|t| t.name).unwrap_or_default(),
                input: payloads_in(a.input),
                options: ActivityOptions {
                    start_to_close_timeout: duration_in(a.start_to_close_timeout),
                    schedule_to_close_timeout: duration_in(a.schedule_to_close_timeout),
                    retry_policy: a.retry_policy.map(retry_policy_in).unwrap_or_default(),
                    task_queue: None,
                    heartbeat_timeout: duration_in(a.heartbeat_timeout),
                    cancellation_type: Default::default(),
                },
                header: header_in(a.header),
            },
            A::ActivityTaskCompletedEventAttributes(a) => EventKind::ActivityTaskCompleted {
                seq: self.seq_of(a.scheduled_event_id),
                result: result_in(a.result),
                attempt: 0,
            },
            A::ActivityTaskFailedEventAttributes(a) => EventKind::ActivityTaskFailed {
                seq: self.seq_of(a.scheduled_event_id),
                failure: a.failure.map(failure_in).unwrap_or(Failure::Canceled),
                attempt: 0,
            },
            A::ActivityTaskCancelRequestedEventAttributes(a) => EventKind::ActivityTaskCancelRequested {
                seq: self.seq_of(a.scheduled_event_id),
            },
            A::ActivityTaskCanceledEventAttributes(a) => EventKind::ActivityTaskCanceled {
                seq: self.seq_of(a.scheduled_event_id),
            },
            A::SignalExternalWorkflowExecutionInitiatedEventAttributes(a) => {
                EventKind::SignalExternalWorkflowExecutionInitiated {
                    seq: self.remember(id, ""),
                    workflow_id: a.workflow_execution.map(|e| e.workflow_id).unwrap_or_default(),
                    signal_name: a.signal_name,
                    input: payloads_in(a.input),
                    header: header_in(a.header),
                }
            }
            A::ExternalWorkflowExecutionSignaledEventAttributes(a) => EventKind::ExternalWorkflowExecutionSignaled {
                seq: self.seq_of(a.initiated_event_id),
            },
            A::SignalExternalWorkflowExecutionFailedEventAttributes(a) => {
                EventKind::SignalExternalWorkflowExecutionFailed {
                    seq: self.seq_of(a.initiated_event_id),
                    cause: if a.cause == SignalExternalWorkflowExecutionFailedCause::SignalCountLimitExceeded as i32 {
                        ExternalFailureCause::LimitExceeded
                    } else {
                        ExternalFailureCause::NotFound
                    },
                }
            }
            A::RequestCancelExternalWorkflowExecutionInitiatedEventAttributes(a) => {
                EventKind::RequestCancelExternalWorkflowExecutionInitiated {
                    seq: self.remember(id, ""),
                    workflow_id: a.workflow_execution.map(|e| e.workflow_id).unwrap_or_default(),
                }
            }
            A::ExternalWorkflowExecutionCancelRequestedEventAttributes(a) => {
                EventKind::ExternalWorkflowExecutionCancelRequested {
                    seq: self.seq_of(a.initiated_event_id),
                }
            }
            A::RequestCancelExternalWorkflowExecutionFailedEventAttributes(a) => {
                EventKind::RequestCancelExternalWorkflowExecutionFailed {
                    seq: self.seq_of(a.initiated_event_id),
                    cause: ExternalFailureCause::NotFound,
                }
            }
            A::StartChildWorkflowExecutionInitiatedEventAttributes(a) => {
                EventKind::StartChildWorkflowExecutionInitiated {
                    seq: self.remember(id, ""),
                    workflow_id: a.workflow_id,
                    workflow_type: a.workflow_type.map(|t| t.name).unwrap_or_default(),
                    task_queue: a.task_queue.map(|t| t.name).unwrap_or_default(),
                    input: payloads_in(a.input),
                    header: header_in(a.header),
                }
            }
            A::ChildWorkflowExecutionStartedEventAttributes(a) => EventKind::ChildWorkflowExecutionStarted {
                seq: self.seq_of(a.initiated_event_id),
                run_id: a.workflow_execution.map(|e| e.run_id).unwrap_or_default(),
            },
            A::StartChildWorkflowExecutionFailedEventAttributes(a) => EventKind::StartChildWorkflowExecutionFailed {
                seq: self.seq_of(a.initiated_event_id),
                existing_run_id: String::new(),
            },
            A::ChildWorkflowExecutionCompletedEventAttributes(a) => EventKind::ChildWorkflowExecutionCompleted {
                seq: self.seq_of(a.initiated_event_id),
                result: result_in(a.result),
            },
            A::ChildWorkflowExecutionFailedEventAttributes(a) => EventKind::ChildWorkflowExecutionFailed {
                seq: self.seq_of(a.initiated_event_id),
                failure: a.failure.map(failure_in).unwrap_or(Failure::Canceled),
            },
            A::WorkflowExecutionCompletedEventAttributes(a) => EventKind::WorkflowExecutionCompleted {
                result: result_in(a.result),
            },
            A::WorkflowExecutionFailedEventAttributes(a) => EventKind::WorkflowExecutionFailed {
                failure: a.failure.map(failure_in).unwrap_or(Failure::Canceled),
            },
            A::WorkflowExecutionCanceledEventAttributes(_) => EventKind::WorkflowExecutionCanceled,
            A::WorkflowExecutionTimedOutEventAttributes(_) => EventKind::WorkflowExecutionTimedOut,
            A::UpsertWorkflowSearchAttributesEventAttributes(a) => EventKind::UpsertWorkflowSearchAttributes {
                updates: search_attribute_updates_in(a.search_attributes),
            },
            A::WorkflowPropertiesModifiedEventAttributes(a) => EventKind::WorkflowPropertiesModified {
                memo: memo_changes_in(a.upserted_memo),
            },
            A::WorkflowExecutionTerminatedEventAttributes(a) => {
                EventKind::WorkflowExecutionTerminated { reason: a.reason }
            }
            A::WorkflowExecutionContinuedAsNewEventAttributes(a) => EventKind::WorkflowExecutionContinuedAsNew {
                new_run_id: a.new_execution_run_id,
                input: payloads_in(a.input),
            },
            A::MarkerRecordedEventAttributes(a) if a.marker_name == PATCH_MARKER_NAME => {
                let (patch_id, deprecated) = decode_change_marker_details(&a.details)?;
                EventKind::MarkerRecorded {
                    marker: Marker::Patch { patch_id, deprecated },
                }
            }
            A::MarkerRecordedEventAttributes(mut a) if a.marker_name == LOCAL_ACTIVITY_MARKER_NAME => {
                let (data, result) = extract_local_activity_marker_details(&mut a.details);
                let data = data?;
                let result = match (a.failure, result) {
                    (Some(failure), _) => Err(failure_in(failure)),
                    (None, result) => Ok(result.map(payload_in).unwrap_or_else(Payload::null)),
                };
                EventKind::MarkerRecorded {
                    marker: Marker::LocalActivity {
                        seq: data.seq,
                        activity_type: data.activity_type,
                        attempt: data.attempt,
                        result,
                    },
                }
            }
            _ => return None,
        })
    }
}
