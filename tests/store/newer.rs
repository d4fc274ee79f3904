//! A file written by a newer release is refused and left as it was.

use workflow::{Engine, EngineError, StoreFile};

#[test]
fn file_of_a_newer_schema_is_refused_and_left_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    drop(Engine::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert!(version >= 1, "the store carries a schema version");
        conn.pragma_update(None, "user_version", version + 1).unwrap();
    }
    let before = std::fs::read(&path).unwrap();

    let err = Engine::open(&path).err().expect("a newer file is refused");
    assert!(matches!(err, EngineError::Open { .. }));
    let message = err.to_string();
    assert!(message.contains("newer release"), "{message}");
    assert!(message.contains("left unchanged"), "{message}");
    let err = StoreFile::open(&path).err().expect("also for other processes");
    assert!(err.to_string().contains("newer release"), "{err}");

    assert!(
        std::fs::read(&path).unwrap() == before,
        "the file is byte-for-byte unchanged"
    );
}
