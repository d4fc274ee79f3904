//! Visibility queries: the SQL-like filter that lists runs by their built-in
//! fields and search attributes, a documented subset of Temporal's
//! [List Filter](https://docs.temporal.io/list-filter).
//!
//! ```
//! use workflow_client::visibility::VisibilityQuery;
//!
//! let query: VisibilityQuery =
//!     "ExecutionStatus = 'Running' and CustomerId in ('c-42', 'c-43') order by StartTime desc".parse()?;
//! // The canonical text, which parses back to the same query:
//! assert_eq!(
//!     query.to_string(),
//!     "ExecutionStatus = 'Running' AND CustomerId IN ('c-42', 'c-43') ORDER BY StartTime DESC"
//! );
//! # Ok::<(), workflow_client::visibility::QueryError>(())
//! ```
//!
//! # Conditions
//!
//! | Form | Example | Matches a run whose field |
//! |---|---|---|
//! | `field = value`, `field != value` (or `<>`) | `WorkflowType = 'order'` | equals / differs from the value |
//! | `field < value`, `<=`, `>`, `>=` | `StartTime >= '2026-12-02T10:00:00Z'` | compares so |
//! | `field IN (value, ...)`, `field NOT IN (...)` | `ExecutionStatus IN ('Failed', 'TimedOut')` | is one / none of the values |
//! | `field BETWEEN low AND high`, `NOT BETWEEN` | `Priority BETWEEN 1 AND 3` | lies within (both ends included) / outside |
//! | `field STARTS_WITH 'prefix'` | `WorkflowId STARTS_WITH 'order-'` | is a string beginning with the prefix |
//! | `field IS NULL`, `field IS NOT NULL` | `CloseTime IS NULL` | is missing / present |
//! | `condition AND condition` | `A = 1 AND B = 2` | meets both; `AND` binds tighter than `OR` |
//! | `condition OR condition` | `A = 1 OR B = 2` | meets either |
//! | `( condition )` | `(A = 1 OR A = 2) AND B = 3` | groups |
//! | `... ORDER BY field [ASC \| DESC], ...` | `ORDER BY Priority DESC, StartTime` | sorts (ascending unless `DESC`); may stand alone |
//!
//! An empty query matches every run (the embedded engine lists them newest
//! start first). A field a run does
//! not have fails every condition but `IS NULL`; `!=`, `NOT IN` and `NOT
//! BETWEEN` need the field present, as in SQL. A `KeywordList` attribute
//! matches `=` and `IN` when its list contains the value, and `!=`, `NOT IN`
//! and `NOT BETWEEN` when none of its elements does.
//!
//! # Fields
//!
//! | Field | Values |
//! |---|---|
//! | `WorkflowId`, `WorkflowType`, `RunId`, `TaskQueue` | strings |
//! | `ExecutionStatus` | a status name, spelled exactly: `'Running'`, `'Completed'`, `'Failed'`, `'Canceled'`, `'Terminated'`, `'ContinuedAsNew'`, `'TimedOut'` |
//! | `StartTime`, `CloseTime` | RFC 3339 datetimes: `'2026-12-02T10:00:00Z'`, `'2026-12-02T11:00:00.250+01:00'` (millisecond precision; `CloseTime` is null while the run is open) |
//! | any other name | a custom search attribute; its values must fit its registered [type](crate::SearchAttributeType) (`Datetime` takes RFC 3339 strings, `Double` takes integers too) |
//!
//! Names are case-sensitive: `[A-Za-z_][A-Za-z0-9_]*`, or any text in
//! backquotes (`` `Order Total` ``, a backquote inside doubled), which a name
//! that is also a keyword needs too (`` `Order` ``). Keywords (`AND`, `IN`,
//! `ORDER BY`, `true`, ...) are case-insensitive.
//!
//! # Values
//!
//! | Value | Examples | Notes |
//! |---|---|---|
//! | string | `'text'`, `"text"` | a quote doubled (`'it''s'`) or escaped (`'it\'s'`); `\"` and `\\` too |
//! | integer | `42`, `-7` | 64 bits |
//! | float | `2.5`, `-0.125` | digits on both sides of the point |
//! | boolean | `true`, `false` | |
//!
//! Not supported: `NOT` before a condition, `LIKE`, arithmetic and
//! functions.

mod display;
mod error;
mod lex;
mod listing;
mod parse;
mod query;
#[cfg(test)]
mod tests;

pub use error::QueryError;
pub use listing::{WorkflowPage, WorkflowSummary};
pub use query::{AttributeName, CompareOp, Field, Filter, Literal, OrderBy, VisibilityQuery};
