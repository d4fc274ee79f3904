//! Payloads, failures, durations and retry policies between this crate's
//! types and Temporal's protobufs: the wire the Python SDK speaks too.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use temporalio_common::protos::temporal::api::common::v1 as proto;
use temporalio_common::protos::temporal::api::enums::v1::{PendingActivityState as StateIn, TimeoutType};
use temporalio_common::protos::temporal::api::failure::v1::{
    self as failure_proto, failure::FailureInfo, ActivityFailureInfo, ApplicationFailureInfo, CanceledFailureInfo,
    ChildWorkflowExecutionFailureInfo, TerminatedFailureInfo, TimeoutFailureInfo,
};
use temporalio_common::protos::temporal::api::workflow::v1::PendingActivityInfo;
use workflow_client::timestamp::{format_rfc3339 as rfc3339, parse_rfc3339};
use workflow_client::{
    ApplicationError, Failure, Headers, Payload, PendingActivity, PendingActivityState, RetryPolicy,
    SearchAttributeType, SearchAttributeUpdate, SearchAttributeValue, SearchAttributes, TimeoutKind,
};

/// What this SDK writes into `Failure.source`.
const SOURCE: &str = "RustWorkflowSDK";

/// A payload on the wire.
pub(crate) fn payload_out(payload: Payload) -> proto::Payload {
    proto::Payload {
        metadata: payload.metadata.into_iter().map(|(k, v)| (k, v.into_bytes())).collect(),
        data: payload.data,
        ..Default::default()
    }
}

/// A payload from the wire; metadata that is not UTF-8 is kept lossily.
pub(crate) fn payload_in(payload: proto::Payload) -> Payload {
    Payload {
        metadata: payload
            .metadata
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                )
            })
            .collect(),
        data: payload.data,
    }
}

/// Several arguments: one payload each.
pub(crate) fn payloads_out(payloads: Vec<Payload>) -> Option<proto::Payloads> {
    Some(proto::Payloads {
        payloads: payloads.into_iter().map(payload_out).collect(),
    })
}

/// Arguments from the wire.
pub(crate) fn payloads_in(payloads: Option<proto::Payloads>) -> Vec<Payload> {
    payloads
        .map(|p| p.payloads.into_iter().map(payload_in).collect())
        .unwrap_or_default()
}

/// A single result from the wire: the first payload, or null when there is none.
pub(crate) fn result_in(payloads: Option<proto::Payloads>) -> Payload {
    payloads_in(payloads).into_iter().next().unwrap_or_else(Payload::null)
}

/// A failure on the wire.
pub(crate) fn failure_out(failure: Failure) -> failure_proto::Failure {
    let (message, info, cause) = match failure {
        Failure::Application(e) => {
            let info = FailureInfo::ApplicationFailureInfo(ApplicationFailureInfo {
                r#type: e.error_type().unwrap_or_default().to_owned(),
                non_retryable: e.is_non_retryable(),
                details: (!e.details().is_empty()).then(|| proto::Payloads {
                    payloads: e.details().iter().cloned().map(payload_out).collect(),
                }),
                ..Default::default()
            });
            (e.message().to_owned(), info, None)
        }
        Failure::Canceled => (
            "canceled".to_owned(),
            FailureInfo::CanceledFailureInfo(CanceledFailureInfo::default()),
            None,
        ),
        Failure::Terminated { reason } => (
            reason,
            FailureInfo::TerminatedFailureInfo(TerminatedFailureInfo::default()),
            None,
        ),
        Failure::Timeout { kind } => {
            let timeout_type = match kind {
                TimeoutKind::StartToClose => TimeoutType::StartToClose,
                TimeoutKind::ScheduleToClose => TimeoutType::ScheduleToClose,
                TimeoutKind::Heartbeat => TimeoutType::Heartbeat,
            };
            let info = FailureInfo::TimeoutFailureInfo(TimeoutFailureInfo {
                timeout_type: timeout_type as i32,
                ..Default::default()
            });
            (format!("{kind} timeout elapsed"), info, None)
        }
        Failure::Activity {
            activity_type,
            attempts: _,
            cause,
        } => {
            let info = FailureInfo::ActivityFailureInfo(ActivityFailureInfo {
                activity_type: Some(proto::ActivityType { name: activity_type }),
                ..Default::default()
            });
            ("activity failed".to_owned(), info, Some(*cause))
        }
        Failure::ChildWorkflow {
            workflow_type,
            workflow_id,
            cause,
        } => {
            let info = FailureInfo::ChildWorkflowExecutionFailureInfo(ChildWorkflowExecutionFailureInfo {
                workflow_execution: Some(proto::WorkflowExecution {
                    workflow_id,
                    run_id: String::new(),
                }),
                workflow_type: Some(proto::WorkflowType { name: workflow_type }),
                ..Default::default()
            });
            ("child workflow failed".to_owned(), info, Some(*cause))
        }
    };
    failure_proto::Failure {
        message,
        source: SOURCE.to_owned(),
        cause: cause.map(|c| Box::new(failure_out(c))),
        failure_info: Some(info),
        ..Default::default()
    }
}

