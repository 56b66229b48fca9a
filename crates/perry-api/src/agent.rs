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
    /// What the agent can take on now, for placement across agents (absent from agents before
    /// it was added, and while the engine does not answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub capacity: Option<AgentCapacity>,
}

/// What an agent can take on now: `perry start --on auto` places a workspace by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct AgentCapacity {
    /// The CPUs a workspace can have at most (the Docker host's; a cluster's largest node);
    /// absent where the agent may not see it (an in-cluster agent without the right to nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub cpus: Option<u32>,
    /// The memory a workspace can have at most, in MiB; absent likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<f64>"))]
    pub memory_total_mb: Option<u64>,
    /// Memory the agent's machine has available now (its `MemAvailable`), in MiB; absent where
    /// workspaces do not run on the agent's machine (Kubernetes, a remote Docker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<f64>"))]
    pub memory_available_mb: Option<u64>,
    /// The agent's machine's load average over one minute, under the same condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub load1: Option<f64>,
    /// Workspaces running now.
    pub running_workspaces: u32,
    /// Whether the workspace image is there to start from (on Docker: pulled or built; on
    /// Kubernetes: on some node, or pullable).
    pub image_present: bool,
}

/// An inclusive range of host ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

/// The agent's configuration as `config.get` shows it: never the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The limits a workspace gets where its create names none (absent fields: no limit).
    pub default_limits: crate::workspace::WorkspaceLimits,
}

/// Another agent this one relays to (config.json `peers`), so the web UI it serves shows the
/// person's whole fleet with one token. Its token is never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    pub name: String,
    /// Its base URL, e.g. `http://closet:7391`; clients reach it through `/peers/<name>/…`.
    pub url: String,
}

/// `peers.add`: a name, and the peer's address as a person gives it (host, host:port, a URL, or
/// the sign-in URL its web UI shows, which carries the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeersAddInput {
    pub name: String,
    pub address: String,
    /// The peer's token, unless the address carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub token: Option<String>,
}

/// `peers.remove`: which peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeerNameInput {
    pub name: String,
}
