//! Bytes as hex digits, as task tokens and codec keys are written.

/// The bytes of `text`, two hex digits each (either case); `None` unless
/// it is a non-empty, even run of hex digits.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}
