//! What the embedded engine enforces on one run beyond its history: the
//! run and execution timeouts, the workflow task timeout, the workflow's
//! retry policy and a delayed first task.

use std::time::Duration;

use workflow_client::{Failure, ParentClosePolicy, RetryPolicy, RunOptions};

/// A run's timeouts, retries and first-task time, kept in its row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RunSettings {
    /// When the execution timeout ends the workflow, across continue-as-new
    /// and retries (ms since the epoch).
    pub(crate) execution_deadline_ms: Option<u64>,
    /// How long each run of the chain may take.
    pub(crate) run_timeout: Option<Duration>,
    /// When this run's timeout ends it: counted from its first task's
    /// time, after any start delay or retry backoff, as Temporal counts it
    /// (ms since the epoch).
    pub(crate) run_deadline_ms: Option<u64>,
    /// How long one workflow task may take.
    pub(crate) task_timeout: Option<Duration>,
    /// Whether a failed or timed-out run starts again.
    pub(crate) retry_policy: Option<RetryPolicy>,
    /// Which attempt of the workflow this run is, from 1.
    pub(crate) attempt: u32,
    /// The first workflow task waits until then: a start delay, or the
    /// backoff of a retry (ms since the epoch).
    pub(crate) first_task_ms: Option<u64>,
    /// For a child: what happens to it when its parent closes first.
    pub(crate) parent_close_policy: ParentClosePolicy,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            execution_deadline_ms: None,
            run_timeout: None,
            run_deadline_ms: None,
            task_timeout: None,
            retry_policy: None,
            attempt: 1,
            first_task_ms: None,
            parent_close_policy: ParentClosePolicy::Terminate,
        }
    }
}

/// Why a run's time is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// The run timeout: the run may be retried.
    Run,
    /// The execution timeout: the workflow ends.
    Execution,
}

impl RunSettings {
    /// The settings of the first run of a workflow started at `now`.
    pub(crate) fn at_start(options: &RunOptions, now: u64) -> Self {
        let first_task_ms = options
            .start_delay
            .filter(|d| !d.is_zero())
            .map(|d| now.saturating_add(ms(d)));
        RunSettings {
            execution_deadline_ms: options.execution_timeout.map(|t| now.saturating_add(ms(t))),
            run_timeout: options.run_timeout,
            run_deadline_ms: options
                .run_timeout
                .map(|t| first_task_ms.unwrap_or(now).saturating_add(ms(t))),
            task_timeout: options.task_timeout,
            retry_policy: options.retry_policy.clone(),
            attempt: 1,
            first_task_ms,
            parent_close_policy: ParentClosePolicy::Terminate,
        }
    }

    /// When the run is out of time, and which timeout ends it.
    pub(crate) fn deadline(&self) -> Option<(u64, Deadline)> {
        let run = self.run_deadline_ms.map(|at| (at, Deadline::Run));
        let execution = self.execution_deadline_ms.map(|at| (at, Deadline::Execution));
        // The execution's deadline wins a tie: it is not retried.
        match (run, execution) {
            (Some(r), Some(e)) => Some(if r.0 < e.0 { r } else { e }),
            (r, e) => r.or(e),
        }
    }

    /// The earliest time the engine must look at the run: its first task
    /// or its deadline.
    pub(crate) fn due_ms(&self) -> Option<u64> {
        let deadline = self.deadline().map(|(at, _)| at);
        match (self.first_task_ms, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the first workflow task must still wait at `now`.
    pub(crate) fn first_task_waits(&self, now: u64) -> bool {
        self.first_task_ms.is_some_and(|at| at > now)
    }

    /// The settings of the run that continues this one as new at `now`:
    /// the same limits, a fresh attempt count.
    pub(crate) fn continued(&self, now: u64) -> Self {
        RunSettings {
            attempt: 1,
            first_task_ms: None,
            run_deadline_ms: self.run_timeout.map(|t| now.saturating_add(ms(t))),
            ..self.clone()
        }
    }

    /// The settings of the run that retries this one after it ended with
    /// `failure` at `now`, if the retry policy starts one: any failure but
    /// a cancellation, a termination or an application error the policy
    /// excludes; attempts left, and a backoff that ends before the
    /// execution's deadline.
    pub(crate) fn retry(&self, failure: &Failure, now: u64) -> Option<Self> {
        let policy = self.retry_policy.as_ref()?;
        let retryable = match failure {
            Failure::Application(error) => policy.retries(error),
            Failure::Canceled | Failure::Terminated { .. } => false,
            _ => true,
        };
        let start_at = now.saturating_add(ms(policy.delay(self.attempt)));
        let in_time = self.execution_deadline_ms.is_none_or(|deadline| start_at < deadline);
        (retryable && policy.allows_after(self.attempt) && in_time).then(|| RunSettings {
            attempt: self.attempt + 1,
            first_task_ms: Some(start_at).filter(|at| *at > now),
            run_deadline_ms: self.run_timeout.map(|t| start_at.saturating_add(ms(t))),
            ..self.clone()
        })
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use workflow_client::ApplicationError;

    fn retrying(maximum_attempts: u32) -> RunSettings {
        let options = RunOptions {
            execution_timeout: Some(Duration::from_secs(60)),
            run_timeout: Some(Duration::from_secs(10)),
            retry_policy: Some(RetryPolicy {
                maximum_attempts,
                non_retryable_error_types: vec!["Fatal".to_owned()],
                ..RetryPolicy::default()
            }),
            ..RunOptions::default()
        };
        RunSettings::at_start(&options, 1_000)
    }

    #[test]
    fn the_nearer_timeout_ends_the_run() {
        let settings = retrying(0);
        assert_eq!(settings.deadline(), Some((11_000, Deadline::Run)));
        let late = settings.continued(55_000);
        assert_eq!(late.deadline(), Some((61_000, Deadline::Execution)));
        assert_eq!(RunSettings::default().deadline(), None);
    }

    #[test]
    fn a_retry_counts_the_attempt_and_waits_its_backoff() {
        let settings = retrying(3);
        let failure = Failure::Application(ApplicationError::new("boom"));
        let second = settings.retry(&failure, 5_000).expect("retried");
        assert_eq!((second.attempt, second.first_task_ms), (2, Some(6_000)));
        assert_eq!(
            second.run_deadline_ms,
            Some(16_000),
            "the run timeout counts from the backoff's end"
        );
        let third = second.retry(&failure, 7_000).expect("retried");
        assert_eq!((third.attempt, third.first_task_ms), (3, Some(9_000)));
        assert_eq!(third.retry(&failure, 10_000), None, "three attempts in all");
    }

    #[test]
    fn no_retry_past_the_policy_or_the_execution_deadline() {
        let settings = retrying(0);
        let fatal = Failure::Application(ApplicationError::new("no").with_type("Fatal"));
        assert_eq!(settings.retry(&fatal, 2_000), None, "a non-retryable type");
        assert_eq!(settings.retry(&Failure::Canceled, 2_000), None);
        let activity = Failure::Activity {
            activity_type: "charge".to_owned(),
            attempts: 3,
            cause: Box::new(fatal.clone()),
        };
        assert!(
            settings.retry(&activity, 2_000).is_some(),
            "an activity's failure is retried"
        );
        let timeout = Failure::Timeout {
            kind: workflow_client::TimeoutKind::StartToClose,
        };
        assert!(settings.retry(&timeout, 2_000).is_some(), "a run timeout is retried");
        assert_eq!(
            settings.retry(&timeout, 60_500),
            None,
            "the backoff would end past the deadline"
        );
    }
}
