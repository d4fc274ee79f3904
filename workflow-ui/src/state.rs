//! What every page and action shares.

use std::sync::Arc;

use workflow::StoreFile;

use crate::access::{Access, Token};

/// The UI's state, shared by its handlers.
pub(crate) type Shared = Arc<UiState>;

/// One mounted UI.
pub(crate) struct UiState {
    /// The workflow file it shows and drives.
    pub(crate) file: StoreFile,
    /// Who may use it.
    pub(crate) access: Access,
    /// The secret each page carries and each action must send back.
    pub(crate) csrf: Token,
}
