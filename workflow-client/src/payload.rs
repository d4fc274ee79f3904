//! Payloads and the JSON payload converter.
//!
//! The encoding is Temporal's standard one, so Rust and other SDKs read each
//! other's values: a serde value becomes `encoding: json/plain` with its JSON as
//! data, and JSON `null` (Rust `()` or `None`) becomes `encoding: binary/null`
//! with no data. Several arguments travel as several payloads, never a tuple.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const ENCODING: &str = "encoding";
const JSON_PLAIN: &str = "json/plain";
const BINARY_NULL: &str = "binary/null";
/// A protobuf message in its JSON form, as other SDKs send messages such as
/// Temporal's workflow metadata: readable as any JSON.
const JSON_PROTOBUF: &str = "json/protobuf";

/// One encoded value: metadata (at least `encoding`) and the encoded bytes.
///
/// Handlers and calls encode and decode for you; payloads show up in
/// history, in [`ApplicationError::details`](crate::ApplicationError::details)
/// and behind a [`RawValue`].
///
/// ```
/// # use workflow_client::Payload;
/// let greeting = Payload::encode(&"Hello")?;
/// assert_eq!(greeting.encoding(), Some("json/plain"));
/// assert_eq!(greeting.data, br#""Hello""#);
///
/// // `()` and `None` are `binary/null`, as in other SDKs.
/// assert_eq!(Payload::encode(&())?, Payload::null());
/// assert_eq!(Payload::null().decode::<Option<String>>()?, None);
/// # Ok::<(), workflow_client::PayloadError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// Metadata entries; `encoding` names the converter that wrote `data`.
    pub metadata: BTreeMap<String, String>,
    /// The encoded value.
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

impl Payload {
    /// The `binary/null` payload: Rust `()` or `None`.
    pub fn null() -> Self {
        Payload {
            metadata: BTreeMap::from([(ENCODING.to_owned(), BINARY_NULL.to_owned())]),
            data: Vec::new(),
        }
    }

    /// The payload's `encoding` metadata, if any.
    pub fn encoding(&self) -> Option<&str> {
        self.metadata.get(ENCODING).map(String::as_str)
    }

    /// Encodes `value` with the JSON converter.
    ///
    /// ```
    /// # use workflow_client::Payload;
    /// let p = Payload::encode(&"hi").unwrap();
    /// assert_eq!(p.encoding(), Some("json/plain"));
    /// assert_eq!(p.decode::<String>().unwrap(), "hi");
    /// ```
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Self, PayloadError> {
        let data = serde_json::to_vec(value).map_err(|e| PayloadError::Encode {
            type_name: std::any::type_name::<T>(),
            message: e.to_string(),
        })?;
        if data == b"null" {
            return Ok(Payload::null());
        }
        Ok(Payload {
            metadata: BTreeMap::from([(ENCODING.to_owned(), JSON_PLAIN.to_owned())]),
            data,
        })
    }

    /// Decodes the payload into `T` with the JSON converter.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        let fail = |message: String| PayloadError::Decode {
            type_name: std::any::type_name::<T>(),
            message,
        };
        match self.encoding() {
            Some(BINARY_NULL) => serde_json::from_slice(b"null").map_err(|e| fail(e.to_string())),
            Some(JSON_PLAIN | JSON_PROTOBUF) => serde_json::from_slice(&self.data).map_err(|e| fail(e.to_string())),
            other => Err(fail(format!(
                "unsupported payload encoding {:?}; expected \"json/plain\", \"json/protobuf\" or \"binary/null\"",
                other.unwrap_or("<none>")
            ))),
        }
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.encoding() {
            Some(BINARY_NULL) => f.write_str("null"),
            Some(JSON_PLAIN) => f.write_str(&String::from_utf8_lossy(&self.data)),
            _ => f
                .debug_struct("Payload")
                .field("metadata", &self.metadata)
                .field("len", &self.data.len())
                .finish(),
        }
    }
}

/// An argument or result whose type is decided by the receiver: what dynamic
/// handlers get, and what untyped calls may send.
///
/// ```
/// # use workflow_client::RawValue;
/// let raw = RawValue::new(&42u32).unwrap();
/// assert_eq!(raw.decode::<u64>().unwrap(), 42);
/// ```
///
/// Through serde a raw value is any JSON value, so `decode::<RawValue>()`
/// accepts whatever a payload holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawValue {
    payload: Payload,
}

impl RawValue {
    /// Encodes `value` as a raw value.
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Result<Self, PayloadError> {
        Payload::encode(value).map(RawValue::from)
    }

    /// Decodes the value with the JSON converter.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        self.payload.decode()
    }

    /// The payload as received.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// Unwraps the payload.
    pub fn into_payload(self) -> Payload {
        self.payload
    }
}

impl Serialize for RawValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value = self.decode().map_err(serde::ser::Error::custom)?;
        value.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        RawValue::new(&value).map_err(serde::de::Error::custom)
    }
}

