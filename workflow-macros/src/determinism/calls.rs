//! The calls and macros the lint knows, and what to say about each.

use std::fmt;

/// What is wrong with a call, which decides the fixes a message offers.
pub enum Finding {
    /// It cannot work on the workflow's executor thread (it needs a Tokio
    /// runtime, blocks the thread, or picks branches at random): only a
    /// replacement helps, and `#[workflow::nondeterministic]` does not
    /// cover it.
    NeverWorks(String),
    /// It works but gives another result on replay: fine where the result
    /// does not steer the workflow (logging the wall clock), so the message
    /// also offers `#[workflow::nondeterministic]`.
    DiffersOnReplay(String),
}

/// A call's path as the user wrote it and, when a `use` in the method
/// brought its first segment in, the full path it stands for.
pub struct Written {
    pub text: String,
    pub resolved: Option<String>,
}

impl Written {
    /// The path for a message, with `suffix` (`()`, `!`) after it.
    fn show(&self, suffix: &str) -> String {
        match &self.resolved {
            Some(full) => format!("`{}{suffix}` (`{full}{suffix}`)", self.text),
            None => format!("`{}{suffix}`", self.text),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::NeverWorks(message) | Finding::DiffersOnReplay(message) => f.write_str(message),
        }
    }
}

/// Why the Tokio timer and task functions fail in workflow code.
const NO_RUNTIME: &str = "it needs a Tokio runtime, and workflow code runs on the worker's own executor \
                          thread, which has none (it panics with \"there is no reactor running\")";

const DURABLE_SLEEP: &str = "use `ctx.sleep(duration).await` (a durable timer, replayed from history)";

const ELSEWHERE: &str = "run the work in an activity (`ctx.execute_activity`) or a child workflow \
                         (`ctx.start_child_workflow`)";

const SEEDED: &str = "use `ctx.random()` / `ctx.random_u64()` / `ctx.uuid4()` (seeded, the same on replay)";

/// What is wrong with calling `path` (its segments, imports resolved),
/// by its last segments: `SystemTime::now` and `std::time::SystemTime::now`
/// alike.
pub fn known(path: &[String], written: &Written) -> Option<Finding> {
    let has = |name: &str| path.iter().any(|s| s == name);
    let (parent, last) = match path {
        [.., parent, last] => (parent.as_str(), last.as_str()),
        [last] => ("", last.as_str()),
        [] => return None,
    };
    let tokio_time = parent == "time" || has("tokio");
    let written = written.show(if last == "now" { "()" } else { "" });
    let never = |why: &str, instead: &str| {
        Some(Finding::NeverWorks(format!(
            "{written} cannot be used in workflow code: {why}; {instead}"
        )))
    };
    let differs = |why: &str, instead: &str| {
        Some(Finding::DiffersOnReplay(format!(
            "{written} is not deterministic in workflow code: {why}; {instead}"
        )))
    };
    match (parent, last) {
        ("SystemTime" | "Instant", "now") => differs(
            "replays would see a different time",
            "use `ctx.now()` (workflow time, the same on replay)",
        ),
        ("thread", "sleep") => never(
            "it blocks the worker's executor thread, stalling every workflow on it, and history does not \
             record the wait",
            DURABLE_SLEEP,
        ),
        (_, "sleep" | "sleep_until") if tokio_time => never(NO_RUNTIME, DURABLE_SLEEP),
        (_, "timeout" | "timeout_at") if tokio_time => never(
            NO_RUNTIME,
            "to wait for the state with a deadline use `ctx.wait_condition_timeout(duration, |s| ..)`; to \
             bound another future, race it against `ctx.sleep(duration)` with \
             `workflow::futures::select_biased!`",
        ),
        (_, "interval" | "interval_at") if tokio_time => never(
            NO_RUNTIME,
            "loop over `ctx.sleep(period).await` (durable timers, replayed from history)",
        ),
        ("tokio" | "task", "spawn" | "spawn_blocking" | "spawn_local") => never(NO_RUNTIME, ELSEWHERE),
        ("thread", "spawn") => differs(
            "the thread runs outside the workflow and history does not record what it does",
            ELSEWHERE,
        ),
        (_, "random" | "rng" | "thread_rng" | "random_range" | "random_bool") if has("rand") => {
            differs("replays would draw different values", SEEDED)
        }
        (_, "thread_rng") => differs("replays would draw different values", SEEDED),
        ("Uuid", "new_v4") => differs(
            "replays would draw a different id",
            "use `ctx.uuid4()` (seeded, the same on replay)",
        ),
        _ => None,
    }
}

/// Functions a workflow has no use for under these names: called bare, they
/// are almost surely Tokio's or std's, imported where the lint cannot see
/// (at the top of the module).
pub fn bare(name: &str) -> Option<Finding> {
    let (probably, instead) = match name {
        "sleep" => ("`tokio::time::sleep` or `std::thread::sleep`", DURABLE_SLEEP),
        "spawn" => ("`tokio::spawn` or `std::thread::spawn`", ELSEWHERE),
        _ => return None,
    };
    Some(Finding::NeverWorks(format!(
        "`{name}(..)` is probably {probably}, imported at the top of the module, and neither works in \
         workflow code: a workflow waits and starts work only through its context; {instead}. If `{name}` is a \
         function of your own, call it by a path (`self::{name}(..)`) or import it in this method \
         (`use crate::..::{name};`)"
    )))
}

/// What is wrong with the macro `path!` (its segments, imports resolved),
/// when its body `biased` (starts with `biased;`) or not.
pub fn known_macro(path: &[String], written: &Written, biased: bool) -> Option<Finding> {
    let (parent, last) = match path {
        [.., parent, last] => (parent.as_str(), last.as_str()),
        [last] => ("", last.as_str()),
        [] => return None,
    };
    if last != "select" {
        return None;
    }
    let why = match parent {
        // Only Tokio's takes `biased;`, and then polls in the order written.
        "tokio" | "" if biased => return None,
        "tokio" => "Tokio's `select!` polls its branches in random order",
        "futures" => "`futures::select!` picks among the ready branches at random",
        "" => "Tokio's `select!` and futures' both pick the branch to poll first at random",
        _ => return None,
    };
    Some(Finding::NeverWorks(format!(
        "{} cannot be used in workflow code: {why}, so a replay could take another branch than the run \
         did; use `workflow::futures::select_biased!`, which polls the branches in the order written (or, \
         with `tokio::select!`, begin the branches with `biased;`)",
        written.show("!")
    )))
}
