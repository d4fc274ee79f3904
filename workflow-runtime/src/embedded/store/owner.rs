//! Which process owns a workflow file: the one that runs its workflow tasks.

use std::path::{Path, PathBuf};

use super::{StoreError, StoreResult};

/// The lock that makes one process the owner of a workflow file: the
/// process that runs its workflow tasks. It is an advisory lock on a file
/// beside the database, released by the kernel when the process dies, so a
/// `kill -9` never leaves the file unowned forever.
pub(crate) struct Owner {
    _file: std::fs::File,
}

impl Owner {
    fn path(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push("-owner");
        PathBuf::from(name)
    }

    /// Takes ownership of the file at `db`, or says which file is taken.
    pub(crate) fn acquire(db: &Path) -> StoreResult<Owner> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(Owner::path(db))
            .map_err(|e| StoreError::Unusable(e.to_string()))?;
        match file.try_lock() {
            Ok(()) => Ok(Owner { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Unusable(
                "another process has this workflow file open; only one process runs a file's workflows, \
                 others reach it through `StoreFile`"
                    .to_owned(),
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Unusable(e.to_string())),
        }
    }

    /// Whether some process owns the file at `db` right now.
    pub(crate) fn is_held(db: &Path) -> bool {
        let Ok(file) = std::fs::File::open(Owner::path(db)) else {
            return false;
        };
        matches!(file.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock))
    }
}
