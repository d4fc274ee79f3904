//! `temporal.api.common.v1.Payload` in protobuf's wire form: what Temporal's
//! codecs encrypt or compress, so their output is the other SDKs'.
//!
//! ```protobuf
//! message Payload { map<string, bytes> metadata = 1; bytes data = 2; }
//! ```

use std::collections::BTreeMap;

use super::CodecError;
use crate::payload::Payload;

const METADATA: u64 = 1;
const DATA: u64 = 2;
const KEY: u64 = 1;
const VALUE: u64 = 2;
const LEN: u64 = 2;

/// The payload as protobuf bytes (map entries in key order).
pub fn payload_to_proto(payload: &Payload) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.data.len() + 64);
    for (key, value) in &payload.metadata {
        let mut entry = Vec::with_capacity(key.len() + value.len() + 4);
        field(&mut entry, KEY, key.as_bytes());
        field(&mut entry, VALUE, value.as_bytes());
        field(&mut out, METADATA, &entry);
    }
    if !payload.data.is_empty() {
        field(&mut out, DATA, &payload.data);
    }
    out
}

/// Reads a payload from protobuf bytes; fields it does not know are
/// skipped, as protobuf readers do.
pub fn payload_from_proto(bytes: &[u8]) -> Result<Payload, CodecError> {
    let mut metadata = BTreeMap::new();
    let mut data = Vec::new();
    let mut reader = Reader(bytes);
    while let Some((number, value)) = reader.field()? {
        match (number, value) {
            (METADATA, Value::Bytes(entry)) => {
                let (mut key, mut value) = (String::new(), Vec::new());
                let mut entry = Reader(entry);
                while let Some((number, field)) = entry.field()? {
                    match (number, field) {
                        (KEY, Value::Bytes(k)) => key = utf8(k)?,
                        (VALUE, Value::Bytes(v)) => value = v.to_vec(),
                        _ => {}
                    }
                }
                // Metadata values are bytes on the wire; ours are text.
                metadata.insert(key, utf8(&value)?);
            }
            (DATA, Value::Bytes(d)) => data = d.to_vec(),
            _ => {}
        }
    }
    Ok(Payload { metadata, data })
}

fn utf8(bytes: &[u8]) -> Result<String, CodecError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::new("payload metadata is not UTF-8"))
}

fn field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    varint(out, number << 3 | LEN);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

enum Value<'a> {
    Bytes(&'a [u8]),
    Other,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self
                .0
                .split_first()
                .ok_or_else(|| CodecError::new("truncated payload"))?;
            self.0 = rest;
            n |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(n);
            }
        }
        Err(CodecError::new("malformed payload: varint too long"))
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], CodecError> {
        let len = usize::try_from(len).map_err(|_| CodecError::new("malformed payload: length"))?;
        if len > self.0.len() {
            return Err(CodecError::new("truncated payload"));
        }
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(taken)
    }

    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, CodecError> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => {
                self.varint()?;
                Value::Other
            }
            1 => {
                self.take(8)?;
                Value::Other
            }
            2 => {
                let len = self.varint()?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Value::Other
            }
            wire => return Err(CodecError::new(format!("malformed payload: wire type {wire}"))),
        };
        Ok(Some((key >> 3, value)))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_json_payload_has_the_bytes_other_sdks_write() {
        let payload = Payload::encode(&"hi").unwrap();
        // metadata { "encoding": "json/plain" }, data "\"hi\"": as Python's
        // `Payload.SerializeToString()` gives it.
        let expected = b"\x0a\x16\x0a\x08encoding\x12\x0ajson/plain\x12\x04\"hi\"";
        assert_eq!(payload_to_proto(&payload), expected);
        assert_eq!(payload_from_proto(expected).unwrap(), payload);
    }

    proptest! {
        #[test]
        fn payloads_survive_the_round_trip(
            metadata in prop::collection::btree_map(".{0,12}", ".{0,40}", 0..4),
            data in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let payload = Payload { metadata, data };
            prop_assert_eq!(payload_from_proto(&payload_to_proto(&payload)).unwrap(), payload);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = payload_from_proto(&bytes);
        }
    }
}
