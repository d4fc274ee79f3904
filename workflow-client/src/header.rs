//! Headers: named payloads that travel beside a call's arguments, from a
//! client to the run and from the run to its activities, children and the
//! workflows it signals. Interceptors write and read them; trace context is
//! the common use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::payload::Payload;

/// A call's headers: payloads by name, as Temporal's `Header` message
/// carries them. History keeps the headers of the events that had them.
///
/// ```
/// # use workflow_client::{Headers, Payload};
/// let mut headers = Headers::default();
/// headers.insert("tenant", Payload::encode(&"acme")?);
/// assert_eq!(headers.get("tenant").map(|p| p.decode::<String>()).transpose()?, Some("acme".to_owned()));
/// assert_eq!(headers.len(), 1);
/// # Ok::<(), workflow_client::PayloadError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Headers(BTreeMap<String, Payload>);

impl Headers {
    /// The header named `name`.
    pub fn get(&self, name: &str) -> Option<&Payload> {
        self.0.get(name)
    }

    /// Sets a header, returning the value it replaces.
    pub fn insert(&mut self, name: impl Into<String>, value: Payload) -> Option<Payload> {
        self.0.insert(name.into(), value)
    }

    /// Removes a header, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Payload> {
        self.0.remove(name)
    }

    /// The headers by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Payload)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    /// The headers' values.
    pub fn values(&self) -> impl Iterator<Item = &Payload> {
        self.0.values()
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, Payload)> for Headers {
    fn from_iter<I: IntoIterator<Item = (String, Payload)>>(iter: I) -> Self {
        Headers(iter.into_iter().collect())
    }
}

impl Extend<(String, Payload)> for Headers {
    fn extend<I: IntoIterator<Item = (String, Payload)>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for Headers {
    type Item = (String, Payload);
    type IntoIter = std::collections::btree_map::IntoIter<String, Payload>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
