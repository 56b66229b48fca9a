//! `config.json`: the agent's settings. Written on first run with defaults and a fresh token;
//! an existing file is respected, and keys Perry does not know survive every rewrite.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use perry_api::notifications::{ChannelKind, PushKeys};
use perry_api::sessions::SessionState;
use perry_api::settings::{self, Accounts, McpServer, PostStartScript, Skill, SshSettings};
use perry_api::{AgentConfig, PortRange, WorkspaceLimits};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::files;
use super::redact::{self, RedactedValues};
use crate::engine::EngineConfig;

/// The port the agent listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7391;
/// The default SSH port range for workspaces.
pub const DEFAULT_SSH_PORT_RANGE: PortRange = PortRange {
    start: 2200,
    end: 2400,
};

/// The contents of `config.json`. Its `{:?}` hides the token, the credentials and the values of
/// keys Perry does not know.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFile {
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default = "default_prefix")]
    pub workspace_prefix: String,
    #[serde(default = "default_image_tag")]
    pub image_tag: String,
    #[serde(default = "default_ssh_port_range")]
    pub ssh_port_range: PortRange,
    /// Seconds a new or started workspace gets to have its inner dockerd and sshd answer.
    #[serde(default = "default_ready_timeout_seconds")]
    pub ready_timeout_seconds: u64,
    /// Seconds a terminal without clients keeps its shell.
    #[serde(default = "default_terminal_grace_seconds")]
    pub terminal_grace_seconds: u64,
    /// Bytes of recent output each terminal keeps for replay.
    #[serde(default = "default_terminal_buffer_bytes")]
    pub terminal_buffer_bytes: usize,
    /// Whether the agent's WebSockets (`/terminal`, `/sessions`, `/events`) compress what they
    /// send (permessage-deflate) for clients that offer it; off trades bandwidth for the CPU.
    #[serde(default = "default_terminal_compression")]
    pub terminal_compression: bool,
    /// Browser origins besides the agent's own whose pages may use the agent (the phone app's
    /// web build, a dev server).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
    /// Host names besides this machine's own (and localhost) that the agent answers to, such as
    /// a Tailscale MagicDNS name or a reverse proxy's name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    #[serde(default)]
    pub auth: AuthSection,
    /// Serve HTTPS with this certificate and key (`perry agent run --tls-cert/--tls-key` win).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFiles>,
    /// What `workspaces.sync` puts into every workspace.
    #[serde(default, skip_serializing_if = "Credentials::is_empty")]
    pub credentials: Credentials,
    /// The coding agents' and git hosts' keys (`settings.setAccount`), written where each
    /// coding agent reads them at every sync.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accounts: Accounts,
    /// Post-start scripts, in the order they run (`settings.setScript`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<PostStartScript>,
    /// MCP servers synced into the coding agents' configurations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mcp_servers: Vec<McpServer>,
    /// Skills synced into the coding agents' skill directories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<Skill>,
    /// Which host SSH keys go into workspaces, which public keys may log in.
    #[serde(default, skip_serializing_if = "is_default_ssh")]
    pub ssh: SshSettings,
    /// Limits of new workspaces where their create names none; a field left out takes
    /// Perry's default ([`crate::limits::DEFAULT_LIMITS`]), `0` is no limit.
    #[serde(
        default = "default_limits",
        skip_serializing_if = "WorkspaceLimits::is_empty"
    )]
    pub limits: WorkspaceLimits,
    /// Which engine runs the workspaces: Docker unless this says Kubernetes.
    #[serde(default, skip_serializing_if = "EngineConfig::is_docker")]
    pub engine: EngineConfig,
    /// The person's other agents, by name, that this agent relays to for the web UI it serves.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub peers: BTreeMap<String, Peer>,
    /// Where the agent tells the person that a coding agent needs them, by channel name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notifications: BTreeMap<String, Channel>,
    /// Keys this version of Perry does not know, kept as they were.
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

/// The `auth` object of `config.json`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

/// The `tls` object of `config.json`: PEM files of the certificate (chain, leaf first) and of its
/// private key, such as `tailscale cert` writes. Relative paths are taken from the config dir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The `credentials` object of `config.json`: environment variables and files every workspace
/// gets on create, on start and on `perry sync`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Variables for every shell in the workspace (SSH and terminals), e.g. API keys.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Host path (absolute or `~/…`) → path in the workspace (absolute or `~/…`, which is
    /// /home/workspace). A directory is copied with everything in it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
}

