//! Startup, the HTTP router and graceful shutdown of the agent.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::routing::{any, get};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

use crate::Agent;
use crate::auth::{self, AuthSettings};
use crate::guard;
use crate::peers;
use crate::ports::{ForwardSettings, PortForwarder};
use crate::rpc;
use crate::sessions::{self, SessionHub};
use crate::state::config::TlsFiles;
use crate::state::{ConfigFile, StateStore};
use crate::terminal::{self, TerminalManager, TerminalSettings};
use crate::tls::{self, ServerTls, TlsListener};
use crate::web::{self, WebFiles};
use crate::workspace::{WorkspaceService, WorkspaceSettings};

/// How `perry agent run` was asked to run.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    pub config_dir: PathBuf,
    pub host: String,
    /// Overrides `port` from config.json.
    pub port: Option<u16>,
    /// Serve without a token (explicit opt-out, warned about).
    pub no_auth: bool,
    /// The perry-worker binary to copy into workspaces.
    pub worker_binary: Option<PathBuf>,
    /// Where the web UI comes from.
    pub web: WebFiles,
    /// Serve HTTPS with these files (`--tls-cert/--tls-key`); else config.json's `tls`, else HTTP.
    pub tls: Option<TlsFiles>,
}

/// A started agent: its address, its state, and the server task.
pub struct RunningAgent {
    pub address: SocketAddr,
    pub agent: Arc<Agent>,
    pub token: String,
    /// The certificate the port serves HTTPS with; `None`: plain HTTP.
    pub tls: Option<Arc<ServerTls>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// Reconciliation and Docker-in-Docker detection at startup.
    startup: tokio::task::JoinHandle<()>,
    _instance_lock: std::fs::File,
}

impl RunningAgent {
    /// Waits until the server has shut down (SIGINT, SIGTERM or `agent.kill`).
    /// The startup work is awaited too, so no probe container is left half made.
    pub async fn wait(self) -> anyhow::Result<()> {
        let served = self.server.await.context("the server task failed")?;
        let _ = self.startup.await;
        served
    }
}

/// Starts the agent and serves until a signal or `agent.kill`.
pub async fn run(options: AgentOptions) -> anyhow::Result<()> {
    start(options).await?.wait().await
}

