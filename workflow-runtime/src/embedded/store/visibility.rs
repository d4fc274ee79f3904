//! Visibility queries compiled to SQL over the `runs` and
//! `search_attributes` tables, for
//! `SELECT ... FROM runs WHERE {where_sql} ORDER BY {order_sql} LIMIT ? OFFSET ?`.
//!
//! Every value and every attribute name is a bound parameter: the SQL text
//! is concatenated from `&'static str` fragments only, so no query can
//! change what the statement does.
//!
//! A condition on a custom attribute selects run keys from
//! `search_attributes_by_value (name, value, run_key)`, so SQLite drives from
//! that index rather than scanning runs:
//!
//! ```text
//! Priority > 3        runs.run_key IN (SELECT run_key FROM search_attributes WHERE name = ? AND value > ?)
//! Priority != 3       runs.run_key IN (SELECT run_key FROM search_attributes WHERE name = ?
//!                                      GROUP BY run_key HAVING MAX(value = ?) = 0)
//! Priority IS NULL    runs.run_key NOT IN (SELECT run_key FROM search_attributes WHERE name = ?)
//! ORDER BY Priority   (SELECT MIN(value) FROM search_attributes
//!                      WHERE search_attributes.run_key = runs.run_key AND name = ?)
//! ```
//!
//! Values are stored one row per value (a keyword list one row per element),
//! typed by storage class, so `=` on a list means "contains", and the
//! negated forms (`!=`, `NOT IN`, `NOT BETWEEN`) mean "has the attribute, and
//! no value of it matches". Built-in fields are columns; a null `close_ms`
//! fails every comparison, as in SQL.

use rusqlite::types::Value;
use workflow_client::timestamp::parse_rfc3339;
use workflow_client::visibility::{CompareOp, Field, Filter, Literal, VisibilityQuery};
use workflow_client::SearchAttributeType;

/// A query as SQL clauses and the values their `?`s take.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompiledQuery {
    /// The `WHERE` condition; `1` for a query without a filter.
    pub(crate) where_sql: String,
    /// The `ORDER BY` keys; always ending with `runs.run_key DESC`, so that
    /// pages are stable.
    pub(crate) order_sql: String,
    /// One per `?`: those of `where_sql`, then those of `order_sql` (the
    /// caller binds `LIMIT` and `OFFSET` after them).
    pub(crate) params: Vec<Value>,
    /// How many of `params` are `where_sql`'s.
    pub(crate) where_params: usize,
}

/// A query that cannot run against the attributes' registered types.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CompileError {
    /// A value that does not fit its field.
    #[error("`{field}` has type {expected}: {value} is not {}", describe(.expected))]
    Mismatch {
        /// The field's name.
        field: String,
        /// The value, as the query writes it.
        value: String,
        /// The field's type.
        expected: SearchAttributeType,
    },
    /// `STARTS_WITH` on a field that does not hold strings.
    #[error("`{field}` has type {kind}: STARTS_WITH needs a Keyword, Text or KeywordList attribute")]
    NotAString {
        /// The field's name.
        field: String,
        /// The field's type.
        kind: SearchAttributeType,
    },
}

fn describe(kind: &SearchAttributeType) -> &'static str {
    match kind {
        SearchAttributeType::Keyword | SearchAttributeType::Text | SearchAttributeType::KeywordList => "a string",
        SearchAttributeType::Int => "an integer",
        SearchAttributeType::Double => "a number",
        SearchAttributeType::Bool => "true or false",
        SearchAttributeType::Datetime => "an RFC 3339 datetime such as '2026-12-02T10:00:00Z'",
    }
}

/// Compiles `query`. `types` gives a custom attribute's registered type;
/// `None` means no run has ever had it, and the values type it (a string is
/// a Keyword, and so on): it has no rows, so only `IS NULL` matches.
pub(crate) fn compile(
    query: &VisibilityQuery,
    types: &dyn Fn(&str) -> Option<SearchAttributeType>,
) -> Result<CompiledQuery, CompileError> {
    let mut sql = Sql {
        types,
        text: String::new(),
        params: Vec::new(),
    };
    match &query.filter {
        Some(filter) => sql.filter(filter)?,
        None => sql.push(&["1"]),
    }
    let where_sql = std::mem::take(&mut sql.text);
    let where_params = sql.params.len();
    for order in &query.order_by {
        sql.sort_key(&order.field);
        sql.push(&[if order.descending { " DESC, " } else { " ASC, " }]);
    }
    if query.order_by.is_empty() {
        sql.push(&["runs.start_ms DESC, "]);
    }
    sql.push(&["runs.run_key DESC"]);
    Ok(CompiledQuery {
        where_sql,
        order_sql: sql.text,
        params: sql.params,
        where_params,
    })
}

/// What a condition asks of one value of a field, with its values bound.
enum Test {
    /// `operand op ?`.
    Compare(&'static str, Value),
    In(Vec<Value>),
    Between(Value, Value),
    /// At least the prefix, and below its successor if it has one.
    Prefix(Value, Option<Value>),
}

/// The SQL being built, and the values its `?`s take.
struct Sql<'a> {
    types: &'a dyn Fn(&str) -> Option<SearchAttributeType>,
    /// Only ever extended with `&'static str` fragments (see [`Sql::push`]).
    text: String,
    params: Vec<Value>,
}

