//! Port forwards: the agent listens on a host port and relays every connection to a port of a
//! workspace container, reached at the container's address on Perry's network. As with
//! `coder port-forward` or DevPod, the container is never recreated to publish a port.
//!
//! The forwards a user asked for live in state.json (`ports.forwards` of each workspace); this
//! module holds what runs: one listener task per forward while its workspace runs, and the
//! connections of each forward in that task's [`JoinSet`], so closing a forward (remove, stop,
//! delete, agent shutdown) closes its connections too. The workspace service decides when.
//!
//! A connection costs no Docker call: the container's address comes from the agent's live view
//! of its containers ([`ContainerView`]). A forward relays at most
//! [`MAX_CONNECTIONS_PER_FORWARD`] connections at once; more are closed as soon as they come.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use perry_api::{PortForward, PortForwardStatus, PortRange, Workspace};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::containers::ContainerView;
use crate::error::ApiError;

/// How long a relayed connection waits for the workspace to accept it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How far above a taken port the agent looks for a free one to suggest.
const SUGGESTION_SPAN: u16 = 100;
/// How long the accept loop rests after a failed accept (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Connections one forward relays at once; each holds two sockets and two copy buffers.
pub const MAX_CONNECTIONS_PER_FORWARD: usize = 256;

/// What the forwarder needs from the agent's configuration.
#[derive(Debug, Clone)]
pub struct ForwardSettings {
    /// The address the agent listens on; forwards listen there too.
    pub host: String,
    /// SSH ports of workspaces come from here, so forwards may not.
    pub ssh_port_range: PortRange,
}

/// Where a forward's connections go: a workspace container on Perry's network.
#[derive(Debug, Clone)]
pub struct ForwardTarget {
    pub workspace: String,
    pub container: String,
    pub network: String,
    /// Where each connection reads the container's address now (it changes when the container
    /// is recreated).
    pub containers: Arc<ContainerView>,
}

/// The host ports a forward may not take: the agent's own and the SSH range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardRules {
    pub agent_port: u16,
    pub ssh_port_range: PortRange,
}

impl ForwardRules {
    /// Why `host_port` may not be forwarded at all, if it may not.
    fn refuse(&self, host_port: u16) -> Option<ApiError> {
        let range = self.ssh_port_range;
        if host_port == self.agent_port {
            return Some(ApiError::Conflict(format!(
                "Host port {host_port} is the Perry agent's own port; pick another"
            )));
        }
        if (range.start..=range.end).contains(&host_port) {
            return Some(ApiError::BadRequest(format!(
                "Host port {host_port} is in the SSH port range {}-{} of workspaces (sshPortRange in config.json); pick another",
                range.start, range.end
            )));
        }
        None
    }

    /// Whether `port` is one to suggest instead of a taken one.
    fn allows(&self, port: u16) -> bool {
        port != 0 && self.refuse(port).is_none()
    }
}

/// Checks forwards asked for `workspace` against the rules and the forwards of every workspace
/// in `workspaces`: no port 0, no host port twice, none of the agent's or SSH ports, none another
/// workspace forwards. A host port `workspace` forwards already is fine: it gets the new target.
pub fn check_forwards(
    requested: &[PortForward],
    workspace: &str,
    rules: &ForwardRules,
    workspaces: &BTreeMap<String, Workspace>,
) -> Result<(), ApiError> {
    let mut seen = BTreeSet::new();
    for forward in requested {
        if forward.host_port == 0 || forward.workspace_port == 0 {
            return Err(ApiError::BadRequest(
                "Port 0 cannot be forwarded; give ports from 1 to 65535".to_owned(),
            ));
        }
        if !seen.insert(forward.host_port) {
            return Err(ApiError::BadRequest(format!(
                "Host port {} is given twice; forward it once",
                forward.host_port
            )));
        }
        if let Some(refusal) = rules.refuse(forward.host_port) {
            return Err(refusal);
        }
        for other in workspaces.values().filter(|other| other.name != workspace) {
            if other.ports.ssh == forward.host_port {
                return Err(ApiError::Conflict(format!(
                    "Host port {} is the SSH port of workspace {:?}; pick another",
                    forward.host_port, other.name
                )));
            }
            if let Some(taken) = other
                .ports
                .forwards
                .iter()
                .find(|taken| taken.host_port == forward.host_port)
            {
                return Err(ApiError::Conflict(format!(
                    "Host port {} is already forwarded to workspace {:?} (port {}); remove it there first with `perry ports {} --remove {}`",
                    forward.host_port,
                    other.name,
                    taken.workspace_port,
                    other.name,
                    forward.host_port
                )));
            }
        }
    }
    Ok(())
}

