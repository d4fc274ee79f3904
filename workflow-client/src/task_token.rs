//! The token that names one activity attempt, for completing it from
//! elsewhere (asynchronous completion).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Names one attempt of an activity that said it completes later
/// (`ctx.complete_async()`): hand it to whatever finishes the work, which
/// calls [`Client::async_activity`](crate::Client::async_activity) with it.
/// Opaque bytes; its text form (lowercase hex) survives a trip through a
/// queue, a database or a URL.
///
/// ```
/// # use workflow_client::TaskToken;
/// let token = TaskToken::from_bytes(vec![1, 2, 254]);
/// let text = token.to_string();
/// assert_eq!(text, "0102fe");
/// assert_eq!(text.parse::<TaskToken>().unwrap(), token);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskToken(Vec<u8>);

impl TaskToken {
    /// A token from its bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TaskToken(bytes)
    }

    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskToken({self})")
    }
}

/// Text that is not a task token's hex form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a task token: expected an even number of hex digits, found `{0}`")]
pub struct TaskTokenError(String);

impl FromStr for TaskToken {
    type Err = TaskTokenError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::hex::decode(text)
            .map(TaskToken)
            .ok_or_else(|| TaskTokenError(text.chars().take(80).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_hex_is_refused() {
        for text in ["", "abc", "zz", "é1", "0g"] {
            assert!(text.parse::<TaskToken>().is_err(), "{text}");
        }
        assert_eq!("00FF".parse::<TaskToken>().unwrap().as_bytes(), [0, 255]);
    }
}
