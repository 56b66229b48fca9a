//! Applies the settings the agent leaves in the workspace at every sync
//! ([`perry_api::settings::WorkerSettings`], a private file under the home): the coding agents'
//! accounts ([`crate::accounts`]), MCP servers and skills ([`crate::extensions`]).
//!
//! What Perry wrote is remembered in `~/.config/perry/applied.json` ([`Applied`]): only that is
//! ever removed again, so what a person set up inside the workspace stays.

use std::collections::BTreeMap;
use std::path::Path;

use perry_api::SyncItem;
use perry_api::settings::{WORKER_SETTINGS_FILE, WorkerSettings};
use serde::{Deserialize, Serialize};

use crate::hooks::edit_file;

/// Where the worker remembers what it wrote, under the home.
const APPLIED_FILE: &str = ".config/perry/applied.json";

/// What Perry wrote at the last sync.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// The fingerprint of Codex's API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codex: Option<String>,
    /// The fingerprint of each OpenCode provider's key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub opencode: BTreeMap<String, String>,
    /// The MCP servers written into each coding agent's configuration, by agent (`claude-code`,
    /// `codex`, `opencode`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mcp: BTreeMap<String, Vec<String>>,
    /// The skills written into each coding agent's skill directory, by agent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<String, Vec<String>>,
}

/// Reads the settings the agent left under `home`; none (an agent older than this worker) is
/// nothing to apply.
pub fn read(home: &Path) -> Result<WorkerSettings, String> {
    let path = home.join(WORKER_SETTINGS_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|error| format!("{} is not Perry's settings: {error}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(WorkerSettings::default()),
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

/// Applies everything under `home`; one item per file written.
pub fn apply(home: &Path, settings: &WorkerSettings, worker: &str) -> Vec<SyncItem> {
    let applied_path = home.join(APPLIED_FILE);
    let mut applied: Applied = std::fs::read(&applied_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let mut items = crate::accounts::apply(home, settings, worker, &mut applied);
    items.extend(crate::extensions::apply(home, settings, &mut applied));
    let remembered = serde_json::to_string(&applied).map_err(|error| error.to_string());
    if let Err(error) = remembered.and_then(|text| edit_file(&applied_path, true, |_| Ok(text))) {
        items.push(crate::accounts::item(
            "what Perry wrote → ~/.config/perry/applied.json",
            Err(error),
        ));
    }
    items
}
