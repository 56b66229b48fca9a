//! The CLI's way to the agent: `client.json` and an oRPC client over HTTP.
//!
//! **Architecture invariant:** the CLI reaches workspaces only through the agent's `/rpc`,
//! `/terminal` and `/sessions`; `perry agent run` and `perry build` are the only commands that
//! use the agent library directly (they are the agent's own machine).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use perry_agent::state::redact::{self, RedactedValues};
use perry_agent::state::{ConfigFile, files};
use perry_api::RpcError;
use perry_api::procedures::Procedure;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A WebSocket to the agent, over TCP or the agent's local socket; compressed
/// (permessage-deflate) when the agent agrees.
pub type Socket = yawc::WebSocket<yawc::HttpStream>;

/// A byte stream to the agent.
pub trait Connection: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Connection for T {}

/// `client.json`: where the CLI finds the agent when it is not on this machine. Its `{:?}`
/// hides the token and the values of keys Perry does not know.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientFile {
    /// `host` or `host:port` of the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A CA certificate (PEM) trusted for https agents besides the system's store
    /// (`perry config ca`): for an agent whose certificate a private CA signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    /// The person's agents by name (`perry agents add`): with any, they are the fleet that
    /// `perry list` shows, and `worker`/`token` above are no longer asked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agents: BTreeMap<String, NamedAgent>,
    /// The agent a command goes to when it names none (`perry agents default`).
    #[serde(
        default,
        rename = "defaultAgent",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_agent: Option<String>,
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

/// An agent the CLI knows by name. Its `{:?}` hides the token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedAgent {
    /// The agent's base URL, e.g. `http://closet:7391`.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl std::fmt::Debug for NamedAgent {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("NamedAgent")
            .field("url", &self.url)
            .field("token", &redact::secret(&self.token))
            .finish()
    }
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

    /// Changes `client.json` under its write lock (mode 0600: it may hold a token): `change`
    /// edits the file's JSON as it is on disk at that moment, so whatever else it holds, a
    /// person's edits included, stays. When the result is not a valid client.json nothing is
    /// written.
    pub fn update(dir: &Path, change: impl FnOnce(&mut Map<String, Value>)) -> anyhow::Result<()> {
        let path = Self::path(dir);
        files::update_json_object(&path, |object| {
            change(object);
            serde_json::from_value::<ClientFile>(Value::Object(object.clone()))
                .with_context(|| format!("the change would make {} invalid", path.display()))?;
            Ok(())
        })?;
        Ok(())
    }
}

impl ClientFile {
    /// The named agent a command goes to when it names none: the default, else (none set, or
    /// the one set was removed) the first by name. The one rule for every command.
    pub fn default_named_agent(&self) -> Option<(&str, &NamedAgent)> {
        self.default_agent
            .as_ref()
            .and_then(|name| self.agents.get_key_value(name))
            .or_else(|| self.agents.iter().next())
            .map(|(name, agent)| (name.as_str(), agent))
    }
}

impl std::fmt::Debug for ClientFile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ClientFile {
            worker,
            token,
            ca,
            agents,
            default_agent,
            unknown,
        } = self;
        formatter
            .debug_struct("ClientFile")
            .field("worker", worker)
            .field("token", &redact::secret(token))
            .field("ca", ca)
            .field("agents", agents)
            .field("default_agent", default_agent)
            .field("unknown", &RedactedValues(unknown.keys()))
            .finish()
    }
}

/// A failed call: the agent's typed error, or no answer at all.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Rpc(RpcError),
    #[error("{0:#}")]
    Transport(anyhow::Error),
    /// Something answered, but not as a Perry agent does (not JSON, no oRPC error).
    #[error("{0}")]
    NotAnAgent(String),
}

/// Where the CLI found the agent's address, so an error can say what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerSource {
    /// `--worker` on the command line.
    Flag,
    /// The `PERRY_WORKER` environment variable.
    Environment,
    /// `worker` in client.json (`perry config worker`).
    ClientFile,
    /// An agent added by name (`perry agents add`).
    Agents,
    /// The agent `perry agents add` is asking before it saves it.
    Adding,
    /// Nothing was set: the agent on this machine, on the port of its config.json.
    LocalDefault,
}

impl WorkerSource {
    fn describe(self) -> &'static str {
        match self {
            WorkerSource::Flag => "from --worker",
            WorkerSource::Environment => "from PERRY_WORKER",
            WorkerSource::ClientFile => "from client.json",
            WorkerSource::Agents => "added with `perry agents add`",
            WorkerSource::Adding => "the address given to `perry agents add`",
            WorkerSource::LocalDefault => "the default: this machine",
        }
    }
}

