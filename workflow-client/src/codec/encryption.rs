//! `binary/encrypted`: AES-256-GCM in the wire form of Temporal's
//! encryption samples (Python, Go, TypeScript), so their workers and
//! clients read what Rust wrote, given the same key.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use super::proto::{payload_from_proto, payload_to_proto};
use super::{CodecError, PayloadCodec};
use crate::payload::Payload;

const ENCODING: &str = "encoding";
const BINARY_ENCRYPTED: &str = "binary/encrypted";
const KEY_ID: &str = "encryption-key-id";
const NONCE_LEN: usize = 12;

/// Encrypts each payload with AES-256-GCM: the payload's protobuf form,
/// sealed under a fresh 12-byte nonce (`data` is nonce, ciphertext, tag),
/// with `encoding: binary/encrypted` and `encryption-key-id` naming the key.
/// A payload sealed under another key id is an error, not a guess.
///
/// Keep the key out of source code: read it from a secret store.
#[derive(Clone)]
pub struct AesGcmCodec {
    key_id: String,
    cipher: Aes256Gcm,
}

impl AesGcmCodec {
    /// A codec sealing with the 32-byte `key`, known to readers as `key_id`.
    pub fn new(key_id: impl Into<String>, key: [u8; 32]) -> Self {
        AesGcmCodec {
            key_id: key_id.into(),
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }
}

impl AesGcmCodec {
    /// A codec sealing with the key in `key`: 32 raw bytes, or 64 hex
    /// digits (surrounding whitespace ignored), as a key file holds it.
    ///
    /// ```
    /// use workflow_client::codec::AesGcmCodec;
    ///
    /// let hex = "07".repeat(32) + "\n";
    /// assert!(AesGcmCodec::from_key("key-1", hex.as_bytes()).is_ok());
    /// assert!(AesGcmCodec::from_key("key-1", b"too short").is_err());
    /// ```
    pub fn from_key(key_id: impl Into<String>, key: &[u8]) -> Result<Self, CodecError> {
        let raw = <[u8; 32]>::try_from(key).ok();
        let hex = || {
            let text = std::str::from_utf8(key).ok()?;
            <[u8; 32]>::try_from(crate::hex::decode(text.trim())?).ok()
        };
        raw.or_else(hex)
            .map(|key| AesGcmCodec::new(key_id, key))
            .ok_or_else(|| CodecError::new("a key is neither 32 bytes nor 64 hex digits"))
    }
}

impl std::fmt::Debug for AesGcmCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AesGcmCodec")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl AesGcmCodec {
    /// One payload, sealed.
    fn seal(&self, payload: &Payload) -> Result<Payload, CodecError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, payload_to_proto(payload).as_slice())
            .map_err(|_| CodecError::new("AES-GCM encryption failed"))?;
        let mut data = nonce.to_vec();
        data.extend_from_slice(&sealed);
        Ok(Payload {
            metadata: [
                (ENCODING.to_owned(), BINARY_ENCRYPTED.to_owned()),
                (KEY_ID.to_owned(), self.key_id.clone()),
            ]
            .into(),
            data,
        })
    }

    /// One payload, opened if it is sealed.
    fn open(&self, payload: Payload) -> Result<Payload, CodecError> {
        if payload.encoding() != Some(BINARY_ENCRYPTED) {
            return Ok(payload);
        }
        match payload.metadata.get(KEY_ID) {
            Some(id) if *id == self.key_id => {}
            Some(id) => {
                return Err(CodecError::new(format!(
                    "payload sealed with key `{id}`, this codec holds key `{}`",
                    self.key_id
                )))
            }
            None => return Err(CodecError::new("encrypted payload names no `encryption-key-id`")),
        }
        if payload.data.len() < NONCE_LEN {
            return Err(CodecError::new("encrypted payload is too short"));
        }
        let (nonce, sealed) = payload.data.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| CodecError::new("AES-GCM decryption failed: wrong key or altered payload"))?;
        payload_from_proto(&plain)
    }
}

impl PayloadCodec for AesGcmCodec {
    fn encode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, CodecError> {
        payloads.iter().map(|p| self.seal(p)).collect()
    }

    fn decode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, CodecError> {
        payloads.into_iter().map(|p| self.open(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_key_id_or_an_altered_payload_is_an_error() {
        let codec = AesGcmCodec::new("k1", [1; 32]);
        let sealed = codec.encode(vec![Payload::encode(&42).unwrap()]).unwrap();
        let other = AesGcmCodec::new("k2", [1; 32]);
        assert_eq!(
            other.decode(sealed.clone()).unwrap_err().message,
            "payload sealed with key `k1`, this codec holds key `k2`"
        );
        let mut altered = sealed;
        *altered[0].data.last_mut().unwrap() ^= 1;
        assert!(codec.decode(altered).unwrap_err().message.contains("decryption failed"));
    }

    #[test]
    fn plain_payloads_pass_through_decoding() {
        let codec = AesGcmCodec::new("k1", [1; 32]);
        let plain = vec![Payload::encode(&"x").unwrap(), Payload::null()];
        assert_eq!(codec.decode(plain.clone()).unwrap(), plain);
    }
}