/// A failure from the wire. Kinds this crate does not model (server, reset,
/// Nexus) become application errors typed after the kind.
pub(crate) fn failure_in(failure: failure_proto::Failure) -> Failure {
    let cause = failure.cause.map(|c| Box::new(failure_in(*c)));
    let missing_cause = || Box::new(Failure::Application(ApplicationError::new("no cause recorded")));
    match failure.failure_info {
        Some(FailureInfo::ApplicationFailureInfo(info)) => {
            let mut e = ApplicationError::new(failure.message);
            if !info.r#type.is_empty() {
                e = e.with_type(info.r#type);
            }
            if info.non_retryable {
                e = e.non_retryable();
            }
            Failure::Application(e.with_raw_details(payloads_in(info.details)))
        }
        Some(FailureInfo::CanceledFailureInfo(_)) => Failure::Canceled,
        Some(FailureInfo::TerminatedFailureInfo(_)) => Failure::Terminated {
            reason: failure.message,
        },
        Some(FailureInfo::TimeoutFailureInfo(info)) => Failure::Timeout {
            kind: match TimeoutType::try_from(info.timeout_type) {
                Ok(TimeoutType::ScheduleToClose) => TimeoutKind::ScheduleToClose,
                Ok(TimeoutType::Heartbeat) => TimeoutKind::Heartbeat,
                _ => TimeoutKind::StartToClose,
            },
        },
        Some(FailureInfo::ActivityFailureInfo(info)) => Failure::Activity {
            activity_type: info.activity_type.map(|t| t.name).unwrap_or_default(),
            attempts: 0,
            cause: cause.unwrap_or_else(missing_cause),
        },
        Some(FailureInfo::ChildWorkflowExecutionFailureInfo(info)) => Failure::ChildWorkflow {
            workflow_type: info.workflow_type.map(|t| t.name).unwrap_or_default(),
            workflow_id: info.workflow_execution.map(|e| e.workflow_id).unwrap_or_default(),
            cause: cause.unwrap_or_else(missing_cause),
        },
        Some(other) => {
            let kind = match other {
                FailureInfo::ServerFailureInfo(_) => "ServerFailure",
                FailureInfo::ResetWorkflowFailureInfo(_) => "ResetWorkflow",
                _ => "NexusFailure",
            };
            Failure::Application(ApplicationError::new(failure.message).with_type(kind))
        }
        None => Failure::Application(ApplicationError::new(failure.message)),
    }
}

/// A duration on the wire (saturating at the protobuf range).
pub(crate) fn duration_out(d: Duration) -> prost_wkt_types::Duration {
    prost_wkt_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: d.subsec_nanos() as i32,
    }
}

/// A duration from the wire; negative ones are zero.
pub(crate) fn duration_in(d: Option<prost_wkt_types::Duration>) -> Option<Duration> {
    d.map(|d| Duration::new(d.seconds.max(0) as u64, d.nanos.max(0) as u32))
}