/// An oRPC client for one agent. Cloning is cheap and shares the connection pool. Its `{:?}`
/// hides the token.
#[derive(Clone)]
pub struct AgentClient {
    base_url: String,
    source: WorkerSource,
    token: Option<String>,
    http: reqwest::Client,
    /// TLS for an https agent (WebSockets; `http` has its own copy).
    tls: Option<Arc<rustls::ClientConfig>>,
    /// The agent's Unix socket, when the agent is this machine's own: requests and WebSockets
    /// go through it instead of loopback TCP.
    local_socket: Option<PathBuf>,
}

impl std::fmt::Debug for AgentClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let AgentClient {
            base_url,
            source,
            token,
            http: _,
            tls: _,
            local_socket,
        } = self;
        formatter
            .debug_struct("AgentClient")
            .field("base_url", base_url)
            .field("source", source)
            .field("token", &redact::secret(token))
            .field("local_socket", local_socket)
            .finish_non_exhaustive()
    }
}

/// How long to wait for a TCP connection before saying the agent cannot be reached. Calls
/// themselves have no limit: creating a workspace takes as long as the image needs to start.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl AgentClient {
    /// Finds the agent: `worker_flag` (`--worker`), else `PERRY_WORKER`, else client.json's
    /// worker, else this machine on the port of the local agent's config; the token likewise
    /// from `PERRY_TOKEN`, client.json, or the local agent's config.json.
    pub fn discover(config_dir: &Path, worker_flag: Option<&str>) -> anyhow::Result<AgentClient> {
        let client_file = ClientFile::read(config_dir)?;
        let agent_config = ConfigFile::read(config_dir).ok().flatten();
        let pointed = pointed_worker(worker_flag);
        let ca_file = client_file.ca.clone();
        // An added agent: by its name in --worker or PERRY_WORKER, else the default one when
        // neither is set.
        let named = match &pointed {
            Some((given, _)) => client_file.agents.get(given),
            None => client_file.default_named_agent().map(|(_, agent)| agent),
        };
        if let Some(agent) = named {
            return AgentClient::new(
                &agent.url,
                WorkerSource::Agents,
                agent.token.clone(),
                ca_file.as_deref(),
            );
        }
        let (worker, source) = if let Some(pointed) = pointed {
            pointed
        } else if let Some(worker) = client_file.worker {
            (worker, WorkerSource::ClientFile)
        } else {
            let port = agent_config
                .as_ref()
                .map_or(perry_agent::state::config::DEFAULT_PORT, |config| {
                    config.port
                });
            let scheme = match agent_config.as_ref().and_then(|config| config.tls.as_ref()) {
                Some(_) => "https",
                None => "http",
            };
            (
                format!("{scheme}://localhost:{port}"),
                WorkerSource::LocalDefault,
            )
        };
        // This machine's agent also listens on a socket in its config dir. Only the default
        // address uses it: an address given explicitly is taken at its word.
        let local_socket = (source == WorkerSource::LocalDefault)
            .then(|| config_dir.join(perry_agent::server::LOCAL_SOCKET))
            .filter(|path| std::os::unix::net::UnixStream::connect(path).is_ok());
        let mut client = AgentClient::new(&worker, source, None, ca_file.as_deref())?;
        // An address that is an added agent's gets that agent's token.
        let added_token = client_file
            .agents
            .values()
            .find(|agent| base_url_of(&agent.url) == client.base_url)
            .and_then(|agent| agent.token.clone());
        client.token = std::env::var("PERRY_TOKEN")
            .ok()
            .filter(|token| !token.is_empty())
            .or(added_token)
            .or(client_file.token)
            .or_else(|| agent_config.map(|config| config.token().to_owned()));
        Ok(match local_socket {
            Some(path) => client.through_local_socket(path),
            None => client,
        })
    }

    /// A client for the agent at `worker` (`host`, `host:port` or a URL), found through `source`.
    /// An https agent's certificate must chain to the system's store (or `SSL_CERT_FILE`) or to
    /// the CA in `ca_file`.
    pub fn new(
        worker: &str,
        source: WorkerSource,
        token: Option<String>,
        ca_file: Option<&Path>,
    ) -> anyhow::Result<AgentClient> {
        let base_url = base_url_of(worker);
        let tls = if base_url.starts_with("https://") {
            Some(Arc::new(perry_agent::tls::client_config(ca_file)?))
        } else {
            None
        };
        let mut http = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT);
        if let Some(tls) = &tls {
            http = http.use_preconfigured_tls(rustls::ClientConfig::clone(tls));
        }
        Ok(AgentClient {
            base_url,
            source,
            token,
            http: http.build().unwrap_or_default(),
            tls,
            local_socket: None,
        })
    }

    /// This client, reaching its agent through the agent's Unix socket at `path`.
    pub fn through_local_socket(mut self, path: PathBuf) -> AgentClient {
        self.http = reqwest::Client::builder()
            .unix_socket(path.as_path())
            .build()
            .unwrap_or_default();
        // The socket is the owner's alone and speaks plain HTTP, whatever the port speaks
        // (reqwest would start TLS on it for an https URL).
        self.tls = None;
        self.base_url = self.base_url.replacen("https://", "http://", 1);
        self.local_socket = Some(path);
        self
    }

    /// The agent's Unix socket, when this client goes through it.
    pub fn local_socket(&self) -> Option<&Path> {
        self.local_socket.as_deref()
    }

    /// Opens a byte stream to the agent for a WebSocket at `uri`.
    async fn connect(&self, uri: &http::Uri) -> std::io::Result<Box<dyn Connection>> {
        if let Some(path) = &self.local_socket {
            return Ok(Box::new(tokio::net::UnixStream::connect(path).await?));
        }
        let host = uri.host().unwrap_or("localhost").trim_matches(['[', ']']);
        let port = uri
            .port_u16()
            .unwrap_or(if self.tls.is_some() { 443 } else { 80 });
        let stream = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::TcpStream::connect((host, port)),
        )
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"))??;
        // No Nagle delay: keystrokes are single bytes that must leave at once.
        stream.set_nodelay(true)?;
        let Some(tls) = &self.tls else {
            return Ok(Box::new(stream));
        };
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        let handshake = tokio_rustls::TlsConnector::from(tls.clone()).connect(name, stream);
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, handshake)
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timed out")
            })??;
        Ok(Box::new(stream))
    }

    /// The error for an agent that did not answer at all: which address was tried, where that
    /// address came from, and how to point the CLI elsewhere.
    pub fn unreachable(&self, cause: &(dyn std::error::Error + 'static)) -> anyhow::Error {
        if let Some(error) = tls_error_in(cause) {
            return self.tls_failed(error);
        }
        let advice = match self.source {
            WorkerSource::Agents => {
                "Start it there with `perry agent run`; `perry agents list` shows how each of your agents is"
            }
            WorkerSource::Adding => {
                "Check the address, and that `perry agent run` runs there and listens on an address this machine reaches (`--host`)"
            }
            _ => {
                "Start it there with `perry agent run`, or point the CLI at another agent with \
                 `perry config worker <host[:port]>` (saved) or `--worker <host[:port]>` (this command only)"
            }
        };
        anyhow::anyhow!(
            "cannot reach the Perry agent at {} ({}): {}.\n{advice}.",
            self.base_url,
            self.source.describe(),
            perry_agent::error::innermost_cause(cause)
        )
    }

    /// The error for a TLS connection that failed, with the change that fixes it.
    fn tls_failed(&self, error: &rustls::Error) -> anyhow::Error {
        use rustls::CertificateError;
        let base_url = &self.base_url;
        let advice = match error {
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
            | rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                ..
            }) => "Use a name the certificate holds: `perry config worker https://<name>:<port>`"
                .to_owned(),
            rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) => "Renew the agent's certificate (e.g. `tailscale cert`) and restart the agent"
                .to_owned(),
            rustls::Error::InvalidCertificate(_) => {
                "If a CA of your own signed the agent's certificate, trust it with \
                 `perry config ca <file>` (or point SSL_CERT_FILE at it)"
                    .to_owned()
            }
            rustls::Error::InvalidMessage(_) => format!(
                "The agent speaks plain HTTP there: use `perry config worker {}`",
                base_url.replacen("https://", "http://", 1)
            ),
            _ => "Check the agent's certificate and key".to_owned(),
        };
        anyhow::anyhow!(
            "TLS with the Perry agent at {base_url} ({}) failed: {error}.\n{advice}.",
            self.source.describe(),
        )
    }

    /// The agent's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The WebSocket URL of `path` (with its query) on the agent.
    pub fn websocket_url(&self, path_and_query: &str) -> String {
        let base = self
            .base_url
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        format!("{base}{path_and_query}")
    }

    /// Opens a WebSocket on the agent (`/terminal/…`, `/sessions/…`) with this client's token,
    /// offering permessage-deflate. A refusal before the upgrade comes back as the agent's
    /// message.
    ///
    /// The handshake is hyper's (an HTTP/1.1 upgrade) rather than the WebSocket library's, for
    /// the refusal's body: the agent says there why (a stopped workspace, a bad token).
    pub async fn connect_websocket(&self, url: &str) -> anyhow::Result<Socket> {
        use http::header;
        let uri: http::Uri = url.parse().context("bad agent URL")?;
        let connection = self
            .connect(&uri)
            .await
            .map_err(|error| self.unreachable(&error))?;
        let key = {
            use base64ct::Encoding as _;
            base64ct::Base64::encode_string(&rand::random::<[u8; 16]>())
        };
        let mut request =
            http::Request::get(uri.path_and_query().map_or("/", |path| path.as_str()))
                .header(
                    header::HOST,
                    uri.authority()
                        .map_or("localhost", |authority| authority.as_str()),
                )
                .header(header::CONNECTION, "upgrade")
                .header(header::UPGRADE, "websocket")
                .header(header::SEC_WEBSOCKET_VERSION, "13")
                .header(header::SEC_WEBSOCKET_KEY, &key)
                .header(header::SEC_WEBSOCKET_EXTENSIONS, "permessage-deflate");
        if let Some(token) = &self.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(http_body_util::Empty::<hyper::body::Bytes>::new())
            .context("the token is not a valid header value")?;
        let (mut sender, handshake) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(connection))
                .await
                .map_err(|error| self.unreachable(&error))?;
        tokio::spawn(async move {
            if let Err(error) = handshake.with_upgrades().await {
                tracing::debug!("the WebSocket's HTTP connection ended: {error}");
            }
        });
        let mut response = sender
            .send_request(request)
            .await
            .map_err(|error| self.unreachable(&error))?;
        let status = response.status();
        if status != http::StatusCode::SWITCHING_PROTOCOLS {
            use http_body_util::BodyExt as _;
            let body = response
                .into_body()
                .collect()
                .await
                .map(|body| body.to_bytes())
                .unwrap_or_default();
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|body| body["json"]["message"].as_str().map(str::to_owned));
            match message {
                Some(message) => anyhow::bail!("{message}"),
                // A page where a socket should be: an agent from before this endpoint.
                None if status.is_success() => anyhow::bail!(
                    "the agent at {} has no WebSocket at {}: it is older than this perry ({}); upgrade it",
                    self.base_url,
                    uri.path(),
                    env!("CARGO_PKG_VERSION")
                ),
                None => anyhow::bail!("{status}"),
            }
        }
        let accepted = response
            .headers()
            .get(header::SEC_WEBSOCKET_ACCEPT)
            .is_some_and(|accept| accept.as_bytes() == accept_key(&key).as_bytes());
        if !accepted {
            anyhow::bail!(
                "the agent at {} answered the WebSocket handshake wrongly (a proxy in between?)",
                self.base_url
            );
        }
        let extensions = response
            .headers()
            .get(header::SEC_WEBSOCKET_EXTENSIONS)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let upgraded = hyper::upgrade::on(&mut response)
            .await
            .map_err(|error| self.unreachable(&error))?;
        let options = perry_agent::websocket::options(true);
        yawc::WebSocket::from_stream_with_extensions(
            yawc::HttpStream::from(hyper_util::rt::TokioIo::new(upgraded)),
            yawc::Role::Client,
            extensions.as_deref(),
            options,
        )
        .map_err(|error| anyhow::anyhow!("the agent's WebSocket handshake failed: {error}"))
    }

    /// Calls procedure `P` with `input` and decodes its output as `P`'s output type, so a field
    /// renamed in perry_api is a compile error here rather than a refusal at run time.
    pub async fn call<P: Procedure>(&self, input: &P::Input) -> Result<P::Output, CallError> {
        /// The oRPC request body; a `Void` input is `{"json": null}`, which oRPC reads as
        /// `undefined`.
        #[derive(Serialize)]
        struct Envelope<'a, T> {
            json: &'a T,
        }
        let url = format!("{}/rpc/{}", self.base_url, P::PATH);
        let mut request = self.http.post(&url).json(&Envelope { json: input });
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|error| CallError::Transport(self.unreachable(&error)))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|error| {
            CallError::NotAnAgent(format!(
                "{} answered HTTP {status} with something that is not JSON ({error}): it is not a Perry agent, or not this version's",
                self.base_url
            ))
        })?;
        let payload = body.get("json").cloned().unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(match serde_json::from_value::<RpcError>(payload) {
                Ok(error) => CallError::Rpc(error),
                Err(_) => CallError::NotAnAgent(format!(
                    "{} answered HTTP {status} without an oRPC error: it is not a Perry agent, or not this version's",
                    self.base_url
                )),
            });
        }
        serde_json::from_value(payload).map_err(|error| {
            CallError::Transport(anyhow::anyhow!(
                "unexpected reply from the agent for {}: {error}",
                P::PATH
            ))
        })
    }
}