impl fmt::Debug for ConfigFile {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Taken apart field by field, so a new field does not compile until it is listed here.
        let ConfigFile {
            port,
            workspace_prefix,
            image_tag,
            ssh_port_range,
            ready_timeout_seconds,
            terminal_grace_seconds,
            terminal_buffer_bytes,
            terminal_compression,
            allowed_origins,
            allowed_hosts,
            tls,
            worker,
            auth,
            credentials,
            accounts,
            scripts,
            mcp_servers,
            skills,
            ssh,
            limits,
            engine,
            peers,
            notifications,
            unknown,
        } = self;
        let account_keys: Vec<String> = accounts
            .iter()
            .flat_map(|(account, keys)| {
                keys.keys()
                    .map(move |key| format!("{}.{key}", account.as_str()))
            })
            .collect();
        formatter
            .debug_struct("ConfigFile")
            .field("port", port)
            .field("workspace_prefix", workspace_prefix)
            .field("image_tag", image_tag)
            .field("ssh_port_range", ssh_port_range)
            .field("ready_timeout_seconds", ready_timeout_seconds)
            .field("terminal_grace_seconds", terminal_grace_seconds)
            .field("terminal_buffer_bytes", terminal_buffer_bytes)
            .field("terminal_compression", terminal_compression)
            .field("allowed_origins", allowed_origins)
            .field("allowed_hosts", allowed_hosts)
            .field("tls", tls)
            .field("worker", worker)
            .field("auth", auth)
            .field("credentials", credentials)
            .field("accounts", &account_keys)
            .field(
                "scripts",
                &scripts
                    .iter()
                    .map(|script| &script.name)
                    .collect::<Vec<_>>(),
            )
            .field("mcp_servers", mcp_servers)
            .field(
                "skills",
                &skills.iter().map(|skill| &skill.name).collect::<Vec<_>>(),
            )
            .field("ssh", ssh)
            .field("limits", limits)
            .field("engine", engine)
            .field("peers", peers)
            .field("notifications", notifications)
            .field("unknown", &RedactedValues(unknown.keys()))
            .finish()
    }
}

/// Another agent of the person's, as `peers` in config.json holds it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    /// Its base URL: `http(s)://host:port`.
    pub url: String,
    /// The token it wants; write-only: no procedure ever returns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A notification channel, as `notifications` in config.json holds it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub kind: ChannelKind,
    pub url: String,
    /// The webhook's signing secret, or ntfy's or Gotify's token; write-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The session states that trigger it.
    pub states: Vec<SessionState>,
    /// A Web Push subscription's keys (the browser's); write-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<PushKeys>,
}

impl fmt::Debug for Channel {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Channel {
            kind,
            url,
            secret,
            states,
            keys,
        } = self;
        formatter
            .debug_struct("Channel")
            .field("kind", kind)
            .field("url", url)
            .field("secret", &redact::secret(secret))
            .field("states", states)
            .field("keys", &redact::secret(keys))
            .finish()
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Peer { url, token } = self;
        formatter
            .debug_struct("Peer")
            .field("url", url)
            .field("token", &redact::secret(token))
            .finish()
    }
}

impl fmt::Debug for AuthSection {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AuthSection { token, unknown } = self;
        formatter
            .debug_struct("AuthSection")
            .field("token", &redact::secret(token))
            .field("unknown", &RedactedValues(unknown.keys()))
            .finish()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The files' paths are no secret; what is in the variables is.
        let Credentials { env, files } = self;
        formatter
            .debug_struct("Credentials")
            .field("env", &RedactedValues(env.keys()))
            .field("files", files)
            .finish()
    }
}

impl Credentials {
    pub fn is_empty(&self) -> bool {
        self.env.is_empty() && self.files.is_empty()
    }

    /// Checks names and values that could not be written safely into a workspace. A path typed
    /// into config.json by hand may name any place in the workspace; `settings.setFile` keeps
    /// to the workspace user's home.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, value) in &self.env {
            settings::check_variable_name(name)
                .and_then(|()| settings::check_value(&format!("the value of {name}"), value))
                .map_err(|why| anyhow::anyhow!("credentials.env: {why}"))?;
        }
        for (host, workspace) in &self.files {
            settings::check_file_mapping(host, workspace, false)
                .map_err(|why| anyhow::anyhow!("credentials.files: {why}"))?;
        }
        Ok(())
    }
}

fn is_default_ssh(ssh: &SshSettings) -> bool {
    *ssh == SshSettings::default()
}