/// A timestamp from the wire.
pub(crate) fn time_in(t: Option<prost_wkt_types::Timestamp>) -> SystemTime {
    t.map(|t| SystemTime::UNIX_EPOCH + Duration::new(t.seconds.max(0) as u64, t.nanos.max(0) as u32))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Milliseconds since the epoch of a timestamp from the wire.
pub(crate) fn millis_in(t: Option<prost_wkt_types::Timestamp>) -> u64 {
    time_in(t)
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A pending activity as the server describes it.
pub(crate) fn pending_activity_in(p: PendingActivityInfo) -> PendingActivity {
    let state = match StateIn::try_from(p.state) {
        Ok(StateIn::Started) => PendingActivityState::Started,
        Ok(StateIn::CancelRequested) => PendingActivityState::CancelRequested,
        _ => PendingActivityState::Scheduled,
    };
    PendingActivity {
        activity_id: p.activity_id,
        activity_type: p.activity_type.map(|t| t.name).unwrap_or_default(),
        state,
        attempt: u32::try_from(p.attempt).unwrap_or_default(),
        last_failure: p.last_failure.map(failure_in),
        next_attempt_time_ms: p.next_attempt_schedule_time.map(|t| millis_in(Some(t))),
        last_heartbeat_time_ms: p.last_heartbeat_time.map(|t| millis_in(Some(t))),
        heartbeat_details: payloads_in(p.heartbeat_details),
    }
}

/// Headers as Core's activations and commands carry them: payloads by name.
pub(crate) fn header_fields_out(headers: Headers) -> HashMap<String, proto::Payload> {
    headers.into_iter().map(|(k, v)| (k, payload_out(v))).collect()
}

/// Headers from Core's activations and activity tasks.
pub(crate) fn header_fields_in(fields: HashMap<String, proto::Payload>) -> Headers {
    fields.into_iter().map(|(k, v)| (k, payload_in(v))).collect()
}

/// Headers in a service request; `None` when there are none.
pub(crate) fn header_out(headers: Headers) -> Option<proto::Header> {
    (!headers.is_empty()).then(|| proto::Header {
        fields: header_fields_out(headers),
    })
}

/// Headers of a history event or a service request.
pub(crate) fn header_in(header: Option<proto::Header>) -> Headers {
    header_fields_in(header.map(|h| h.fields).unwrap_or_default())
}

/// A memo on the wire.
pub(crate) fn memo_out(memo: BTreeMap<String, Payload>) -> Option<proto::Memo> {
    (!memo.is_empty()).then(|| proto::Memo {
        fields: memo.into_iter().map(|(k, v)| (k, payload_out(v))).collect(),
    })
}

/// A memo from the wire.
pub(crate) fn memo_in(memo: Option<proto::Memo>) -> BTreeMap<String, Payload> {
    memo.map(|m| m.fields.into_iter().map(|(k, v)| (k, payload_in(v))).collect())
        .unwrap_or_default()
}

/// Memo changes on the wire: an empty payload removes its key.
pub(crate) fn memo_changes_out(changes: BTreeMap<String, Option<Payload>>) -> proto::Memo {
    proto::Memo {
        fields: changes
            .into_iter()
            .map(|(k, v)| (k, v.map(payload_out).unwrap_or_default()))
            .collect(),
    }
}

/// Memo changes from the wire.
pub(crate) fn memo_changes_in(memo: Option<proto::Memo>) -> BTreeMap<String, Option<Payload>> {
    let fields = memo.map(|m| m.fields).unwrap_or_default();
    fields
        .into_iter()
        .map(|(k, v)| (k, Some(v).filter(|p| !p.data.is_empty()).map(payload_in)))
        .collect()
}

/// Search attribute changes on the wire: an empty JSON list unsets, as
/// the server reads it for every type.
pub(crate) fn search_attribute_updates_out(updates: Vec<SearchAttributeUpdate>) -> proto::SearchAttributes {
    let unset = || payload_out(Payload::encode(&[(); 0]).unwrap_or_else(|_| Payload::null()));
    proto::SearchAttributes {
        indexed_fields: updates
            .into_iter()
            .map(|u| (u.name, u.value.as_ref().map_or_else(unset, search_attribute_out)))
            .collect(),
    }
}

/// Search attribute changes from the wire (a history event).
pub(crate) fn search_attribute_updates_in(attributes: Option<proto::SearchAttributes>) -> Vec<SearchAttributeUpdate> {
    let mut updates: Vec<SearchAttributeUpdate> = attributes
        .map(|a| a.indexed_fields)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, payload)| SearchAttributeUpdate {
            name,
            value: search_attribute_in(&payload),
        })
        .collect();
    // The wire's map has no order; names are unique, so sort by them.
    updates.sort_by(|a, b| a.name.cmp(&b.name));
    updates
}

/// Search attributes from the wire (a description).
pub(crate) fn search_attributes_in(attributes: Option<proto::SearchAttributes>) -> SearchAttributes {
    let mut all = SearchAttributes::new();
    search_attribute_updates_in(attributes)
        .into_iter()
        .for_each(|u| all.apply(u));
    all
}