/// The base URL of an agent given as `host`, `host:port` or a URL.
fn base_url_of(worker: &str) -> String {
    let worker = worker.trim().trim_end_matches('/');
    if worker.starts_with("http://") || worker.starts_with("https://") {
        worker.to_owned()
    } else if worker.contains(':') {
        format!("http://{worker}")
    } else {
        format!(
            "http://{worker}:{}",
            perry_agent::state::config::DEFAULT_PORT
        )
    }
}

/// The agent `--worker` (`flag`) or else `PERRY_WORKER` points this command at, if either,
/// and which of them did.
pub fn pointed_worker(flag: Option<&str>) -> Option<(String, WorkerSource)> {
    match flag {
        Some(worker) => Some((worker.to_owned(), WorkerSource::Flag)),
        None => std::env::var("PERRY_WORKER")
            .ok()
            .filter(|worker| !worker.is_empty())
            .map(|worker| (worker, WorkerSource::Environment)),
    }
}

/// The rustls error somewhere in `error`'s chain. An `io::Error` hides the error it wraps from
/// `source()` (it returns that error's own source, and hyper-rustls wraps rustls' io::Error in
/// another), so each one is opened with `get_ref` instead.
fn tls_error_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = match error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(wrapped) => Some(wrapped as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    None
}

