//! The embedded engine's task tokens: which run, call and attempt an
//! asynchronously completing activity attempt is.

use workflow_client::TaskToken;

/// The attempt a task token names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttemptRef {
    /// The run that scheduled the activity.
    pub(crate) run_id: String,
    /// The activity call's `seq` in that run.
    pub(crate) seq: u32,
    /// The attempt, from 1.
    pub(crate) attempt: u32,
}

/// Marks a token as the embedded engine's, so a Temporal one is told apart.
const PREFIX: &str = "wf1/";

impl AttemptRef {
    /// Its token.
    pub(crate) fn token(&self) -> TaskToken {
        let text = format!("{PREFIX}{}/{}/{}", self.run_id, self.seq, self.attempt);
        TaskToken::from_bytes(text.into_bytes())
    }

    /// The attempt `token` names, if it is one of this engine's.
    pub(crate) fn of(token: &TaskToken) -> Option<AttemptRef> {
        let text = std::str::from_utf8(token.as_bytes()).ok()?.strip_prefix(PREFIX)?;
        let mut parts = text.rsplitn(3, '/');
        let attempt = parts.next()?.parse().ok()?;
        let seq = parts.next()?.parse().ok()?;
        let run_id = parts.next()?.to_owned();
        Some(AttemptRef { run_id, seq, attempt })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_attempt_and_nothing_else_parses() {
        let attempt = AttemptRef {
            run_id: "0f3a-run".to_owned(),
            seq: 7,
            attempt: 2,
        };
        assert_eq!(AttemptRef::of(&attempt.token()), Some(attempt));
        for bytes in [&b""[..], b"wf1/", b"wf1/run/x/1", b"run/1/2", &[0xff, 0xfe]] {
            assert_eq!(AttemptRef::of(&TaskToken::from_bytes(bytes.to_vec())), None);
        }
    }
}