/// One search attribute from the wire: the value its `type` metadata
/// names; `None` for an unset one (an empty list, or no type).
fn search_attribute_in(payload: &proto::Payload) -> Option<SearchAttributeValue> {
    use SearchAttributeValue as V;
    let kind: SearchAttributeType = std::str::from_utf8(payload.metadata.get("type")?).ok()?.parse().ok()?;
    let json: serde_json::Value = serde_json::from_slice(&payload.data).ok()?;
    let text = || json.as_str().map(str::to_owned);
    Some(match kind {
        SearchAttributeType::Keyword => V::Keyword(text()?),
        SearchAttributeType::Text => V::Text(text()?),
        SearchAttributeType::Int => V::Int(json.as_i64()?),
        SearchAttributeType::Double => V::Double(json.as_f64()?),
        SearchAttributeType::Bool => V::Bool(json.as_bool()?),
        SearchAttributeType::Datetime => V::Datetime(parse_rfc3339(json.as_str()?)?),
        SearchAttributeType::KeywordList => V::KeywordList(serde_json::from_value(json).ok()?),
    })
}

/// Search attributes on the wire: JSON payloads whose `type` metadata
/// names the attribute's type, as Temporal's SDKs send them.
pub(crate) fn search_attributes_out(attributes: &SearchAttributes) -> Option<proto::SearchAttributes> {
    (!attributes.is_empty()).then(|| proto::SearchAttributes {
        indexed_fields: attributes
            .iter()
            .map(|(name, value)| (name.to_owned(), search_attribute_out(value)))
            .collect(),
    })
}

fn search_attribute_out(value: &SearchAttributeValue) -> proto::Payload {
    use SearchAttributeValue as V;
    let json = match value {
        V::Keyword(s) | V::Text(s) => serde_json::json!(s),
        V::Int(i) => serde_json::json!(i),
        V::Double(d) => serde_json::json!(d),
        V::Bool(b) => serde_json::json!(b),
        V::Datetime(ms) => serde_json::json!(rfc3339(*ms)),
        V::KeywordList(list) => serde_json::json!(list),
    };
    let mut payload = payload_out(Payload::encode(&json).unwrap_or_else(|_| Payload::null()));
    payload
        .metadata
        .insert("type".to_owned(), value.kind().to_string().into_bytes());
    payload
}

/// A retry policy from the wire.
pub(crate) fn retry_policy_in(p: proto::RetryPolicy) -> RetryPolicy {
    let default = RetryPolicy::default();
    RetryPolicy {
        initial_interval: duration_in(p.initial_interval).unwrap_or(default.initial_interval),
        backoff_coefficient: p.backoff_coefficient,
        maximum_interval: duration_in(p.maximum_interval).unwrap_or(default.maximum_interval),
        maximum_attempts: u32::try_from(p.maximum_attempts).unwrap_or_default(),
        non_retryable_error_types: p.non_retryable_error_types,
    }
}

/// A retry policy on the wire.
pub(crate) fn retry_policy_out(policy: RetryPolicy) -> proto::RetryPolicy {
    proto::RetryPolicy {
        initial_interval: Some(duration_out(policy.initial_interval)),
        backoff_coefficient: policy.backoff_coefficient,
        maximum_interval: Some(duration_out(policy.maximum_interval)),
        maximum_attempts: i32::try_from(policy.maximum_attempts).unwrap_or(i32::MAX),
        non_retryable_error_types: policy.non_retryable_error_types,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_survive_the_wire() {
        let failures = [
            Failure::Application(ApplicationError::new("bad").with_type("Bad").non_retryable()),
            Failure::Canceled,
            Failure::Terminated { reason: "ops".into() },
            Failure::Timeout {
                kind: TimeoutKind::ScheduleToClose,
            },
            Failure::ChildWorkflow {
                workflow_type: "Child".into(),
                workflow_id: "c-1".into(),
                cause: Box::new(Failure::Canceled),
            },
        ];
        for failure in failures {
            assert_eq!(failure_in(failure_out(failure.clone())), failure);
        }
    }

    #[test]
    fn payloads_keep_their_encoding() {
        let p = Payload::encode(&vec!["a", "b"]).unwrap();
        let wire = payload_out(p.clone());
        assert_eq!(wire.metadata["encoding"], b"json/plain");
        assert_eq!(payload_in(wire), p);
    }
}