/// Why a list of named entries cannot be kept: a name twice.
fn check_unique<'a>(what: &str, names: impl Iterator<Item = &'a str>) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            bail!("{what}: {name:?} is there twice");
        }
    }
    Ok(())
}

fn default_port() -> u16 {
    DEFAULT_PORT
}
fn default_prefix() -> String {
    "workspace-".to_owned()
}
fn default_image_tag() -> String {
    "workspace-base".to_owned()
}
fn default_ssh_port_range() -> PortRange {
    DEFAULT_SSH_PORT_RANGE
}
fn default_ready_timeout_seconds() -> u64 {
    120
}
fn default_terminal_grace_seconds() -> u64 {
    300
}
fn default_terminal_buffer_bytes() -> usize {
    1024 * 1024
}
fn default_terminal_compression() -> bool {
    true
}
fn default_limits() -> WorkspaceLimits {
    crate::limits::DEFAULT_LIMITS
}

impl Default for ConfigFile {
    fn default() -> Self {
        serde_json::from_value(Value::Object(Map::new())).expect("every field has a default")
    }
}

/// The config dir: `PERRY_CONFIG_DIR`, else `~/.config/perry`.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PERRY_CONFIG_DIR").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").context("neither PERRY_CONFIG_DIR nor HOME is set")?;
    Ok(PathBuf::from(home).join(".config").join("perry"))
}

