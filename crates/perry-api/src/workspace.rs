//! Workspaces and the inputs of the `workspaces.*` procedures.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a workspace is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum WorkspaceStatus {
    Running,
    Stopped,
    Creating,
    Error,
}

impl WorkspaceStatus {
    /// The status as shown to people and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceStatus::Running => "running",
            WorkspaceStatus::Stopped => "stopped",
            WorkspaceStatus::Creating => "creating",
            WorkspaceStatus::Error => "error",
        }
    }
}

/// Host ports published for a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WorkspacePorts {
    /// The host port that forwards to the workspace's sshd.
    pub ssh: u16,
}

/// A workspace as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub name: String,
    pub status: WorkspaceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub container_id: Option<String>,
    /// Creation time, RFC 3339 in UTC.
    pub created: String,
    pub image: String,
    pub ports: WorkspacePorts,
    /// Why the workspace is in `error`, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
}

/// Input of the procedures that act on one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceNameInput {
    pub name: String,
}

/// Input of `workspaces.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWorkspaceInput {
    pub name: String,
    /// Image to run instead of the agent's configured `imageTag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub image: Option<String>,
}

/// Output of `workspaces.delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SuccessOutput {
    pub success: bool,
}