impl Sql<'_> {
    /// Appends fixed SQL. Taking `&'static str` only is what keeps the
    /// query's text out of the statement.
    fn push(&mut self, fragments: &[&'static str]) {
        fragments.iter().for_each(|fragment| self.text.push_str(fragment));
    }

    fn filter(&mut self, filter: &Filter) -> Result<(), CompileError> {
        let (field, test, negated) = match filter {
            Filter::And(parts) => return self.join(parts, " AND ", "1"),
            Filter::Or(parts) => return self.join(parts, " OR ", "0"),
            Filter::IsNull { field, negated } => {
                self.is_null(field, *negated);
                return Ok(());
            }
            Filter::Compare { field, op, value } => {
                let kind = self.kind(field, Some(value));
                let (op, negated) = match op {
                    CompareOp::Ne => ("=", true),
                    op => (op.symbol(), false),
                };
                (field, Test::Compare(op, bind(field, kind, value)?), negated)
            }
            Filter::In { field, values, negated } => {
                let kind = self.kind(field, values.first());
                let values = values
                    .iter()
                    .map(|value| bind(field, kind, value))
                    .collect::<Result<_, _>>()?;
                (field, Test::In(values), *negated)
            }
            Filter::Between {
                field,
                low,
                high,
                negated,
            } => {
                let kind = self.kind(field, Some(low));
                (
                    field,
                    Test::Between(bind(field, kind, low)?, bind(field, kind, high)?),
                    *negated,
                )
            }
            Filter::StartsWith { field, prefix } => {
                let kind = self.kind(field, None);
                if !matches!(
                    kind,
                    SearchAttributeType::Keyword | SearchAttributeType::Text | SearchAttributeType::KeywordList
                ) {
                    return Err(CompileError::NotAString {
                        field: field.name().to_owned(),
                        kind,
                    });
                }
                let test = Test::Prefix(Value::Text(prefix.clone()), successor(prefix).map(Value::Text));
                (field, test, false)
            }
        };
        match column(field) {
            Some(column) if negated => {
                self.push(&["NOT ("]);
                self.test(column, test);
                self.push(&[")"]);
            }
            Some(column) => self.test(column, test),
            // A run passes a negated test if it has the attribute and none of
            // its values passes the test: grouped by run, the largest
            // outcome of the test over its rows is 0.
            None if negated => {
                self.attribute_rows(field, "IN");
                self.push(&[" GROUP BY run_key HAVING MAX("]);
                self.test("value", test);
                self.push(&[") = 0)"]);
            }
            None => {
                self.attribute_rows(field, "IN");
                self.push(&[" AND "]);
                self.test("value", test);
                self.push(&[")"]);
            }
        }
        Ok(())
    }

    /// `parts` joined by `joiner`, as a balanced tree of parentheses: a
    /// long chain nests only logarithmically deep, well within SQLite's
    /// limit on expression depth.
    fn join(&mut self, parts: &[Filter], joiner: &'static str, empty: &'static str) -> Result<(), CompileError> {
        match parts {
            [] => self.push(&[empty]),
            [part] => self.filter(part)?,
            _ => {
                let (left, right) = parts.split_at(parts.len() / 2);
                self.push(&["("]);
                self.join(left, joiner, empty)?;
                self.push(&[joiner]);
                self.join(right, joiner, empty)?;
                self.push(&[")"]);
            }
        }
        Ok(())
    }

    fn test(&mut self, operand: &'static str, test: Test) {
        match test {
            Test::Compare(op, value) => {
                self.push(&[operand, " ", op, " ?"]);
                self.params.push(value);
            }
            Test::In(values) => {
                self.push(&[operand, " IN ("]);
                for (i, value) in values.into_iter().enumerate() {
                    self.push(&[if i == 0 { "?" } else { ", ?" }]);
                    self.params.push(value);
                }
                self.push(&[")"]);
            }
            Test::Between(low, high) => {
                self.push(&[operand, " BETWEEN ? AND ?"]);
                self.params.extend([low, high]);
            }
            Test::Prefix(low, None) => {
                self.push(&[operand, " >= ?"]);
                self.params.push(low);
            }
            Test::Prefix(low, Some(high)) => {
                self.push(&["(", operand, " >= ? AND ", operand, " < ?)"]);
                self.params.extend([low, high]);
            }
        }
    }

    fn is_null(&mut self, field: &Field, negated: bool) {
        match column(field) {
            Some(column) => self.push(&[column, if negated { " IS NOT NULL" } else { " IS NULL" }]),
            None => {
                self.attribute_rows(field, if negated { "IN" } else { "NOT IN" });
                self.push(&[")"]);
            }
        }
    }

    /// Opens `runs.run_key IN (SELECT run_key ... WHERE name = ?` for a
    /// custom attribute; the caller adds to the subquery and closes it.
    fn attribute_rows(&mut self, field: &Field, membership: &'static str) {
        self.push(&[
            "runs.run_key ",
            membership,
            " (SELECT run_key FROM search_attributes WHERE name = ?",
        ]);
        self.params.push(Value::Text(field.name().to_owned()));
    }

    /// A column, or a custom attribute's least value (null if the run has
    /// none, which sorts first).
    fn sort_key(&mut self, field: &Field) {
        match column(field) {
            Some(column) => self.push(&[column]),
            None => {
                self.push(&["(SELECT MIN(value) FROM search_attributes \
                     WHERE search_attributes.run_key = runs.run_key AND name = ?)"]);
                self.params.push(Value::Text(field.name().to_owned()));
            }
        }
    }

    /// The type of `field`'s values: built in, registered, or else that of
    /// the first value the condition compares it with.
    fn kind(&self, field: &Field, first: Option<&Literal>) -> SearchAttributeType {
        field
            .builtin_type()
            .or_else(|| (self.types)(field.name()))
            .unwrap_or(match first {
                Some(Literal::Int(_)) => SearchAttributeType::Int,
                Some(Literal::Float(_)) => SearchAttributeType::Double,
                Some(Literal::Bool(_)) => SearchAttributeType::Bool,
                Some(Literal::String(_)) | None => SearchAttributeType::Keyword,
            })
    }
}

