//! `binary/zlib`: Temporal's compression codec, as Go's SDK and Temporal's
//! cross-SDK features define it.

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::proto::{payload_from_proto, payload_to_proto};
use super::{CodecError, PayloadCodec};
use crate::payload::Payload;

const ENCODING: &str = "encoding";
const BINARY_ZLIB: &str = "binary/zlib";

/// Compresses each payload with zlib: the payload's protobuf form,
/// compressed, with `encoding: binary/zlib`. A payload that would not get
/// smaller is left as it is, unless the codec is built with
/// [`always`](Self::always), as Go's `ZlibCodec`.
///
/// ```
/// use workflow_client::codec::{PayloadCodec, ZlibCodec};
/// use workflow_client::Payload;
///
/// let codec = ZlibCodec::new();
/// let big = vec![Payload::encode(&"la ".repeat(1000))?];
/// let packed = codec.encode(big.clone())?;
/// assert_eq!(packed[0].encoding(), Some("binary/zlib"));
/// assert!(packed[0].data.len() < 100);
/// assert_eq!(codec.decode(packed)?, big);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ZlibCodec {
    always: bool,
}

impl ZlibCodec {
    /// Compresses payloads that get smaller.
    pub fn new() -> Self {
        ZlibCodec::default()
    }

    /// Compresses every payload, even when it does not get smaller.
    pub fn always() -> Self {
        ZlibCodec { always: true }
    }
}

impl ZlibCodec {
    /// One payload, compressed if that makes it smaller (or always).
    fn compress(&self, payload: Payload) -> Result<Payload, CodecError> {
        let plain = payload_to_proto(&payload);
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(&plain)
            .map_err(|e| CodecError::new(format!("zlib: {e}")))?;
        let data = encoder.finish().map_err(|e| CodecError::new(format!("zlib: {e}")))?;
        if !self.always && data.len() >= plain.len() {
            return Ok(payload);
        }
        Ok(Payload {
            metadata: [(ENCODING.to_owned(), BINARY_ZLIB.to_owned())].into(),
            data,
        })
    }
}

/// One payload, decompressed if it is compressed.
fn decompress(payload: Payload) -> Result<Payload, CodecError> {
    if payload.encoding() != Some(BINARY_ZLIB) {
        return Ok(payload);
    }
    let mut plain = Vec::new();
    ZlibDecoder::new(payload.data.as_slice())
        .read_to_end(&mut plain)
        .map_err(|e| CodecError::new(format!("not zlib data: {e}")))?;
    payload_from_proto(&plain)
}

impl PayloadCodec for ZlibCodec {
    fn encode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, CodecError> {
        payloads.into_iter().map(|p| self.compress(p)).collect()
    }

    fn decode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, CodecError> {
        payloads.into_iter().map(decompress).collect()
    }
}
