//! Unique ids for runs and updates.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A process-unique, practically globally unique id in UUID text form.
///
/// Not for workflow code, which must be deterministic: use `ctx.uuid4()` there.
///
/// ```
/// # use workflow_client::id::unique_id;
/// let id = unique_id();
/// assert_eq!(id.len(), 36);
/// assert_ne!(id, unique_id());
/// ```
pub fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    let high = hasher.finish();
    hasher.write_u64(high);
    uuid_text(high, hasher.finish())
}

/// Formats 128 bits as a version-4 UUID.
pub fn uuid_text(high: u64, low: u64) -> String {
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_distinct_uuids() {
        let a = super::unique_id();
        assert_ne!(a, super::unique_id());
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }
}
