//! The durable inbox of a workflow file: requests that other processes leave
//! for the file's owner, and the owner's replies.
//!
//! A request row is taken in the same transaction that applies it, so a
//! signal, cancellation or termination written while no process owns the
//! file is applied exactly once when one next opens it. Replies are kept
//! until their asker reads them, or for [`REPLY_TTL_MS`] when it gave up.

use std::time::{Duration, Instant};

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use workflow_client::{ClientError, Failure, Limit, WorkflowStatus};

use super::request::{Reply, Request, Responder};
use super::store::{Store, StoreResult};

/// How often the owner looks for new requests while it has nothing else to do.
pub(crate) const OWNER_POLL: Duration = Duration::from_millis(25);

/// Replies nobody read are dropped after this long.
const REPLY_TTL_MS: u64 = 10 * 60 * 1000;

/// Requests applied per batch at most, so one burst cannot stall the engine.
const TAKE: usize = 256;

/// What the owner answered, as stored in `replies`.
pub(crate) type StoredAnswer = Result<Reply, WireError>;

/// Declares [`WireError`]: a variant per [`ClientError`] variant listed,
/// with the same fields, converted both ways field by field; `Closed` (whose
/// `what` is a `&'static str`) by hand, and the rest as `Other`.
macro_rules! wire_errors {
    ($($variant:ident { $($field:ident: $ty:ty),* }),* $(,)?) => {
        /// A [`ClientError`] as it crosses the file. Variants whose fields are
        /// all data round-trip; the rest arrive as [`ClientError::Server`]
        /// with their message.
        #[derive(Debug, Serialize, Deserialize)]
        pub(crate) enum WireError {
            $($variant { $($field: $ty),* },)*
            Closed { workflow_id: String, status: WorkflowStatus, what: String },
            Other { message: String },
        }

        impl From<ClientError> for WireError {
            fn from(e: ClientError) -> Self {
                match e {
                    $(ClientError::$variant { $($field),* } => WireError::$variant { $($field),* },)*
                    ClientError::Closed { workflow_id, status, what } => {
                        WireError::Closed { workflow_id, status, what: what.to_owned() }
                    }
                    other => WireError::Other { message: other.to_string() },
                }
            }
        }

        impl From<WireError> for ClientError {
            fn from(e: WireError) -> Self {
                match e {
                    $(WireError::$variant { $($field),* } => ClientError::$variant { $($field),* },)*
                    WireError::Closed { workflow_id, status, what } => ClientError::Closed {
                        workflow_id,
                        status,
                        // `what` is one of the engine's fixed words.
                        what: match what.as_str() {
                            "signals" => "signals",
                            "updates" => "updates",
                            "cancellation" => "cancellation",
                            "termination" => "termination",
                            _ => "requests",
                        },
                    },
                    WireError::Other { message } => ClientError::Server { message },
                }
            }
        }
    };
}

wire_errors! {
    NotFound { workflow_id: String },
    AlreadyStarted { workflow_id: String, run_id: String },
    UnknownQuery { workflow_type: String, name: String, known: Vec<String> },
    UnknownUpdate { workflow_type: String, name: String, known: Vec<String> },
    UpdateNotFound { workflow_id: String, update_id: String },
    UpdateUnfinished { workflow_id: String, update_id: String, status: WorkflowStatus },
    QueryFailed { name: String, failure: Failure },
    UpdateRejected { name: String, failure: Failure },
    UpdateFailed { name: String, failure: Failure },
    WorkflowFailed { workflow_id: String, failure: Failure },
    LimitExceeded { workflow_id: String, limit: Limit, max: usize },
    NoWorker { task_queue: String, waited: Duration },
    InvalidOptions { message: String },
    WorkflowTask { workflow_id: String, message: String },
    ActivityNotFound { token: String },
    InvalidQuery { message: String, position: Option<usize> },
    ScheduleNotFound { schedule_id: String },
    ScheduleAlreadyExists { schedule_id: String },
}

fn encode<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| super::store::StoreError::Corrupt {
        table: "(a request or reply being written)",
        message: e.to_string(),
    })
}

impl Store {
    /// Leaves a request for the owner; returns its id.
    pub(crate) fn put_request(&self, request: &Request) -> StoreResult<i64> {
        self.conn
            .prepare_cached("INSERT INTO requests (body) VALUES (?1)")?
            .execute(params![encode(request)?])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Takes back a request the owner has not taken; false if it was taken.
    pub(crate) fn withdraw_request(&self, id: i64) -> StoreResult<bool> {
        let removed = self
            .conn
            .prepare_cached("DELETE FROM requests WHERE id = ?1")?
            .execute(params![id])?;
        Ok(removed > 0)
    }

    /// Takes the owner's reply to request `id`, if it has answered.
    pub(crate) fn take_reply(&self, id: i64) -> StoreResult<Option<Result<Reply, ClientError>>> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM replies WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?;
        let Some(body) = body else {
            return Ok(None);
        };
        self.conn
            .prepare_cached("DELETE FROM replies WHERE id = ?1")?
            .execute(params![id])?;
        let answer: StoredAnswer = serde_json::from_str(&body).map_err(|e| super::store::StoreError::Corrupt {
            table: "replies",
            message: e.to_string(),
        })?;
        Ok(Some(answer.map_err(ClientError::from)))
    }