/// The `runs` column of a built-in field.
fn column(field: &Field) -> Option<&'static str> {
    Some(match field {
        Field::WorkflowId => "runs.workflow_id",
        Field::WorkflowType => "runs.workflow_type",
        Field::RunId => "runs.run_id",
        Field::ExecutionStatus => "runs.status",
        Field::StartTime => "runs.start_ms",
        Field::CloseTime => "runs.close_ms",
        Field::TaskQueue => "runs.task_queue",
        Field::Custom(_) => return None,
    })
}

/// `literal` as a value of type `kind`, stored as the store stores that
/// type.
fn bind(field: &Field, kind: SearchAttributeType, literal: &Literal) -> Result<Value, CompileError> {
    let value = match (kind, literal) {
        (
            SearchAttributeType::Keyword | SearchAttributeType::Text | SearchAttributeType::KeywordList,
            Literal::String(text),
        ) => Some(Value::Text(text.clone())),
        (SearchAttributeType::Int, Literal::Int(int)) => Some(Value::Integer(*int)),
        // `Score > 3` means 3.0: doubles are stored as REAL.
        (SearchAttributeType::Double, Literal::Int(int)) => Some(Value::Real(*int as f64)),
        (SearchAttributeType::Double, Literal::Float(float)) => Some(Value::Real(*float)),
        (SearchAttributeType::Bool, Literal::Bool(bool)) => Some(Value::Integer(i64::from(*bool))),
        (SearchAttributeType::Datetime, Literal::String(text)) => parse_rfc3339(text).map(Value::Integer),
        _ => None,
    };
    value.ok_or_else(|| CompileError::Mismatch {
        field: field.name().to_owned(),
        value: literal.to_string(),
        expected: kind,
    })
}

