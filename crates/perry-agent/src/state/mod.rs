//! Perry's files under the config dir. Only this module writes them.
//!
//! - [`files`]: locked, atomic JSON writes.
//! - [`config`]: `config.json`, the agent's settings and token.
//! - [`store`]: `state.json`, the workspaces the user asked for.
//! - [`redact`]: `{:?}` that never shows the token or credentials.

pub mod config;
pub mod files;
pub mod redact;
pub mod store;

pub use config::ConfigFile;
pub use store::{StateFile, StateStore};
