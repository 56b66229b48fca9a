//! Applies the settings the agent leaves in the workspace at every sync
//! ([`perry_api::settings::WorkerSettings`], a private file under the home): the coding agents'
//! accounts ([`crate::accounts`]), MCP servers and skills ([`crate::extensions`]), and the keys
//! that may log in over SSH.
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

/// `~/.ssh/authorized_keys` made exactly `keys` (Perry's file: the workspace's entrypoint writes
/// it at every container start too), the owner's alone.
fn authorized_keys(home: &Path, keys: &[String]) -> SyncItem {
    use std::os::unix::fs::PermissionsExt;
    let directory = home.join(".ssh");
    let text: String = keys.iter().map(|key| format!("{key}\n")).collect();
    let result = std::fs::create_dir_all(&directory)
        .and_then(|()| std::fs::set_permissions(&directory, std::fs::Permissions::from_mode(0o700)))
        .map_err(|error| format!("cannot make {}: {error}", directory.display()))
        .and_then(|()| edit_file(&directory.join("authorized_keys"), true, |_| Ok(text)));
    crate::accounts::item(
        &format!(
            "{} authorized SSH key{} → ~/.ssh/authorized_keys",
            keys.len(),
            if keys.len() == 1 { "" } else { "s" }
        ),
        result,
    )
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
    if let Some(keys) = &settings.authorized_keys {
        items.push(authorized_keys(home, keys));
    }
    let remembered = serde_json::to_string(&applied).map_err(|error| error.to_string());
    if let Err(error) = remembered.and_then(|text| edit_file(&applied_path, true, |_| Ok(text))) {
        items.push(crate::accounts::item(
            "what Perry wrote → ~/.config/perry/applied.json",
            Err(error),
        ));
    }
    items
}