/// Loads config and state, binds the port and starts serving in the background.
pub async fn start(options: AgentOptions) -> anyhow::Result<RunningAgent> {
    std::fs::create_dir_all(&options.config_dir)
        .with_context(|| format!("cannot create config dir {}", options.config_dir.display()))?;
    let instance_lock = lock_instance(&options.config_dir)?;
    let config = ConfigFile::load_or_create(&options.config_dir)?;
    let token = config.token().to_owned();
    // A missing file or a key that is not the certificate's stops the start, before anything
    // is bound or made.
    let tls_files = options.tls.clone().or_else(|| {
        config
            .tls
            .as_ref()
            .map(|files| tls::resolve_in(files, &options.config_dir))
    });
    let tls = match tls_files {
        Some(files) => Some(Arc::new(ServerTls::load(&files)?)),
        None => None,
    };
    let state = Arc::new(StateStore::open(&options.config_dir)?);
    let engine = crate::engine::from_config(&config.engine).await?;
    let settings = WorkspaceSettings {
        prefix: config.workspace_prefix.clone(),
        image: config.image_tag.clone(),
        ssh_port_range: config.ssh_port_range,
        ready_timeout: Duration::from_secs(config.ready_timeout_seconds),
        worker_binary: options.worker_binary.clone(),
        authorized_keys: host_public_keys(),
        config_dir: options.config_dir.clone(),
        host_home: std::env::var_os("HOME").map(PathBuf::from),
        limits: crate::limits::default_limits(config.limits),
    };
    let terminals = Arc::new(TerminalManager::new(
        engine.clone(),
        TerminalSettings {
            grace: Duration::from_secs(config.terminal_grace_seconds),
            buffer_bytes: config.terminal_buffer_bytes,
        },
    ));
    let sessions = Arc::new(SessionHub::new(engine.clone(), state.clone()));
    let ports = Arc::new(PortForwarder::new(ForwardSettings {
        host: options.host.clone(),
        ssh_port_range: config.ssh_port_range,
    }));
    let workspaces = WorkspaceService::new(
        engine.clone(),
        state,
        terminals.clone(),
        sessions.clone(),
        settings,
        ports,
    );
    if options.no_auth {
        tracing::warn!(
            "authentication is OFF (--no-auth): anyone who can reach this port controls your workspaces"
        );
    }
    let port = options.port.unwrap_or(config.port);
    let agent = Arc::new(Agent {
        config_dir: options.config_dir.clone(),
        auth: AuthSettings::new(!options.no_auth, &token),
        auth_failures: Default::default(),
        // A name the certificate holds is this machine's (it has the key), as `--host` is.
        hosts: crate::guard::KnownHosts::new(&options.host)
            .also_named(tls.iter().flat_map(|tls| tls.names())),
        config: Mutex::new(Arc::new(config)),
        engine,
        workspaces,
        list_reply: Default::default(),
        terminals,
        sessions,
        notifications: Default::default(),
        web: options.web.clone(),
        started: Instant::now(),
        shutdown: tokio::sync::Notify::new(),
    });
    crate::notifications::spawn_dispatcher(&agent);

    let listener = TcpListener::bind((options.host.as_str(), port))
        .await
        .with_context(|| format!("cannot listen on {}:{port}", options.host))?;
    let address = listener.local_addr()?;
    let listener = match &tls {
        Some(tls) => {
            tracing::info!(
                "listening on https://{address} (TLS is on: certificate {} for {})",
                tls.cert_path().display(),
                if tls.names().is_empty() {
                    "no DNS name".to_owned()
                } else {
                    tls.names().join(", ")
                }
            );
            PublicListener::Tls(TlsListener::new(listener, tls)?)
        }
        None => {
            tracing::info!("listening on http://{address}");
            PublicListener::Plain(listener)
        }
    };
    agent
        .workspaces
        .port_forwarder()
        .set_agent_port(address.port());

    // Every container seen starting gets this agent's worker, those running now included.
    let mut started = agent.workspaces.containers_started();
    let workers = agent.clone();
    tokio::spawn(async move {
        loop {
            match started.recv().await {
                Ok(container) => workers.workspaces.container_started(&container).await,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!("{missed} container starts were not checked for their worker")
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    agent.workspaces.watch_containers();
    let background = agent.clone();
    let startup = tokio::spawn(async move {
        match background.workspaces.list().await {
            Ok(workspaces) => {
                tracing::info!("reconciled {} workspace(s) with Docker", workspaces.len());
                for workspace in workspaces.iter() {
                    if workspace.status == perry_api::WorkspaceStatus::Running {
                        // Forwards are state; their listeners died with the last agent.
                        background
                            .workspaces
                            .restore_forwards(&workspace.name)
                            .await;
                    }
                }
            }
            Err(error) => tracing::warn!("could not reconcile with Docker at startup: {error}"),
        }
        background.workspaces.detect_dind_mode_in_background().await;
    });

    let local_socket = bind_local_socket(&options.config_dir);
    let app = router(agent.clone());
    let shutdown_agent = agent.clone();
    let server = tokio::spawn(async move {
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let local = local_socket.map(|(listener, path)| {
            let mut stopped = stopped.clone();
            let app = app.clone().layer(axum::Extension(auth::LocalClient));
            let server =
                axum::serve(listener, app.into_make_service()).with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stopped| *stopped).await;
                });
            (tokio::spawn(server.into_future()), path)
        });
        let shutdown = async move {
            shutdown_signal(shutdown_agent).await;
            stopping.send_replace(true);
        };
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        let served = match listener {
            PublicListener::Plain(listener) => {
                let listener = listener.tap_io(|stream| crate::tune_connection(stream));
                axum::serve(listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            PublicListener::Tls(listener) => {
                // The TLS listener tunes connections before the handshake. `tap_io` is here for
                // the peer address: axum hands any TapIo listener's address to ConnectInfo
                // (the auth throttle counts by it).
                axum::serve(listener.tap_io(|_| {}), service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        }
        .context("the HTTP server failed");
        if let Some((local, path)) = local {
            let _ = local.await;
            let _ = std::fs::remove_file(path);
        }
        served?;
        tracing::info!("agent stopped");
        Ok(())
    });
    Ok(RunningAgent {
        address,
        agent,
        token,
        tls,
        server,
        startup,
        _instance_lock: instance_lock,
    })
}

/// What the agent's port accepts connections with.
enum PublicListener {
    Plain(TcpListener),
    Tls(TlsListener),
}

/// The agent's routes.
pub fn router(agent: Arc<Agent>) -> Router {
    use axum::middleware::from_fn_with_state;
    let api = Router::new()
        .route("/rpc/{*path}", any(rpc::handle))
        .route("/peers/{peer}/rpc/{*path}", any(peers::relay))
        .route_layer(from_fn_with_state(agent.clone(), auth::require_token))
        // Outside the token check: a browser's preflight carries no token.
        .layer(cors_for_allowed_origins(agent.clone()));
    let sockets = Router::new()
        .route("/terminal/{workspace}", get(terminal::socket::handle))
        .route("/sessions/{workspace}", get(sessions::socket::handle))
        .route("/events", get(sessions::events::handle))
        .route("/peers/{peer}/events", get(peers::relay))
        .route("/peers/{peer}/terminal/{workspace}", get(peers::relay))
        .route("/peers/{peer}/sessions/{workspace}", get(peers::relay))
        .route_layer(from_fn_with_state(
            agent.clone(),
            auth::require_token_or_query,
        ));
    // Outermost on what can act: another site's page is refused before anything else.
    let actions = api.merge(sockets).layer(from_fn_with_state(
        agent.clone(),
        guard::require_allowed_origin,
    ));
    let web_files = agent.web.clone();
    let web = Router::new()
        .fallback(move |method, uri, headers| web::serve(web_files.clone(), method, uri, headers))
        .layer(CompressionLayer::new());
    Router::new()
        .route("/health", get(health))
        .merge(actions)
        .merge(web)
        .layer(from_fn_with_state(agent.clone(), guard::require_known_host))
        .with_state(agent)
}

/// Lets pages served elsewhere call `/rpc` when config.json's `allowedOrigins` lists their
/// origin (the phone app's web build, a dev server); every other origin gets no CORS headers, so
/// browsers keep other sites' pages from reading answers. The token is still required.
fn cors_for_allowed_origins(agent: Arc<Agent>) -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
            agent
                .allowed_origins()
                .iter()
                .any(|allowed| allowed.trim_end_matches('/') == origin)
        }))
        .allow_methods([Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// The local socket's file name in the config dir.
pub const LOCAL_SOCKET: &str = "agent.sock";

/// Listens on `<config dir>/agent.sock` as well: the CLI on this machine talks to its agent
/// through it, as the docker CLI does to dockerd. A Unix socket skips the loopback TCP stack
/// (and Docker's iptables rules on it), which is a third of what the agent adds to a keystroke's
/// echo. The file is the owner's alone (0600), and that is its authentication, as with
/// docker.sock: requests through it need no token, so the CLI here outlives a token rotated
/// from the web UI ([`auth::LocalClient`]). Without it (a path
/// too long for a socket, a file system that has none) the agent serves on TCP only.
fn bind_local_socket(config_dir: &Path) -> Option<(tokio::net::UnixListener, PathBuf)> {
    use std::os::unix::fs::PermissionsExt;
    let path = config_dir.join(LOCAL_SOCKET);
    // Left by an agent that was killed; the instance lock says none is running now.
    let _ = std::fs::remove_file(&path);
    let bound = tokio::net::UnixListener::bind(&path).and_then(|listener| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(listener)
    });
    match bound {
        Ok(listener) => {
            tracing::info!(
                "listening on {} (for the CLI on this machine)",
                path.display()
            );
            Some((listener, path))
        }
        Err(error) => {
            tracing::warn!(
                "cannot listen on {}: {error}; the CLI on this machine will use TCP",
                path.display()
            );
            let _ = std::fs::remove_file(&path);
            None
        }
    }
}

/// One agent per config dir: a second one would fight the first over state.json.
fn lock_instance(dir: &Path) -> anyhow::Result<std::fs::File> {
    let path = dir.join("agent.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another Perry agent is already running with config dir {}; stop it first",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// The SSH public keys of the user running the agent, for workspaces' authorized_keys.
fn host_public_keys() -> String {
    let Some(home) = std::env::var_os("HOME") else {
        return String::new();
    };
    let ssh_dir = PathBuf::from(home).join(".ssh");
    let Ok(entries) = std::fs::read_dir(&ssh_dir) else {
        return String::new();
    };
    let mut keys: Vec<String> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "pub"))
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|key| key.trim().to_owned())
        .filter(|key| !key.is_empty())
        .collect();
    keys.sort();
    keys.join("\n")
}

async fn shutdown_signal(agent: Arc<Agent>) {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match terminate.as_mut() {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => tracing::info!("SIGINT: shutting down"),
        () = terminated => tracing::info!("SIGTERM: shutting down"),
        () = agent.shutdown.notified() => {}
    }
    // Upgraded sockets are not part of the HTTP server's graceful shutdown: close them here.
    agent.sessions.shut_down();
    agent.terminals.shut_down().await;
    agent.workspaces.port_forwarder().shut_down().await;
}
