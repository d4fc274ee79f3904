//! How the CLI prints: aligned tables, UTC times, and an event's details
//! with its payloads decoded.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};
use workflow::timestamp::{civil_from_days, format_rfc3339};
use workflow::{EventKind, Payload, SearchAttributeValue, SearchAttributes};

/// Rows printed with each column as wide as its widest cell.
pub(crate) struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table whose first row is `headers`.
    pub(crate) fn new<const N: usize>(headers: [&str; N]) -> Self {
        let mut table = Table::plain();
        table.row(headers);
        table
    }

    /// A table without headers, e.g. for `key value` lines.
    pub(crate) fn plain() -> Self {
        Table { rows: Vec::new() }
    }

    pub(crate) fn row<const N: usize>(&mut self, cells: [impl Into<String>; N]) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<width$}  ", width = widths[c]));
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// `ms` since the Unix epoch as `YYYY-MM-DD HH:MM:SS.mmm` (UTC).
pub(crate) fn utc(ms: u64) -> String {
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

/// An event's fields as compact JSON, payloads shown as the values they hold.
pub(crate) fn event_details(kind: &EventKind) -> String {
    let Ok(Value::Object(mut fields)) = serde_json::to_value(kind) else {
        return String::new();
    };
    // The tag repeats the event's name, which has its own column.
    fields.remove("event");
    let fields = decode_payloads(Value::Object(fields));
    match fields {
        Value::Object(map) if map.is_empty() => String::new(),
        other => other.to_string(),
    }
}

/// A memo as one JSON object, each value decoded.
pub(crate) fn memo_json(memo: &BTreeMap<String, Payload>) -> Value {
    let fields = memo
        .iter()
        .map(|(k, v)| (k.clone(), v.decode::<Value>().unwrap_or(Value::Null)));
    Value::Object(fields.collect())
}

/// Search attributes as one JSON object of plain values (datetimes in
/// RFC 3339).
pub(crate) fn attributes_json(attributes: &SearchAttributes) -> Value {
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

/// Replaces every payload inside `value` by the JSON it encodes.
fn decode_payloads(value: Value) -> Value {
    match value {
        Value::Object(map) if is_payload(&map) => match serde_json::from_value::<Payload>(Value::Object(map.clone())) {
            Ok(payload) => payload
                .decode::<Value>()
                .unwrap_or_else(|_| Value::String(opaque(&payload))),
            Err(_) => Value::Object(map),
        },
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, decode_payloads(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(decode_payloads).collect()),
        other => other,
    }
}

/// How a payload the CLI cannot read shows: its encoding and size, so an
/// encrypted or compressed payload is plainly one when the CLI has no key for it.
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
    fn tables_align_columns_and_trim_the_last() {
        let mut table = Table::new(["ID", "NAME"]);
        table.row(["10", "x"]);
        assert_eq!(table.to_string(), "ID  NAME\n10  x\n");
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
    fn event_details_show_payloads_as_values() {
        let kind = EventKind::WorkflowExecutionSignaled {
            signal_name: "add".to_owned(),
            input: vec![Payload::encode(&5).unwrap(), Payload::null()],
            header: Default::default(),
        };
        assert_eq!(event_details(&kind), r#"{"input":[5,null],"signal_name":"add"}"#);
        assert_eq!(event_details(&EventKind::WorkflowTaskCompleted), "");
    }
}
