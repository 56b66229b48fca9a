//! Port forwards: a TCP port on the agent's machine that reaches a port inside a workspace, and
//! the inputs of the `ports.*` procedures.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// One forward as stored with its workspace: connections to `hostPort` on the agent's listen
/// address reach `workspacePort` of the workspace container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct PortForward {
    pub host_port: u16,
    pub workspace_port: u16,
}

/// A forward and whether the agent listens on its host port now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct PortForwardStatus {
    pub host_port: u16,
    pub workspace_port: u16,
    /// The agent listens on the host port: true only while the workspace runs.
    pub active: bool,
    /// Why the host port could not be bound when the workspace started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub error: Option<String>,
    /// What the workspace port is (its devcontainer.json's label for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub label: Option<String>,
}

/// One forward asked for in `ports.forward`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortForwardRequest {
    /// The port to listen on (default: the same as `workspacePort`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub host_port: Option<u16>,
    pub workspace_port: u16,
}

impl PortForwardRequest {
    /// The forward this request asks for, with the host port defaulted.
    pub fn forward(self) -> PortForward {
        PortForward {
            host_port: self.host_port.unwrap_or(self.workspace_port),
            workspace_port: self.workspace_port,
        }
    }
}

/// Input of `ports.list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortsListInput {
    pub workspace_name: String,
}

/// Input of `ports.forward`: add forwards, or change the workspace port of a host port this
/// workspace forwards already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortsForwardInput {
    pub workspace_name: String,
    pub forwards: Vec<PortForwardRequest>,
}

/// Input of `ports.remove`: stop forwarding these host ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortsRemoveInput {
    pub workspace_name: String,
    pub host_ports: Vec<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_port_defaults_to_the_workspace_port() {
        let input: PortsForwardInput = serde_json::from_str(
            r#"{"workspaceName": "bench", "forwards": [{"workspacePort": 3000}, {"hostPort": 8080, "workspacePort": 5173}]}"#,
        )
        .unwrap();
        let forwards: Vec<PortForward> = input
            .forwards
            .into_iter()
            .map(PortForwardRequest::forward)
            .collect();
        assert_eq!(
            forwards,
            [
                PortForward {
                    host_port: 3000,
                    workspace_port: 3000
                },
                PortForward {
                    host_port: 8080,
                    workspace_port: 5173
                },
            ]
        );
    }

    #[test]
    fn unknown_fields_and_ports_past_65535_are_refused() {
        assert!(
            serde_json::from_str::<PortsRemoveInput>(
                r#"{"workspaceName": "bench", "hostPorts": [8080], "force": true}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<PortsForwardInput>(
                r#"{"workspaceName": "bench", "forwards": [{"workspacePort": 70000}]}"#
            )
            .is_err()
        );
    }
}
