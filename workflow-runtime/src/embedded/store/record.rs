//! What the store writes: private record types, separate from the public
//! API types they convert to and from, so a change to a public type cannot
//! change what is on disk. Records are encoded with postcard (varints,
//! enum variants by position).
//!
//! The encoding is part of the file format: variants and fields are only
//! ever appended, and a change that cannot be made that way is a new schema
//! version with a migration.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow_client::{
    ActivityOptions, ApplicationError, EventKind, ExternalFailureCause, Failure, Headers, Marker, ParentClosePolicy,
    ParentInfo, Payload, RetryPolicy, SearchAttributeUpdate, SearchAttributeValue, TimeoutKind,
};

use super::{StoreError, StoreResult};
use crate::embedded::run_settings::RunSettings;

/// Encodes a record.
pub(super) fn encode<T: Serialize>(record: &T) -> StoreResult<Vec<u8>> {
    postcard::to_stdvec(record).map_err(|e| StoreError::Corrupt {
        table: "(a record being written)",
        message: e.to_string(),
    })
}

/// Decodes a record read from `table`.
pub(super) fn decode<'a, T: Deserialize<'a>>(table: &'static str, bytes: &'a [u8]) -> StoreResult<T> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt {
        table,
        message: e.to_string(),
    })
}

/// The metadata key naming a payload's encoding.
const ENCODING: &str = "encoding";

