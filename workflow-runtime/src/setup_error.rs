//! Errors of setting up: an engine or a worker that could not start.

use std::path::PathBuf;

/// The engine could not start.
///
/// ```
/// # use workflow_runtime::{Engine, EngineError};
/// let err = Engine::open("/no/such/directory/app.db").err().expect("no such directory");
/// assert!(matches!(err, EngineError::Open { path: Some(_), .. }));
/// assert!(err.to_string().starts_with("cannot open the workflow store at /no/such/directory/app.db"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The store could not be opened or read.
    #[error("cannot open the workflow store{}: {message}", path.as_ref().map(|p| format!(" at {}", p.display())).unwrap_or_default())]
    Open {
        /// The file, unless in memory.
        path: Option<PathBuf>,
        /// What failed.
        message: String,
    },
    /// The Temporal server could not be reached.
    #[error("cannot connect to Temporal at `{target}`: {message}")]
    Connect {
        /// The address tried.
        target: String,
        /// What failed.
        message: String,
    },
}

/// A worker could not start.
///
/// ```
/// # use workflow_runtime::{Engine, WorkerError};
/// let engine = Engine::in_memory()?;
/// // Activities run on the caller's tokio runtime, and there is none here.
/// let refused = engine.worker("signal-tq").start();
/// assert!(matches!(refused, Err(WorkerError::NoRuntime)));
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// let worker = runtime.block_on(async { engine.worker("signal-tq").start() })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// `start` was called outside a tokio runtime.
    #[error("a worker starts inside a tokio runtime: call `start` from async code or within `Runtime::enter`")]
    NoRuntime,
    /// The engine refused the worker.
    #[error("cannot start a worker for task queue `{task_queue}`: {message}")]
    Refused {
        /// The task queue.
        task_queue: String,
        /// What went wrong.
        message: String,
    },
    /// A method of an `#[workflow::activities]` impl block was registered
    /// with `activity`, without the instance it runs on.
    #[error(
        "cannot start a worker for task queue `{task_queue}`: activity `{activity}` is a method of \
         `{owner}` and runs on an instance of it: register the instance with \
         `.activities({owner} {{ .. }})`, which registers every activity of `{owner}`, instead of the \
         activity alone"
    )]
    ActivityWithoutInstance {
        /// The task queue.
        task_queue: String,
        /// The activity's name.
        activity: String,
        /// The type whose impl block holds it.
        owner: String,
    },
}
