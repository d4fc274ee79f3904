//! The query tree the parser builds and engines compile.

use std::str::FromStr;

use crate::SearchAttributeType;

use super::error::QueryError;
use super::parse;

/// A visibility query: which runs to list, and in which order.
///
/// Parse one from text (`parse` or `str::parse`); its [`Display`](std::fmt::Display)
/// is the canonical text, which parses back to an equal query.
///
/// ```
/// use workflow_client::visibility::{CompareOp, Field, Filter, Literal, OrderBy, VisibilityQuery};
///
/// let query = VisibilityQuery::parse("WorkflowType = 'order' ORDER BY StartTime DESC")?;
/// assert_eq!(
///     query,
///     VisibilityQuery {
///         filter: Some(Filter::Compare {
///             field: Field::WorkflowType,
///             op: CompareOp::Eq,
///             value: Literal::String("order".into()),
///         }),
///         order_by: vec![OrderBy { field: Field::StartTime, descending: true }],
///     }
/// );
/// assert_eq!(query.to_string().parse::<VisibilityQuery>()?, query);
///
/// let error = VisibilityQuery::parse("WorkflowType = ").unwrap_err();
/// assert_eq!(error.position(), 15);
/// # Ok::<(), workflow_client::visibility::QueryError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VisibilityQuery {
    /// Which runs match; `None` matches every run.
    pub filter: Option<Filter>,
    /// Sort keys, most significant first; empty for the engine's default
    /// order (the embedded engine's is newest start first).
    pub order_by: Vec<OrderBy>,
}

impl VisibilityQuery {
    /// Parses a query; empty text (or only whitespace) is the query that
    /// lists every run.
    ///
    /// ```
    /// use workflow_client::visibility::VisibilityQuery;
    /// assert_eq!(VisibilityQuery::parse("  ")?, VisibilityQuery::default());
    /// # Ok::<(), workflow_client::visibility::QueryError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        parse::query(text)
    }
}

impl FromStr for VisibilityQuery {
    type Err = QueryError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// A condition on runs.
///
/// The parser keeps a parenthesized group as one node, so
/// `A = 1 AND (B = 2 AND C = 3)` is an `And` of a condition and an `And`.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Every condition holds (two or more, as the parser builds it).
    And(Vec<Filter>),
    /// Some condition holds (two or more, as the parser builds it).
    Or(Vec<Filter>),
    /// `field op value`.
    Compare {
        /// The field compared.
        field: Field,
        /// How.
        op: CompareOp,
        /// With what.
        value: Literal,
    },
    /// `field IN (values)`, or `field NOT IN (values)` if `negated`.
    In {
        /// The field tested.
        field: Field,
        /// The values it is tested against (one or more, as parsed).
        values: Vec<Literal>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `field BETWEEN low AND high` (both included), or `NOT BETWEEN` if
    /// `negated`.
    Between {
        /// The field tested.
        field: Field,
        /// The lower bound.
        low: Literal,
        /// The upper bound.
        high: Literal,
        /// `NOT BETWEEN`.
        negated: bool,
    },
    /// `field STARTS_WITH 'prefix'`.
    StartsWith {
        /// The (string-valued) field tested.
        field: Field,
        /// What it must begin with.
        prefix: String,
    },
    /// `field IS NULL`, or `field IS NOT NULL` if `negated`.
    IsNull {
        /// The field tested.
        field: Field,
        /// `IS NOT NULL`.
        negated: bool,
    },
}

impl Filter {
    /// `field = 'text'`: the condition a filter by one value builds.
    ///
    /// ```
    /// use workflow_client::visibility::{Field, Filter, VisibilityQuery};
    /// let query = VisibilityQuery { filter: Some(Filter::equals(Field::WorkflowId, "it's")), order_by: vec![] };
    /// assert_eq!(query.to_string(), r"WorkflowId = 'it\'s'");
    /// assert_eq!(query.to_string().parse::<VisibilityQuery>()?, query);
    /// # Ok::<(), workflow_client::visibility::QueryError>(())
    /// ```
    pub fn equals(field: Field, text: impl Into<String>) -> Filter {
        Filter::Compare {
            field,
            op: CompareOp::Eq,
            value: Literal::String(text.into()),
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=` (also written `<>`)
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator as the canonical text writes it (and SQL reads it).
    ///
    /// ```
    /// use workflow_client::visibility::CompareOp;
    /// assert_eq!(CompareOp::Ne.symbol(), "!=");
    /// ```
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// One sort key of [`VisibilityQuery::order_by`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrderBy {
    /// The field sorted by.
    pub field: Field,
    /// Largest first (`DESC`) rather than smallest first (`ASC`).
    pub descending: bool,
}

/// What a condition tests: a built-in field of every run, or a custom
/// search attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The workflow id (a string).
    WorkflowId,
    /// The workflow type's name (a string).
    WorkflowType,
    /// The run id (a string).
    RunId,
    /// The run's status, one of [`WorkflowStatus`](crate::WorkflowStatus)'s names.
    ExecutionStatus,
    /// When the run started (a datetime).
    StartTime,
    /// When the run closed (a datetime; null while it runs).
    CloseTime,
    /// The task queue its workflow tasks go to (a string).
    TaskQueue,
    /// A custom search attribute.
    Custom(AttributeName),
}

/// The built-in fields, which take their names from their variants.
const BUILT_IN: [Field; 7] = [
    Field::WorkflowId,
    Field::WorkflowType,
    Field::RunId,
    Field::ExecutionStatus,
    Field::StartTime,
    Field::CloseTime,
    Field::TaskQueue,
];

impl Field {
    /// The field's name, as a query spells it.
    ///
    /// ```
    /// use workflow_client::visibility::{AttributeName, Field};
    /// assert_eq!(Field::StartTime.name(), "StartTime");
    /// let custom = Field::Custom(AttributeName::new("CustomerId").unwrap());
    /// assert_eq!(custom.name(), "CustomerId");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            Field::WorkflowId => "WorkflowId",
            Field::WorkflowType => "WorkflowType",
            Field::RunId => "RunId",
            Field::ExecutionStatus => "ExecutionStatus",
            Field::StartTime => "StartTime",
            Field::CloseTime => "CloseTime",
            Field::TaskQueue => "TaskQueue",
            Field::Custom(name) => name.as_str(),
        }
    }