    /// The oldest requests waiting, with their ids; a body that does not
    /// parse comes back as its parse error, to be answered as such.
    fn pending_requests(&self) -> StoreResult<Vec<(i64, Result<Request, String>)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, body FROM requests ORDER BY id LIMIT ?1")?;
        let rows = stmt.query_map(params![TAKE as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (id, body) = row?;
            Ok((id, serde_json::from_str(&body).map_err(|e| e.to_string())))
        })
        .collect()
    }

    fn put_reply(&self, id: i64, answer: &StoredAnswer, now: u64) -> StoreResult<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO replies (id, body, written_ms) VALUES (?1, ?2, ?3)")?
            .execute(params![id, encode(answer)?, now as i64])?;
        Ok(())
    }

    /// Whether another connection committed since the last call.
    fn data_version(&self) -> StoreResult<i64> {
        Ok(self
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?)
    }
}

/// The owner's side: which requests it took and still has to answer.
pub(crate) struct Inbox {
    /// `data_version` when the inbox was last read; `None` before the first read.
    seen: Option<i64>,
    /// A full page was taken last time, so more may be waiting.
    more: bool,
    /// When `data_version` was last read: at most once per [`OWNER_POLL`], so a
    /// busy engine does not pay for it in every batch.
    checked: Option<Instant>,
    waiting: Vec<(i64, oneshot::Receiver<Result<Reply, ClientError>>)>,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Inbox {
            seen: None,
            more: false,
            checked: None,
            waiting: Vec::new(),
        }
    }

    /// Whether requests may be waiting: another process wrote to the file
    /// since the inbox was last read.
    pub(crate) fn has_news(&mut self, store: &Store) -> StoreResult<bool> {
        if self.more {
            return Ok(true);
        }
        if self.checked.is_some_and(|at| at.elapsed() < OWNER_POLL) {
            return Ok(false);
        }
        self.checked = Some(Instant::now());
        Ok(self.seen != Some(store.data_version()?))
    }

    /// Takes the waiting requests (inside the caller's transaction), each
    /// with the responder its answer goes to.
    pub(crate) fn take(&mut self, store: &Store, now: u64) -> StoreResult<Vec<(Request, Responder)>> {
        self.seen = Some(store.data_version()?);
        let pending = store.pending_requests()?;
        self.more = pending.len() == TAKE;
        let mut taken = Vec::with_capacity(pending.len());
        for (id, request) in pending {
            store.withdraw_request(id)?;
            match request {
                Ok(request) => {
                    let (tx, rx) = oneshot::channel();
                    self.waiting.push((id, rx));
                    taken.push((request, tx));
                }
                Err(message) => {
                    let answer: StoredAnswer = Err(WireError::Other {
                        message: format!("unreadable request: {message}"),
                    });
                    store.put_reply(id, &answer, now)?;
                }
            }
        }
        Ok(taken)
    }

    /// Forgets requests taken in a transaction that rolled back: their rows
    /// are back, and will be taken again.
    pub(crate) fn forget_uncommitted(&mut self, count: usize) {
        self.waiting.truncate(self.waiting.len().saturating_sub(count));
        self.seen = None;
    }

    /// Writes the answers that have arrived since the last call.
    pub(crate) fn write_replies(&mut self, store: &Store, now: u64) -> StoreResult<()> {
        let mut ready = Vec::new();
        self.waiting.retain_mut(|(id, rx)| match rx.try_recv() {
            Ok(answer) => {
                ready.push((*id, answer.map_err(WireError::from)));
                false
            }
            Err(oneshot::error::TryRecvError::Empty) => true,
            Err(oneshot::error::TryRecvError::Closed) => {
                ready.push((*id, Err(WireError::from(ClientError::EngineClosed))));
                false
            }
        });
        if ready.is_empty() {
            return Ok(());
        }
        store.begin()?;
        for (id, answer) in &ready {
            store.put_reply(*id, answer, now)?;
        }
        store
            .conn
            .prepare_cached("DELETE FROM replies WHERE written_ms < ?1")?
            .execute(params![now.saturating_sub(REPLY_TTL_MS) as i64])?;
        store.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(e: ClientError) -> ClientError {
        let text = serde_json::to_string(&WireError::from(e)).unwrap();
        ClientError::from(serde_json::from_str::<WireError>(&text).unwrap())
    }

    #[test]
    fn data_errors_cross_the_file_unchanged() {
        let errors = [
            ClientError::NotFound {
                workflow_id: "a".to_owned(),
            },
            ClientError::Closed {
                workflow_id: "a".to_owned(),
                status: WorkflowStatus::Terminated,
                what: "signals",
            },
            ClientError::UnknownQuery {
                workflow_type: "T".to_owned(),
                name: "q".to_owned(),
                known: vec!["p".to_owned()],
            },
            ClientError::NoWorker {
                task_queue: "tq".to_owned(),
                waited: Duration::from_millis(1500),
            },
        ];
        for e in errors {
            assert_eq!(round_trip(e.clone()), e);
        }
    }

    #[test]
    fn other_errors_arrive_with_their_message() {
        let e = ClientError::Storage("disk full".to_owned());
        assert_eq!(round_trip(e.clone()), ClientError::Server { message: e.to_string() });
    }
}
