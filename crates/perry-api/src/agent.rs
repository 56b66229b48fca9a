//! Types of `agent.*` and `config.*`.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// How workspaces get the kernel rights their inner Docker daemon needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum DindMode {
    /// `--privileged`, the usual way.
    Privileged,
    /// Every capability but CAP_SYS_RESOURCE and no seccomp/AppArmor confinement, for runtimes
    /// that refuse `--privileged`.
    Capabilities,
}

/// The engine as `agent.info` tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct EngineInfo {
    /// `docker` or `kubernetes`.
    pub kind: String,
    /// The engine's version, absent while it does not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub version: Option<String>,
    /// Where workspaces go: Docker's endpoint, or the cluster's server and namespace.
    pub location: String,
}

/// What `agent.info` tells about the running agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct AgentInfo {
    pub version: String,
    pub hostname: String,
    /// Seconds since the agent started.
    pub uptime: f64,
    pub workspaces_count: u32,
    /// The Docker Engine's version, absent while Docker does not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub docker_version: Option<String>,
    /// Absent until the agent has found out (at the first workspace it starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub dind_mode: Option<DindMode>,
    /// The engine that runs the workspaces (absent from agents before it was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub engine: Option<EngineInfo>,
}

/// An inclusive range of host ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

/// The agent's configuration as `config.get` shows it: never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct AgentConfig {
    /// The port the agent listens on (`--port`, else config.json's).
    pub port: u16,
    pub workspace_prefix: String,
    pub image_tag: String,
    pub ssh_port_range: PortRange,
    /// `worker` of config.json, where a person noted the host clients should use, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub worker: Option<String>,
    /// Whether requests need the bearer token.
    pub auth_enabled: bool,
}
