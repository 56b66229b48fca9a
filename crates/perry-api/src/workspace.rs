//! Workspaces and the inputs of the `workspaces.*` procedures.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// Where a workspace is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum WorkspaceStatus {
    Running,
    Stopped,
    Creating,
    Error,
    /// The engine cannot reach it now (Kubernetes: its node stopped answering); `error` says
    /// why. A start moves it to a node that works, where its storage allows.
    Unreachable,
}

impl WorkspaceStatus {
    /// The status as shown to people and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceStatus::Running => "running",
            WorkspaceStatus::Stopped => "stopped",
            WorkspaceStatus::Creating => "creating",
            WorkspaceStatus::Error => "error",
            WorkspaceStatus::Unreachable => "unreachable",
        }
    }
}

/// Host ports published for a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct WorkspacePorts {
    /// The host port that forwards to the workspace's sshd.
    pub ssh: u16,
    /// Host ports the agent forwards into the workspace (`ports.*`), by host port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(as = "Option<Vec<crate::ports::PortForward>>", optional)
    )]
    pub forwards: Vec<crate::ports::PortForward>,
    /// What the workspace's ports are, by workspace port: the labels of its devcontainer.json's
    /// `portsAttributes`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(as = "Option<std::collections::BTreeMap<u16, String>>", optional)
    )]
    pub labels: std::collections::BTreeMap<u16, String>,
}

/// A workspace as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub name: String,
    pub status: WorkspaceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub container_id: Option<String>,
    /// Creation time, RFC 3339 in UTC.
    pub created: String,
    pub image: String,
    pub ports: WorkspacePorts,
    /// Why the workspace is in `error`, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub error: Option<String>,
    /// The repository cloned when the workspace was created, if one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub clone: Option<CloneOutcome>,
    /// The limits its container runs with (absent fields: none); absent for workspaces made
    /// before Perry had limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub limits: Option<WorkspaceLimits>,
    /// What became of the post-start scripts at its last start (a failed one is a warning: the
    /// workspace runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub post_start: Option<Vec<crate::settings::ScriptRun>>,
    /// RFC 3339: when a client last opened a terminal or a session in it; absent until one has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub last_used: Option<String>,
    /// What a create or clone under way is doing now; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub progress: Option<WorkspaceProgress>,
    /// The devcontainer.json it was built from (its path in the cloned repository, e.g.
    /// `.devcontainer/devcontainer.json`); absent for a workspace of the agent's image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub devcontainer: Option<String>,
}

/// A step of a create or clone under way, e.g. `copying home` at 40 %.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct WorkspaceProgress {
    pub step: String,
    /// How far the step is, 0–100, when that can be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub percent: Option<u32>,
}

/// Input of `workspaces.clone`: a new workspace `name` whose home and inner Docker are copies
/// of `source`'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(deny_unknown_fields)]
pub struct CloneWorkspaceInput {
    pub source: String,
    pub name: String,
}

/// CPU, memory and process limits of a workspace container. In `workspaces.create` and in
/// config.json an absent field takes the default and `0` means no limit; on a workspace an
/// absent field is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceLimits {
    /// CPU time as a number of CPUs, e.g. 1.5 (Docker's `--cpus`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub cpus: Option<f64>,
    /// Memory in MiB; swap cannot add to it (Docker's `--memory` with `--memory-swap` equal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub memory_mb: Option<u32>,
    /// Processes and threads alive at once (Docker's `--pids-limit`): a fork bomb stops here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub pids: Option<u32>,
}

impl WorkspaceLimits {
    /// Each field as given here, else as given in `fallback`.
    pub fn or(self, fallback: WorkspaceLimits) -> WorkspaceLimits {
        WorkspaceLimits {
            cpus: self.cpus.or(fallback.cpus),
            memory_mb: self.memory_mb.or(fallback.memory_mb),
            pids: self.pids.or(fallback.pids),
        }
    }

