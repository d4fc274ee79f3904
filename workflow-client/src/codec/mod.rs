//! Payload codecs: transformations of encoded payloads (encryption,
//! compression) applied where payloads leave and enter the program, so that
//! what an engine stores and a server sees is only the codec's output.
//!
//! A codec works on whole lists, as Temporal's SDKs' codecs do, and its
//! output is in Temporal's wire form, so a Python or Go worker with the
//! same codec reads what Rust wrote, and the other way round.
//!
//! ```
//! use workflow_client::codec::{AesGcmCodec, PayloadCodec};
//! use workflow_client::Payload;
//!
//! let codec = AesGcmCodec::new("key-1", [7u8; 32]);
//! let secret = vec![Payload::encode(&"card 4242")?];
//! let sealed = codec.encode(secret.clone())?;
//! assert_eq!(sealed[0].encoding(), Some("binary/encrypted"));
//! assert!(!String::from_utf8_lossy(&sealed[0].data).contains("4242"));
//! assert_eq!(codec.decode(sealed)?, secret);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod compression;
mod encryption;
mod proto;
mod visit;

use std::sync::Arc;

use crate::payload::Payload;

pub(crate) use client::Encoded;
pub use compression::ZlibCodec;
pub use encryption::AesGcmCodec;
pub use proto::{payload_from_proto, payload_to_proto};
pub use visit::{decode_payloads, encode_payloads, HoldsPayloads};

/// Turns payloads into their stored or sent form and back. `encode` and
/// `decode` take and return lists of the same length, in order; `decode`
/// passes through payloads it did not encode (their `encoding` says so).
pub trait PayloadCodec: Send + Sync + 'static {
    /// Encodes payloads on their way out.
    fn encode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, CodecError>;
    /// Decodes payloads on their way in.
    fn decode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, CodecError>;
}

/// A codec could not encode or decode a payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("payload codec failed: {message}")]
pub struct CodecError {
    /// What went wrong (never the payload's content).
    pub message: String,
}

impl CodecError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        CodecError {
            message: message.into(),
        }
    }
}

/// Codecs applied in turn: encoding runs the last one first, so the first
/// is outermost, as with Temporal's Go SDK (`Chain::new([encrypt, compress])`
/// compresses, then encrypts).
pub struct Chain {
    codecs: Vec<Arc<dyn PayloadCodec>>,
}

impl Chain {
    /// The codecs, outermost first.
    pub fn new(codecs: impl IntoIterator<Item = Arc<dyn PayloadCodec>>) -> Self {
        Chain {
            codecs: codecs.into_iter().collect(),
        }
    }
}

impl PayloadCodec for Chain {
    fn encode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, CodecError> {
        self.codecs.iter().rev().try_fold(payloads, |p, codec| codec.encode(p))
    }

    fn decode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, CodecError> {
        self.codecs.iter().try_fold(payloads, |p, codec| codec.decode(p))
    }
}
