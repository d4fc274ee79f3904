//! How a workflow file's contents read to a person, in the web UI and the
//! `workflow` command alike: UTC times, an event's fields with their
//! payloads decoded, memos and search attributes as JSON, and arguments
//! typed as JSON.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};
use workflow::timestamp::{civil_from_days, format_rfc3339};
use workflow::{
    EventKind, Payload, PendingActivityState, SearchAttributeValue, SearchAttributes, Untyped, WorkflowHandle,
};

/// `ms` since the Unix epoch as `YYYY-MM-DD HH:MM:SS.mmm` (UTC).
///
/// ```
/// assert_eq!(workflow_ui::present::utc(951_782_400_123), "2000-02-29 00:00:00.123");
/// ```
pub fn utc(ms: u64) -> String {
    let (days, ms_of_day) = (ms / 86_400_000, ms % 86_400_000);
    let (year, month, day) = civil_from_days(days as i64);
    let (h, m, s, milli) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}.{milli:03}")
}

/// An event's fields as a JSON object, each payload shown as the value it
/// holds (or, when it cannot be read, by its encoding and size). The
/// event's name, which the tag repeats, is left out.
///
/// ```
/// use workflow::{EventKind, Payload};
/// let kind = EventKind::WorkflowExecutionSignaled {
///     signal_name: "add".to_owned(),
///     input: vec![Payload::encode(&5)?],
///     header: Default::default(),
/// };
/// assert_eq!(workflow_ui::present::event_fields(&kind).to_string(), r#"{"input":[5],"signal_name":"add"}"#);
/// # Ok::<(), workflow::PayloadError>(())
/// ```
pub fn event_fields(kind: &EventKind) -> Value {
    let Ok(Value::Object(mut fields)) = serde_json::to_value(kind) else {
        return Value::Object(Map::new());
    };
    fields.remove("event");
    decode_payloads(Value::Object(fields))
}

/// A payload as the JSON value it holds, or a string naming its encoding
/// and size when it holds none that can be read (an encrypted payload
/// without its key, say).
pub fn payload_json(payload: &Payload) -> Value {
    payload
        .decode::<Value>()
        .unwrap_or_else(|_| Value::String(opaque(payload)))
}

/// A memo as one JSON object, each value decoded.
pub fn memo_json(memo: &BTreeMap<String, Payload>) -> Value {
    Value::Object(memo.iter().map(|(k, v)| (k.clone(), payload_json(v))).collect())
}

/// Search attributes as one JSON object of plain values (datetimes in
/// RFC 3339).
pub fn attributes_json(attributes: &SearchAttributes) -> Value {
    use SearchAttributeValue as V;
    let plain = |value: &V| match value {
        V::Keyword(s) | V::Text(s) => Value::from(s.as_str()),
        V::Int(i) => Value::from(*i),
        V::Double(d) => Value::from(*d),
        V::Bool(b) => Value::from(*b),
        V::Datetime(ms) => Value::from(format_rfc3339(*ms)),
        V::KeywordList(list) => Value::from(list.clone()),
    };
    Value::Object(attributes.iter().map(|(k, v)| (k.to_owned(), plain(v))).collect())
}

/// An argument typed by a person that is not one JSON value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("argument {position} is not JSON ({reason}): `{text}`; quote strings as JSON, e.g. '\"Alice\"'")]
pub struct ArgumentError {
    /// Which argument, from 1.
    pub position: usize,
    /// What the JSON parser said.
    pub reason: String,
    /// The argument as typed.
    pub text: String,
}

/// Parses each argument as one JSON value, naming the first that is not.
///
/// ```
/// use workflow_ui::present::json_args;
/// assert_eq!(json_args(&["\"Alice\"", "3"])?, vec![serde_json::json!("Alice"), serde_json::json!(3)]);
/// assert_eq!(json_args(&["Alice"]).unwrap_err().position, 1);
/// # Ok::<(), workflow_ui::present::ArgumentError>(())
/// ```
pub fn json_args(args: &[impl AsRef<str>]) -> Result<Vec<Value>, ArgumentError> {
    args.iter()
        .enumerate()
        .map(|(i, text)| {
            let text = text.as_ref();
            serde_json::from_str(text).map_err(|e| ArgumentError {
                position: i + 1,
                reason: e.to_string(),
                text: text.to_owned(),
            })
        })
        .collect()
}

/// What became of a durable request (a signal, cancellation or
/// termination) sent to `workflow_id` in the file at `path`: applied by the
/// process that owns the file, or queued for the next one.
pub fn delivery(what: &str, workflow_id: &str, owned: bool, path: &Path) -> String {
    match owned {
        true => format!("{what} delivered to `{workflow_id}`"),
        false => format!(
            "{what} queued for `{workflow_id}`: no process has {} open; the one that runs its worker applies it \
             when it next opens the file",
            path.display()
        ),
    }
}