/// The `Sec-WebSocket-Accept` a server answers `key` with (RFC 6455, section 4.2.2).
fn accept_key(key: &str) -> String {
    use base64ct::Encoding as _;
    use sha1::Digest as _;
    let mut hash = sha1::Sha1::new();
    hash.update(key.as_bytes());
    hash.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64ct::Base64::encode_string(&hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_default_agent_is_the_one_set_else_the_first_by_name() {
        let file = |default: Option<&str>| -> ClientFile {
            serde_json::from_value(json!({
                "agents": {"closet": {"url": "http://closet:7391"}, "attic": {"url": "http://attic:7391"}},
                "defaultAgent": default,
            }))
            .unwrap()
        };
        let default_of =
            |file: &ClientFile| file.default_named_agent().map(|(name, _)| name.to_owned());
        assert_eq!(default_of(&file(Some("closet"))).as_deref(), Some("closet"));
        // None set, or the one set since removed: the first by name.
        assert_eq!(default_of(&file(None)).as_deref(), Some("attic"));
        assert_eq!(default_of(&file(Some("gone"))).as_deref(), Some("attic"));
        assert_eq!(default_of(&ClientFile::default()), None);
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let client_file: ClientFile = serde_json::from_value(json!({
            "worker": "box:7391",
            "token": "client-file-token-0123",
            "apiPassword": "unknown-key-secret",
        }))
        .unwrap();
        let client = AgentClient::new(
            "box:7391",
            WorkerSource::ClientFile,
            Some("agent-client-token-0123".to_owned()),
            None,
        )
        .unwrap();
        let shown = format!("{client_file:?} {client_file:#?} {client:?} {client:#?}");
        for secret in [
            "client-file-token-0123",
            "unknown-key-secret",
            "agent-client-token-0123",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for visible in ["box:7391", "apiPassword", "<redacted>"] {
            assert!(shown.contains(visible), "{visible} missing from {shown}");
        }
    }

    #[test]
    fn an_update_keeps_what_a_person_wrote_since_the_file_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.json");
        std::fs::write(&path, r#"{"worker": "old:7391"}"#).unwrap();
        let read = ClientFile::read(dir.path()).unwrap();
        assert_eq!(read.worker.as_deref(), Some("old:7391"));
        // By hand, after the CLI read the file.
        std::fs::write(
            &path,
            r#"{"worker": "old:7391", "token": "t-by-hand", "note": 1}"#,
        )
        .unwrap();
        ClientFile::update(dir.path(), |object| {
            object.insert("worker".to_owned(), "new:7391".into());
        })
        .unwrap();
        let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            on_disk,
            json!({"worker": "new:7391", "token": "t-by-hand", "note": 1})
        );

        let error = ClientFile::update(dir.path(), |object| {
            object.insert("token".to_owned(), 42.into());
        })
        .unwrap_err();
        assert!(format!("{error:#}").contains("client.json"), "{error:#}");
        assert_eq!(
            serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap()).unwrap(),
            on_disk,
            "an invalid change writes nothing"
        );
    }

    #[test]
    fn the_accept_key_is_rfc_6455s() {
        // The example of RFC 6455, section 1.3.
        assert_eq!(
            super::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
