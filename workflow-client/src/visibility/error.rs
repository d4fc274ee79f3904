//! Why a query does not parse.

/// Why a visibility query does not parse: what was expected where, or which
/// value does not fit its field.
///
/// ```
/// use workflow_client::visibility::VisibilityQuery;
///
/// let error = VisibilityQuery::parse("ExecutionStatus = 'Runing'").unwrap_err();
/// assert_eq!(error.position(), 18);
/// assert!(error
///     .to_string()
///     .starts_with("unknown execution status `Runing` at position 18: expected one of Running, Completed,"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    position: usize,
    message: String,
}

impl QueryError {
    /// An error at byte `position`, whose `message` names that position.
    pub(super) fn new(position: usize, message: String) -> Self {
        QueryError { position, message }
    }

    /// Where in the query the problem is: a byte offset, from 0; the query's
    /// length if it ended too soon.
    pub fn position(&self) -> usize {
        self.position
    }
}
