//! Perry's files under the config dir. Only this module writes them.
//!
//! **Architecture invariant:** every write is lock → re-read → change its own keys → temp file
//! → fsync → rename → fsync dir, off the async runtime ([`off_the_runtime`]); memory changes only
//! after the write succeeded, so a crash or a person's concurrent edit loses nothing.
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

/// Runs file work (a lock, an fsync, reading credentials) without holding up the async runtime:
/// on a multi-threaded runtime the thread hands its other tasks to the rest first
/// (`block_in_place`), so a slow disk delays this caller only, never a terminal's keystrokes.
/// Elsewhere (a current-thread runtime in tests, no runtime) it simply runs.
pub fn off_the_runtime<R>(work: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}
