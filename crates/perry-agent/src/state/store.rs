//! `state.json`: the workspaces the user asked for, and what the agent found out about its
//! Docker daemon. Only this module writes it.
//!
//! The file is the memory of what the user wants; Docker is the truth for what runs. Every change
//! is written through [`files::write_json_atomic`] before it becomes visible in memory, so a crash
//! at any instant leaves either the old or the new file, never half of one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use perry_api::{DindMode, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::files;

/// The contents of `state.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateFile {
    #[serde(default)]
    pub workspaces: BTreeMap<String, Workspace>,
    /// The Docker-in-Docker mode the last probe found, and for which daemon.
    #[serde(default, rename = "dindProbe", skip_serializing_if = "Option::is_none")]
    pub dind_probe: Option<DindProbeResult>,
    /// What became of each notification channel's deliveries, by channel name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deliveries: BTreeMap<String, perry_api::notifications::DeliveryRecord>,
    /// When the agent last set each secret of the settings (`env.<NAME>`,
    /// `accounts.<account>.<key>`), RFC 3339: config.json holds only the values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets_set_at: BTreeMap<String, String>,
    /// The names people gave sessions (`sessions.rename`): workspace → session id → name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub session_names: BTreeMap<String, BTreeMap<String, String>>,
    /// The sessions clients opened last, newest first, at most [`MAX_OPENED_SESSIONS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opened_sessions: Vec<OpenedSession>,
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

/// How many opened sessions `state.json` remembers.
pub const MAX_OPENED_SESSIONS: usize = 100;

/// A session a client opened: which, where, when, and the session as it was then (so it is
/// still shown while its workspace is stopped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenedSession {
    pub workspace: String,
    pub session: perry_api::SessionInfo,
    /// RFC 3339.
    pub opened_at: String,
}

impl StateFile {
    /// Notes that a client opened a terminal or a session in `workspace` at `now` (RFC 3339).
    pub fn mark_used(&mut self, workspace: &str, now: &str) {
        if let Some(record) = self.workspaces.get_mut(workspace) {
            record.last_used = Some(now.to_owned());
        }
    }

    /// Notes that a client opened `session` of `workspace` at `now`: it goes to the front of
    /// the opened sessions, and the workspace counts as used.
    pub fn mark_opened(&mut self, workspace: &str, session: &perry_api::SessionInfo, now: &str) {
        self.opened_sessions.retain(|opened| {
            opened.workspace != workspace || opened.session.session_id != session.session_id
        });
        self.opened_sessions.insert(
            0,
            OpenedSession {
                workspace: workspace.to_owned(),
                session: session.clone(),
                opened_at: now.to_owned(),
            },
        );
        self.opened_sessions.truncate(MAX_OPENED_SESSIONS);
        self.mark_used(workspace, now);
    }

    /// Gives a session of `workspace` a name, or takes its name away (`None`); a workspace
    /// left without names leaves the file.
    pub fn set_session_name(&mut self, workspace: &str, session_id: &str, name: Option<&str>) {
        let names = self.session_names.entry(workspace.to_owned()).or_default();
        match name {
            Some(name) => names.insert(session_id.to_owned(), name.to_owned()),
            None => names.remove(session_id),
        };
        if names.is_empty() {
            self.session_names.remove(workspace);
        }
    }

    /// Forgets what is kept about one session (it was deleted).
    pub fn forget_session(&mut self, workspace: &str, session_id: &str) {
        self.set_session_name(workspace, session_id, None);
        self.opened_sessions.retain(|opened| {
            opened.workspace != workspace || opened.session.session_id != session_id
        });
    }

    /// Removes a workspace's record and everything kept about its sessions.
    pub fn forget_workspace(&mut self, workspace: &str) -> Option<Workspace> {
        self.session_names.remove(workspace);
        self.opened_sessions
            .retain(|opened| opened.workspace != workspace);
        self.workspaces.remove(workspace)
    }
}

/// What the Docker-in-Docker probe found on one Docker daemon, so the agent probes once per
/// daemon rather than at every start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DindProbeResult {
    /// The daemon's identity ([`crate::engine::Docker::daemon_identity`]).
    pub daemon: String,
    pub mode: DindMode,
}

/// The state file and its in-memory copy, kept equal.
#[derive(Debug)]
pub struct StateStore {
    path: PathBuf,
    /// What readers see: held only to share or swap, never across a file write. Every change
    /// swaps in a new `Arc`, so two snapshots that are the same `Arc` are the same state.
    current: Mutex<Arc<StateFile>>,
    /// Held by one writer at a time for its whole read-change-write, so writes never interleave
    /// and readers never wait on a disk.
    writer: Mutex<()>,
}