/// The warning to give after signal `name` reached the run of `handle`
/// if the workflow has no handler for it (the signal is kept, as Temporal
/// keeps it); `None` when it has one. The process that owns the file runs
/// the signal's workflow task before it answers, so an unknown name already
/// shows in `describe`.
pub async fn unhandled_signal_warning(handle: &WorkflowHandle<Untyped>, name: &str) -> Option<String> {
    let d = handle.describe().await.ok()?;
    d.unhandled_signals.iter().any(|s| s == name).then(|| {
        format!(
            "warning: workflow `{}` has no handler for signal `{name}`; it stays in its history, listed by \
             `describe` as unhandled",
            d.workflow_type
        )
    })
}

/// What became of a change to schedule `schedule_id` (`what`: `created`,
/// `paused`, `triggered`...).
pub fn schedule_changed(schedule_id: &str, what: &str) -> String {
    format!("schedule `{schedule_id}` {what}")
}

/// How a pending activity's state reads.
pub fn activity_state(state: PendingActivityState) -> &'static str {
    match state {
        PendingActivityState::Scheduled => "scheduled",
        PendingActivityState::Started => "started",
        PendingActivityState::CancelRequested => "cancel requested",
    }
}

/// A duration as the command line takes one: `1h30m`, `45s`, `250ms`.
///
/// ```
/// use std::time::Duration;
/// use workflow_ui::present::duration;
/// assert_eq!(duration(Duration::from_secs(5400)), "1h30m");
/// assert_eq!(duration(Duration::from_secs(86_400)), "1d");
/// assert_eq!(duration(Duration::from_millis(1500)), "1s500ms");
/// assert_eq!(duration(Duration::ZERO), "0s");
/// ```
pub fn duration(d: Duration) -> String {
    let mut left = d.as_millis();
    let mut text = String::new();
    for (unit, ms) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        if left >= ms {
            text.push_str(&format!("{}{unit}", left / ms));
            left %= ms;
        }
    }
    match text.is_empty() {
        true => "0s".to_owned(),
        false => text,
    }
}

/// Replaces every payload inside `value` by the JSON it encodes.
fn decode_payloads(value: Value) -> Value {
    match value {
        Value::Object(map) if is_payload(&map) => match serde_json::from_value::<Payload>(Value::Object(map.clone())) {
            Ok(payload) => payload_json(&payload),
            Err(_) => Value::Object(map),
        },
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, decode_payloads(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(decode_payloads).collect()),
        other => other,
    }
}

/// How a payload that cannot be read shows: its encoding and size, so an
/// encrypted or compressed payload is plainly one when no key was given.
fn opaque(payload: &Payload) -> String {
    let encoding = payload.encoding().unwrap_or("unknown encoding");
    let key = payload
        .metadata
        .get("encryption-key-id")
        .map(|id| format!(", key `{id}`"))
        .unwrap_or_default();
    format!("<{encoding} payload{key}, {} bytes>", payload.data.len())
}

fn is_payload(map: &Map<String, Value>) -> bool {
    map.len() == 2 && map.contains_key("metadata") && map.contains_key("data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000");
        assert_eq!(utc(951_782_400_123), "2000-02-29 00:00:00.123");
        assert_eq!(utc(1_795_437_296_789), "2026-11-23 12:34:56.789");
    }

    #[test]
    fn an_encrypted_payload_shows_its_encoding_key_and_size() {
        use workflow::codec::{AesGcmCodec, PayloadCodec};
        let sealed = AesGcmCodec::new("k-2026", [1; 32])
            .encode(vec![Payload::encode(&"secret").unwrap()])
            .unwrap();
        let shown = decode_payloads(serde_json::to_value(&sealed[0]).unwrap());
        let len = sealed[0].data.len();
        assert_eq!(
            shown,
            Value::String(format!("<binary/encrypted payload, key `k-2026`, {len} bytes>"))
        );
    }

    #[test]
    fn event_fields_show_payloads_as_values() {
        let kind = EventKind::WorkflowExecutionSignaled {
            signal_name: "add".to_owned(),
            input: vec![Payload::encode(&5).unwrap(), Payload::null()],
            header: Default::default(),
        };
        assert_eq!(
            event_fields(&kind).to_string(),
            r#"{"input":[5,null],"signal_name":"add"}"#
        );
        assert_eq!(event_fields(&EventKind::WorkflowTaskCompleted).to_string(), "{}");
    }

    #[test]
    fn a_bad_argument_is_named_as_the_command_line_names_it() {
        let error = json_args(&["1", "Alice"]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "argument 2 is not JSON (expected value at line 1 column 1): `Alice`; quote strings as JSON, e.g. \
             '\"Alice\"'"
        );
    }
}
