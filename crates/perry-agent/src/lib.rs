//! The Perry agent as a library: the daemon behind `perry agent run`.
//!
//! # Layout
//! - [`server`]: the HTTP router, startup and graceful shutdown.
//! - [`rpc`]: the oRPC endpoint at `/rpc` (codec and procedure dispatch).
//! - [`tls`]: HTTPS on the agent's port (certificate, key, handshakes).
//! - [`guard`]: the Host and Origin checks in front of everything (DNS rebinding, other sites).
//! - [`auth`]: the bearer-token check.
//! - [`workspace`]: the workspace lifecycle (create, start, stop, delete, list, sync).
//! - [`terminal`]: shells in workspaces that outlive their WebSockets.
//! - [`websocket`]: how the agent's WebSockets are accepted (permessage-deflate) and framed.
//! - [`ports`]: port forwards from host ports of the agent's machine into workspaces.
//! - [`sessions`]: the live index of coding-agent sessions per workspace, fed by its worker.
//! - [`containers`]: the live view of the agent's containers, fed by the engine's events (for
//!   listing workspaces and for port forwards' addresses).
//! - [`devcontainer`]: a repository's devcontainer.json and local features, read (pure).
//! - [`engine`]: what runs workspaces, behind one trait ([`engine::Engine`]): the Docker Engine
//!   ([`engine::docker`]) or a Kubernetes cluster ([`engine::kubernetes`]). Nothing else talks
//!   to an engine.
//! - [`peers`]: the person's other agents, and the relay to them for the web UI.
//! - [`settings`]: `settings.*`, what a person manages from any client: environment, files,
//!   the coding agents' accounts, the token.
//! - [`machine`]: what the agent's own machine has free now (`/proc`), for `agent.info`.
//! - [`state`]: config.json and state.json. Nothing else writes them.
//! - [`web`]: the embedded web UI, served at `/`.
//! - [`error`]: the API error type, one variant per oRPC code.
//! - [`limits`]: workspaces' CPU, memory and process limits (pure: checked by rpc, stored by
//!   state, applied by the engine, merged by workspace).
//! - `fuzzing` (hidden): the request decoders and input checks, for the fuzz target in `fuzz/`.

pub mod auth;
pub mod containers;
pub mod devcontainer;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod guard;
pub mod limits;
pub mod machine;
pub mod notifications;
pub mod peers;
pub mod ports;
pub mod rpc;
pub mod server;
pub mod sessions;
pub mod settings;
pub mod state;
pub mod terminal;
pub mod tls;
pub mod web;
pub mod websocket;
pub mod workspace;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use perry_api::AgentConfig;

use crate::auth::AuthSettings;
use crate::engine::Engine;
use crate::state::ConfigFile;
use crate::terminal::TerminalManager;
use crate::workspace::WorkspaceService;

pub use server::{AgentOptions, run};

/// Now, as RFC 3339 in UTC to the second (what state.json and the API record times in).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Whether `time` (RFC 3339, as [`now_rfc3339`] writes it) is less than `window` ago; `false`
/// for a time that does not parse or lies ahead.
pub fn within_last(time: &str, window: std::time::Duration) -> bool {
    humantime::parse_rfc3339(time).is_ok_and(|then| {
        std::time::SystemTime::now()
            .duration_since(then)
            .is_ok_and(|ago| ago < window)
    })
}

/// This machine's host name, as `agent.info` and the agent's banner show it.
pub fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Everything a request handler can reach.
#[derive(Debug)]
pub struct Agent {
    pub config_dir: PathBuf,
    /// config.json as last read or written by this agent.
    config: Mutex<Arc<ConfigFile>>,
    pub auth: AuthSettings,
    /// Wrong-token attempts per address, for throttling.
    pub auth_failures: crate::auth::AuthFailures,
    /// The names and addresses the agent answers to.
    pub hosts: crate::guard::KnownHosts,
    pub engine: Arc<dyn Engine>,
    pub workspaces: WorkspaceService,
    /// The last `workspaces.list` reply, encoded.
    pub list_reply: crate::rpc::ListReply,
    pub terminals: Arc<TerminalManager>,
    pub sessions: Arc<crate::sessions::SessionHub>,
    /// Notification deliveries under way, per channel.
    pub notifications: crate::notifications::Dispatch,
    /// Where the web UI's files come from.
    pub web: crate::web::WebFiles,
    pub started: Instant,
    /// Notified by `agent.kill`: the server shuts down gracefully.
    pub shutdown: tokio::sync::Notify,
}

impl Agent {
    /// config.json as last read or written by this agent.
    pub fn config(&self) -> Arc<ConfigFile> {
        self.config
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Changes config.json (see [`ConfigFile::update`]) and what this agent goes by.
    pub fn update_config(
        &self,
        change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    ) -> anyhow::Result<Arc<ConfigFile>> {
        let mut current = self
            .config
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let written = Arc::new(ConfigFile::update(&self.config_dir, change)?);
        *current = written.clone();
        Ok(written)
    }

    /// The configuration as `config.get` shows it.
    pub fn public_config(&self) -> AgentConfig {
        self.shown_config(&self.config())
    }

    /// `config` without the token, and with the port the agent listens on: `--port` may have
    /// replaced config.json's, and clients (the web UI's agent page) need the one that answers.
    fn shown_config(&self, config: &ConfigFile) -> AgentConfig {
        let mut shown = config.to_api(self.auth.enabled);
        let listening = self.workspaces.port_forwarder().rules().agent_port;
        if listening != 0 {
            shown.port = listening;
        }
        shown
    }

    /// Browser origins besides the agent's own whose pages may use the agent.
    pub fn allowed_origins(&self) -> Vec<String> {
        self.config().allowed_origins.clone()
    }

    /// Host names besides its own that the agent answers to.
    pub fn allowed_hosts(&self) -> Vec<String> {
        self.config().allowed_hosts.clone()
    }
}

/// Unsent bytes a connection's kernel buffer may hold before the agent's writes wait.
const UNSENT_LOW_WATER: u32 = 16 * 1024;

/// Sets up a client's TCP connection: no Nagle delay (keystrokes are tiny writes that must leave
/// at once), and a small `TCP_NOTSENT_LOWAT`, so output that cannot leave yet waits in the
/// terminal's ring, where a keystroke can skip it, rather than in megabytes of kernel buffer
/// ahead of the keystroke's answer.
pub fn tune_connection(stream: &tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!("cannot set TCP_NODELAY: {error}");
    }
    if let Err(error) = socket2::SockRef::from(stream).set_tcp_notsent_lowat(UNSENT_LOW_WATER) {
        tracing::debug!("cannot set TCP_NOTSENT_LOWAT: {error}");
    }
}