    /// The type of a built-in field's values; `None` for a custom attribute,
    /// whose type the engine registered.
    ///
    /// ```
    /// use workflow_client::SearchAttributeType;
    /// use workflow_client::visibility::Field;
    /// assert_eq!(Field::CloseTime.builtin_type(), Some(SearchAttributeType::Datetime));
    /// assert_eq!(Field::ExecutionStatus.builtin_type(), Some(SearchAttributeType::Keyword));
    /// ```
    pub fn builtin_type(&self) -> Option<SearchAttributeType> {
        match self {
            Field::StartTime | Field::CloseTime => Some(SearchAttributeType::Datetime),
            Field::Custom(_) => None,
            _ => Some(SearchAttributeType::Keyword),
        }
    }

    /// The field a query names `name`; `None` for an empty name.
    pub(super) fn named(name: &str) -> Option<Field> {
        match BUILT_IN.iter().find(|field| field.name() == name) {
            Some(field) => Some(field.clone()),
            None => AttributeName::new(name).map(Field::Custom),
        }
    }
}

/// The name of a custom search attribute: not empty, and not the name of a
/// built-in [`Field`] (those are its other variants).
///
/// ```
/// use workflow_client::visibility::AttributeName;
/// assert_eq!(AttributeName::new("CustomerId").unwrap().as_str(), "CustomerId");
/// assert!(AttributeName::new("WorkflowId").is_none());
/// assert!(AttributeName::new("").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeName(String);

impl AttributeName {
    /// The name, unless it is empty or a built-in field's.
    pub fn new(name: impl Into<String>) -> Option<Self> {
        let name = name.into();
        let reserved = name.is_empty() || BUILT_IN.iter().any(|field| field.name() == name);
        (!reserved).then_some(AttributeName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A value in a query.
///
/// Datetimes are strings, checked to be RFC 3339 where the field takes a
/// datetime ([`parse_rfc3339`](crate::timestamp::parse_rfc3339) reads them).
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `'text'` or `"text"`.
    String(String),
    /// `42`, `-7`.
    Int(i64),
    /// `2.5`; finite (the text has no spelling for infinities or NaN).
    Float(f64),
    /// `true`, `false`.
    Bool(bool),
}