/// A new random token: 256 bits, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl ConfigFile {
    /// The path of `config.json` in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("config.json")
    }

    /// Reads `config.json` from `dir` without changing anything; `None` when absent.
    pub fn read(dir: &Path) -> anyhow::Result<Option<ConfigFile>> {
        let path = Self::path(dir);
        let Some(bytes) = files::read_if_exists(&path)? else {
            return Ok(None);
        };
        let value: Value = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not valid Perry config JSON; fix or remove it",
                path.display()
            )
        })?;
        Self::from_json(&path, value).map(Some)
    }

    /// The config in `value`, the JSON of the file at `path`, checked.
    fn from_json(path: &Path, value: Value) -> anyhow::Result<ConfigFile> {
        let config: ConfigFile = serde_json::from_value(value).with_context(|| {
            format!(
                "{} is not valid Perry config JSON; fix or remove it",
                path.display()
            )
        })?;
        config
            .validate()
            .with_context(|| format!("invalid setting in {}", path.display()))?;
        Ok(config)
    }

    /// Loads `config.json`, writing it first when absent (Perry's defaults) and adding a token
    /// when it has none. Nothing else in the file changes.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<ConfigFile> {
        let config = Self::update(dir, |object| {
            let auth = object
                .entry("auth")
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(auth) = auth else {
                return;
            };
            let missing_token = match auth.get("token") {
                None | Some(Value::Null) => true,
                Some(Value::String(token)) => token.is_empty(),
                Some(_) => false,
            };
            if missing_token {
                auth.insert("token".to_owned(), Value::String(new_token()));
            }
        })?;
        files::make_private(&Self::path(dir))?;
        Ok(config)
    }

    /// The one way to change `config.json`: under its write lock, `change` edits the file's
    /// JSON as it is on disk at that moment, so a setting or credential a person added by hand
    /// while the agent ran is kept, and so is every key `change` leaves alone. A missing file
    /// starts as Perry's defaults. When the result is not a valid config nothing is written.
    /// Returns the config as written.
    pub fn update(
        dir: &Path,
        change: impl FnOnce(&mut Map<String, Value>),
    ) -> anyhow::Result<ConfigFile> {
        let path = Self::path(dir);
        let mut written = None;
        files::update_json_object(&path, |object| {
            if object.is_empty() {
                let Value::Object(defaults) = serde_json::to_value(ConfigFile::default())? else {
                    bail!("Perry's default config is not a JSON object");
                };
                *object = defaults;
            }
            change(object);
            written = Some(Self::from_json(&path, Value::Object(object.clone()))?);
            Ok(())
        })?;
        written.context("config.json was not read")
    }

    /// Checks the values a person may have typed by hand.
    pub fn validate(&self) -> anyhow::Result<()> {
        let prefix_ok = !self.workspace_prefix.is_empty()
            && self
                .workspace_prefix
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && self
                .workspace_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !prefix_ok {
            bail!(
                "workspacePrefix {:?} must start with a letter or digit and contain only letters, digits, '-', '_' and '.'",
                self.workspace_prefix
            );
        }
        if self.image_tag.trim().is_empty() {
            bail!("imageTag must not be empty");
        }
        let range = self.ssh_port_range;
        if range.start == 0 || range.start > range.end {
            bail!(
                "sshPortRange {}-{} is not a valid port range",
                range.start,
                range.end
            );
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.terminal_buffer_bytes) {
            bail!("terminalBufferBytes must be between 1024 and 67108864");
        }
        self.credentials.validate()?;
        for (account, keys) in &self.accounts {
            for (key, value) in keys {
                account
                    .check_key(key)
                    .and_then(|()| settings::check_value(&format!("the {key}"), value))
                    .map_err(|why| anyhow::anyhow!("accounts.{}: {why}", account.as_str()))?;
            }
        }
        for script in &self.scripts {
            settings::check_script(script).map_err(|why| anyhow::anyhow!("scripts: {why}"))?;
        }
        check_unique(
            "scripts",
            self.scripts.iter().map(|script| script.name.as_str()),
        )?;
        for server in &self.mcp_servers {
            server
                .check()
                .map_err(|why| anyhow::anyhow!("mcpServers.{}: {why}", server.name))?;
        }
        check_unique(
            "mcpServers",
            self.mcp_servers.iter().map(|server| server.name.as_str()),
        )?;
        for skill in &self.skills {
            skill
                .check()
                .map_err(|why| anyhow::anyhow!("skills.{}: {why}", skill.name))?;
        }
        check_unique(
            "skills",
            self.skills.iter().map(|skill| skill.name.as_str()),
        )?;
        for choice in &self.ssh.copy {
            settings::check_ssh_key_name(&choice.key)
                .map_err(|why| anyhow::anyhow!("ssh.copy: {why}"))?;
        }
        for choice in &self.ssh.authorized {
            settings::check_public_key(&choice.key)
                .map_err(|why| anyhow::anyhow!("ssh.authorized: {why}"))?;
        }
        // Names are checked where peers are added (`peers.add`): state reaches no module above it.
        for (name, peer) in &self.peers {
            if !(peer.url.starts_with("http://") || peer.url.starts_with("https://")) {
                bail!(
                    "peers.{name}.url {:?} must start with http:// or https://",
                    peer.url
                );
            }
        }
        for (name, channel) in &self.notifications {
            if !(channel.url.starts_with("http://") || channel.url.starts_with("https://")) {
                bail!(
                    "notifications.{name}.url {:?} must start with http:// or https://",
                    channel.url
                );
            }
        }
        crate::limits::check_limits(&self.limits)
            .map_err(|why| anyhow::anyhow!("limits: {why}"))?;
        Ok(())
    }

    /// The token clients must present.
    pub fn token(&self) -> &str {
        self.auth.token.as_deref().unwrap_or_default()
    }

    /// The view `config.get` returns: everything but the token.
    pub fn to_api(&self, auth_enabled: bool) -> AgentConfig {
        AgentConfig {
            port: self.port,
            workspace_prefix: self.workspace_prefix.clone(),
            image_tag: self.image_tag.clone(),
            ssh_port_range: self.ssh_port_range,
            worker: self.worker.clone(),
            auth_enabled,
            default_limits: crate::limits::default_limits(self.limits).without_zeros(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn the_engine_is_docker_unless_config_json_names_kubernetes_with_known_keys() {
        let read = |text: &str| serde_json::from_str::<ConfigFile>(text);
        assert_eq!(read("{}").unwrap().engine, EngineConfig::Docker);
        assert_eq!(
            read(r#"{"engine": {"kind": "docker"}}"#).unwrap().engine,
            EngineConfig::Docker
        );
        let EngineConfig::Kubernetes(kubernetes) = read(
            r#"{"engine": {"kind": "kubernetes", "namespace": "team", "storageClass": "fast",
                "nodeSelector": {"perry": "yes"}}}"#,
        )
        .unwrap()
        .engine
        else {
            panic!("not kubernetes");
        };
        assert_eq!(kubernetes.namespace.as_deref(), Some("team"));
        assert_eq!(kubernetes.storage_class.as_deref(), Some("fast"));
        assert_eq!(kubernetes.node_selector["perry"], "yes");
        // A misspelt key is an error that names it, not a setting silently ignored.
        let error = read(r#"{"engine": {"kind": "kubernetes", "namespce": "x"}}"#).unwrap_err();
        assert!(error.to_string().contains("namespce"), "{error}");
        let error = read(r#"{"engine": {"kind": "podman"}}"#).unwrap_err();
        assert!(error.to_string().contains("podman"), "{error}");
        // Docker, the default, is not written back.
        let written = serde_json::to_value(read("{}").unwrap()).unwrap();
        assert!(written.get("engine").is_none(), "{written}");
    }

    #[test]
    fn first_run_writes_defaults_with_a_long_token_and_mode_600() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigFile::load_or_create(dir.path()).unwrap();
        assert_eq!(config.port, 7391);
        assert_eq!(config.workspace_prefix, "workspace-");
        assert_eq!(config.image_tag, "workspace-base");
        assert!(
            config.token().len() >= 32,
            "token too short: {}",
            config.token()
        );
        let path = ConfigFile::path(dir.path());
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        let again = ConfigFile::load_or_create(dir.path()).unwrap();
        assert_eq!(
            again.token(),
            config.token(),
            "the token must be stable across runs"
        );
    }

    #[test]
    fn existing_values_and_unknown_keys_survive_an_update() {
        let dir = tempfile::tempdir().unwrap();
        let path = ConfigFile::path(dir.path());
        std::fs::write(
            &path,
            r#"{"port": 8000, "workspacePrefix": "dev-", "auth": {"token": "preset", "note": 1}, "future": [1, 2]}"#,
        )
        .unwrap();
        let config = ConfigFile::load_or_create(dir.path()).unwrap();
        assert_eq!(config.port, 8000);
        assert_eq!(config.workspace_prefix, "dev-");
        assert_eq!(config.token(), "preset");
        let updated = ConfigFile::update(dir.path(), |object| {
            object.insert("worker".to_owned(), "box:7391".into());
        })
        .unwrap();
        assert_eq!(updated.worker.as_deref(), Some("box:7391"));
        let raw: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            raw,
            serde_json::json!({
                "port": 8000,
                "workspacePrefix": "dev-",
                "auth": {"token": "preset", "note": 1},
                "future": [1, 2],
                "worker": "box:7391",
            }),
            "only the updated key changed: no defaults were filled in"
        );
    }

    #[test]
    fn a_persons_edits_after_the_agent_loaded_the_file_survive_its_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = ConfigFile::path(dir.path());
        let loaded = ConfigFile::load_or_create(dir.path()).unwrap();
        // The person edits the file by hand while the agent runs with `loaded` in memory.
        let mut by_hand: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        by_hand["credentials"] = serde_json::json!({"env": {"API_KEY": "added-by-hand"}});
        by_hand["terminalGraceSeconds"] = 42.into();
        by_hand["personalNote"] = "kept".into();
        std::fs::write(&path, by_hand.to_string()).unwrap();

        let updated = ConfigFile::update(dir.path(), |object| {
            object.insert("worker".to_owned(), "box:7391".into());
        })
        .unwrap();
        assert_eq!(updated.credentials.env["API_KEY"], "added-by-hand");
        assert_eq!(updated.terminal_grace_seconds, 42);
        assert_eq!(updated.token(), loaded.token());
        let raw: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(raw["credentials"]["env"]["API_KEY"], "added-by-hand");
        assert_eq!(raw["terminalGraceSeconds"], 42);
        assert_eq!(raw["personalNote"], "kept");
        assert_eq!(raw["worker"], "box:7391");

        // A restart keeps them too: the token is there, so nothing is written.
        let reloaded = ConfigFile::load_or_create(dir.path()).unwrap();
        assert_eq!(reloaded, updated);
    }

    #[test]
    fn an_update_that_makes_the_config_invalid_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        ConfigFile::load_or_create(dir.path()).unwrap();
        let before = std::fs::read(ConfigFile::path(dir.path())).unwrap();
        let error = ConfigFile::update(dir.path(), |object| {
            object.insert("workspacePrefix".to_owned(), "".into());
        })
        .unwrap_err();
        assert!(
            format!("{error:#}").contains("workspacePrefix"),
            "{error:#}"
        );
        assert_eq!(std::fs::read(ConfigFile::path(dir.path())).unwrap(), before);
    }

    #[test]
    fn a_config_without_token_gets_one_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(ConfigFile::path(dir.path()), r#"{"port": 9000}"#).unwrap();
        let config = ConfigFile::load_or_create(dir.path()).unwrap();
        let reread = ConfigFile::read(dir.path()).unwrap().unwrap();
        assert_eq!(reread.token(), config.token());
        assert_eq!(reread.port, 9000);
    }

    #[test]
    fn debug_output_never_shows_the_token_or_credentials() {
        let config: ConfigFile = serde_json::from_value(serde_json::json!({
            "worker": "box:7391",
            "auth": {"token": "token-0123456789abcdef", "hashSecret": "auth-unknown-secret"},
            "credentials": {
                "env": {"API_KEY": "sk-credential-value"},
                "files": {"~/.ssh/id_ed25519": "~/.ssh/id_ed25519"}
            },
            "registryPassword": "unknown-key-secret"
        }))
        .unwrap();
        for shown in [
            format!("{config:?}"),
            format!("{config:#?}"),
            format!("{:?}", config.auth),
            format!("{:?}", config.credentials),
        ] {
            for secret in [
                "token-0123456789abcdef",
                "auth-unknown-secret",
                "sk-credential-value",
                "unknown-key-secret",
            ] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
        let shown = format!("{config:?}");
        for visible in [
            "box:7391",
            "API_KEY",
            "~/.ssh/id_ed25519",
            "registryPassword",
            "<redacted>",
        ] {
            assert!(shown.contains(visible), "{visible} missing from {shown}");
        }
    }

    #[test]
    fn credentials_are_read_and_unsafe_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            ConfigFile::path(dir.path()),
            r#"{"credentials": {"env": {"API_KEY": "k 1"}, "files": {"~/.ssh/id_ed25519": "~/.ssh/id_ed25519"}}}"#,
        )
        .unwrap();
        let config = ConfigFile::read(dir.path()).unwrap().unwrap();
        assert_eq!(config.credentials.env["API_KEY"], "k 1");
        assert_eq!(
            config.credentials.files["~/.ssh/id_ed25519"],
            "~/.ssh/id_ed25519"
        );
        for (bad, expected) in [
            (r#"{"env": {"1X": "v"}}"#, "not a variable name"),
            (r#"{"env": {"X": "a\nb"}}"#, "newline"),
            (r#"{"files": {"relative/path": "~/x"}}"#, "must be absolute"),
            (
                r#"{"files": {"~/x": "~/../../etc/shadow"}}"#,
                "must not contain ..",
            ),
        ] {
            let config = ConfigFile {
                credentials: serde_json::from_str(bad).unwrap(),
                ..ConfigFile::default()
            };
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(expected), "{bad}: {error}");
        }
    }

    #[test]
    fn limits_default_to_a_pids_limit_are_written_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigFile::load_or_create(dir.path()).unwrap();
        assert_eq!(config.limits, crate::limits::DEFAULT_LIMITS);
        let raw: Value =
            serde_json::from_slice(&std::fs::read(ConfigFile::path(dir.path())).unwrap()).unwrap();
        assert_eq!(raw["limits"], serde_json::json!({"pids": 8192}));

        std::fs::write(
            ConfigFile::path(dir.path()),
            r#"{"limits": {"cpus": 1.5, "memoryMb": 4096}}"#,
        )
        .unwrap();
        let config = ConfigFile::read(dir.path()).unwrap().unwrap();
        assert_eq!(
            crate::limits::default_limits(config.limits),
            WorkspaceLimits {
                cpus: Some(1.5),
                memory_mb: Some(4096),
                pids: Some(8192),
            },
            "a field left out keeps Perry's default"
        );
        for (bad, expected) in [
            (
                r#"{"limits": {"memoryMb": 100}}"#,
                "memoryMb must be at least 512",
            ),
            (r#"{"limits": {"memory": 4096}}"#, "unknown field `memory`"),
        ] {
            std::fs::write(ConfigFile::path(dir.path()), bad).unwrap();
            let error = format!("{:#}", ConfigFile::read(dir.path()).unwrap_err());
            assert!(error.contains(expected), "{bad}: {error}");
        }
    }

    #[test]
    fn invalid_json_and_invalid_values_are_refused_with_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(ConfigFile::path(dir.path()), "{not json").unwrap();
        let error = format!("{:#}", ConfigFile::load_or_create(dir.path()).unwrap_err());
        assert!(error.contains("config.json"), "{error}");
        std::fs::write(
            ConfigFile::path(dir.path()),
            r#"{"sshPortRange": {"start": 10, "end": 5}}"#,
        )
        .unwrap();
        let error = format!("{:#}", ConfigFile::load_or_create(dir.path()).unwrap_err());
        assert!(error.contains("sshPortRange"), "{error}");
        assert_eq!(
            std::fs::read_to_string(ConfigFile::path(dir.path())).unwrap(),
            r#"{"sshPortRange": {"start": 10, "end": 5}}"#,
            "a bad file is never overwritten"
        );
    }
}