impl StateStore {
    /// Opens `state.json` in `dir`. A file that does not parse is moved aside (never dropped) and
    /// the agent starts from an empty state, which reconciliation then refills from Docker.
    pub fn open(dir: &Path) -> anyhow::Result<StateStore> {
        let path = dir.join("state.json");
        remove_stale_temp_files(dir);
        let state = match files::read_if_exists(&path)? {
            None => StateFile::default(),
            Some(bytes) => match serde_json::from_slice::<StateFile>(&bytes) {
                Ok(state) => state,
                Err(parse_error) => {
                    let aside = dir.join(format!(
                        "state.json.corrupt-{}",
                        humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                    ));
                    std::fs::rename(&path, &aside)
                        .with_context(|| format!("cannot move corrupt {} aside", path.display()))?;
                    tracing::error!(
                        "STATE FILE CORRUPT: {} did not parse ({parse_error}); moved it to {} and \
                         starting from the workspaces Docker still has",
                        path.display(),
                        aside.display()
                    );
                    StateFile::default()
                }
            },
        };
        Ok(StateStore {
            path,
            current: Mutex::new(Arc::new(state)),
            writer: Mutex::new(()),
        })
    }

    /// The current state, shared: a change makes a new one and leaves this one as it was.
    pub fn snapshot(&self) -> Arc<StateFile> {
        self.lock().clone()
    }

    /// The record of one workspace.
    pub fn workspace(&self, name: &str) -> Option<Workspace> {
        self.lock().workspaces.get(name).cloned()
    }

    /// The Docker-in-Docker mode a probe found on the daemon `daemon`, if one did.
    pub fn remembered_dind_mode(&self, daemon: &str) -> Option<DindMode> {
        self.lock()
            .dind_probe
            .as_ref()
            .filter(|probe| probe.daemon == daemon)
            .map(|probe| probe.mode)
    }

    /// Keeps what a probe found on `daemon` (in place of what an earlier one found elsewhere).
    pub fn remember_dind_mode(&self, daemon: &str, mode: DindMode) -> anyhow::Result<()> {
        self.update(|state| {
            state.dind_probe = Some(DindProbeResult {
                daemon: daemon.to_owned(),
                mode,
            })
        })
    }

    /// Applies `change` and writes the result; memory changes only when the write succeeded.
    /// The write (file lock, fsync, rename) runs off the async runtime's threads.
    pub fn update<R>(&self, change: impl FnOnce(&mut StateFile) -> R) -> anyhow::Result<R> {
        super::off_the_runtime(|| {
            let _writer = self
                .writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let current = self.snapshot();
            let mut next = StateFile::clone(&current);
            let result = change(&mut next);
            if next != *current {
                files::write_json_atomic(&self.path, &next)?;
                *self.lock() = Arc::new(next);
            }
            Ok(result)
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Arc<StateFile>> {
        // A panic while holding the lock cannot leave a half-applied change: updates are applied
        // to a copy. So the poisoned value is still whole.
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Temp files of writers that died between write and rename: never the real state, safe to drop.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("state.json.tmp.") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perry_api::{WorkspacePorts, WorkspaceStatus};

    fn workspace(name: &str) -> Workspace {
        Workspace {
            name: name.into(),
            status: WorkspaceStatus::Running,
            container_id: Some("abc".into()),
            created: "2026-01-01T00:00:00Z".into(),
            image: "workspace-base".into(),
            ports: WorkspacePorts {
                ssh: 2200,
                forwards: Vec::new(),
                labels: Default::default(),
            },
            error: None,
            clone: None,
            limits: None,
            post_start: None,
            last_used: None,
            progress: None,
            devcontainer: None,
        }
    }

    #[test]
    fn updates_are_persisted_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        store
            .update(|state| state.workspaces.insert("alpha".into(), workspace("alpha")))
            .unwrap();
        let reopened = StateStore::open(dir.path()).unwrap();
        assert_eq!(reopened.workspace("alpha"), Some(workspace("alpha")));
    }

    #[test]
    fn corrupt_state_is_moved_aside_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("state.json"), "{\"workspaces\": {\"half").unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        assert!(store.snapshot().workspaces.is_empty());
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with("state.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        let kept = std::fs::read_to_string(dir.path().join(&aside[0])).unwrap();
        assert_eq!(kept, "{\"workspaces\": {\"half");
    }

    #[test]
    fn a_probed_mode_is_remembered_for_its_daemon_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        assert_eq!(store.remembered_dind_mode("daemon-a 20.10"), None);
        store
            .remember_dind_mode("daemon-a 20.10", DindMode::Capabilities)
            .unwrap();
        let reopened = StateStore::open(dir.path()).unwrap();
        assert_eq!(
            reopened.remembered_dind_mode("daemon-a 20.10"),
            Some(DindMode::Capabilities)
        );
        assert_eq!(reopened.remembered_dind_mode("daemon-a 24.0"), None);
        assert_eq!(reopened.remembered_dind_mode("daemon-b 20.10"), None);
        let raw: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("state.json")).unwrap()).unwrap();
        assert_eq!(
            raw["dindProbe"],
            serde_json::json!({"daemon": "daemon-a 20.10", "mode": "capabilities"})
        );
    }

    #[test]
    fn unknown_top_level_keys_survive() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("state.json"),
            r#"{"workspaces": {}, "later": true}"#,
        )
        .unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        store
            .update(|state| state.workspaces.insert("a".into(), workspace("a")))
            .unwrap();
        let raw: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("state.json")).unwrap()).unwrap();
        assert_eq!(raw["later"], true);
    }
}