/// The least string above every string that starts with `prefix`, in
/// SQLite's order (bytes of UTF-8, which is code point order): the prefix
/// with its last character incremented, dropping characters that are
/// already `char::MAX`. `None` if every character is.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // Stepping a char skips the surrogate gap.
        if let Some(next) = (last..=char::MAX).nth(1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use proptest::prelude::*;
    use proptest::sample::select;
    use rusqlite::{params, params_from_iter, Connection};
    use workflow_client::visibility::{AttributeName, OrderBy};
    use workflow_client::WorkflowStatus;

    use super::*;

    const SCHEMA: &str = "
        CREATE TABLE runs (run_key INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, workflow_id TEXT NOT NULL,
            workflow_type TEXT NOT NULL, task_queue TEXT NOT NULL, status TEXT NOT NULL, start_ms INTEGER NOT NULL,
            close_ms INTEGER);
        CREATE INDEX runs_started ON runs(start_ms);
        CREATE TABLE search_attributes (run_key INTEGER NOT NULL, name TEXT NOT NULL, value NOT NULL,
            PRIMARY KEY (run_key, name, value)) WITHOUT ROWID;
        CREATE INDEX search_attributes_by_value ON search_attributes(name, value, run_key);";

    /// The custom attributes runs have here, as registered. `Ghost` is
    /// queried too, but no run has ever had it.
    const ATTRIBUTES: [(&str, SearchAttributeType); 7] = [
        ("Customer", SearchAttributeType::Keyword),
        ("Note", SearchAttributeType::Text),
        ("Priority", SearchAttributeType::Int),
        ("Score", SearchAttributeType::Double),
        ("Urgent", SearchAttributeType::Bool),
        ("Due", SearchAttributeType::Datetime),
        ("Tags", SearchAttributeType::KeywordList),
    ];

    fn registered(name: &str) -> Option<SearchAttributeType> {
        ATTRIBUTES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, kind)| *kind)
    }

    /// Strings that are prefixes of each other, and characters at the edges
    /// of Unicode and of UTF-8's byte order.
    const WORDS: [&str; 14] = [
        "",
        "a",
        "ab",
        "abc",
        "a\u{10FFFF}",
        "a\u{10FFFF}z",
        "b",
        "é",
        "éa",
        "\u{D7FF}",
        "\u{E000}",
        "\u{10FFFF}",
        "\u{10FFFF}a",
        "x'; DROP TABLE runs; --",
    ];

    const SCORES: [f64; 4] = [-1.5, 0.0, 0.5, 2.0];

    /// 2026-12-02T10:00:00Z; runs start and close at half seconds after it.
    const BASE_MS: i64 = 1_796_205_600_000;

    /// A run as the tables hold it.
    #[derive(Clone, Debug)]
    struct Run {
        key: i64,
        workflow_id: String,
        workflow_type: String,
        task_queue: String,
        status: WorkflowStatus,
        start_ms: i64,
        close_ms: Option<i64>,
        attributes: Vec<(&'static str, Value)>,
    }

    fn run_id(key: i64) -> String {
        format!("run-{key}")
    }

    fn store(runs: &[Run]) -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(SCHEMA).unwrap();
        for run in runs {
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    run.key,
                    run_id(run.key),
                    run.workflow_id,
                    run.workflow_type,
                    run.task_queue,
                    run.status.to_string(),
                    run.start_ms,
                    run.close_ms
                ],
            )
            .unwrap();
            for (name, value) in &run.attributes {
                // A list may repeat an element; the table keeps it once.
                db.execute(
                    "INSERT OR IGNORE INTO search_attributes VALUES (?, ?, ?)",
                    params![run.key, name, value],
                )
                .unwrap();
            }
        }
        db
    }

    /// The keys `query` selects, through the compiled SQL.
    fn select_keys(db: &Connection, query: &VisibilityQuery, limit: i64, offset: i64) -> Vec<i64> {
        let compiled = compile(query, &registered).unwrap();
        let sql = format!(
            "SELECT run_key FROM runs WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
            compiled.where_sql, compiled.order_sql
        );
        let params = compiled
            .params
            .into_iter()
            .chain([Value::Integer(limit), Value::Integer(offset)]);
        let mut statement = db.prepare(&sql).unwrap();
        let rows = statement.query_map(params_from_iter(params), |row| row.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    // ------------------------------------------------------------ the oracle

    /// The keys of the runs `query` matches, in its order, evaluated
    /// directly from what the query means.
    fn evaluate(runs: &[Run], query: &VisibilityQuery) -> Vec<i64> {
        let mut matching: Vec<&Run> = runs
            .iter()
            .filter(|run| query.filter.as_ref().is_none_or(|filter| matches(run, filter)))
            .collect();
        let newest_first = [OrderBy {
            field: Field::StartTime,
            descending: true,
        }];
        let order = if query.order_by.is_empty() {
            &newest_first[..]
        } else {
            &query.order_by
        };
        matching.sort_by(|a, b| {
            let by_keys = order.iter().map(|key| {
                let ordering = sql_cmp(&sort_key(a, &key.field), &sort_key(b, &key.field));
                if key.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
            by_keys.fold(Ordering::Equal, Ordering::then).then(b.key.cmp(&a.key))
        });
        matching.iter().map(|run| run.key).collect()
    }

    fn matches(run: &Run, filter: &Filter) -> bool {
        match filter {
            Filter::And(parts) => parts.iter().all(|part| matches(run, part)),
            Filter::Or(parts) => parts.iter().any(|part| matches(run, part)),
            Filter::Compare { field, op, value } => {
                let value = literal(field, value);
                let (negated, test): (bool, fn(Ordering) -> bool) = match op {
                    CompareOp::Eq => (false, Ordering::is_eq),
                    CompareOp::Ne => (true, Ordering::is_eq),
                    CompareOp::Lt => (false, Ordering::is_lt),
                    CompareOp::Le => (false, Ordering::is_le),
                    CompareOp::Gt => (false, Ordering::is_gt),
                    CompareOp::Ge => (false, Ordering::is_ge),
                };
                holds(run, field, negated, |each| test(sql_cmp(each, &value)))
            }
            Filter::In { field, values, negated } => {
                let values: Vec<Value> = values.iter().map(|value| literal(field, value)).collect();
                holds(run, field, *negated, |each| {
                    values.iter().any(|value| sql_cmp(each, value).is_eq())
                })
            }
            Filter::Between {
                field,
                low,
                high,
                negated,
            } => {
                let (low, high) = (literal(field, low), literal(field, high));
                holds(run, field, *negated, |each| {
                    sql_cmp(each, &low).is_ge() && sql_cmp(each, &high).is_le()
                })
            }
            Filter::StartsWith { field, prefix } => holds(
                run,
                field,
                false,
                |each| matches!(each, Value::Text(text) if text.starts_with(prefix.as_str())),
            ),
            Filter::IsNull { field, negated } => values(run, field).is_empty() != *negated,
        }
    }

    /// Whether some value of the field passes `test`; or, `negated`, whether
    /// the run has the field and none of its values does.
    fn holds(run: &Run, field: &Field, negated: bool, test: impl Fn(&Value) -> bool) -> bool {
        let values = values(run, field);
        if negated {
            !values.is_empty() && !values.iter().any(test)
        } else {
            values.iter().any(test)
        }
    }

    fn values(run: &Run, field: &Field) -> Vec<Value> {
        let text = |text: &str| vec![Value::Text(text.to_owned())];
        match field {
            Field::WorkflowId => text(&run.workflow_id),
            Field::WorkflowType => text(&run.workflow_type),
            Field::RunId => text(&run_id(run.key)),
            Field::ExecutionStatus => text(&run.status.to_string()),
            Field::StartTime => vec![Value::Integer(run.start_ms)],
            Field::CloseTime => run.close_ms.map(Value::Integer).into_iter().collect(),
            Field::TaskQueue => text(&run.task_queue),
            Field::Custom(name) => {
                let rows = run
                    .attributes
                    .iter()
                    .filter(|(attribute, _)| *attribute == name.as_str());
                rows.map(|(_, value)| value.clone()).collect()
            }
        }
    }

    fn sort_key(run: &Run, field: &Field) -> Value {
        values(run, field).into_iter().min_by(sql_cmp).unwrap_or(Value::Null)
    }

    /// A query's value as the field's rows hold it.
    fn literal(field: &Field, literal: &Literal) -> Value {
        match (field.builtin_type().or_else(|| registered(field.name())), literal) {
            (Some(SearchAttributeType::Datetime), Literal::String(text)) => {
                Value::Integer(parse_rfc3339(text).unwrap())
            }
            (Some(SearchAttributeType::Double), Literal::Int(int)) => Value::Real(*int as f64),
            (_, Literal::String(text)) => Value::Text(text.clone()),
            (_, Literal::Int(int)) => Value::Integer(*int),
            (_, Literal::Float(float)) => Value::Real(*float),
            (_, Literal::Bool(bool)) => Value::Integer(i64::from(*bool)),
        }
    }

    /// SQLite's order of the values one attribute holds: null, then
    /// numbers, then text by bytes.
    fn sql_cmp(a: &Value, b: &Value) -> Ordering {
        let class = |value: &Value| match value {
            Value::Null => 0,
            Value::Integer(_) | Value::Real(_) => 1,
            Value::Text(_) => 2,
            Value::Blob(_) => 3,
        };
        match (a, b) {
            (Value::Integer(a), Value::Integer(b)) => a.cmp(b),
            (Value::Real(a), Value::Real(b)) => a.total_cmp(b),
            (Value::Text(a), Value::Text(b)) => a.cmp(b),
            _ => class(a).cmp(&class(b)),
        }
    }

    // ------------------------------------------------------------ generators

    fn runs() -> impl Strategy<Value = Vec<Run>> {
        let word = || select(WORDS.to_vec());
        let time = || (0..8i64).prop_map(|step| BASE_MS + step * 500);
        let text = || prop::option::of(word()).prop_map(|word| word.map(|word| Value::Text(word.to_owned())));
        let columns = (
            word(),
            word(),
            word(),
            select(WorkflowStatus::ALL.to_vec()),
            time(),
            0..4i64,
        );
        let attributes = (
            text(),
            text(),
            prop::option::of((-3..4i64).prop_map(Value::Integer)),
            prop::option::of(select(SCORES.to_vec()).prop_map(Value::Real)),
            prop::option::of(any::<bool>().prop_map(|bool| Value::Integer(i64::from(bool)))),
            prop::option::of(time().prop_map(Value::Integer)),
            prop::collection::vec(word(), 0..4),
        );
        let run = (columns, attributes).prop_map(|(columns, attributes)| {
            let (workflow_id, workflow_type, task_queue, status, start_ms, closed_after) = columns;
            let (customer, note, priority, score, urgent, due, tags) = attributes;
            let single = [
                ("Customer", customer),
                ("Note", note),
                ("Priority", priority),
                ("Score", score),
            ]
            .into_iter()
            .chain([("Urgent", urgent), ("Due", due)])
            .filter_map(|(name, value)| Some((name, value?)));
            let tags = tags.into_iter().map(|tag| ("Tags", Value::Text(tag.to_owned())));
            Run {
                key: 0,
                workflow_id: workflow_id.to_owned(),
                workflow_type: workflow_type.to_owned(),
                task_queue: task_queue.to_owned(),
                status,
                start_ms,
                close_ms: (status != WorkflowStatus::Running).then_some(start_ms + closed_after * 500),
                attributes: single.chain(tags).collect(),
            }
        });
        prop::collection::vec(run, 0..25).prop_map(|mut runs| {
            for (key, run) in (1..).zip(&mut runs) {
                run.key = key;
            }
            runs
        })
    }

    fn custom(name: &str) -> Field {
        Field::Custom(AttributeName::new(name).unwrap())
    }

    fn fields() -> BoxedStrategy<Field> {
        let built_in = [
            Field::WorkflowId,
            Field::WorkflowType,
            Field::RunId,
            Field::ExecutionStatus,
            Field::StartTime,
            Field::CloseTime,
            Field::TaskQueue,
        ];
        let custom = ATTRIBUTES.iter().map(|(name, _)| *name).chain(["Ghost"]).map(custom);
        select(built_in.into_iter().chain(custom).collect::<Vec<_>>()).boxed()
    }

    /// A datetime near the runs' times, in one of three time zones.
    fn datetime() -> impl Strategy<Value = Literal> {
        let zones = vec![("10:00", "Z"), ("11:00", "+01:00"), ("09:30", "-00:30")];
        (0..10i64, select(zones)).prop_map(|(step, (hour_minute, zone))| {
            let fraction = if step % 2 == 1 { ".5" } else { "" };
            Literal::String(format!("2026-12-02T{hour_minute}:{:02}{fraction}{zone}", step / 2))
        })
    }

    /// Values for one condition on `field`, all of one type that fits it.
    fn values_for(field: &Field) -> BoxedStrategy<Vec<Literal>> {
        fn several(value: impl Strategy<Value = Literal> + 'static) -> BoxedStrategy<Vec<Literal>> {
            prop::collection::vec(value, 2..5).boxed()
        }
        let word = || select(WORDS.to_vec()).prop_map(|word| Literal::String(word.to_owned()));
        let int = || (-3..4i64).prop_map(Literal::Int);
        let float = || select(SCORES.to_vec()).prop_map(Literal::Float);
        let bool = || any::<bool>().prop_map(Literal::Bool);
        match field.name() {
            "ExecutionStatus" => {
                several(select(WorkflowStatus::ALL.to_vec()).prop_map(|status| Literal::String(status.to_string())))
            }
            "StartTime" | "CloseTime" | "Due" => several(datetime()),
            "RunId" => several((1..12i64).prop_map(|key| Literal::String(run_id(key)))),
            "Priority" => several(int()),
            "Score" => several(prop_oneof![float(), int()]),
            "Urgent" => several(bool()),
            "Ghost" => prop_oneof![several(word()), several(int()), several(float()), several(bool())].boxed(),
            _ => several(word()),
        }
    }

    /// Whether the parser and the compiler take STARTS_WITH on `field`.
    fn takes_prefix(field: &Field) -> bool {
        use SearchAttributeType::{Keyword, KeywordList, Text};
        let kind = field.builtin_type().or_else(|| registered(field.name()));
        *field != Field::ExecutionStatus && matches!(kind, None | Some(Keyword | Text | KeywordList))
    }

    fn conditions(
        fields: BoxedStrategy<Field>,
        values_for: fn(&Field) -> BoxedStrategy<Vec<Literal>>,
    ) -> impl Strategy<Value = Filter> {
        let ops = vec![
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Lt,
            CompareOp::Le,
            CompareOp::Gt,
            CompareOp::Ge,
        ];
        fields
            .prop_flat_map(move |field| {
                let values = values_for(&field);
                (Just(field), 0..5u8, select(ops.clone()), values, any::<bool>())
            })
            .prop_map(|(field, shape, op, values, negated)| match (shape, &values[0]) {
                (0, value) => Filter::Compare {
                    op,
                    value: value.clone(),
                    field,
                },
                (1, _) => Filter::In { field, values, negated },
                (2, low) => Filter::Between {
                    low: low.clone(),
                    high: values[1].clone(),
                    field,
                    negated,
                },
                (3, Literal::String(prefix)) if takes_prefix(&field) => Filter::StartsWith {
                    prefix: prefix.clone(),
                    field,
                },
                _ => Filter::IsNull { field, negated },
            })
    }

    fn queries(
        fields: BoxedStrategy<Field>,
        values_for: fn(&Field) -> BoxedStrategy<Vec<Literal>>,
    ) -> impl Strategy<Value = VisibilityQuery> {
        let filter = conditions(fields.clone(), values_for).prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
                prop::collection::vec(inner, 2..4).prop_map(Filter::Or),
            ]
        });
        let order = (fields, any::<bool>()).prop_map(|(field, descending)| OrderBy { field, descending });
        (prop::option::of(filter), prop::collection::vec(order, 0..3))
            .prop_map(|(filter, order_by)| VisibilityQuery { filter, order_by })
    }

    /// Text made to break out of SQL, were it ever pasted into it.
    fn hostile() -> impl Strategy<Value = String> {
        let marker = || {
            select(vec![
                "'",
                "\"",
                "`",
                ";",
                "--",
                "/*",
                "\\",
                "\0",
                "é",
                "💥",
                "DROP TABLE runs",
            ])
        };
        (marker(), any::<String>(), marker()).prop_map(|(open, middle, close)| format!("{open}{middle}{close}"))
    }

    fn hostile_fields() -> BoxedStrategy<Field> {
        let custom = hostile().prop_filter_map("a built-in name", |name| AttributeName::new(name).map(Field::Custom));
        prop_oneof![Just(Field::WorkflowId), Just(Field::TaskQueue), custom].boxed()
    }

    fn hostile_values(_: &Field) -> BoxedStrategy<Vec<Literal>> {
        prop::collection::vec(hostile().prop_map(Literal::String), 2..4).boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn sql_selects_what_the_query_means(
            runs in runs(),
            query in queries(fields(), values_for),
            limit in -1..6i64,
            offset in 0..4i64,
        ) {
            // Through the text, to run the parser on every query too.
            let text = query.to_string();
            prop_assert_eq!(VisibilityQuery::parse(&text), Ok(query.clone()), "{}", text);
            let page = usize::try_from(limit).unwrap_or(usize::MAX);
            let expected: Vec<i64> = evaluate(&runs, &query).into_iter().skip(offset as usize).take(page).collect();
            prop_assert_eq!(select_keys(&store(&runs), &query, limit, offset), expected, "{}", text);
        }

        #[test]
        fn no_query_text_reaches_the_sql(query in queries(hostile_fields(), hostile_values)) {
            prop_assert_eq!(VisibilityQuery::parse(&query.to_string()), Ok(query.clone()));
            let compiled = compile(&query, &registered).unwrap();
            // Every hostile string holds a character outside this set, or
            // `DROP`, so none of them is in the SQL; and without quotes,
            // semicolons or comment markers nothing in it can be a literal,
            // a second statement or a comment.
            for sql in [&compiled.where_sql, &compiled.order_sql] {
                prop_assert!(sql.chars().all(|c| c.is_ascii_alphanumeric() || " _.,()=<>?".contains(c)), "{}", sql);
                prop_assert!(!sql.contains("DROP"), "{}", sql);
            }
            select_keys(&store(&[]), &query, -1, 0);
        }
    }

    // ------------------------------------------------------------ examples

    fn parse(text: &str) -> VisibilityQuery {
        VisibilityQuery::parse(text).unwrap()
    }

    fn compiled(text: &str) -> CompiledQuery {
        compile(&parse(text), &registered).unwrap()
    }

    fn text(text: &str) -> Value {
        Value::Text(text.to_owned())
    }

    #[test]
    fn custom_attributes_select_run_keys_by_name_and_value() {
        let rows = "runs.run_key IN (SELECT run_key FROM search_attributes WHERE name = ?";
        let cases = [
            (
                "Priority = 3",
                format!("{rows} AND value = ?)"),
                vec![text("Priority"), Value::Integer(3)],
            ),
            (
                "Priority <= -3",
                format!("{rows} AND value <= ?)"),
                vec![text("Priority"), Value::Integer(-3)],
            ),
            (
                "Score > 2",
                format!("{rows} AND value > ?)"),
                vec![text("Score"), Value::Real(2.0)],
            ),
            (
                "Urgent = true",
                format!("{rows} AND value = ?)"),
                vec![text("Urgent"), Value::Integer(1)],
            ),
            (
                "Priority != 3",
                format!("{rows} GROUP BY run_key HAVING MAX(value = ?) = 0)"),
                vec![text("Priority"), Value::Integer(3)],
            ),
            (
                "Tags IN ('a', 'b')",
                format!("{rows} AND value IN (?, ?))"),
                vec![text("Tags"), text("a"), text("b")],
            ),
            (
                "Tags NOT IN ('a')",
                format!("{rows} GROUP BY run_key HAVING MAX(value IN (?)) = 0)"),
                vec![text("Tags"), text("a")],
            ),
            (
                "Due BETWEEN '2026-12-02T10:00:00Z' AND '2026-12-02T11:00:01+01:00'",
                format!("{rows} AND value BETWEEN ? AND ?)"),
                vec![text("Due"), Value::Integer(BASE_MS), Value::Integer(BASE_MS + 1000)],
            ),
            (
                "Priority NOT BETWEEN 1 AND 2",
                format!("{rows} GROUP BY run_key HAVING MAX(value BETWEEN ? AND ?) = 0)"),
                vec![text("Priority"), Value::Integer(1), Value::Integer(2)],
            ),
            (
                "Customer STARTS_WITH 'ab'",
                format!("{rows} AND (value >= ? AND value < ?))"),
                vec![text("Customer"), text("ab"), text("ac")],
            ),
            (
                "Note STARTS_WITH '\u{10FFFF}'",
                format!("{rows} AND value >= ?)"),
                vec![text("Note"), text("\u{10FFFF}")],
            ),
            ("Customer IS NOT NULL", format!("{rows})"), vec![text("Customer")]),
            (
                "Customer IS NULL",
                "runs.run_key NOT IN (SELECT run_key FROM search_attributes WHERE name = ?)".to_owned(),
                vec![text("Customer")],
            ),
        ];
        for (query, where_sql, params) in cases {
            let compiled = compiled(query);
            assert_eq!((compiled.where_sql, compiled.params), (where_sql, params), "{query}");
        }
    }

    #[test]
    fn built_in_fields_are_columns() {
        let cases = [
            ("", "1", vec![]),
            ("WorkflowId = 'w'", "runs.workflow_id = ?", vec![text("w")]),
            ("WorkflowType < 'w'", "runs.workflow_type < ?", vec![text("w")]),
            (
                "ExecutionStatus != 'Running'",
                "NOT (runs.status = ?)",
                vec![text("Running")],
            ),
            ("RunId NOT IN ('r')", "NOT (runs.run_id IN (?))", vec![text("r")]),
            (
                "StartTime >= '2026-12-02T11:00:00+01:00'",
                "runs.start_ms >= ?",
                vec![Value::Integer(BASE_MS)],
            ),
            ("CloseTime IS NULL", "runs.close_ms IS NULL", vec![]),
            ("CloseTime IS NOT NULL", "runs.close_ms IS NOT NULL", vec![]),
            (
                "TaskQueue STARTS_WITH 'q'",
                "(runs.task_queue >= ? AND runs.task_queue < ?)",
                vec![text("q"), text("r")],
            ),
            (
                "WorkflowId = 'a' OR WorkflowId = 'b' AND TaskQueue = 'q' OR RunId = 'r'",
                "(runs.workflow_id = ? OR ((runs.workflow_id = ? AND runs.task_queue = ?) OR runs.run_id = ?))",
                vec![text("a"), text("b"), text("q"), text("r")],
            ),
        ];
        for (query, where_sql, params) in cases {
            let compiled = compiled(query);
            assert_eq!(
                (compiled.where_sql.as_str(), compiled.params),
                (where_sql, params),
                "{query}"
            );
        }
    }

    #[test]
    fn every_order_ends_with_the_run_key() {
        let default = compiled("Priority = 1");
        assert_eq!(default.order_sql, "runs.start_ms DESC, runs.run_key DESC");
        let custom = compiled("Priority = 1 ORDER BY Priority DESC, CloseTime");
        assert_eq!(
            custom.order_sql,
            "(SELECT MIN(value) FROM search_attributes WHERE search_attributes.run_key = runs.run_key AND name = ?) \
             DESC, runs.close_ms ASC, runs.run_key DESC"
        );
        // The WHERE clause's parameters come first.
        assert_eq!(
            custom.params,
            vec![text("Priority"), Value::Integer(1), text("Priority")]
        );
    }

    #[test]
    fn values_must_fit_their_field() {
        let cases = [
            ("Priority = 'high'", "`Priority` has type Int: 'high' is not an integer"),
            ("Priority > 1.5", "`Priority` has type Int: 1.5 is not an integer"),
            ("Score IN (1, 'x')", "`Score` has type Double: 'x' is not a number"),
            ("Urgent = 1", "`Urgent` has type Bool: 1 is not true or false"),
            (
                "Due < 'tomorrow'",
                "`Due` has type Datetime: 'tomorrow' is not an RFC 3339 datetime such as '2026-12-02T10:00:00Z'",
            ),
            (
                "Customer BETWEEN 'a' AND 3",
                "`Customer` has type Keyword: 3 is not a string",
            ),
            ("Tags != false", "`Tags` has type KeywordList: false is not a string"),
            // An unregistered attribute takes its type from the first value.
            ("Ghost IN (1, 'a')", "`Ghost` has type Int: 'a' is not an integer"),
            (
                "Priority STARTS_WITH '1'",
                "`Priority` has type Int: STARTS_WITH needs a Keyword, Text or KeywordList attribute",
            ),
        ];
        for (query, message) in cases {
            let error = compile(&parse(query), &registered).unwrap_err();
            assert_eq!(error.to_string(), message, "{query}");
        }
        // A tree built in code skips the parser's checks of built-in fields.
        let query = VisibilityQuery {
            filter: Some(Filter::Compare {
                field: Field::StartTime,
                op: CompareOp::Gt,
                value: Literal::Int(5),
            }),
            order_by: Vec::new(),
        };
        assert_eq!(
            compile(&query, &registered),
            Err(CompileError::Mismatch {
                field: "StartTime".to_owned(),
                value: "5".to_owned(),
                expected: SearchAttributeType::Datetime,
            })
        );
    }

    fn run(key: i64, status: WorkflowStatus, attributes: &[(&'static str, Value)]) -> Run {
        Run {
            key,
            workflow_id: format!("w-{key}"),
            workflow_type: "order".to_owned(),
            task_queue: "q".to_owned(),
            status,
            start_ms: BASE_MS + key,
            close_ms: (status != WorkflowStatus::Running).then_some(BASE_MS + 100),
            attributes: attributes.to_vec(),
        }
    }

    /// The keys of `runs` that `query` selects, smallest first.
    fn selected(runs: &[Run], query: &str) -> Vec<i64> {
        let mut keys = select_keys(&store(runs), &parse(query), -1, 0);
        keys.sort();
        keys
    }

    #[test]
    fn a_keyword_list_equals_what_it_contains() {
        let runs = [
            run(1, WorkflowStatus::Running, &[("Tags", text("a")), ("Tags", text("b"))]),
            run(2, WorkflowStatus::Running, &[("Tags", text("b"))]),
            run(3, WorkflowStatus::Running, &[]),
        ];
        assert_eq!(selected(&runs, "Tags = 'b'"), [1, 2]);
        assert_eq!(selected(&runs, "Tags = 'a'"), [1]);
        assert_eq!(selected(&runs, "Tags != 'a'"), [2]);
        assert_eq!(selected(&runs, "Tags NOT IN ('a', 'c')"), [2]);
        assert_eq!(selected(&runs, "Tags IS NULL"), [3]);
        assert_eq!(selected(&runs, "ORDER BY Tags DESC"), [1, 2, 3]);
        assert_eq!(
            select_keys(&store(&runs), &parse("ORDER BY Tags DESC"), -1, 0),
            [2, 1, 3]
        );
    }

    #[test]
    fn negated_conditions_need_the_field() {
        let runs = [
            run(1, WorkflowStatus::Completed, &[("Priority", Value::Integer(1))]),
            run(2, WorkflowStatus::Running, &[("Priority", Value::Integer(2))]),
            run(3, WorkflowStatus::Failed, &[]),
        ];
        assert_eq!(selected(&runs, "Priority != 1"), [2]);
        assert_eq!(selected(&runs, "Priority NOT BETWEEN 0 AND 1"), [2]);
        assert_eq!(selected(&runs, "CloseTime != '2026-12-02T10:00:00Z'"), [1, 3]);
        assert_eq!(
            selected(&runs, "CloseTime NOT IN ('2026-12-02T10:00:00.100Z')"),
            Vec::<i64>::new()
        );
        assert_eq!(selected(&runs, "CloseTime IS NULL"), [2]);
        assert_eq!(selected(&runs, "ExecutionStatus NOT IN ('Running', 'Failed')"), [1]);
    }

    #[test]
    fn an_attribute_no_run_has_matches_only_is_null() {
        let runs = [run(1, WorkflowStatus::Running, &[("Priority", Value::Integer(1))])];
        for query in [
            "Ghost = 1",
            "Ghost != 'a'",
            "Ghost NOT IN (1.5)",
            "Ghost STARTS_WITH ''",
            "Ghost IS NOT NULL",
        ] {
            assert_eq!(selected(&runs, query), Vec::<i64>::new(), "{query}");
        }
        assert_eq!(selected(&runs, "Ghost IS NULL"), [1]);
    }

    #[test]
    fn starts_with_matches_exactly_the_strings_with_the_prefix() {
        let runs: Vec<Run> = (1..)
            .zip(WORDS)
            .map(|(key, word)| run(key, WorkflowStatus::Running, &[("Customer", text(word))]))
            .collect();
        for prefix in WORDS {
            let expected: Vec<i64> = (1..)
                .zip(WORDS)
                .filter(|(_, word)| word.starts_with(prefix))
                .map(|(key, _)| key)
                .collect();
            let query = Filter::StartsWith {
                field: custom("Customer"),
                prefix: prefix.to_owned(),
            };
            assert_eq!(selected(&runs, &query.to_string()), expected, "{prefix:?}");
        }
        assert_eq!(successor("ab").as_deref(), Some("ac"));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(successor("\u{10FFFF}\u{10FFFF}"), None);
        assert_eq!(successor(""), None);
    }

    #[test]
    fn custom_conditions_drive_from_the_value_index() {
        let compiled = compiled("Customer = 'a'");
        let db = store(&[]);
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT run_key FROM runs WHERE {} ORDER BY {}",
            compiled.where_sql, compiled.order_sql
        );
        let mut statement = db.prepare(&sql).unwrap();
        let plan: Vec<String> = statement
            .query_map(params_from_iter(compiled.params), |row| row.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.iter().any(|step| step.contains("search_attributes_by_value")),
            "{plan:#?}"
        );
        assert!(
            plan.iter().any(|step| step.contains("INTEGER PRIMARY KEY")),
            "{plan:#?}"
        );
    }

    #[test]
    fn wide_queries_stay_within_sqlite_limits() {
        let conditions: Vec<String> = (0..3000).map(|i| format!("Priority = {i}")).collect();
        let runs = [run(1, WorkflowStatus::Running, &[("Priority", Value::Integer(2999))])];
        assert_eq!(selected(&runs, &conditions.join(" OR ")), [1]);
        assert_eq!(selected(&runs, &conditions.join(" AND ")), Vec::<i64>::new());
    }
}
