//! Replaying recorded histories against the current workflow code: the test
//! that a change to a workflow still replays the runs already in flight.

use std::fmt;
use std::path::{Path, PathBuf};

use workflow_client::{EventKind, History};

use crate::definition::WorkflowDefinition;
use crate::embedded::StoreFile;
use crate::limits::Limits;
use crate::registry::Offer;
use crate::replay::{replay, ReplayError};

/// Replays histories (from `fetch_history`, JSON exported with
/// `History::to_json`, or every run of a workflow file) against registered
/// workflow types, without an engine: the check that changed workflow code
/// still replays the runs it will take over.
///
/// ```
/// # use workflow_runtime::{ReplayError, Replayer};
/// # use workflow_client::History;
/// let replayer = Replayer::new(); // .workflow::<MyWorkflow>()
/// let empty = History::default();
/// assert!(matches!(replayer.replay(&empty), Err(ReplayError::History(_))));
/// ```
#[derive(Default)]
pub struct Replayer {
    offer: Offer,
    limits: Limits,
}

impl Replayer {
    /// A replayer with no workflow types.
    pub fn new() -> Self {
        Replayer::default()
    }

    /// Registers workflow `W` (a `dynamic` one replays every unregistered type).
    pub fn workflow<W: WorkflowDefinition>(mut self) -> Self {
        self.offer.add_workflow::<W>();
        self
    }

    /// Limits the recorded run ran under, if not the defaults (they decide
    /// when `continue_as_new_suggested()` turned true).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Decodes the histories' payloads with `codec`, the one the engine that
    /// recorded them used; a history fetched through a client with the
    /// codec is decoded already and replays either way.
    pub fn codec(mut self, codec: impl workflow_client::codec::PayloadCodec) -> Self {
        self.offer.set_codec(Some(std::sync::Arc::new(codec)));
        self
    }

    /// Replays one run's history; `Ok` if the code issues the recorded commands.
    pub fn replay(&self, history: &History) -> Result<(), ReplayError> {
        let workflow_type = match history.events.first().map(|e| &e.kind) {
            Some(EventKind::WorkflowExecutionStarted { workflow_type, .. }) => workflow_type,
            _ => {
                return Err(ReplayError::History(
                    "a history starts with WorkflowExecutionStarted".to_owned(),
                ))
            }
        };
        let factory = self
            .offer
            .workflow(workflow_type)
            .ok_or_else(|| ReplayError::UnknownWorkflowType {
                workflow_type: workflow_type.clone(),
            })?;
        let mut instance = factory.instance(self.limits.max_pending_outgoing_signals);
        replay(
            &mut *instance,
            &history.events,
            &history.workflow_id,
            &history.run_id,
            &self.limits,
        )
    }

    /// Replays a history exported as JSON.
    pub fn replay_json(&self, json: &str) -> Result<(), ReplayError> {
        let history = History::from_json(json).map_err(|e| ReplayError::History(e.to_string()))?;
        self.replay(&history)
    }

    /// Replays every run of a workflow file, open and closed, a page at a
    /// time: the check to run in CI against a copy of production's file
    /// (see [`StoreFile::backup`]) before deploying changed workflow code.
    /// Safe while another process owns the file.
    ///
    /// Fails only when the file cannot be read; each run's verdict is in
    /// the report.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("orders.db");
    /// # drop(workflow_runtime::Engine::open(&path)?);
    /// use workflow_runtime::Replayer;
    /// let report = Replayer::new() /* .workflow::<Order>() */ .replay_store(&path)?;
    /// assert!(report.is_ok(), "{report}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay_store(&self, path: impl AsRef<Path>) -> Result<ReplayReport, ReplayError> {
        let path = path.as_ref();
        let unreadable = |message: String| ReplayError::Source {
            path: path.to_path_buf(),
            message,
        };
        let file = StoreFile::open(path).map_err(|e| unreadable(e.to_string()))?;
        let mut report = ReplayReport::default();
        file.for_each_history(|run, history| {
            let outcome = history
                .map_err(|e| ReplayError::History(e.to_string()))
                .and_then(|history| self.replay(&history));
            report.runs.push(RunReplay {
                workflow_id: run.workflow_id,
                run_id: run.run_id,
                source: None,
                outcome,
            });
        })
        .map_err(|e| unreadable(e.to_string()))?;
        Ok(report)
    }

    /// Replays every `*.json` file of a directory, each a history exported
    /// with `History::to_json` (or `workflow show ID --json`), in file name
    /// order.
    ///
    /// Fails only when the directory cannot be read; a file that is not a
    /// history is a failed entry of the report.
    ///
    /// ```no_run
    /// use workflow_runtime::Replayer;
    /// let report = Replayer::new() /* .workflow::<Order>() */ .replay_dir("tests/histories")?;
    /// for failed in report.failures() {
    ///     eprintln!("{failed}");
    /// }
    /// # Ok::<(), workflow_runtime::ReplayError>(())
    /// ```
    pub fn replay_dir(&self, dir: impl AsRef<Path>) -> Result<ReplayReport, ReplayError> {
        let dir = dir.as_ref();
        let unreadable = |e: std::io::Error| ReplayError::Source {
            path: dir.to_path_buf(),
            message: e.to_string(),
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(unreadable)? {
            let path = entry.map_err(unreadable)?.path();
            if path.extension().is_some_and(|e| e == "json") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        let mut report = ReplayReport::default();
        for path in files {
            let history = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| History::from_json(&text).map_err(|e| e.to_string()));
            let (workflow_id, run_id, outcome) = match history {
                Ok(history) => {
                    let outcome = self.replay(&history);
                    (history.workflow_id, history.run_id, outcome)
                }
                Err(message) => (String::new(), String::new(), Err(ReplayError::History(message))),
            };
            report.runs.push(RunReplay {
                workflow_id,
                run_id,
                source: Some(path),
                outcome,
            });
        }
        Ok(report)
    }
}

/// What [`Replayer::replay_store`] or [`Replayer::replay_dir`] found: one
/// verdict per run. Its `Display` is a summary line and a line per run
/// that does not replay.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Every run replayed, in the order read.
    pub runs: Vec<RunReplay>,
}

impl ReplayReport {
    /// Whether every run replayed.
    pub fn is_ok(&self) -> bool {
        self.runs.iter().all(|r| r.outcome.is_ok())
    }

    /// The runs that did not replay.
    pub fn failures(&self) -> impl Iterator<Item = &RunReplay> {
        self.runs.iter().filter(|r| r.outcome.is_err())
    }
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failures().count();
        write!(f, "{} runs replayed, {failed} did not", self.runs.len())?;
        for run in self.failures() {
            write!(f, "\n  {run}")?;
        }
        Ok(())
    }
}

/// One run's verdict in a [`ReplayReport`].
#[derive(Debug)]
#[non_exhaustive]
pub struct RunReplay {
    /// The workflow id (empty when the file was not a history).
    pub workflow_id: String,
    /// The run id (empty when the file was not a history).
    pub run_id: String,
    /// The file the history came from, for [`Replayer::replay_dir`].
    pub source: Option<PathBuf>,
    /// `Ok`, or where the code departs from the history.
    pub outcome: Result<(), ReplayError>,
}

impl fmt::Display for RunReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (run {})", self.workflow_id, self.run_id)?;
        if let Some(source) = &self.source {
            write!(f, " from {}", source.display())?;
        }
        match &self.outcome {
            Ok(()) => write!(f, ": ok"),
            Err(e) => write!(f, ": {e}"),
        }
    }
}