    /// The same limits with every `0` (no limit) left out.
    pub fn without_zeros(self) -> WorkspaceLimits {
        WorkspaceLimits {
            cpus: self.cpus.filter(|cpus| *cpus != 0.0),
            memory_mb: self.memory_mb.filter(|memory| *memory != 0),
            pids: self.pids.filter(|pids| *pids != 0),
        }
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == WorkspaceLimits::default()
    }
}

/// How the clone asked for at create went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct CloneOutcome {
    pub url: String,
    /// Where the repository is (or would have been) in the workspace.
    pub path: String,
    /// git's own message when the clone failed; the workspace is usable either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub error: Option<String>,
}

/// Output of `workspaces.sync`: one entry per thing copied into the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct SyncOutput {
    pub items: Vec<SyncItem>,
}

impl SyncOutput {
    /// The items that failed.
    pub fn failures(&self) -> impl Iterator<Item = &SyncItem> {
        self.items.iter().filter(|item| item.error.is_some())
    }
}

/// One thing `workspaces.sync` copied, e.g. `~/.gitconfig → /home/workspace/.gitconfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct SyncItem {
    pub what: String,
    /// Why it could not be copied; absent when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub error: Option<String>,
}

/// Input of the procedures that act on one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(deny_unknown_fields)]
pub struct WorkspaceNameInput {
    pub name: String,
}

/// Input of `workspaces.create`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWorkspaceInput {
    pub name: String,
    /// Image to run instead of the agent's configured `imageTag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub image: Option<String>,
    /// A git URL cloned once into /home/workspace/<repo> as user `workspace`, with the synced
    /// credentials. A failed clone leaves the workspace running and says why in `clone.error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub clone: Option<String>,
    /// Limits instead of the agent's defaults (`limits` in config.json), field by field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub limits: Option<WorkspaceLimits>,
    /// Which devcontainer.json of the cloned repository to build from: the name of a folder
    /// `.devcontainer/<name>/`. Absent: `.devcontainer/devcontainer.json` or
    /// `.devcontainer.json` when the repository has one. Not used with `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub devcontainer: Option<String>,
}

/// Output of `workspaces.delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct SuccessOutput {
    pub success: bool,
}

/// Input of `workspaces.exec`: run one command to completion in a running workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecInput {
    pub name: String,
    /// The program and its arguments (no shell: use `["bash", "-lc", "…"]` for one).
    pub command: Vec<String>,
    /// Seconds before the command is killed and the call answers TIMEOUT (default 60, at most
    /// 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub timeout_seconds: Option<u32>,
    /// Run as this user (default `workspace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub user: Option<String>,
    /// Working directory (default the user's home).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub workdir: Option<String>,
}

/// Output of `workspaces.exec`: stdout and stderr kept apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ExecOutput {
    /// A JSON number on the wire (a TypeScript `number`, not a `bigint`).
    #[cfg_attr(feature = "ts", ts(as = "f64"))]
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
    /// Output past the limit (1 MiB per stream) was dropped.
    pub truncated: bool,
}

/// Input of `workspaces.logs`: the workspace container's own output (its entrypoint: sshd,
/// the inner dockerd, the worker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogsInput {
    pub name: String,
    /// Only the last this many lines (default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub tail: Option<u32>,
    /// Only lines after this time (RFC 3339, as returned in `until`): for following.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub since: Option<String>,
    /// The log of the workspace's last image build from its devcontainer.json (stream
    /// `build`) instead of its container's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub build: Option<bool>,
}

/// Output of `workspaces.logs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct LogsOutput {
    pub lines: Vec<LogLine>,
    /// The time of the last line (or the `since` given): pass it as `since` to get what follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub until: Option<String>,
}

/// One line of a workspace's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct LogLine {
    /// `stdout` or `stderr`; `build` for a line of an image build.
    pub stream: String,
    /// RFC 3339 with nanoseconds, from Docker.
    pub time: String,
    pub text: String,
}
