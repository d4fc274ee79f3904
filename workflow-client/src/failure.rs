//! Failures: what a workflow, activity, child workflow, query or update
//! produces instead of a value. They travel in history and back to callers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::payload::{Payload, PayloadError};

/// An error raised by user code: a workflow, a handler, a validator or an
/// activity. It reaches the caller with its message, type and details.
///
/// ```
/// # use workflow_client::ApplicationError;
/// let e = ApplicationError::new("unsupported language").with_type("ValueError").non_retryable();
/// assert_eq!(e.to_string(), "unsupported language");
/// assert!(e.is_non_retryable());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApplicationError {
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_type: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    non_retryable: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    details: Vec<Payload>,
}

impl ApplicationError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        ApplicationError {
            message: message.into(),
            error_type: None,
            non_retryable: false,
            details: Vec::new(),
        }
    }

    /// Sets the error type, a name callers and retry policies can match on.
    pub fn with_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = Some(error_type.into());
        self
    }

    /// Marks the error as not to be retried by an activity retry policy.
    pub fn non_retryable(mut self) -> Self {
        self.non_retryable = true;
        self
    }

    /// Attaches an encoded detail value.
    ///
    /// ```
    /// # use workflow_client::ApplicationError;
    /// let e = ApplicationError::new("insufficient funds").with_details(&(120, "EUR"))?;
    /// let (missing, currency): (u32, String) = e.details()[0].decode()?;
    /// assert_eq!((missing, currency.as_str()), (120, "EUR"));
    /// # Ok::<(), workflow_client::PayloadError>(())
    /// ```
    pub fn with_details(mut self, details: impl serde::Serialize) -> Result<Self, PayloadError> {
        self.details.push(Payload::encode(&details)?);
        Ok(self)
    }

    /// Attaches details that are already encoded (as they arrive from another SDK).
    pub fn with_raw_details(mut self, details: Vec<Payload>) -> Self {
        self.details.extend(details);
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error type, if one was set.
    pub fn error_type(&self) -> Option<&str> {
        self.error_type.as_deref()
    }

    /// Whether retry policies must not retry this error.
    pub fn is_non_retryable(&self) -> bool {
        self.non_retryable
    }

    /// Encoded details attached to the error.
    pub fn details(&self) -> &[Payload] {
        &self.details
    }

    /// The failure for any error, as an activity's error becomes one: an
    /// `ApplicationError` stays as it is; any other error (a
    /// `std::error::Error`, an `anyhow::Error`, a `String`) becomes a
    /// retryable one whose type is the error's type name and whose message
    /// carries the messages of its sources, `outer: inner: root`.
    ///
    /// ```
    /// # use workflow_client::ApplicationError;
    /// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
    /// let failure = ApplicationError::from_error(io);
    /// assert_eq!(failure.message(), "no such file");
    /// assert_eq!(failure.error_type(), Some("std::io::error::Error"));
    /// assert!(!failure.is_non_retryable());
    /// ```
    pub fn from_error<E>(error: E) -> ApplicationError
    where
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>> + 'static,
    {
        let type_name = std::any::type_name::<E>();
        // anyhow boxes its own wrapper, so look inside it first.
        if let Some(error) = (&error as &dyn std::any::Any).downcast_ref::<anyhow::Error>() {
            if let Some(application) = error.downcast_ref::<ApplicationError>() {
                return application.clone();
            }
            if let Some(payload) = error.downcast_ref::<PayloadError>() {
                return payload.clone().into();
            }
        }
        let error = match error.into().downcast::<ApplicationError>() {
            Ok(application) => return *application,
            Err(other) => other,
        };
        let error = match error.downcast::<PayloadError>() {
            Ok(payload) => return (*payload).into(),
            Err(other) => other,
        };
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        ApplicationError::new(message).with_type(type_name)
    }
}

impl From<PayloadError> for ApplicationError {
    fn from(e: PayloadError) -> Self {
        ApplicationError::new(e.to_string())
            .with_type("PayloadError")
            .non_retryable()
    }
}

/// Which timeout elapsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeoutKind {
    /// One attempt ran longer than its start-to-close timeout.
    StartToClose,
    /// All attempts together ran longer than the schedule-to-close timeout.
    ScheduleToClose,
    /// An attempt went longer than its heartbeat timeout without a heartbeat.
    Heartbeat,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::StartToClose => "start-to-close",
            TimeoutKind::ScheduleToClose => "schedule-to-close",
            TimeoutKind::Heartbeat => "heartbeat",
        })
    }
}

/// Why something produced no value.
///
/// Failures nest: an activity that gave up carries its last attempt's
/// failure, a failed child workflow carries the child's.
///
/// ```
/// # use workflow_client::{ApplicationError, Failure};
/// let failure = Failure::Activity {
///     activity_type: "charge_card".to_owned(),
///     attempts: 3,
///     cause: Box::new(ApplicationError::new("card declined").with_type("Declined").into()),
/// };
/// assert_eq!(failure.to_string(), "activity `charge_card` failed after 3 attempt(s): card declined");
/// assert_eq!(failure.application_error().and_then(|e| e.error_type()), Some("Declined"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Failure {
    /// User code returned an error.
    #[error(transparent)]
    Application(ApplicationError),
    /// It was canceled.
    #[error("canceled")]
    Canceled,
    /// It was terminated.
    #[error("terminated: {reason}")]
    Terminated {
        /// The reason given to `terminate`.
        reason: String,
    },
    /// A timeout elapsed.
    #[error("{kind} timeout elapsed")]
    Timeout {
        /// Which one.
        kind: TimeoutKind,
    },
    /// An activity failed for good (its retry policy gave up).
    #[error("activity `{activity_type}` failed{}: {cause}", attempts_text(*attempts))]
    Activity {
        /// The activity's name.
        activity_type: String,
        /// Attempts made; 0 where the engine does not report it (Temporal
        /// keeps the count in the attempt's events, not in the failure).
        attempts: u32,
        /// The last attempt's failure.
        cause: Box<Failure>,
    },
    /// A child workflow did not complete.
    #[error("child workflow `{workflow_id}` ({workflow_type}) failed: {cause}")]
    ChildWorkflow {
        /// The child's type.
        workflow_type: String,
        /// The child's id.
        workflow_id: String,
        /// Why it failed.
        cause: Box<Failure>,
    },
}

impl Failure {
    /// The application error at the root of this failure, if there is one.
    pub fn application_error(&self) -> Option<&ApplicationError> {
        match self {
            Failure::Application(e) => Some(e),
            Failure::Activity { cause, .. } | Failure::ChildWorkflow { cause, .. } => cause.application_error(),
            _ => None,
        }
    }
}

fn attempts_text(attempts: u32) -> String {
    match attempts {
        0 => String::new(),
        n => format!(" after {n} attempt(s)"),
    }
}

impl From<ApplicationError> for Failure {
    fn from(e: ApplicationError) -> Self {
        Failure::Application(e)
    }
}