impl From<Payload> for RawValue {
    fn from(payload: Payload) -> Self {
        RawValue { payload }
    }
}

/// A value could not be encoded or decoded.
///
/// ```
/// # use workflow_client::{Payload, PayloadError};
/// let err = Payload::encode(&"ten")?.decode::<u32>().unwrap_err();
/// assert!(matches!(err, PayloadError::Decode { type_name: "u32", .. }));
/// assert!(err.to_string().starts_with("cannot decode payload as `u32`"));
/// # Ok::<(), PayloadError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Serialising a value failed.
    #[error("cannot encode a `{type_name}` as JSON: {message}")]
    Encode {
        /// The Rust type being encoded.
        type_name: &'static str,
        /// What serde said.
        message: String,
    },
    /// A payload did not decode into the expected type.
    #[error("cannot decode payload as `{type_name}`: {message}")]
    Decode {
        /// The Rust type expected.
        type_name: &'static str,
        /// What serde said.
        message: String,
    },
    /// A call carried more arguments than the handler takes.
    #[error("expected at most {expected} argument(s), got {got}")]
    TooManyArguments {
        /// Arguments the handler takes.
        expected: usize,
        /// Arguments received.
        got: usize,
    },
}

/// Decodes argument `index` of `args` for a handler taking `count` arguments.
///
/// A missing argument decodes from JSON `null` (so `Option` parameters may be
/// left out, as in other SDKs); surplus arguments are an error, never dropped.
pub fn decode_arg<T: DeserializeOwned>(args: &[Payload], index: usize, count: usize) -> Result<T, PayloadError> {
    if args.len() > count {
        return Err(PayloadError::TooManyArguments {
            expected: count,
            got: args.len(),
        });
    }
    match args.get(index) {
        Some(payload) => payload.decode(),
        None => Payload::null().decode(),
    }
}

/// Arguments of an untyped call: `()` for none, a tuple for one or several
/// (each element is one payload), or already-encoded values.
///
/// ```
/// # use workflow_client::IntoArgs;
/// assert_eq!(().into_args().unwrap().len(), 0);
/// assert_eq!(("User 1",).into_args().unwrap().len(), 1);
/// assert_eq!((1, "two").into_args().unwrap().len(), 2);
/// ```
pub trait IntoArgs {
    /// Encodes the arguments, one payload each.
    fn into_args(self) -> Result<Vec<Payload>, PayloadError>;
}

impl IntoArgs for Vec<Payload> {
    fn into_args(self) -> Result<Vec<Payload>, PayloadError> {
        Ok(self)
    }
}

impl IntoArgs for Vec<RawValue> {
    fn into_args(self) -> Result<Vec<Payload>, PayloadError> {
        Ok(self.into_iter().map(RawValue::into_payload).collect())
    }
}

impl IntoArgs for Vec<serde_json::Value> {
    fn into_args(self) -> Result<Vec<Payload>, PayloadError> {
        self.iter().map(Payload::encode).collect()
    }
}

macro_rules! tuple_args {
    ($($name:ident)*) => {
        impl<$($name: Serialize),*> IntoArgs for ($($name,)*) {
            #[allow(non_snake_case)]
            fn into_args(self) -> Result<Vec<Payload>, PayloadError> {
                let ($($name,)*) = self;
                Ok(vec![$(Payload::encode(&$name)?),*])
            }
        }
    };
}

tuple_args!();
tuple_args!(A);
tuple_args!(A B);
tuple_args!(A B C);
tuple_args!(A B C D);
tuple_args!(A B C D E);

mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_and_none_are_binary_null() {
        assert_eq!(Payload::encode(&()).unwrap(), Payload::null());
        assert_eq!(Payload::encode(&None::<u8>).unwrap(), Payload::null());
        assert_eq!(Payload::null().decode::<Option<String>>().unwrap(), None);
    }

    #[test]
    fn missing_argument_decodes_as_null_and_surplus_is_an_error() {
        let args = vec![Payload::encode(&1).unwrap(), Payload::encode(&2).unwrap()];
        assert_eq!(decode_arg::<Option<u8>>(&args[..1], 1, 2).unwrap(), None);
        assert!(matches!(
            decode_arg::<u8>(&args, 0, 1),
            Err(PayloadError::TooManyArguments { expected: 1, got: 2 })
        ));
    }

    #[test]
    fn raw_value_decodes_from_any_payload() {
        let raw: RawValue = Payload::encode(&"text").unwrap().decode().unwrap();
        assert_eq!(raw.decode::<String>().unwrap(), "text");
        let null: RawValue = Payload::null().decode().unwrap();
        assert_eq!(null.payload(), &Payload::null());
    }

    #[test]
    fn payload_round_trips_through_json() {
        let p = Payload::encode(&vec!["a", "b"]).unwrap();
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Payload>(&text).unwrap(), p);
    }
}
