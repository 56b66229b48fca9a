//! The CLI's way to the agent: `client.json` and an oRPC client over HTTP.

use std::path::Path;

use anyhow::Context;
use perry_agent::state::{ConfigFile, files};
use perry_api::RpcError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// `client.json`: where the CLI finds the agent when it is not on this machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientFile {
    /// `host` or `host:port` of the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

impl ClientFile {
    fn path(dir: &Path) -> std::path::PathBuf {
        dir.join("client.json")
    }

    /// Reads `client.json`, empty when absent.
    pub fn read(dir: &Path) -> anyhow::Result<ClientFile> {
        let path = Self::path(dir);
        match files::read_if_exists(&path)? {
            None => Ok(ClientFile::default()),
            Some(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not valid JSON; fix or remove it", path.display())),
        }
    }

    /// Writes `client.json` atomically with mode 0600 (it may hold a token).
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        files::write_json_atomic(&Self::path(dir), self)
    }
}

/// A failed call: the agent's typed error, or no answer at all.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Rpc(RpcError),
    #[error("{0:#}")]
    Transport(anyhow::Error),
}

/// An oRPC client for one agent.
pub struct AgentClient {
    base_url: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl AgentClient {
    /// Finds the agent: `PERRY_WORKER`, else client.json's worker, else this machine on the port
    /// of the local agent's config; the token likewise from `PERRY_TOKEN`, client.json, or the
    /// local agent's config.json.
    pub fn discover(config_dir: &Path) -> anyhow::Result<AgentClient> {
        let client_file = ClientFile::read(config_dir)?;
        let agent_config = ConfigFile::read(config_dir).ok().flatten();
        let worker = std::env::var("PERRY_WORKER")
            .ok()
            .filter(|worker| !worker.is_empty())
            .or(client_file.worker)
            .unwrap_or_else(|| {
                let port = agent_config
                    .as_ref()
                    .map_or(perry_agent::state::config::DEFAULT_PORT, |config| {
                        config.port
                    });
                format!("localhost:{port}")
            });
        let token = std::env::var("PERRY_TOKEN")
            .ok()
            .filter(|token| !token.is_empty())
            .or(client_file.token)
            .or_else(|| agent_config.map(|config| config.token().to_owned()));
        Ok(AgentClient::new(&worker, token))
    }

    /// A client for the agent at `worker` (`host`, `host:port` or a URL).
    pub fn new(worker: &str, token: Option<String>) -> AgentClient {
        let worker = worker.trim_end_matches('/');
        let base_url = if worker.starts_with("http://") || worker.starts_with("https://") {
            worker.to_owned()
        } else if worker.contains(':') {
            format!("http://{worker}")
        } else {
            format!(
                "http://{worker}:{}",
                perry_agent::state::config::DEFAULT_PORT
            )
        };
        AgentClient {
            base_url,
            token,
            http: reqwest::Client::new(),
        }
    }

    /// The agent's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The WebSocket URL of `path` (with its query) on the agent.
    pub fn websocket_url(&self, path_and_query: &str) -> String {
        let base = self
            .base_url
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        format!("{base}{path_and_query}")
    }

    /// Calls procedure `path` (e.g. `workspaces/list`) with `input`.
    pub async fn call<O: DeserializeOwned>(
        &self,
        path: &str,
        input: Value,
    ) -> Result<O, CallError> {
        let url = format!("{}/rpc/{path}", self.base_url);
        let mut request = self.http.post(&url).json(&json!({ "json": input }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|error| {
            CallError::Transport(anyhow::anyhow!(
                "cannot reach the Perry agent at {}: {error}. Is `perry agent run` running there?",
                self.base_url
            ))
        })?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|error| {
            CallError::Transport(anyhow::anyhow!(
                "the agent at {} sent a reply that is not JSON: {error}",
                self.base_url
            ))
        })?;
        let payload = body.get("json").cloned().unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(match serde_json::from_value::<RpcError>(payload) {
                Ok(error) => CallError::Rpc(error),
                Err(_) => CallError::Transport(anyhow::anyhow!(
                    "the agent answered HTTP {status} without an oRPC error"
                )),
            });
        }
        serde_json::from_value(payload).map_err(|error| {
            CallError::Transport(anyhow::anyhow!(
                "unexpected reply from the agent for {path}: {error}"
            ))
        })
    }
}
