//! How the CLI prints: aligned tables, and an event's details with its
//! payloads decoded (as `workflow_ui::present` reads them).

use std::fmt;

use serde_json::Value;
use workflow::EventKind;
use workflow_ui::present::event_fields;
pub(crate) use workflow_ui::present::{attributes_json, memo_json, utc};

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

/// An event's fields as compact JSON, payloads shown as the values they
/// hold; empty for an event with none.
pub(crate) fn event_details(kind: &EventKind) -> String {
    match event_fields(kind) {
        Value::Object(map) if map.is_empty() => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_trim_the_last() {
        let mut table = Table::new(["ID", "NAME"]);
        table.row(["10", "x"]);
        assert_eq!(table.to_string(), "ID  NAME\n10  x\n");
    }

    #[test]
    fn event_details_show_payloads_as_values() {
        let kind = EventKind::WorkflowExecutionSignaled {
            signal_name: "add".to_owned(),
            input: vec![workflow::Payload::encode(&5).unwrap(), workflow::Payload::null()],
            header: Default::default(),
        };
        assert_eq!(event_details(&kind), r#"{"input":[5,null],"signal_name":"add"}"#);
        assert_eq!(event_details(&EventKind::WorkflowTaskCompleted), "");
    }
}