/// `existing` with `requested` added; a host port in both takes the requested workspace port.
/// Sorted by host port.
pub fn merge_forwards(existing: &[PortForward], requested: &[PortForward]) -> Vec<PortForward> {
    let mut by_host_port: BTreeMap<u16, PortForward> = existing
        .iter()
        .map(|forward| (forward.host_port, *forward))
        .collect();
    for forward in requested {
        by_host_port.insert(forward.host_port, *forward);
    }
    by_host_port.into_values().collect()
}

/// One forward the agent runs or tried to run.
#[derive(Debug)]
enum Listening {
    Active(ActiveForward),
    /// The host port could not be bound when the workspace started.
    Failed(String),
}

/// A listener task and how to stop it.
#[derive(Debug)]
struct ActiveForward {
    /// The workspace port new connections go to; changed in place when a forward is updated.
    workspace_port: Arc<AtomicU16>,
    /// Dropping or sending stops the task, which closes the listener and every connection.
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl ActiveForward {
    /// Stops the listener and its connections and waits until they are closed.
    async fn close(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The running forwards of every workspace.
#[derive(Debug)]
pub struct PortForwarder {
    settings: ForwardSettings,
    /// The agent's own port, known once it listens (a test agent asks for port 0).
    agent_port: AtomicU16,
    /// Workspace name → host port → what runs there.
    forwards: Mutex<HashMap<String, BTreeMap<u16, Listening>>>,
}

impl PortForwarder {
    /// A forwarder with nothing forwarded yet. Connections find their container through the
    /// [`ForwardTarget`]'s view, not through `_docker`, which is still taken so that the agent's
    /// wiring (server.rs) did not have to change with this.
    pub fn new(settings: ForwardSettings) -> PortForwarder {
        PortForwarder {
            settings,
            agent_port: AtomicU16::new(0),
            forwards: Mutex::new(HashMap::new()),
        }
    }

    /// Records the port the agent listens on, which no forward may take.
    pub fn set_agent_port(&self, port: u16) {
        self.agent_port.store(port, Ordering::Relaxed);
    }

    /// The host ports forwards may not take.
    pub fn rules(&self) -> ForwardRules {
        ForwardRules {
            agent_port: self.agent_port.load(Ordering::Relaxed),
            ssh_port_range: self.settings.ssh_port_range,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, BTreeMap<u16, Listening>>> {
        self.forwards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Listens on the forward's host port; a port another process holds is a CONFLICT that
    /// suggests a free one.
    pub async fn bind(&self, forward: PortForward) -> Result<TcpListener, ApiError> {
        let host = self.settings.host.as_str();
        let port = forward.host_port;
        match TcpListener::bind((host, port)).await {
            Ok(listener) => Ok(listener),
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
                let suggestion = match self.free_port_above(port) {
                    Some(free) => format!("pick another with {free}:{}", forward.workspace_port),
                    None => "pick another".to_owned(),
                };
                Err(ApiError::Conflict(format!(
                    "Host port {port} is in use by another process; {suggestion}"
                )))
            }
            Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(ApiError::BadRequest(format!(
                    "The agent may not listen on host port {port} (ports below 1024 need root); pick one from 1024 up"
                )))
            }
            Err(error) => Err(ApiError::Internal(
                anyhow::Error::new(error).context(format!("cannot listen on {host}:{port}")),
            )),
        }
    }

    /// The first port above `port` that the rules allow and nothing on the host listens on.
    fn free_port_above(&self, port: u16) -> Option<u16> {
        let rules = self.rules();
        let forwarded: BTreeSet<u16> = self
            .lock()
            .values()
            .flat_map(|forwards| forwards.keys().copied())
            .collect();
        (port.saturating_add(1)..=port.saturating_add(SUGGESTION_SPAN))
            .filter(|candidate| rules.allows(*candidate) && !forwarded.contains(candidate))
            .find(|candidate| {
                std::net::TcpListener::bind((self.settings.host.as_str(), *candidate)).is_ok()
            })
    }

    /// Whether the agent listens on `host_port` for `workspace` now.
    pub fn is_active(&self, workspace: &str, host_port: u16) -> bool {
        self.lock()
            .get(workspace)
            .and_then(|forwards| forwards.get(&host_port))
            .is_some_and(|listening| matches!(listening, Listening::Active(_)))
    }

    /// Sends new connections of an active forward to `forward.workspace_port`; returns whether
    /// the forward was active.
    pub fn retarget(&self, workspace: &str, forward: PortForward) -> bool {
        match self
            .lock()
            .get(workspace)
            .and_then(|forwards| forwards.get(&forward.host_port))
        {
            Some(Listening::Active(active)) => {
                active
                    .workspace_port
                    .store(forward.workspace_port, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Starts relaying connections from `listener` (bound by [`PortForwarder::bind`]) to the
    /// target.
    pub fn serve(&self, target: &ForwardTarget, forward: PortForward, listener: TcpListener) {
        let workspace_port = Arc::new(AtomicU16::new(forward.workspace_port));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(
            listener,
            target.clone(),
            workspace_port.clone(),
            stopped,
        ));
        let replaced = self
            .lock()
            .entry(target.workspace.clone())
            .or_default()
            .insert(
                forward.host_port,
                Listening::Active(ActiveForward {
                    workspace_port,
                    stop,
                    task,
                }),
            );
        if let Some(Listening::Active(old)) = replaced {
            // Callers retarget active forwards instead; dropping the sender still stops it.
            tracing::warn!(
                "host port {} was served twice for {:?}",
                forward.host_port,
                target.workspace
            );
            drop(old);
        }
    }

    /// Makes the running forwards of a workspace exactly `forwards`: binds those not bound yet,
    /// retargets the bound ones and closes the rest. A port that cannot be bound is recorded with
    /// its error and does not stop the others.
    pub async fn bind_all(&self, target: &ForwardTarget, forwards: &[PortForward]) {
        let wanted: BTreeSet<u16> = forwards.iter().map(|forward| forward.host_port).collect();
        let stale: Vec<u16> = self
            .lock()
            .get(&target.workspace)
            .map(|running| {
                running
                    .keys()
                    .copied()
                    .filter(|port| !wanted.contains(port))
                    .collect()
            })
            .unwrap_or_default();
        self.close(&target.workspace, &stale).await;
        for forward in forwards {
            if self.retarget(&target.workspace, *forward) {
                continue;
            }
            match self.bind(*forward).await {
                Ok(listener) => self.serve(target, *forward, listener),
                Err(error) => {
                    tracing::warn!(
                        "cannot forward host port {} to {}:{}: {error}",
                        forward.host_port,
                        target.workspace,
                        forward.workspace_port
                    );
                    self.lock()
                        .entry(target.workspace.clone())
                        .or_default()
                        .insert(forward.host_port, Listening::Failed(error.to_string()));
                }
            }
        }
    }

    /// Stops forwarding `host_ports` of `workspace`; returns once their listeners and
    /// connections are closed.
    pub async fn close(&self, workspace: &str, host_ports: &[u16]) {
        let closing: Vec<Listening> = {
            let mut all = self.lock();
            let Some(running) = all.get_mut(workspace) else {
                return;
            };
            let closing = host_ports
                .iter()
                .filter_map(|port| running.remove(port))
                .collect();
            if running.is_empty() {
                all.remove(workspace);
            }
            closing
        };
        close_all(closing).await;
    }

    /// Stops every forward of `workspace` (it stops or goes away).
    pub async fn close_workspace(&self, workspace: &str) {
        let closing = self.lock().remove(workspace).unwrap_or_default();
        close_all(closing.into_values().collect()).await;
    }

    /// Stops every forward of every workspace: the agent is shutting down. state.json keeps
    /// them for the next start.
    pub async fn shut_down(&self) {
        let closing: Vec<Listening> = self
            .lock()
            .drain()
            .flat_map(|(_, forwards)| forwards.into_values())
            .collect();
        close_all(closing).await;
    }

    /// The stored `forwards` of `workspace` with whether each runs now.
    /// The forwards of `workspace` with whether each listens now, and the label of its
    /// workspace port in `labels`.
    pub fn statuses(
        &self,
        workspace: &str,
        forwards: &[PortForward],
        labels: &std::collections::BTreeMap<u16, String>,
    ) -> Vec<PortForwardStatus> {
        let all = self.lock();
        let running = all.get(workspace);
        forwards
            .iter()
            .map(|forward| {
                let listening = running.and_then(|running| running.get(&forward.host_port));
                PortForwardStatus {
                    host_port: forward.host_port,
                    workspace_port: forward.workspace_port,
                    active: matches!(listening, Some(Listening::Active(_))),
                    error: match listening {
                        Some(Listening::Failed(error)) => Some(error.clone()),
                        _ => None,
                    },
                    label: labels.get(&forward.workspace_port).cloned(),
                }
            })
            .collect()
    }
}

async fn close_all(closing: Vec<Listening>) {
    for listening in closing {
        if let Listening::Active(active) = listening {
            active.close().await;
        }
    }
}

/// Accepts connections until told to stop, then closes the listener and every connection.
/// Past [`MAX_CONNECTIONS_PER_FORWARD`] open ones, a new connection is closed at once; that is
/// logged once per burst.
async fn accept_loop(
    listener: TcpListener,
    target: ForwardTarget,
    workspace_port: Arc<AtomicU16>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    let mut refused: u64 = 0;
    loop {
        tokio::select! {
            // A stop message or a dropped sender: either way this forward is over.
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((client, peer)) => {
                    while connections.try_join_next().is_some() {}
                    if connections.len() >= MAX_CONNECTIONS_PER_FORWARD {
                        drop(client);
                        if refused == 0 {
                            tracing::warn!(
                                "forward of {}:{} has {MAX_CONNECTIONS_PER_FORWARD} connections open: closing new ones until some end",
                                target.workspace,
                                workspace_port.load(Ordering::Relaxed)
                            );
                        }
                        refused += 1;
                        continue;
                    }
                    if refused > 0 {
                        tracing::info!(
                            "forward of {}:{} takes connections again ({refused} closed meanwhile)",
                            target.workspace,
                            workspace_port.load(Ordering::Relaxed)
                        );
                        refused = 0;
                    }
                    let port = workspace_port.load(Ordering::Relaxed);
                    connections.spawn(relay(client, peer, target.clone(), port));
                }
                Err(error) => {
                    tracing::warn!("accepting a forwarded connection failed: {error}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Relays one connection to the workspace container's `port`, where the container is now: it
/// moves when the container is recreated.
async fn relay(mut client: TcpStream, peer: SocketAddr, target: ForwardTarget, port: u16) {
    set_nodelay(&client);
    let connect = target
        .containers
        .connect(&target.container, &target.network, port);
    let mut upstream = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(Some(upstream))) => upstream,
        Ok(Ok(None)) => {
            tracing::debug!(
                "connection from {peer} to {}:{port}: the workspace is not running",
                target.workspace
            );
            return;
        }
        Ok(Err(error)) => {
            tracing::debug!(
                "connection from {peer} to {}:{port} closed: {error}",
                target.workspace
            );
            return;
        }
        Err(_) => {
            tracing::debug!(
                "connection from {peer} to {}:{port} closed: no answer within {} s",
                target.workspace,
                CONNECT_TIMEOUT.as_secs()
            );
            return;
        }
    };
    if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
        tracing::debug!(
            "connection from {peer} to {}:{port} ended: {error}",
            target.workspace
        );
    }
}

/// Small writes (keystrokes, dev-server pushes) leave at once.
fn set_nodelay(stream: &TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!("cannot set TCP_NODELAY: {error}");
    }
}

#[cfg(test)]
mod tests {
    use perry_api::{WorkspacePorts, WorkspaceStatus};

    use super::*;

    const RULES: ForwardRules = ForwardRules {
        agent_port: 7391,
        ssh_port_range: PortRange {
            start: 2200,
            end: 2299,
        },
    };

    fn forward(host_port: u16, workspace_port: u16) -> PortForward {
        PortForward {
            host_port,
            workspace_port,
        }
    }

    fn workspace(name: &str, ssh: u16, forwards: Vec<PortForward>) -> Workspace {
        Workspace {
            name: name.to_owned(),
            status: WorkspaceStatus::Running,
            container_id: None,
            created: "2026-01-01T00:00:00Z".to_owned(),
            image: "workspace-base".to_owned(),
            ports: WorkspacePorts {
                ssh,
                forwards,
                labels: Default::default(),
            },
            error: None,
            clone: None,
            limits: None,
            post_start: None,
            last_used: None,
            progress: None,
            devcontainer: None,
        }
    }

    fn workspaces() -> BTreeMap<String, Workspace> {
        BTreeMap::from([
            (
                "bench".to_owned(),
                workspace("bench", 2200, vec![forward(8080, 5173)]),
            ),
            (
                "other".to_owned(),
                workspace("other", 2201, vec![forward(3000, 3000)]),
            ),
        ])
    }

    fn refusal(requested: &[PortForward]) -> ApiError {
        check_forwards(requested, "bench", &RULES, &workspaces())
            .expect_err("the forwards are refused")
    }

    #[test]
    fn free_ports_and_the_workspaces_own_host_ports_are_accepted() {
        check_forwards(
            &[forward(8080, 3000), forward(9000, 9000)],
            "bench",
            &RULES,
            &workspaces(),
        )
        .unwrap();
    }

    #[test]
    fn port_zero_is_a_bad_request() {
        for requested in [forward(0, 80), forward(8081, 0)] {
            assert!(
                matches!(refusal(&[requested]), ApiError::BadRequest(ref message) if message.contains("Port 0")),
                "{requested:?}"
            );
        }
    }

    #[test]
    fn a_host_port_given_twice_is_a_bad_request() {
        let error = refusal(&[forward(8081, 1), forward(8081, 2)]);
        assert!(
            matches!(error, ApiError::BadRequest(ref message) if message.contains("given twice")),
            "{error}"
        );
    }

    #[test]
    fn the_agents_port_and_the_ssh_range_are_refused() {
        let error = refusal(&[forward(7391, 80)]);
        assert!(
            matches!(error, ApiError::Conflict(ref message) if message.contains("agent's own port")),
            "{error}"
        );
        let error = refusal(&[forward(2250, 22)]);
        assert!(
            matches!(error, ApiError::BadRequest(ref message) if message.contains("SSH port range 2200-2299")),
            "{error}"
        );
    }

    #[test]
    fn a_host_port_of_another_workspace_is_a_conflict_naming_it() {
        let error = refusal(&[forward(3000, 3000)]);
        assert!(
            matches!(error, ApiError::Conflict(ref message)
                if message.contains("already forwarded to workspace \"other\"")
                    && message.contains("perry ports other --remove 3000")),
            "{error}"
        );
        let mut outside_range = workspaces();
        outside_range.get_mut("other").unwrap().ports.ssh = 2400;
        let error = check_forwards(&[forward(2400, 22)], "bench", &RULES, &outside_range)
            .expect_err("another workspace's SSH port is refused");
        assert!(matches!(error, ApiError::Conflict(_)), "{error}");
    }

    #[test]
    fn merging_updates_the_workspace_port_of_a_forwarded_host_port_and_sorts() {
        assert_eq!(
            merge_forwards(
                &[forward(8080, 5173), forward(3000, 3000)],
                &[forward(8080, 4000), forward(1234, 1234)]
            ),
            [
                forward(1234, 1234),
                forward(3000, 3000),
                forward(8080, 4000)
            ]
        );
    }

    #[tokio::test]
    async fn a_host_port_another_process_holds_is_a_conflict_suggesting_a_free_one() {
        let forwarder = PortForwarder::new(ForwardSettings {
            host: "127.0.0.1".to_owned(),
            ssh_port_range: RULES.ssh_port_range,
        });
        let held = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        let error = forwarder
            .bind(forward(port, 5173))
            .await
            .expect_err("a held port cannot be bound");
        let ApiError::Conflict(message) = error else {
            panic!("expected a conflict, got {error:?}");
        };
        let prefix = format!("Host port {port} is in use by another process; pick another with ");
        let suggestion = message
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(":5173"))
            .unwrap_or_else(|| panic!("{message}"));
        let suggested: u16 = suggestion.parse().unwrap();
        assert!(suggested > port, "{message}");
        drop(held);
        let listener = forwarder.bind(forward(port, 5173)).await.unwrap();
        assert_eq!(listener.local_addr().unwrap().port(), port);
    }
}
