//! What each routine of a run is waiting on: the answer to Temporal's
//! built-in `__stack_trace` query, which `temporal workflow stack` and
//! Temporal's UI send.
//!
//! A Rust future has no stack to print, so the run's awaitables say what
//! they wait on each time they are polled and cannot go on; the executor
//! keeps the last such list for each routine.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

/// The name of the query every run answers with its stack trace.
pub(crate) const STACK_TRACE_QUERY: &str = "__stack_trace";

/// Something a routine of the run is waiting on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// A durable timer (`ctx.sleep`, or the timeout of a condition).
    Timer {
        /// The timer's sequence number in the run.
        seq: u32,
        /// How long it was started for.
        duration: Duration,
    },
    /// An activity, regular or local.
    Activity {
        /// The call's sequence number in the run.
        seq: u32,
        /// The activity's type name.
        activity_type: Rc<str>,
        /// Whether it runs as a local activity.
        local: bool,
    },
    /// The start of a child workflow.
    ChildStart {
        /// The child's workflow id.
        workflow_id: Rc<str>,
    },
    /// The result of a started child workflow.
    ChildResult {
        /// The child's workflow id.
        workflow_id: Rc<str>,
    },
    /// A signal to another workflow, until its history records it.
    SignalExternal {
        /// The target's workflow id.
        workflow_id: Rc<str>,
        /// The signal's name.
        signal: Rc<str>,
    },
    /// A cancellation request to another workflow.
    CancelExternal {
        /// The target's workflow id.
        workflow_id: Rc<str>,
    },
    /// A condition on the workflow state (`ctx.wait_condition`).
    Condition,
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wait::Timer { seq, duration } => write!(f, "timer {seq} ({duration:?})"),
            Wait::Activity {
                seq,
                activity_type,
                local,
            } => {
                let kind = if *local { "local activity" } else { "activity" };
                write!(f, "{kind} `{activity_type}` (seq {seq})")
            }
            Wait::ChildStart { workflow_id } => write!(f, "the start of child workflow `{workflow_id}`"),
            Wait::ChildResult { workflow_id } => write!(f, "child workflow `{workflow_id}`"),
            Wait::SignalExternal { workflow_id, signal } => {
                write!(f, "signal `{signal}` to workflow `{workflow_id}`")
            }
            Wait::CancelExternal { workflow_id } => write!(f, "cancellation of workflow `{workflow_id}`"),
            Wait::Condition => f.write_str("a condition"),
        }
    }
}

/// One routine of the run as the trace shows it.
pub(crate) struct RoutineTrace<'a> {
    /// What the routine runs: `run`, ``signal `name` ``, ``update `name` (id …)``.
    pub(crate) label: String,
    /// What it waited on when last polled.
    pub(crate) waits: &'a [Wait],
}

/// The trace: one line per routine, the run method first, each naming what
/// the routine waits on.
///
/// ```text
/// run: waiting on timer 1 (3600s)
/// signal `approve`: waiting on activity `charge` (seq 2)
/// ```
pub(crate) fn stack_trace<'a>(routines: impl IntoIterator<Item = RoutineTrace<'a>>) -> String {
    let mut trace = String::new();
    for routine in routines {
        if !trace.is_empty() {
            trace.push('\n');
        }
        trace.push_str(&routine.label);
        trace.push_str(": ");
        if routine.waits.is_empty() {
            // A future of the user's own that is not one of the context's.
            trace.push_str("waiting");
            continue;
        }
        trace.push_str("waiting on ");
        for (i, wait) in routine.waits.iter().enumerate() {
            if i > 0 {
                trace.push_str(", ");
            }
            trace.push_str(&wait.to_string());
        }
    }
    trace
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_routine_is_a_line_naming_what_it_waits_on() {
        let timer = [Wait::Timer {
            seq: 1,
            duration: Duration::from_secs(3600),
        }];
        let both = [
            Wait::Activity {
                seq: 2,
                activity_type: "charge".into(),
                local: false,
            },
            Wait::Condition,
        ];
        let trace = stack_trace([
            RoutineTrace {
                label: "run".to_owned(),
                waits: &timer,
            },
            RoutineTrace {
                label: "signal `approve`".to_owned(),
                waits: &both,
            },
            RoutineTrace {
                label: "update `add` (id u-1)".to_owned(),
                waits: &[],
            },
        ]);
        assert_eq!(
            trace,
            "run: waiting on timer 1 (3600s)\n\
             signal `approve`: waiting on activity `charge` (seq 2), a condition\n\
             update `add` (id u-1): waiting"
        );
    }
}