/// A payload; the common encodings take one byte.
#[derive(Serialize, Deserialize)]
pub(super) struct PayloadRecord {
    encoding: EncodingRecord,
    /// Metadata other than `encoding`.
    metadata: Vec<(String, String)>,
    data: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
pub(super) enum EncodingRecord {
    None,
    JsonPlain,
    BinaryNull,
    Other(String),
}

impl From<&Payload> for PayloadRecord {
    fn from(p: &Payload) -> Self {
        let encoding = match p.encoding() {
            None => EncodingRecord::None,
            Some("json/plain") => EncodingRecord::JsonPlain,
            Some("binary/null") => EncodingRecord::BinaryNull,
            Some(other) => EncodingRecord::Other(other.to_owned()),
        };
        let metadata = p
            .metadata
            .iter()
            .filter(|(k, _)| k.as_str() != ENCODING)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        PayloadRecord {
            encoding,
            metadata,
            data: p.data.clone(),
        }
    }
}

impl From<PayloadRecord> for Payload {
    fn from(r: PayloadRecord) -> Self {
        let mut metadata: BTreeMap<String, String> = r.metadata.into_iter().collect();
        let encoding = match r.encoding {
            EncodingRecord::None => None,
            EncodingRecord::JsonPlain => Some("json/plain".to_owned()),
            EncodingRecord::BinaryNull => Some("binary/null".to_owned()),
            EncodingRecord::Other(other) => Some(other),
        };
        if let Some(encoding) = encoding {
            metadata.insert(ENCODING.to_owned(), encoding);
        }
        Payload { metadata, data: r.data }
    }
}

fn payloads(list: &[Payload]) -> Vec<PayloadRecord> {
    list.iter().map(PayloadRecord::from).collect()
}

fn from_payloads(list: Vec<PayloadRecord>) -> Vec<Payload> {
    list.into_iter().map(Payload::from).collect()
}

/// A duration in nanoseconds.
#[derive(Clone, Copy, Serialize, Deserialize)]
pub(super) struct Nanos(u64);

impl From<Duration> for Nanos {
    fn from(d: Duration) -> Self {
        Nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

impl From<Nanos> for Duration {
    fn from(n: Nanos) -> Self {
        Duration::from_nanos(n.0)
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct RetryPolicyRecord {
    initial_interval: Nanos,
    backoff_coefficient: f64,
    maximum_interval: Nanos,
    maximum_attempts: u32,
    non_retryable_error_types: Vec<String>,
}

impl From<&RetryPolicy> for RetryPolicyRecord {
    fn from(p: &RetryPolicy) -> Self {
        RetryPolicyRecord {
            initial_interval: p.initial_interval.into(),
            backoff_coefficient: p.backoff_coefficient,
            maximum_interval: p.maximum_interval.into(),
            maximum_attempts: p.maximum_attempts,
            non_retryable_error_types: p.non_retryable_error_types.clone(),
        }
    }
}

impl From<RetryPolicyRecord> for RetryPolicy {
    fn from(p: RetryPolicyRecord) -> Self {
        RetryPolicy {
            initial_interval: p.initial_interval.into(),
            backoff_coefficient: p.backoff_coefficient,
            maximum_interval: p.maximum_interval.into(),
            maximum_attempts: p.maximum_attempts,
            non_retryable_error_types: p.non_retryable_error_types,
        }
    }
}

/// What the engine enforces on a run (`runs.options`, from version 5).
#[derive(Serialize, Deserialize)]
pub(super) struct RunSettingsRecord {
    execution_deadline_ms: Option<u64>,
    run_timeout: Option<Nanos>,
    run_deadline_ms: Option<u64>,
    task_timeout: Option<Nanos>,
    retry_policy: Option<RetryPolicyRecord>,
    attempt: u32,
    first_task_ms: Option<u64>,
    parent_close_policy: ParentClosePolicyRecord,
}

#[derive(Serialize, Deserialize)]
pub(super) enum ParentClosePolicyRecord {
    Terminate,
    RequestCancel,
    Abandon,
}

impl From<&RunSettings> for RunSettingsRecord {
    fn from(s: &RunSettings) -> Self {
        RunSettingsRecord {
            execution_deadline_ms: s.execution_deadline_ms,
            run_timeout: s.run_timeout.map(Nanos::from),
            run_deadline_ms: s.run_deadline_ms,
            task_timeout: s.task_timeout.map(Nanos::from),
            retry_policy: s.retry_policy.as_ref().map(RetryPolicyRecord::from),
            attempt: s.attempt,
            first_task_ms: s.first_task_ms,
            parent_close_policy: match s.parent_close_policy {
                ParentClosePolicy::Terminate => ParentClosePolicyRecord::Terminate,
                ParentClosePolicy::RequestCancel => ParentClosePolicyRecord::RequestCancel,
                ParentClosePolicy::Abandon => ParentClosePolicyRecord::Abandon,
            },
        }
    }
}

impl From<RunSettingsRecord> for RunSettings {
    fn from(r: RunSettingsRecord) -> Self {
        RunSettings {
            execution_deadline_ms: r.execution_deadline_ms,
            run_timeout: r.run_timeout.map(Duration::from),
            run_deadline_ms: r.run_deadline_ms,
            task_timeout: r.task_timeout.map(Duration::from),
            retry_policy: r.retry_policy.map(RetryPolicy::from),
            attempt: r.attempt,
            first_task_ms: r.first_task_ms,
            parent_close_policy: match r.parent_close_policy {
                ParentClosePolicyRecord::Terminate => ParentClosePolicy::Terminate,
                ParentClosePolicyRecord::RequestCancel => ParentClosePolicy::RequestCancel,
                ParentClosePolicyRecord::Abandon => ParentClosePolicy::Abandon,
            },
        }
    }
}

/// An activity's options.
#[derive(Serialize, Deserialize)]
pub(super) struct ActivityOptionsRecord {
    start_to_close_timeout: Option<Nanos>,
    schedule_to_close_timeout: Option<Nanos>,
    retry_policy: RetryPolicyRecord,
    task_queue: Option<String>,
    heartbeat_timeout: Option<Nanos>,
}

impl From<&ActivityOptions> for ActivityOptionsRecord {
    fn from(o: &ActivityOptions) -> Self {
        ActivityOptionsRecord {
            start_to_close_timeout: o.start_to_close_timeout.map(Nanos::from),
            schedule_to_close_timeout: o.schedule_to_close_timeout.map(Nanos::from),
            retry_policy: (&o.retry_policy).into(),
            task_queue: o.task_queue.clone(),
            heartbeat_timeout: o.heartbeat_timeout.map(Nanos::from),
        }
    }
}

impl From<ActivityOptionsRecord> for ActivityOptions {
    fn from(r: ActivityOptionsRecord) -> Self {
        let mut options = ActivityOptions::start_to_close(Duration::ZERO);
        options.start_to_close_timeout = r.start_to_close_timeout.map(Duration::from);
        options.schedule_to_close_timeout = r.schedule_to_close_timeout.map(Duration::from);
        options.retry_policy = r.retry_policy.into();
        options.task_queue = r.task_queue;
        options.heartbeat_timeout = r.heartbeat_timeout.map(Duration::from);
        options
    }
}

#[derive(Serialize, Deserialize)]
pub(super) enum FailureRecord {
    Application {
        message: String,
        error_type: Option<String>,
        non_retryable: bool,
        details: Vec<PayloadRecord>,
    },
    Canceled,
    Terminated {
        reason: String,
    },
    Timeout {
        schedule_to_close: bool,
    },
    Activity {
        activity_type: String,
        attempts: u32,
        cause: Box<FailureRecord>,
    },
    ChildWorkflow {
        workflow_type: String,
        workflow_id: String,
        cause: Box<FailureRecord>,
    },
    /// Since schema version 3.
    HeartbeatTimeout,
}

impl From<&Failure> for FailureRecord {
    fn from(f: &Failure) -> Self {
        match f {
            Failure::Application(e) => FailureRecord::Application {
                message: e.message().to_owned(),
                error_type: e.error_type().map(str::to_owned),
                non_retryable: e.is_non_retryable(),
                details: payloads(e.details()),
            },
            Failure::Canceled => FailureRecord::Canceled,
            Failure::Terminated { reason } => FailureRecord::Terminated { reason: reason.clone() },
            Failure::Timeout {
                kind: TimeoutKind::Heartbeat,
            } => FailureRecord::HeartbeatTimeout,
            Failure::Timeout { kind } => FailureRecord::Timeout {
                schedule_to_close: *kind == TimeoutKind::ScheduleToClose,
            },
            Failure::Activity {
                activity_type,
                attempts,
                cause,
            } => FailureRecord::Activity {
                activity_type: activity_type.clone(),
                attempts: *attempts,
                cause: Box::new(cause.as_ref().into()),
            },
            Failure::ChildWorkflow {
                workflow_type,
                workflow_id,
                cause,
            } => FailureRecord::ChildWorkflow {
                workflow_type: workflow_type.clone(),
                workflow_id: workflow_id.clone(),
                cause: Box::new(cause.as_ref().into()),
            },
        }
    }
}

impl From<FailureRecord> for Failure {
    fn from(r: FailureRecord) -> Self {
        match r {
            FailureRecord::Application {
                message,
                error_type,
                non_retryable,
                details,
            } => {
                let mut e = ApplicationError::new(message).with_raw_details(from_payloads(details));
                if let Some(t) = error_type {
                    e = e.with_type(t);
                }
                if non_retryable {
                    e = e.non_retryable();
                }
                Failure::Application(e)
            }
            FailureRecord::Canceled => Failure::Canceled,
            FailureRecord::Terminated { reason } => Failure::Terminated { reason },
            FailureRecord::Timeout { schedule_to_close } => Failure::Timeout {
                kind: match schedule_to_close {
                    true => TimeoutKind::ScheduleToClose,
                    false => TimeoutKind::StartToClose,
                },
            },
            FailureRecord::HeartbeatTimeout => Failure::Timeout {
                kind: TimeoutKind::Heartbeat,
            },
            FailureRecord::Activity {
                activity_type,
                attempts,
                cause,
            } => Failure::Activity {
                activity_type,
                attempts,
                cause: Box::new((*cause).into()),
            },
            FailureRecord::ChildWorkflow {
                workflow_type,
                workflow_id,
                cause,
            } => Failure::ChildWorkflow {
                workflow_type,
                workflow_id,
                cause: Box::new((*cause).into()),
            },
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) enum OutcomeRecord {
    Ok(PayloadRecord),
    Err(FailureRecord),
}

impl From<&Result<Payload, Failure>> for OutcomeRecord {
    fn from(o: &Result<Payload, Failure>) -> Self {
        match o {
            Ok(p) => OutcomeRecord::Ok(p.into()),
            Err(f) => OutcomeRecord::Err(f.into()),
        }
    }
}

impl From<OutcomeRecord> for Result<Payload, Failure> {
    fn from(r: OutcomeRecord) -> Self {
        match r {
            OutcomeRecord::Ok(p) => Ok(p.into()),
            OutcomeRecord::Err(f) => Err(f.into()),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct ParentRecord {
    workflow_id: String,
    run_id: String,
    seq: u32,
}

/// Why a signal or cancellation to another workflow failed.
#[derive(Serialize, Deserialize)]
pub(super) enum CauseRecord {
    NotFound,
    LimitExceeded,
}

impl From<ExternalFailureCause> for CauseRecord {
    fn from(c: ExternalFailureCause) -> Self {
        match c {
            ExternalFailureCause::NotFound => CauseRecord::NotFound,
            ExternalFailureCause::LimitExceeded => CauseRecord::LimitExceeded,
        }
    }
}

impl From<CauseRecord> for ExternalFailureCause {
    fn from(c: CauseRecord) -> Self {
        match c {
            CauseRecord::NotFound => ExternalFailureCause::NotFound,
            CauseRecord::LimitExceeded => ExternalFailureCause::LimitExceeded,
        }
    }
}

/// A history event's kind and data (its id and time are columns).
#[derive(Serialize, Deserialize)]
pub(super) enum EventRecord {
    Started {
        workflow_type: String,
        task_queue: String,
        input: Vec<PayloadRecord>,
        parent: Option<ParentRecord>,
        continued_from_run_id: Option<String>,
        randomness_seed: u64,
    },
    Signaled {
        signal_name: String,
        input: Vec<PayloadRecord>,
    },
    UpdateAccepted {
        update_id: String,
        update_name: String,
        input: Vec<PayloadRecord>,
    },
    UpdateCompleted {
        update_id: String,
        outcome: OutcomeRecord,
    },
    CancelRequested {
        reason: String,
    },
    WorkflowTaskCompleted,
    TimerStarted {
        seq: u32,
        duration_ms: u64,
    },
    TimerFired {
        seq: u32,
    },
    TimerCanceled {
        seq: u32,
    },
    ActivityCancelRequested {
        seq: u32,
    },
    ActivityScheduled {
        seq: u32,
        activity_type: String,
        task_queue: String,
        input: Vec<PayloadRecord>,
        options: ActivityOptionsRecord,
    },
    ActivityCompleted {
        seq: u32,
        result: PayloadRecord,
        attempt: u32,
    },
    ActivityFailed {
        seq: u32,
        failure: FailureRecord,
        attempt: u32,
    },
    SignalExternalInitiated {
        seq: u32,
        workflow_id: String,
        signal_name: String,
        input: Vec<PayloadRecord>,
    },
    ExternalSignaled {
        seq: u32,
    },
    SignalExternalFailed {
        seq: u32,
        cause: CauseRecord,
    },
    CancelExternalInitiated {
        seq: u32,
        workflow_id: String,
    },
    ExternalCancelRequested {
        seq: u32,
    },
    CancelExternalFailed {
        seq: u32,
        cause: CauseRecord,
    },
    StartChildInitiated {
        seq: u32,
        workflow_id: String,
        workflow_type: String,
        task_queue: String,
        input: Vec<PayloadRecord>,
    },
    ChildStarted {
        seq: u32,
        run_id: String,
    },
    StartChildFailed {
        seq: u32,
        existing_run_id: String,
    },
    ChildCompleted {
        seq: u32,
        result: PayloadRecord,
    },
    ChildFailed {
        seq: u32,
        failure: FailureRecord,
    },
    Completed {
        result: PayloadRecord,
    },
    Failed {
        failure: FailureRecord,
    },
    Canceled,
    Terminated {
        reason: String,
    },
    ContinuedAsNew {
        new_run_id: String,
        input: Vec<PayloadRecord>,
    },
    /// Since schema version 2.
    PatchMarker {
        patch_id: String,
        deprecated: bool,
    },
    /// Since schema version 3.
    ActivityCanceled {
        seq: u32,
    },
    /// Since schema version 4.
    LocalActivityMarker {
        seq: u32,
        activity_type: String,
        attempt: u32,
        result: Result<PayloadRecord, FailureRecord>,
    },
    /// Since schema version 5: the start of a run retried by the
    /// workflow's retry policy (`started` is a `Started`).
    StartedAttempt {
        attempt: u32,
        started: Box<EventRecord>,
    },
    /// Since schema version 5.
    TimedOut,
    /// Since schema version 5.
    SearchAttributesUpserted {
        updates: Vec<(String, Option<SearchAttributeRecord>)>,
    },
    /// Since schema version 5.
    PropertiesModified {
        memo: Vec<(String, Option<PayloadRecord>)>,
    },
    /// Since schema version 7: an event that carried headers (`event` is
    /// one of the kinds that may).
    WithHeader {
        header: HeaderRecord,
        event: Box<EventRecord>,
    },
}

/// A search attribute's value.
#[derive(Serialize, Deserialize)]
pub(super) enum SearchAttributeRecord {
    Keyword(String),
    Text(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    Datetime(i64),
    KeywordList(Vec<String>),
}

impl From<&SearchAttributeValue> for SearchAttributeRecord {
    fn from(v: &SearchAttributeValue) -> Self {
        use SearchAttributeValue as V;
        match v.clone() {
            V::Keyword(s) => SearchAttributeRecord::Keyword(s),
            V::Text(s) => SearchAttributeRecord::Text(s),
            V::Int(i) => SearchAttributeRecord::Int(i),
            V::Double(d) => SearchAttributeRecord::Double(d),
            V::Bool(b) => SearchAttributeRecord::Bool(b),
            V::Datetime(ms) => SearchAttributeRecord::Datetime(ms),
            V::KeywordList(l) => SearchAttributeRecord::KeywordList(l),
        }
    }
}

impl From<SearchAttributeRecord> for SearchAttributeValue {
    fn from(r: SearchAttributeRecord) -> Self {
        use SearchAttributeValue as V;
        match r {
            SearchAttributeRecord::Keyword(s) => V::Keyword(s),
            SearchAttributeRecord::Text(s) => V::Text(s),
            SearchAttributeRecord::Int(i) => V::Int(i),
            SearchAttributeRecord::Double(d) => V::Double(d),
            SearchAttributeRecord::Bool(b) => V::Bool(b),
            SearchAttributeRecord::Datetime(ms) => V::Datetime(ms),
            SearchAttributeRecord::KeywordList(l) => V::KeywordList(l),
        }
    }
}

/// Headers as stored (in events and `activities.header`, from version 7).
pub(super) type HeaderRecord = Vec<(String, PayloadRecord)>;

/// The record of `headers`.
pub(super) fn header_record(headers: &Headers) -> HeaderRecord {
    headers
        .iter()
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect()
}

/// The headers a record holds.
pub(super) fn headers_of(record: HeaderRecord) -> Headers {
    record.into_iter().map(|(name, value)| (name, value.into())).collect()
}

/// A memo as stored (`runs.memo`, from version 5).
pub(super) type MemoRecord = Vec<(String, PayloadRecord)>;

impl From<&EventKind> for EventRecord {
    fn from(kind: &EventKind) -> Self {
        let event = EventRecord::bare(kind);
        match kind.header() {
            Some(header) if !header.is_empty() => EventRecord::WithHeader {
                header: header_record(header),
                event: Box::new(event),
            },
            _ => event,
        }
    }
}

impl EventRecord {
    /// The record of `kind`, without its headers.
    fn bare(kind: &EventKind) -> Self {
        use EventKind as K;
        match kind {
            K::WorkflowExecutionStarted {
                workflow_type,
                task_queue,
                input,
                parent,
                continued_from_run_id,
                randomness_seed,
                attempt,
                ..
            } => {
                let started = EventRecord::Started {
                    workflow_type: workflow_type.clone(),
                    task_queue: task_queue.clone(),
                    input: payloads(input),
                    parent: parent.as_ref().map(|p| ParentRecord {
                        workflow_id: p.workflow_id.clone(),
                        run_id: p.run_id.clone(),
                        seq: p.seq,
                    }),
                    continued_from_run_id: continued_from_run_id.clone(),
                    randomness_seed: *randomness_seed,
                };
                match *attempt {
                    1 => started,
                    attempt => EventRecord::StartedAttempt {
                        attempt,
                        started: Box::new(started),
                    },
                }
            }
            K::WorkflowExecutionSignaled { signal_name, input, .. } => EventRecord::Signaled {
                signal_name: signal_name.clone(),
                input: payloads(input),
            },
            K::WorkflowExecutionUpdateAccepted {
                update_id,
                update_name,
                input,
                ..
            } => EventRecord::UpdateAccepted {
                update_id: update_id.clone(),
                update_name: update_name.clone(),
                input: payloads(input),
            },
            K::WorkflowExecutionUpdateCompleted { update_id, outcome } => EventRecord::UpdateCompleted {
                update_id: update_id.clone(),
                outcome: outcome.into(),
            },
            K::WorkflowExecutionCancelRequested { reason } => EventRecord::CancelRequested { reason: reason.clone() },
            K::WorkflowTaskCompleted => EventRecord::WorkflowTaskCompleted,
            K::TimerStarted { seq, duration_ms } => EventRecord::TimerStarted {
                seq: *seq,
                duration_ms: *duration_ms,
            },
            K::TimerFired { seq } => EventRecord::TimerFired { seq: *seq },
            K::TimerCanceled { seq } => EventRecord::TimerCanceled { seq: *seq },
            K::ActivityTaskCancelRequested { seq } => EventRecord::ActivityCancelRequested { seq: *seq },
            K::ActivityTaskCanceled { seq } => EventRecord::ActivityCanceled { seq: *seq },
            K::ActivityTaskScheduled {
                seq,
                activity_type,
                task_queue,
                input,
                options,
                ..
            } => EventRecord::ActivityScheduled {
                seq: *seq,
                activity_type: activity_type.clone(),
                task_queue: task_queue.clone(),
                input: payloads(input),
                options: options.into(),
            },
            K::ActivityTaskCompleted { seq, result, attempt } => EventRecord::ActivityCompleted {
                seq: *seq,
                result: result.into(),
                attempt: *attempt,
            },
            K::ActivityTaskFailed { seq, failure, attempt } => EventRecord::ActivityFailed {
                seq: *seq,
                failure: failure.into(),
                attempt: *attempt,
            },
            K::SignalExternalWorkflowExecutionInitiated {
                seq,
                workflow_id,
                signal_name,
                input,
                ..
            } => EventRecord::SignalExternalInitiated {
                seq: *seq,
                workflow_id: workflow_id.clone(),
                signal_name: signal_name.clone(),
                input: payloads(input),
            },
            K::ExternalWorkflowExecutionSignaled { seq } => EventRecord::ExternalSignaled { seq: *seq },
            K::SignalExternalWorkflowExecutionFailed { seq, cause } => EventRecord::SignalExternalFailed {
                seq: *seq,
                cause: (*cause).into(),
            },
            K::RequestCancelExternalWorkflowExecutionInitiated { seq, workflow_id } => {
                EventRecord::CancelExternalInitiated {
                    seq: *seq,
                    workflow_id: workflow_id.clone(),
                }
            }
            K::ExternalWorkflowExecutionCancelRequested { seq } => EventRecord::ExternalCancelRequested { seq: *seq },
            K::RequestCancelExternalWorkflowExecutionFailed { seq, cause } => EventRecord::CancelExternalFailed {
                seq: *seq,
                cause: (*cause).into(),
            },
            K::StartChildWorkflowExecutionInitiated {
                seq,
                workflow_id,
                workflow_type,
                task_queue,
                input,
                ..
            } => EventRecord::StartChildInitiated {
                seq: *seq,
                workflow_id: workflow_id.clone(),
                workflow_type: workflow_type.clone(),
                task_queue: task_queue.clone(),
                input: payloads(input),
            },
            K::ChildWorkflowExecutionStarted { seq, run_id } => EventRecord::ChildStarted {
                seq: *seq,
                run_id: run_id.clone(),
            },
            K::StartChildWorkflowExecutionFailed { seq, existing_run_id } => EventRecord::StartChildFailed {
                seq: *seq,
                existing_run_id: existing_run_id.clone(),
            },
            K::ChildWorkflowExecutionCompleted { seq, result } => EventRecord::ChildCompleted {
                seq: *seq,
                result: result.into(),
            },
            K::ChildWorkflowExecutionFailed { seq, failure } => EventRecord::ChildFailed {
                seq: *seq,
                failure: failure.into(),
            },
            K::WorkflowExecutionCompleted { result } => EventRecord::Completed { result: result.into() },
            K::WorkflowExecutionFailed { failure } => EventRecord::Failed {
                failure: failure.into(),
            },
            K::WorkflowExecutionCanceled => EventRecord::Canceled,
            K::WorkflowExecutionTimedOut => EventRecord::TimedOut,
            K::UpsertWorkflowSearchAttributes { updates } => EventRecord::SearchAttributesUpserted {
                updates: updates
                    .iter()
                    .map(|u| (u.name.clone(), u.value.as_ref().map(SearchAttributeRecord::from)))
                    .collect(),
            },
            K::WorkflowPropertiesModified { memo } => EventRecord::PropertiesModified {
                memo: memo
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_ref().map(PayloadRecord::from)))
                    .collect(),
            },
            K::WorkflowExecutionTerminated { reason } => EventRecord::Terminated { reason: reason.clone() },
            K::WorkflowExecutionContinuedAsNew { new_run_id, input } => EventRecord::ContinuedAsNew {
                new_run_id: new_run_id.clone(),
                input: payloads(input),
            },
            K::MarkerRecorded {
                marker: Marker::Patch { patch_id, deprecated },
            } => EventRecord::PatchMarker {
                patch_id: patch_id.clone(),
                deprecated: *deprecated,
            },
            K::MarkerRecorded {
                marker:
                    Marker::LocalActivity {
                        seq,
                        activity_type,
                        attempt,
                        result,
                    },
            } => EventRecord::LocalActivityMarker {
                seq: *seq,
                activity_type: activity_type.clone(),
                attempt: *attempt,
                result: result.as_ref().map(PayloadRecord::from).map_err(FailureRecord::from),
            },
        }
    }
}

impl From<EventRecord> for EventKind {
    fn from(record: EventRecord) -> Self {
        use EventKind as K;
        match record {
            EventRecord::Started {
                workflow_type,
                task_queue,
                input,
                parent,
                continued_from_run_id,
                randomness_seed,
            } => K::WorkflowExecutionStarted {
                workflow_type,
                task_queue,
                input: from_payloads(input),
                parent: parent.map(|p| ParentInfo {
                    workflow_id: p.workflow_id,
                    run_id: p.run_id,
                    seq: p.seq,
                }),
                continued_from_run_id,
                randomness_seed,
                attempt: 1,
                header: Headers::default(),
            },
            EventRecord::Signaled { signal_name, input } => K::WorkflowExecutionSignaled {
                signal_name,
                input: from_payloads(input),
                header: Headers::default(),
            },
            EventRecord::UpdateAccepted {
                update_id,
                update_name,
                input,
            } => K::WorkflowExecutionUpdateAccepted {
                update_id,
                update_name,
                input: from_payloads(input),
                header: Headers::default(),
            },
            EventRecord::UpdateCompleted { update_id, outcome } => K::WorkflowExecutionUpdateCompleted {
                update_id,
                outcome: outcome.into(),
            },
            EventRecord::CancelRequested { reason } => K::WorkflowExecutionCancelRequested { reason },
            EventRecord::WorkflowTaskCompleted => K::WorkflowTaskCompleted,
            EventRecord::TimerStarted { seq, duration_ms } => K::TimerStarted { seq, duration_ms },
            EventRecord::TimerFired { seq } => K::TimerFired { seq },
            EventRecord::TimerCanceled { seq } => K::TimerCanceled { seq },
            EventRecord::ActivityCancelRequested { seq } => K::ActivityTaskCancelRequested { seq },
            EventRecord::ActivityCanceled { seq } => K::ActivityTaskCanceled { seq },
            EventRecord::ActivityScheduled {
                seq,
                activity_type,
                task_queue,
                input,
                options,
            } => K::ActivityTaskScheduled {
                seq,
                activity_type,
                task_queue,
                input: from_payloads(input),
                options: options.into(),
                header: Headers::default(),
            },
            EventRecord::ActivityCompleted { seq, result, attempt } => K::ActivityTaskCompleted {
                seq,
                result: result.into(),
                attempt,
            },
            EventRecord::ActivityFailed { seq, failure, attempt } => K::ActivityTaskFailed {
                seq,
                failure: failure.into(),
                attempt,
            },
            EventRecord::SignalExternalInitiated {
                seq,
                workflow_id,
                signal_name,
                input,
            } => K::SignalExternalWorkflowExecutionInitiated {
                seq,
                workflow_id,
                signal_name,
                input: from_payloads(input),
                header: Headers::default(),
            },
            EventRecord::ExternalSignaled { seq } => K::ExternalWorkflowExecutionSignaled { seq },
            EventRecord::SignalExternalFailed { seq, cause } => K::SignalExternalWorkflowExecutionFailed {
                seq,
                cause: cause.into(),
            },
            EventRecord::CancelExternalInitiated { seq, workflow_id } => {
                K::RequestCancelExternalWorkflowExecutionInitiated { seq, workflow_id }
            }
            EventRecord::ExternalCancelRequested { seq } => K::ExternalWorkflowExecutionCancelRequested { seq },
            EventRecord::CancelExternalFailed { seq, cause } => K::RequestCancelExternalWorkflowExecutionFailed {
                seq,
                cause: cause.into(),
            },
            EventRecord::StartChildInitiated {
                seq,
                workflow_id,
                workflow_type,
                task_queue,
                input,
            } => K::StartChildWorkflowExecutionInitiated {
                seq,
                workflow_id,
                workflow_type,
                task_queue,
                input: from_payloads(input),
                header: Headers::default(),
            },
            EventRecord::ChildStarted { seq, run_id } => K::ChildWorkflowExecutionStarted { seq, run_id },
            EventRecord::StartChildFailed { seq, existing_run_id } => {
                K::StartChildWorkflowExecutionFailed { seq, existing_run_id }
            }
            EventRecord::ChildCompleted { seq, result } => K::ChildWorkflowExecutionCompleted {
                seq,
                result: result.into(),
            },
            EventRecord::ChildFailed { seq, failure } => K::ChildWorkflowExecutionFailed {
                seq,
                failure: failure.into(),
            },
            EventRecord::Completed { result } => K::WorkflowExecutionCompleted { result: result.into() },
            EventRecord::Failed { failure } => K::WorkflowExecutionFailed {
                failure: failure.into(),
            },
            EventRecord::Canceled => K::WorkflowExecutionCanceled,
            EventRecord::TimedOut => K::WorkflowExecutionTimedOut,
            EventRecord::SearchAttributesUpserted { updates } => K::UpsertWorkflowSearchAttributes {
                updates: updates
                    .into_iter()
                    .map(|(name, value)| SearchAttributeUpdate {
                        name,
                        value: value.map(SearchAttributeValue::from),
                    })
                    .collect(),
            },
            EventRecord::PropertiesModified { memo } => K::WorkflowPropertiesModified {
                memo: memo.into_iter().map(|(k, v)| (k, v.map(Payload::from))).collect(),
            },
            EventRecord::StartedAttempt { attempt, started } => {
                let mut kind = K::from(*started);
                if let K::WorkflowExecutionStarted { attempt: a, .. } = &mut kind {
                    *a = attempt;
                }
                kind
            }
            EventRecord::WithHeader { header, event } => {
                let mut kind = K::from(*event);
                if let Some(slot) = kind.header_mut() {
                    *slot = headers_of(header);
                }
                kind
            }
            EventRecord::Terminated { reason } => K::WorkflowExecutionTerminated { reason },
            EventRecord::ContinuedAsNew { new_run_id, input } => K::WorkflowExecutionContinuedAsNew {
                new_run_id,
                input: from_payloads(input),
            },
            EventRecord::PatchMarker { patch_id, deprecated } => K::MarkerRecorded {
                marker: Marker::Patch { patch_id, deprecated },
            },
            EventRecord::LocalActivityMarker {
                seq,
                activity_type,
                attempt,
                result,
            } => K::MarkerRecorded {
                marker: Marker::LocalActivity {
                    seq,
                    activity_type,
                    attempt,
                    result: result.map(Payload::from).map_err(Failure::from),
                },
            },
        }
    }
}
