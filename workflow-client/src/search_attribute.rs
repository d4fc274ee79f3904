//! Search attributes: typed, indexed values a run carries so visibility
//! queries can find it ("all running orders of customer c-42").
//!
//! A key names the attribute and fixes its type once, as a constant:
//!
//! ```
//! use workflow_client::{SearchAttributeKey, SearchAttributes};
//! const CUSTOMER_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("CustomerId");
//! const PRIORITY: SearchAttributeKey<i64> = SearchAttributeKey::int("Priority");
//!
//! let attributes = SearchAttributes::new().with(CUSTOMER_ID, "c-42").with(PRIORITY, 3);
//! assert_eq!(attributes.get(CUSTOMER_ID).as_deref(), Some("c-42"));
//! assert_eq!(attributes.get(PRIORITY), Some(3));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// The type of a search attribute, as Temporal's `IndexedValueType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SearchAttributeType {
    /// An exact string: ids, names, states.
    Keyword,
    /// Free text (compared whole on the embedded engine).
    Text,
    /// A signed 64-bit integer.
    Int,
    /// A 64-bit float.
    Double,
    /// A boolean.
    Bool,
    /// A point in time (millisecond precision).
    Datetime,
    /// A list of keywords; `=` matches a run whose list contains the value.
    KeywordList,
}

impl fmt::Display for SearchAttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::str::FromStr for SearchAttributeType {
    type Err = String;

    /// Parses a type name as Temporal spells it (`Keyword`, `KeywordList`,
    /// ...), ignoring case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        use SearchAttributeType::*;
        [Keyword, Text, Int, Double, Bool, Datetime, KeywordList]
            .into_iter()
            .find(|t| t.to_string().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                format!("unknown search attribute type `{text}`: expected Keyword, Text, Int, Double, Bool, Datetime or KeywordList")
            })
    }
}

/// The value of one search attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SearchAttributeValue {
    /// A [`SearchAttributeType::Keyword`] value.
    Keyword(String),
    /// A [`SearchAttributeType::Text`] value.
    Text(String),
    /// A [`SearchAttributeType::Int`] value.
    Int(i64),
    /// A [`SearchAttributeType::Double`] value.
    Double(f64),
    /// A [`SearchAttributeType::Bool`] value.
    Bool(bool),
    /// A [`SearchAttributeType::Datetime`] value, in milliseconds since the
    /// Unix epoch.
    Datetime(i64),
    /// A [`SearchAttributeType::KeywordList`] value.
    KeywordList(Vec<String>),
}

impl SearchAttributeValue {
    /// The type of this value.
    pub fn kind(&self) -> SearchAttributeType {
        match self {
            SearchAttributeValue::Keyword(_) => SearchAttributeType::Keyword,
            SearchAttributeValue::Text(_) => SearchAttributeType::Text,
            SearchAttributeValue::Int(_) => SearchAttributeType::Int,
            SearchAttributeValue::Double(_) => SearchAttributeType::Double,
            SearchAttributeValue::Bool(_) => SearchAttributeType::Bool,
            SearchAttributeValue::Datetime(_) => SearchAttributeType::Datetime,
            SearchAttributeValue::KeywordList(_) => SearchAttributeType::KeywordList,
        }
    }
}

/// A Rust type a search attribute holds, and how it converts to a
/// [`SearchAttributeValue`].
pub trait SearchAttributeKind: Sized {
    /// Wraps a value of this type (`kind` tells Keyword from Text).
    fn into_value(self, kind: SearchAttributeType) -> SearchAttributeValue;
    /// Reads a value of this type back, if it is one.
    fn from_value(value: &SearchAttributeValue) -> Option<Self>;
}

impl SearchAttributeKind for String {
    fn into_value(self, kind: SearchAttributeType) -> SearchAttributeValue {
        match kind {
            SearchAttributeType::Text => SearchAttributeValue::Text(self),
            _ => SearchAttributeValue::Keyword(self),
        }
    }
    fn from_value(value: &SearchAttributeValue) -> Option<Self> {
        match value {
            SearchAttributeValue::Keyword(s) | SearchAttributeValue::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl SearchAttributeKind for i64 {
    fn into_value(self, _: SearchAttributeType) -> SearchAttributeValue {
        SearchAttributeValue::Int(self)
    }
    fn from_value(value: &SearchAttributeValue) -> Option<Self> {
        match value {
            SearchAttributeValue::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl SearchAttributeKind for f64 {
    fn into_value(self, _: SearchAttributeType) -> SearchAttributeValue {
        SearchAttributeValue::Double(self)
    }
    fn from_value(value: &SearchAttributeValue) -> Option<Self> {
        match value {
            SearchAttributeValue::Double(d) => Some(*d),
            _ => None,
        }
    }
}

impl SearchAttributeKind for bool {
    fn into_value(self, _: SearchAttributeType) -> SearchAttributeValue {
        SearchAttributeValue::Bool(self)
    }
    fn from_value(value: &SearchAttributeValue) -> Option<Self> {
        match value {
            SearchAttributeValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl SearchAttributeKind for SystemTime {
    fn into_value(self, _: SearchAttributeType) -> SearchAttributeValue {
        let ms = match self.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        };
        SearchAttributeValue::Datetime(ms)
    }
    fn from_value(value: &SearchAttributeValue) -> Option<Self> {
        match value {
            SearchAttributeValue::Datetime(ms) if *ms >= 0 => {
                Some(SystemTime::UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs()))
            }
            SearchAttributeValue::Datetime(ms) => {
                SystemTime::UNIX_EPOCH.checked_sub(Duration::from_millis(ms.unsigned_abs()))
            }
            _ => None,
        }
    }
}

impl SearchAttributeKind for Vec<String> {
    fn into_value(self, _: SearchAttributeType) -> SearchAttributeValue {
        SearchAttributeValue::KeywordList(self)
    }
    fn from_value(value: &SearchAttributeValue) -> Option<Self> {
        match value {
            SearchAttributeValue::KeywordList(list) => Some(list.clone()),
            _ => None,
        }
    }
}

/// A typed search attribute name, declared once as a constant.
///
/// ```
/// use workflow_client::SearchAttributeKey;
/// const TAGS: SearchAttributeKey<Vec<String>> = SearchAttributeKey::keyword_list("Tags");
/// assert_eq!(TAGS.name(), "Tags");
/// ```
pub struct SearchAttributeKey<T> {
    name: &'static str,
    kind: SearchAttributeType,
    _value: PhantomData<fn() -> T>,
}

impl<T> Clone for SearchAttributeKey<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SearchAttributeKey<T> {}

impl<T> fmt::Debug for SearchAttributeKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.kind, self.name)
    }
}

impl<T> SearchAttributeKey<T> {
    const fn of(name: &'static str, kind: SearchAttributeType) -> Self {
        SearchAttributeKey {
            name,
            kind,
            _value: PhantomData,
        }
    }

    /// The attribute's name, as queries spell it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The attribute's type.
    pub fn kind(&self) -> SearchAttributeType {
        self.kind
    }
}

impl<T: SearchAttributeKind> SearchAttributeKey<T> {
    /// An update that sets the attribute to `value`, for
    /// `ctx.upsert_search_attributes`.
    pub fn set(&self, value: impl Into<T>) -> SearchAttributeUpdate {
        SearchAttributeUpdate {
            name: self.name.to_owned(),
            value: Some(value.into().into_value(self.kind)),
        }
    }

    /// An update that removes the attribute from the run.
    pub fn unset(&self) -> SearchAttributeUpdate {
        SearchAttributeUpdate {
            name: self.name.to_owned(),
            value: None,
        }
    }
}

impl SearchAttributeKey<String> {
    /// A [`SearchAttributeType::Keyword`] attribute.
    pub const fn keyword(name: &'static str) -> Self {
        Self::of(name, SearchAttributeType::Keyword)
    }

    /// A [`SearchAttributeType::Text`] attribute.
    pub const fn text(name: &'static str) -> Self {
        Self::of(name, SearchAttributeType::Text)
    }
}

impl SearchAttributeKey<i64> {
    /// A [`SearchAttributeType::Int`] attribute.
    pub const fn int(name: &'static str) -> Self {
        Self::of(name, SearchAttributeType::Int)
    }
}

impl SearchAttributeKey<f64> {
    /// A [`SearchAttributeType::Double`] attribute.
    pub const fn double(name: &'static str) -> Self {
        Self::of(name, SearchAttributeType::Double)
    }
}

impl SearchAttributeKey<bool> {
    /// A [`SearchAttributeType::Bool`] attribute.
    pub const fn bool(name: &'static str) -> Self {
        Self::of(name, SearchAttributeType::Bool)
    }
}

impl SearchAttributeKey<SystemTime> {
    /// A [`SearchAttributeType::Datetime`] attribute.
    pub const fn datetime(name: &'static str) -> Self {
        Self::of(name, SearchAttributeType::Datetime)
    }
}

impl SearchAttributeKey<Vec<String>> {
    /// A [`SearchAttributeType::KeywordList`] attribute.
    pub const fn keyword_list(name: &'static str) -> Self {
        Self::of(name, SearchAttributeType::KeywordList)
    }
}

/// One change to a run's search attributes: set a value, or remove it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchAttributeUpdate {
    /// The attribute's name.
    pub name: String,
    /// The new value; `None` removes the attribute.
    pub value: Option<SearchAttributeValue>,
}

/// The search attributes of a run, by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SearchAttributes(BTreeMap<String, SearchAttributeValue>);

impl SearchAttributes {
    /// No attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// These attributes and `key` set to `value`.
    pub fn with<T: SearchAttributeKind>(mut self, key: SearchAttributeKey<T>, value: impl Into<T>) -> Self {
        self.apply(key.set(value));
        self
    }

    /// The value of `key`, if the run has it with that type.
    pub fn get<T: SearchAttributeKind>(&self, key: SearchAttributeKey<T>) -> Option<T> {
        self.0.get(key.name).and_then(T::from_value)
    }

    /// Applies one update: sets or removes the attribute.
    pub fn apply(&mut self, update: SearchAttributeUpdate) {
        match update.value {
            Some(value) => self.0.insert(update.name, value),
            None => self.0.remove(&update.name),
        };
    }

    /// Every attribute, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SearchAttributeValue)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
