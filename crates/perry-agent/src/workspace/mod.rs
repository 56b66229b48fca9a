//! The workspace lifecycle: create, clone, start, stop, delete, list, sync, and the rebuild of
//! a workspace made from its repository's devcontainer.json.
//!
//! Every change goes through the Docker adapter and the state store, in that order of truth:
//! state.json records what the user asked for, Docker tells what runs, and [`WorkspaceService::list`]
//! reconciles the two on every call.
//!
//! Operations on one workspace are serialized by a per-name lock; operations on different
//! workspaces run side by side. A create that fails takes back everything it made.

mod clone;
mod devcontainer;
mod exec;
mod forwards;

mod name;
mod ports;
mod scripts;
pub mod sync;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perry_api::settings::{WorkerSettings, WorkspaceSyncResult};
use perry_api::worker::{WORKER_DIR, WORKER_FILE, WORKER_PATH};
use perry_api::{
    CloneOutcome, DindMode, PortRange, SyncItem, SyncOutput, Workspace, WorkspaceLimits,
    WorkspacePorts, WorkspaceProgress, WorkspaceStatus,
};
use tokio::io::AsyncReadExt;
use tokio::sync::OnceCell;

use crate::engine::{
    CREATED_LABEL, ContainerInfo, ContainerSpec, Engine, EngineError, PREFIX_LABEL, SSH_PORT_LABEL,
    WORKSPACE_LABEL,
};
use crate::error::ApiError;
use crate::limits;
use crate::ports::PortForwarder;
use crate::sessions::SessionHub;
use crate::state::{ConfigFile, StateStore};
use crate::terminal::TerminalManager;

pub use crate::containers::ContainerView;
pub(crate) use exec::{check_exec_input, logs_since};
pub use name::{NAME_RULE, validate_name};
pub use ports::{allocate_port, host_port_is_free};

/// How long `docker stop` waits before it kills: the inner dockerd needs a moment to stop.
/// The inner dockerd gives its own containers 10 s, so the outer stop waits longer than that.
const STOP_GRACE: Duration = Duration::from_secs(30);
/// How long after a workspace's `lastUsed` another use is not written down.
const LAST_USED_QUIET: Duration = Duration::from_secs(60);
/// How often readiness is probed while a workspace starts.
const READY_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What the workspace service needs from the agent's configuration.
#[derive(Debug, Clone)]
pub struct WorkspaceSettings {
    /// Prepended to every Docker object name, e.g. `workspace-`.
    pub prefix: String,
    /// The image new workspaces run unless the create call names another.
    pub image: String,
    pub ssh_port_range: PortRange,
    /// How long a starting workspace gets to have dockerd and sshd answer.
    pub ready_timeout: Duration,
    /// The perry-worker binary to copy into workspaces, if there is one.
    pub worker_binary: Option<PathBuf>,
    /// Public keys authorized to SSH into workspaces as `workspace`.
    pub authorized_keys: String,
    /// Where config.json is: its `credentials` are read anew on every sync.
    pub config_dir: PathBuf,
    /// The home of the user running the agent: its `~/.gitconfig` and `~/.ssh/*.pub` are synced.
    pub host_home: Option<PathBuf>,
    /// The limits of a new workspace where its create names none ([`limits::default_limits`]).
    pub limits: WorkspaceLimits,
}

/// How long the worker check of a container seen starting may take.
const WORKER_CHECK_PATIENCE: Duration = Duration::from_secs(60);

/// Creates and runs workspaces.
#[derive(Debug)]
pub struct WorkspaceService {
    engine: Arc<dyn Engine>,
    state: Arc<StateStore>,
    terminals: Arc<TerminalManager>,
    sessions: Arc<SessionHub>,
    settings: WorkspaceSettings,
    /// The host ports forwarded into workspaces, bound while they run.
    ports: Arc<PortForwarder>,
    worker_binary: Option<Arc<Vec<u8>>>,
    /// The worker binary's SHA-256 in hex, to tell whether a workspace has this agent's.
    worker_sha256: Option<String>,
    dind_mode: OnceCell<DindMode>,
    /// This agent's containers, kept current by Docker's events.
    containers: Arc<ContainerView>,
    name_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Workspaces whose create, clone or start is running now: they show as `creating`, with
    /// the step it is at when it says.
    busy: Mutex<Busy>,
    /// The last list made, for the next call that finds nothing changed.
    listed: Mutex<Option<Listed>>,
}

/// A list of the workspaces and what it was made from. The same state, containers and busy
/// names make the same list, so the clients that poll it (every web UI and phone) cost a
/// pointer compare while nothing changes.
#[derive(Debug)]
struct Listed {
    state: Arc<crate::state::StateFile>,
    containers: Arc<Vec<ContainerInfo>>,
    busy: Busy,
    list: Arc<Vec<Workspace>>,
}

/// The workspaces being made or started, with the step each is at, if it told one.
type Busy = HashMap<String, Option<WorkspaceProgress>>;

/// The Docker objects a create has made so far, so a rollback removes exactly those.
#[derive(Debug, Default)]
struct MadeObjects {
    container: Option<String>,
    volumes: Vec<String>,
}

/// Removes the name from the busy set when the operation ends, however it ends.
struct BusyGuard<'a> {
    service: &'a WorkspaceService,
    name: String,
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        lock(&self.service.busy).remove(&self.name);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl WorkspaceService {
    /// A service over `docker` and `state` with `settings`.
    pub fn new(
        engine: Arc<dyn Engine>,
        state: Arc<StateStore>,
        terminals: Arc<TerminalManager>,
        sessions: Arc<SessionHub>,
        settings: WorkspaceSettings,
        ports: Arc<PortForwarder>,
    ) -> WorkspaceService {
        let worker_binary = match &settings.worker_binary {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => Some(Arc::new(bytes)),
                Err(error) => {
                    tracing::warn!(
                        "cannot read worker binary {}: {error}; workspaces get none",
                        path.display()
                    );
                    None
                }
            },
            None => {
                tracing::warn!("no perry-worker binary found next to perry; workspaces get none");
                None
            }
        };
        let worker_sha256 = worker_binary.as_ref().map(|binary| {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(binary.as_slice()))
        });
        WorkspaceService {
            worker_sha256,
            containers: ContainerView::new(engine.clone(), settings.prefix.clone()),
            engine,
            state,
            terminals,
            sessions,
            settings,
            ports,
            worker_binary,
            dind_mode: OnceCell::new(),
            name_locks: Mutex::new(HashMap::new()),
            busy: Mutex::new(HashMap::new()),
            listed: Mutex::new(None),
        }
    }

    /// Starts following Docker's events, so listing answers from memory.
    pub fn watch_containers(&self) {
        self.containers.watch();
    }

    /// The containers seen starting (see [`ContainerView::started`]); subscribe before
    /// [`WorkspaceService::watch_containers`] to hear of those already running.
    pub fn containers_started(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.containers.started()
    }

    /// Makes the worker of a container seen starting this agent's: one the engine made anew
    /// (a pod the cluster recreated) has none, one an older agent made has an old one. After
    /// a start of the agent's own it finds the worker current and does nothing.
    ///
    /// It never waits for the workspace's lock: an operation holding it (create, start, sync)
    /// puts the worker in itself. And it gives up after [`WORKER_CHECK_PATIENCE`], so a
    /// container that stops answering holds nothing up.
    pub async fn container_started(&self, container: &str) {
        let Some(name) = container.strip_prefix(&self.settings.prefix) else {
            return;
        };
        let Ok(_serialized) = self.name_lock(name).try_lock_owned() else {
            return;
        };
        if self.state.workspace(name).is_none() {
            return;
        }
        // Connected to every running workspace's sessions, so a status change anywhere is heard.
        self.sessions.index(name, container);
        if tokio::time::timeout(
            WORKER_CHECK_PATIENCE,
            self.update_worker_if_changed(container),
        )
        .await
        .is_err()
        {
            tracing::warn!("checking the perry-worker of {container} took too long; gave up");
        }
    }

    /// state.json, for the parts of the agent that keep records there beside the workspaces.
    pub fn state(&self) -> &StateStore {
        &self.state
    }

    /// The settings this service runs with.
    pub fn settings(&self) -> &WorkspaceSettings {
        &self.settings
    }

    /// The Docker-in-Docker mode, once known.
    pub fn dind_mode(&self) -> Option<DindMode> {
        self.dind_mode.get().copied()
    }

    /// The container name of workspace `name`.
    pub fn container_name(&self, name: &str) -> String {
        format!("{}{name}", self.settings.prefix)
    }

    /// The volumes of workspace `name`, with their mount points.
    pub fn volumes(&self, name: &str) -> Vec<(String, String)> {
        let container = self.container_name(name);
        vec![
            (format!("{container}-home"), "/home/workspace".to_owned()),
            (format!("{container}-docker"), "/var/lib/docker".to_owned()),
        ]
    }

    /// The bridge network all of this agent's workspaces join.
    pub fn network_name(&self) -> String {
        format!("{}network", self.settings.prefix)
    }

    /// Holds workspace `name`'s lock: create, start, stop, delete, sync and forward changes of
    /// one workspace run one at a time.
    async fn lock_name(&self, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
        self.name_lock(name).lock_owned().await
    }

    /// Workspace `name`'s lock, made on first use.
    fn name_lock(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.name_locks)
            .entry(name.to_owned())
            .or_default()
            .clone()
    }

    /// `outcome`, once the container view has caught up with a change, so the caller of
    /// create, start, stop or delete reads its own write.
    async fn after_change<T>(&self, outcome: T) -> T {
        self.containers.refresh_after_change().await;
        outcome
    }

    /// Closes what clients have open on a workspace that stops or goes: its terminals and
    /// sessions sockets (1001 with `reason`) and its port forwards.
    async fn close_clients(&self, name: &str, reason: &str) {
        self.terminals.workspace_going_away(name, reason);
        self.sessions.forget(name, reason);
        self.ports.close_workspace(name).await;
    }

    fn mark_busy(&self, name: &str) -> BusyGuard<'_> {
        lock(&self.busy).insert(name.to_owned(), None);
        BusyGuard {
            service: self,
            name: name.to_owned(),
        }
    }

    fn prefix_labels(&self) -> HashMap<String, String> {
        HashMap::from([(PREFIX_LABEL.to_owned(), self.settings.prefix.clone())])
    }

    fn object_labels(&self, record: &Workspace) -> HashMap<String, String> {
        let mut labels = self.prefix_labels();
        labels.insert(WORKSPACE_LABEL.to_owned(), record.name.clone());
        labels.insert(CREATED_LABEL.to_owned(), record.created.clone());
        labels.insert(SSH_PORT_LABEL.to_owned(), record.ports.ssh.to_string());
        labels
    }

    /// The record of an existing workspace: 400 for a name no workspace can have, else 404.
    /// Asks only state.json, not Docker.
    pub fn require_record(&self, name: &str) -> Result<Workspace, ApiError> {
        validate_name(name)?;
        self.state
            .workspace(name)
            .ok_or_else(|| ApiError::WorkspaceNotFound(name.to_owned()))
    }

    /// The probe container's name: one fixed name per prefix, so whatever a killed agent left
    /// is found by the next.
    fn probe_name(&self) -> String {
        format!("{}dind-probe", self.settings.prefix)
    }

    /// The Docker-in-Docker mode: the one remembered for this Docker daemon, else what a probe
    /// with `image` finds (then remembered in state.json).
    async fn dind_mode_for(&self, image: &str) -> Result<DindMode, ApiError> {
        let mode = self
            .dind_mode
            .get_or_try_init(|| async {
                let daemon = self.engine.identity().await?;
                if let Some(mode) = self.state.remembered_dind_mode(&daemon) {
                    tracing::info!(
                        "Docker-in-Docker mode: {} (found earlier on this Docker daemon)",
                        dind_mode_name(mode)
                    );
                    return Ok(mode);
                }
                let mode = self
                    .engine
                    .detect_dind_mode(image, &self.probe_name(), self.prefix_labels())
                    .await?;
                tracing::info!("Docker-in-Docker mode: {}", dind_mode_name(mode));
                if let Err(error) = self.state.remember_dind_mode(&daemon, mode) {
                    tracing::warn!("cannot remember the Docker-in-Docker mode: {error:#}");
                }
                Ok::<_, ApiError>(mode)
            })
            .await?;
        Ok(*mode)
    }

    /// Finds out the Docker-in-Docker mode at startup, so `agent.info` can tell it before the
    /// first workspace is made: remembered for this daemon, else probed if the image is there.
    pub async fn detect_dind_mode_in_background(&self) {
        // The probe container of an agent killed in the middle of its probe.
        match self.engine.remove_probe(&self.probe_name()).await {
            // A Docker that does not answer is reported below.
            Ok(()) | Err(EngineError::Unavailable(_)) => {}
            Err(error) => tracing::warn!("cannot remove a probe container left behind: {error}"),
        }
        let image = self.settings.image.clone();
        let remembered = match self.engine.identity().await {
            Ok(daemon) => self.state.remembered_dind_mode(&daemon).is_some(),
            Err(_) => false,
        };
        // A remembered mode needs no image; a probe does.
        if !remembered {
            match self.engine.image_exists(&image).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(
                        "the workspace image {image:?} does not exist yet; run `perry build` before creating workspaces"
                    );
                    return;
                }
                Err(error) => {
                    tracing::warn!("{error}");
                    return;
                }
            }
        }
        if let Err(error) = self.dind_mode_for(&image).await {
            tracing::warn!("could not detect the Docker-in-Docker mode yet: {error}");
        }
    }

    /// All workspaces, with their status as Docker last reported it (see [`ContainerView`]).
    pub async fn list(&self) -> Result<Arc<Vec<Workspace>>, ApiError> {
        let containers = self.containers.containers().await?;
        let busy = lock(&self.busy).clone();
        let mut state = self.state.snapshot();
        if let Some(listed) = lock(&self.listed).as_ref()
            && Arc::ptr_eq(&listed.state, &state)
            && Arc::ptr_eq(&listed.containers, &containers)
            && listed.busy == busy
        {
            return Ok(listed.list.clone());
        }
        if self.adopt_unknown_containers(&containers, &state.workspaces, &busy)? {
            state = self.state.snapshot();
        }
        let by_name: HashMap<&str, &ContainerInfo> = containers
            .iter()
            .map(|container| (container.name.as_str(), container))
            .collect();
        let list: Arc<Vec<Workspace>> = Arc::new(
            state
                .workspaces
                .values()
                .map(|record| {
                    let container = by_name
                        .get(self.container_name(&record.name).as_str())
                        .copied();
                    self.observed(record.clone(), container, &busy)
                })
                .collect(),
        );
        *lock(&self.listed) = Some(Listed {
            state,
            containers,
            busy,
            list: list.clone(),
        });
        Ok(list)
    }

    /// Notes that a client opened a terminal in `name` now (`lastUsed`). Within a minute of
    /// the last note it is left as it is, so a client that reconnects costs no state write; a
    /// failed write only costs the note, so it is logged.
    pub fn mark_used(&self, name: &str) {
        let recent = self
            .state
            .workspace(name)
            .and_then(|record| record.last_used)
            .is_some_and(|used| crate::within_last(&used, LAST_USED_QUIET));
        if recent {
            return;
        }
        let now = crate::now_rfc3339();
        if let Err(error) = self.state.update(|state| state.mark_used(name, &now)) {
            tracing::warn!("cannot note that {name:?} was used: {error:#}");
        }
    }

    /// One workspace, with its status as Docker sees it now.
    pub async fn get(&self, name: &str) -> Result<Workspace, ApiError> {
        let record = self.require_record(name)?;
        let container = self
            .engine
            .inspect_container(&self.container_name(name))
            .await?;
        let busy = lock(&self.busy).clone();
        Ok(self.observed(record, container.as_ref(), &busy))
    }

    /// The workspace as clients see it: the recorded wish corrected by what Docker says.
    fn observed(
        &self,
        mut record: Workspace,
        container: Option<&ContainerInfo>,
        busy: &Busy,
    ) -> Workspace {
        if let Some(progress) = busy.get(&record.name) {
            record.status = WorkspaceStatus::Creating;
            record.progress = progress.clone();
            return record;
        }
        match container {
            Some(container) if container.unreachable.is_some() => {
                record.container_id = Some(container.id.clone());
                record.status = WorkspaceStatus::Unreachable;
                record.error = container.unreachable.clone();
            }
            Some(container) => {
                record.container_id = Some(container.id.clone());
                if record.status != WorkspaceStatus::Error || container.running {
                    record.status = if container.running {
                        WorkspaceStatus::Running
                    } else {
                        WorkspaceStatus::Stopped
                    };
                    record.error = None;
                }
            }
            None if record.status == WorkspaceStatus::Creating => {
                record.status = WorkspaceStatus::Error;
                record.error = Some(
                    "creation was interrupted (the agent stopped); delete the workspace and create it again"
                        .to_owned(),
                );
            }
            None => {
                record.status = WorkspaceStatus::Error;
                record.container_id = None;
                record.error = Some(
                    "its container was removed outside Perry; start the workspace to recreate it (files in /home/workspace are kept)"
                        .to_owned(),
                );
            }
        }
        record
    }

    /// Containers with this agent's labels that state.json does not know (a crash between the
    /// container's creation and the state write, or a state file moved aside) become records
    /// again, so no workspace is ever lost.
    /// Returns whether it adopted any.
    fn adopt_unknown_containers(
        &self,
        containers: &[ContainerInfo],
        known: &BTreeMap<String, Workspace>,
        busy: &Busy,
    ) -> Result<bool, ApiError> {
        let orphans: Vec<Workspace> = containers
            .iter()
            .filter_map(|container| {
                let name = container.labels.get(WORKSPACE_LABEL)?;
                if known.contains_key(name)
                    || busy.contains_key(name)
                    || container.name != self.container_name(name)
                {
                    return None;
                }
                let ssh = container.labels.get(SSH_PORT_LABEL)?.parse().ok()?;
                Some(Workspace {
                    name: name.clone(),
                    status: if container.running {
                        WorkspaceStatus::Running
                    } else {
                        WorkspaceStatus::Stopped
                    },
                    container_id: Some(container.id.clone()),
                    created: container
                        .labels
                        .get(CREATED_LABEL)
                        .cloned()
                        .unwrap_or_else(crate::now_rfc3339),
                    image: container.image.clone(),
                    ports: WorkspacePorts {
                        ssh,
                        forwards: Vec::new(),
                        labels: Default::default(),
                    },
                    error: None,
                    clone: None,
                    // Unknown: the container keeps whatever it has until it is recreated.
                    limits: None,
                    post_start: None,
                    last_used: None,
                    progress: None,
                    devcontainer: None,
                })
            })
            .collect();
        if orphans.is_empty() {
            return Ok(false);
        }
        self.state.update(|state| {
            for workspace in orphans {
                tracing::warn!(
                    "adopting workspace {:?}: its container exists but state.json did not list it",
                    workspace.name
                );
                state
                    .workspaces
                    .entry(workspace.name.clone())
                    .or_insert(workspace);
            }
        })?;
        Ok(true)
    }

    /// Creates a workspace and waits until it is ready: with a clone of a repository that has
    /// a devcontainer.json (and no image asked for), made from that config.
    pub async fn create(
        &self,
        input: perry_api::CreateWorkspaceInput,
    ) -> Result<Workspace, ApiError> {
        self.after_change(self.create_serialized(input).await).await
    }

    async fn create_serialized(
        &self,
        input: perry_api::CreateWorkspaceInput,
    ) -> Result<Workspace, ApiError> {
        let perry_api::CreateWorkspaceInput {
            name,
            image,
            clone,
            limits,
            devcontainer,
        } = input;
        let name = name.as_str();
        validate_name(name)?;
        let clone = clone
            .filter(|url| !url.trim().is_empty())
            .map(|url| clone_target(url.trim()))
            .transpose()?;
        let requested_limits = limits.unwrap_or_default();
        let limits = self.limits_for(requested_limits).await?;
        let explicit_image = image.as_ref().is_some_and(|image| !image.trim().is_empty());
        let image = image
            .filter(|image| !image.trim().is_empty())
            .unwrap_or_else(|| self.settings.image.clone());
        let _serialized = self.lock_name(name).await;
        // Checked here too, before the image check: a taken name is the answer that matters.
        if self.state.workspace(name).is_some() {
            return Err(ApiError::WorkspaceExists(name.to_owned()));
        }
        if !self.engine.image_exists(&image).await? {
            return Err(ApiError::PreconditionFailed(format!(
                "The workspace image {image:?} does not exist on this Docker host; run `perry build` on the agent's machine first"
            )));
        }
        let mode = self.dind_mode_for(&image).await?;
        let _busy = self.mark_busy(name);
        let record = self.reserve(name, &image, limits, &BTreeSet::new())?;
        let mut made = MadeObjects::default();
        let made_workspace = async {
            match clone {
                // The repository may describe its own image: cloned first, so that the
                // workspace's container is made once, from the right image.
                Some(clone) if !explicit_image && self.engine.builds_images() => {
                    self.create_from_repository(
                        record,
                        clone,
                        devcontainer.as_deref(),
                        requested_limits,
                        &mut made,
                    )
                    .await
                }
                Some(clone) => {
                    let workspace = self.provision(record, mode, &mut made).await?;
                    if workspace.status != WorkspaceStatus::Running {
                        return Ok((workspace, Vec::new()));
                    }
                    Ok((self.clone_repository(workspace, clone).await, Vec::new()))
                }
                None => Ok((self.provision(record, mode, &mut made).await?, Vec::new())),
            }
        };
        match made_workspace.await {
            Ok((workspace, hooks)) => Ok(self.start_post_start_scripts(workspace, hooks)),
            Err(error) => {
                tracing::warn!("creating workspace {name:?} failed, rolling back: {error}");
                self.roll_back(name, made).await;
                Err(error)
            }
        }
    }

    /// The limits a new workspace gets: those asked for over the defaults, checked (also
    /// against what the Docker host has) before anything is made.
    async fn limits_for(&self, requested: WorkspaceLimits) -> Result<WorkspaceLimits, ApiError> {
        limits::check_limits(&requested)
            .map_err(|why| ApiError::BadRequest(format!("Invalid limits: {why}")))?;
        let (mut effective, inherited) = limits::merge(requested, self.settings.limits);
        if let Some(why) = self.engine.no_process_limit() {
            // Asked for, it is refused; from the defaults (8192 unless configured), it is left
            // out, as the README says, rather than kept as a promise nothing holds.
            if requested.pids.is_some_and(|pids| pids != 0) {
                return Err(ApiError::InvalidField {
                    field: "limits",
                    message: format!("Invalid limits: {why}"),
                });
            }
            effective.pids = None;
        }
        if effective.cpus.is_none() && effective.memory_mb.is_none() {
            return Ok(effective);
        }
        let host = self.engine.host_resources().await?;
        limits::check_against_host(&requested.without_zeros(), &host)
            .map_err(|why| ApiError::BadRequest(format!("Invalid limits: {why}")))?;
        limits::check_against_host(&inherited, &host).map_err(|why| {
            ApiError::BadRequest(format!(
                "The default limits do not fit this Docker host: {why}; lower `limits` in the agent's config.json (and restart it), or give this workspace its own"
            ))
        })?;
        Ok(effective)
    }

    /// Records a new workspace in `creating` with a free SSH port (not one in `avoid`).
    fn reserve(
        &self,
        name: &str,
        image: &str,
        limits: WorkspaceLimits,
        avoid: &BTreeSet<u16>,
    ) -> Result<Workspace, ApiError> {
        let range = self.settings.ssh_port_range;
        let reserved = self.state.update(|state| {
            if state.workspaces.contains_key(name) {
                return Err(ApiError::WorkspaceExists(name.to_owned()));
            }
            let mut taken: BTreeSet<u16> = state.workspaces.values().map(|w| w.ports.ssh).collect();
            taken.extend(avoid);
            let Some(ssh) = allocate_port(range, &taken, host_port_is_free) else {
                return Err(ApiError::Conflict(format!(
                    "No free SSH port left in {}-{}; delete a workspace or widen sshPortRange in config.json",
                    range.start, range.end
                )));
            };
            let record = Workspace {
                name: name.to_owned(),
                status: WorkspaceStatus::Creating,
                container_id: None,
                created: crate::now_rfc3339(),
                image: image.to_owned(),
                ports: WorkspacePorts {
                    ssh,
                    forwards: Vec::new(),
                    labels: Default::default(),
                },
                error: None,
                clone: None,
                limits: Some(limits),
                post_start: None,
                last_used: None,
                progress: None,
                devcontainer: None,
            };
            state.workspaces.insert(name.to_owned(), record.clone());
            Ok(record)
        })??;
        Ok(reserved)
    }

    /// Makes the Docker objects of a reserved workspace, starts it and waits until it is ready.
    async fn provision(
        &self,
        mut record: Workspace,
        mode: DindMode,
        made: &mut MadeObjects,
    ) -> Result<Workspace, ApiError> {
        self.make_network_and_volumes(&record, made).await?;
        let mut tried_ports = BTreeSet::new();
        loop {
            let container_id = self.create_container(&record, mode, made).await?;
            record.container_id = Some(container_id.clone());
            match self.engine.start_container(&container_id).await {
                Ok(()) => break,
                Err(EngineError::PortInUse(message)) if tried_ports.len() >= 3 => {
                    tried_ports.insert(record.ports.ssh);
                    return Err(ApiError::Conflict(format!(
                        "Other processes took SSH ports {tried_ports:?} the moment the workspace started ({message}); try again, or free ports in sshPortRange"
                    )));
                }
                // Someone else took the port between our check and Docker's bind: take another.
                Err(EngineError::PortInUse(message)) => {
                    tracing::warn!(
                        "SSH port {} was taken meanwhile ({message}); trying another",
                        record.ports.ssh
                    );
                    tried_ports.insert(record.ports.ssh);
                    self.engine.remove_container(&container_id).await?;
                    made.container = None;
                    record = self.move_to_another_port(&record.name, &tried_ports)?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        let name = record.name.clone();
        let ready = self.wait_until_ready_and_sync(&record).await;
        self.record_outcome(&name, record, ready)
    }

    /// Makes the agent's network and the workspace's volumes where they are missing.
    async fn make_network_and_volumes(
        &self,
        record: &Workspace,
        made: &mut MadeObjects,
    ) -> Result<(), ApiError> {
        self.engine
            .prepare(&self.network_name(), self.prefix_labels())
            .await?;
        let labels = self.object_labels(record);
        for (volume, _) in self.volumes(&record.name) {
            // A volume that exists already is someone's data: use it, but never remove it.
            if !self.engine.volume_exists(&volume).await? {
                self.engine.create_volume(&volume, labels.clone()).await?;
                made.volumes.push(volume);
            }
        }
        Ok(())
    }

    /// Gives a reserved workspace another free SSH port (not one in `avoid`) in one state write:
    /// a crash in between never leaves its volumes without a record.
    fn move_to_another_port(
        &self,
        name: &str,
        avoid: &BTreeSet<u16>,
    ) -> Result<Workspace, ApiError> {
        let range = self.settings.ssh_port_range;
        self.state.update(|state| {
            let mut taken: BTreeSet<u16> = state.workspaces.values().map(|w| w.ports.ssh).collect();
            taken.extend(avoid);
            let Some(ssh) = allocate_port(range, &taken, host_port_is_free) else {
                return Err(ApiError::Conflict(format!(
                    "No other free SSH port left in {}-{} after {avoid:?} were taken; free ports or widen sshPortRange in config.json",
                    range.start, range.end
                )));
            };
            let record = state
                .workspaces
                .get_mut(name)
                .ok_or_else(|| ApiError::WorkspaceNotFound(name.to_owned()))?;
            record.ports.ssh = ssh;
            Ok(record.clone())
        })?
    }

    async fn create_container(
        &self,
        record: &Workspace,
        mode: DindMode,
        made: &mut MadeObjects,
    ) -> Result<String, ApiError> {
        let mut volumes = self.volumes(&record.name);
        for (volume, target, own) in self.config_volumes(&record.name, &record.image).await {
            if !self.engine.volume_exists(&volume).await? {
                let labels = if own {
                    self.object_labels(record)
                } else {
                    self.prefix_labels()
                };
                self.engine.create_volume(&volume, labels).await?;
                if own {
                    made.volumes.push(volume.clone());
                }
            }
            volumes.push((volume, target));
        }
        let spec = ContainerSpec {
            name: self.container_name(&record.name),
            hostname: record.name.clone(),
            image: record.image.clone(),
            labels: self.object_labels(record),
            env: vec![format!(
                "PERRY_SSH_AUTHORIZED_KEYS={}",
                self.settings.authorized_keys
            )],
            network: self.network_name(),
            volumes,
            ssh_host_port: record.ports.ssh,
            limits: record.limits.unwrap_or_default(),
        };
        let container_id = self.engine.create_container(&spec, mode).await?;
        made.container = Some(container_id.clone());
        self.copy_worker(&container_id).await?;
        Ok(container_id)
    }

    /// Replaces the workspace's worker when it differs from this agent's (an agent upgraded
    /// since the workspace was made). A failure only costs the sessions view, so it is logged.
    pub async fn update_worker_if_changed(&self, container: &str) {
        match self.sync_worker(container).await {
            Ok(true) => {
                tracing::info!("replaced the perry-worker of {container} with this agent's")
            }
            Ok(false) => {}
            Err(error) => tracing::warn!("cannot update the perry-worker of {container}: {error}"),
        }
    }

    /// Makes the workspace's worker this agent's: `true` when it had to be replaced. Replacing
    /// restarts the worker, so an identical one is left running.
    async fn sync_worker(&self, container: &str) -> Result<bool, ApiError> {
        let Some(expected) = &self.worker_sha256 else {
            return Ok(false);
        };
        let installed = self
            .engine
            .exec(container, "root", &["/usr/bin/sha256sum", WORKER_PATH])
            .await;
        let current = match &installed {
            Ok(output) if output.exit_code == 0 => output.output.split_whitespace().next(),
            _ => None,
        };
        if current == Some(expected.as_str()) {
            return Ok(false);
        }
        self.copy_worker(container).await?;
        Ok(true)
    }

    /// Puts the worker binary into the container. A running worker keeps its file busy, so in a
    /// running container the new binary goes to a temp name first and is renamed over the old.
    async fn copy_worker(&self, container: &str) -> Result<(), ApiError> {
        let Some(binary) = &self.worker_binary else {
            return Ok(());
        };
        let running = self
            .engine
            .inspect_container(container)
            .await?
            .is_some_and(|info| info.running);
        if !running {
            self.engine
                .upload_file(container, WORKER_DIR, WORKER_FILE, binary, 0o755)
                .await?;
            return Ok(());
        }
        let temp_name = format!(".{WORKER_FILE}.new");
        self.engine
            .upload_file(container, WORKER_DIR, &temp_name, binary, 0o755)
            .await?;
        let output = self
            .engine
            .exec(
                container,
                "root",
                &[
                    "/usr/bin/mv",
                    "-f",
                    &format!("{WORKER_DIR}/{temp_name}"),
                    WORKER_PATH,
                ],
            )
            .await?;
        if output.exit_code != 0 {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "cannot replace the worker binary in {container}: {}",
                output.output.trim()
            )));
        }
        // The daemon still runs the old binary: stop it, and the entrypoint's supervisor starts
        // the new one (its connections to the agent are re-established by the agent).
        self.engine
            .exec(
                container,
                "root",
                &[
                    "/bin/sh",
                    "-c",
                    "/usr/bin/pkill -TERM -x perry-worker; true",
                ],
            )
            .await?;
        Ok(())
    }

    /// Stores how a start ended: `running`, or `error` with the reason when it timed out.
    fn record_outcome(
        &self,
        name: &str,
        mut record: Workspace,
        ready: Result<(), String>,
    ) -> Result<Workspace, ApiError> {
        match ready {
            Ok(()) => {
                record.status = WorkspaceStatus::Running;
                record.error = None;
            }
            Err(reason) => {
                tracing::warn!("workspace {name:?} did not become ready: {reason}");
                record.status = WorkspaceStatus::Error;
                record.error = Some(reason);
            }
        }
        self.state
            .update(|state| state.workspaces.insert(name.to_owned(), record.clone()))?;
        Ok(record)
    }

    /// Waits until the inner dockerd answers and sshd greets on the published port, or the
    /// timeout passes; the error says what was still missing.
    async fn wait_until_ready(&self, record: &Workspace) -> Result<(), String> {
        let container = self.container_name(&record.name);
        let deadline = Instant::now() + self.settings.ready_timeout;
        let mut dockerd_ready = false;
        let mut last_problem = String::from("not checked yet");
        loop {
            if !dockerd_ready {
                match self
                    .engine
                    .exec(
                        &container,
                        "root",
                        &[
                            "/usr/bin/docker",
                            "version",
                            "--format",
                            "{{.Server.Version}}",
                        ],
                    )
                    .await
                {
                    Ok(output) if output.exit_code == 0 => dockerd_ready = true,
                    Ok(output) => {
                        last_problem = format!(
                            "the inner Docker daemon does not answer yet: {}",
                            output.output.trim()
                        )
                    }
                    Err(EngineError::Conflict(message)) => {
                        return Err(format!(
                            "the workspace container stopped while starting ({message}); see `docker logs {container}`"
                        ));
                    }
                    Err(error) => last_problem = error.to_string(),
                }
            }
            if dockerd_ready {
                match ssh_banner(record.ports.ssh).await {
                    Ok(()) => return Ok(()),
                    Err(problem) => last_problem = problem,
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not ready after {} s: {last_problem}",
                    self.settings.ready_timeout.as_secs()
                ));
            }
            tokio::time::sleep(READY_POLL_INTERVAL).await;
        }
    }

    /// Takes back what a failed create made: its container, the volumes it created, and the
    /// record with its port. Objects that existed before are left alone.
    async fn roll_back(&self, name: &str, made: MadeObjects) {
        if let Some(container) = made.container
            && let Err(error) = self.engine.remove_container(&container).await
        {
            tracing::error!("rollback of {name:?}: cannot remove its container: {error}");
        }
        for volume in made.volumes {
            if let Err(error) = self.engine.remove_volume(&volume).await {
                tracing::error!("rollback of {name:?}: cannot remove volume {volume}: {error}");
            }
        }
        if let Err(error) = self.state.update(|state| state.workspaces.remove(name)) {
            tracing::error!("rollback of {name:?}: cannot update state: {error:#}");
        }
        self.forget_build_log(name);
    }

    /// Starts a stopped workspace (recreating its container if it was removed) and waits until
    /// it is ready. Starting a running workspace is fine.
    pub async fn start(&self, name: &str) -> Result<Workspace, ApiError> {
        self.after_change(self.start_serialized(name).await).await
    }

    async fn start_serialized(&self, name: &str) -> Result<Workspace, ApiError> {
        let _serialized = self.lock_name(name).await;
        self.start_locked(name).await
    }

    /// [`Self::start`] for a caller that holds the workspace's lock.
    async fn start_locked(&self, name: &str) -> Result<Workspace, ApiError> {
        let mut record = self.require_record(name)?;
        let container_name = self.container_name(name);
        let _busy = self.mark_busy(name);
        let mut was_running = false;
        let mut created = false;
        match self.engine.inspect_container(&container_name).await? {
            Some(container) => {
                was_running = container.running;
                record.container_id = Some(container.id);
            }
            None => {
                if !self.engine.image_exists(&record.image).await? {
                    return Err(ApiError::PreconditionFailed(format!(
                        "The container of {name:?} is gone and its image {:?} does not exist; run `perry build` first",
                        record.image
                    )));
                }
                let mode = self.dind_mode_for(&record.image).await?;
                tracing::info!("recreating the missing container of workspace {name:?}");
                self.engine
                    .prepare(&self.network_name(), self.prefix_labels())
                    .await?;
                let mut made = MadeObjects::default();
                record.container_id = Some(self.create_container(&record, mode, &mut made).await?);
                created = true;
            }
        }
        self.engine.start_container(&container_name).await?;
        let ready = self.wait_until_ready_and_sync(&record).await;
        if ready.is_ok() {
            self.update_worker_if_changed(&container_name).await;
            self.bind_forwards(&record).await;
        }
        let record = self.record_outcome(name, record, ready)?;
        // Starting a running workspace is no start: its scripts ran when it did start.
        if was_running {
            return Ok(record);
        }
        let hooks = self.lifecycle_steps(&record.image, created).await;
        Ok(self.start_post_start_scripts(record, hooks))
    }

    /// Starts the post-start scripts of a workspace that came up, after `first` (the lifecycle
    /// commands of its devcontainer.json), in the background: see [`scripts`]; returns the
    /// workspace as it is now, with the first step under way.
    fn start_post_start_scripts(
        &self,
        mut workspace: Workspace,
        first: Vec<scripts::Step>,
    ) -> Workspace {
        if workspace.status != WorkspaceStatus::Running {
            return workspace;
        }
        let all = match ConfigFile::read(&self.settings.config_dir) {
            Ok(config) => config.unwrap_or_default().scripts,
            Err(error) => {
                tracing::warn!("no post-start scripts for {:?}: {error:#}", workspace.name);
                Vec::new()
            }
        };
        let mut steps = first;
        steps.extend(
            scripts::scripts_for(&all, &workspace.name)
                .iter()
                .map(|script| scripts::Step::script(script, sync::USER, sync::HOME)),
        );
        // This start's outcome replaces the last one's, from the first moment: no client sees
        // an earlier start's runs as this one's.
        workspace.post_start = None;
        let cleared = self.state.update(|state| {
            if let Some(stored) = state.workspaces.get_mut(&workspace.name) {
                stored.post_start = None;
            }
        });
        if let Err(error) = cleared {
            tracing::warn!("cannot clear the post-start outcome: {error:#}");
        }
        if steps.is_empty() {
            return workspace;
        }
        tokio::spawn(scripts::run(
            self.engine.clone(),
            self.state.clone(),
            workspace.name.clone(),
            self.container_name(&workspace.name),
            steps,
        ));
        workspace
    }

    /// Stops a workspace; stopping a stopped one is fine.
    pub async fn stop(&self, name: &str) -> Result<Workspace, ApiError> {
        self.after_change(self.stop_serialized(name).await).await
    }

    async fn stop_serialized(&self, name: &str) -> Result<Workspace, ApiError> {
        let _serialized = self.lock_name(name).await;
        let mut record = self.require_record(name)?;
        let container_name = self.container_name(name);
        self.close_clients(name, "workspace stopped").await;
        match self
            .engine
            .stop_container(&container_name, STOP_GRACE)
            .await
        {
            // A missing container is stopped enough; list will say it is missing.
            Ok(()) | Err(EngineError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
        record.status = WorkspaceStatus::Stopped;
        record.error = None;
        self.state
            .update(|state| state.workspaces.insert(name.to_owned(), record.clone()))?;
        self.get_locked(record).await
    }

    async fn get_locked(&self, record: Workspace) -> Result<Workspace, ApiError> {
        let container = self
            .engine
            .inspect_container(&self.container_name(&record.name))
            .await?;
        Ok(self.observed(record, container.as_ref(), &Busy::new()))
    }

    /// Deletes a workspace: its container, both volumes and its record (which frees its port).
    pub async fn delete(&self, name: &str) -> Result<(), ApiError> {
        self.after_change(self.delete_serialized(name).await).await
    }

    async fn delete_serialized(&self, name: &str) -> Result<(), ApiError> {
        let _serialized = self.lock_name(name).await;
        let record = self.require_record(name)?;
        self.close_clients(name, "workspace deleted").await;
        self.engine
            .remove_container(&self.container_name(name))
            .await?;
        for (volume, _) in self.volumes(name) {
            self.engine.remove_volume(&volume).await?;
        }
        for (volume, _, own) in self.config_volumes(name, &record.image).await {
            if own {
                self.engine.remove_volume(&volume).await?;
            }
        }
        self.state.update(|state| state.forget_workspace(name))?;
        self.forget_build_log(name);
        self.release_image(&record.image).await;
        lock(&self.name_locks).remove(name);
        Ok(())
    }

    /// Copies the worker, the host's credentials, git config and public keys into the workspace
    /// again. Each item says whether it made it; one failing does not stop the others.
    pub async fn sync(&self, name: &str) -> Result<SyncOutput, ApiError> {
        let _serialized = self.lock_name(name).await;
        self.require_record(name)?;
        let container_name = self.container_name(name);
        if self
            .engine
            .inspect_container(&container_name)
            .await?
            .is_none()
        {
            return Err(ApiError::Conflict(format!(
                "The container of {name:?} is missing; start the workspace to recreate it"
            )));
        }
        let mut items = Vec::new();
        if self.worker_binary.is_some() {
            let synced = self.sync_worker(&container_name).await;
            items.push(SyncItem {
                what: match synced {
                    Ok(false) => format!("perry-worker at {WORKER_PATH} (up to date)"),
                    _ => format!("perry-worker → {WORKER_PATH}"),
                },
                error: synced.err().map(|error| error.to_string()),
            });
        }
        items.extend(self.sync_credentials(name, &container_name).await);
        // After the credentials: the person's own settings files may just have been copied in.
        items.extend(self.install_hooks(&container_name).await);
        Ok(SyncOutput { items })
    }

    /// [`WorkspaceService::sync`] of every running workspace, a few at once: what a client runs
    /// right after changing a setting. One workspace failing does not stop the others.
    pub async fn sync_all(&self) -> Result<Vec<WorkspaceSyncResult>, ApiError> {
        use futures_util::StreamExt;
        /// Syncs at once: each is a tar upload and two execs, mostly waiting on the engine.
        const AT_ONCE: usize = 8;
        let running: Vec<String> = self
            .list()
            .await?
            .iter()
            .filter(|workspace| workspace.status == WorkspaceStatus::Running)
            .map(|workspace| workspace.name.clone())
            .collect();
        let mut results: Vec<WorkspaceSyncResult> = futures_util::stream::iter(running)
            .map(|name| async move {
                match self.sync(&name).await {
                    Ok(output) => WorkspaceSyncResult {
                        name,
                        items: output.items,
                        error: None,
                    },
                    Err(error) => WorkspaceSyncResult {
                        name,
                        items: Vec::new(),
                        error: Some(error.to_string()),
                    },
                }
            })
            .buffer_unordered(AT_ONCE)
            .collect()
            .await;
        results.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(results)
    }

    /// Installs the coding agents' hooks that tell Perry when a session needs the person
    /// (`perry-worker hooks`, as the workspace user, beside the person's own entries); one item
    /// per coding agent.
    async fn install_hooks(&self, container: &str) -> Vec<SyncItem> {
        if self.worker_binary.is_none() {
            return Vec::new();
        }
        let failed = |error: String| {
            vec![SyncItem {
                what: "coding-agent hooks (perry-worker hooks)".to_owned(),
                error: Some(error),
            }]
        };
        let output = match self
            .engine
            .exec(container, sync::USER, &[WORKER_PATH, "hooks"])
            .await
        {
            Ok(output) => output,
            Err(error) => return failed(error.to_string()),
        };
        let items = (output.exit_code == 0)
            .then(|| serde_json::from_str(output.output.trim()).ok())
            .flatten();
        items.unwrap_or_else(|| {
            failed(format!(
                "exit code {}: {}",
                output.exit_code,
                output.output.trim()
            ))
        })
    }

    /// Puts config.json's credentials and the host user's git config and public keys into a
    /// container; says per item what failed rather than failing.
    async fn sync_credentials(&self, name: &str, container: &str) -> Vec<SyncItem> {
        let environment = self
            .engine
            .read_file(
                container,
                sync::ENVIRONMENT_FILE,
                sync::ENVIRONMENT_FILE_MAX_BYTES,
            )
            .await
            .map(|contents| String::from_utf8_lossy(&contents.unwrap_or_default()).into_owned())
            .map_err(|error| error.to_string());
        // The layer's uid where it is not 1000 (an image whose 1000 is someone else's).
        let owner = self
            .engine
            .read_file(container, sync::USER_FILE, 4096)
            .await
            .ok()
            .flatten()
            .map(|contents| sync::Owner::from_user_file(&String::from_utf8_lossy(&contents)))
            .unwrap_or_default();
        let (mut plan, archive) = self.credentials_archive(name, environment, owner);
        let Some(archive) = archive else {
            return plan.items;
        };
        let uploaded = match archive {
            Ok(archive) => self
                .engine
                .upload_archive(container, "/", archive)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(format!("cannot pack the files: {error}")),
        };
        if let Err(error) = uploaded {
            tracing::warn!("sync into {container} failed: {error}");
            plan.fail_all(&error);
        }
        plan.items
    }

    /// The sync of workspace `name` (whose /etc/environment is `environment`, whose user is
    /// `owner`) as a plan and, when there is anything to put in, its archive.
    fn credentials_archive(
        &self,
        name: &str,
        environment: Result<String, String>,
        owner: sync::Owner,
    ) -> (sync::SyncPlan, Option<std::io::Result<Vec<u8>>>) {
        let (credentials, worker_settings) = match ConfigFile::read(&self.settings.config_dir) {
            Ok(config) => {
                let config = config.unwrap_or_default();
                let applies =
                    |scope: &[String]| scope.is_empty() || scope.iter().any(|w| w == name);
                // The host user's own keys (as the container was created with), then the ones
                // the settings authorize here.
                let authorized_keys = self
                    .settings
                    .authorized_keys
                    .lines()
                    .map(str::to_owned)
                    .chain(
                        config
                            .ssh
                            .authorized
                            .iter()
                            .filter(|choice| applies(&choice.workspaces))
                            .map(|choice| choice.key.trim().to_owned()),
                    )
                    .filter(|key| !key.is_empty())
                    .collect();
                let mut credentials = config.credentials;
                for choice in config
                    .ssh
                    .copy
                    .iter()
                    .filter(|choice| applies(&choice.workspaces))
                {
                    for file in [choice.key.clone(), format!("{}.pub", choice.key)] {
                        credentials
                            .files
                            .insert(format!("~/.ssh/{file}"), format!("~/.ssh/{file}"));
                    }
                }
                let worker_settings = WorkerSettings {
                    accounts: config.accounts,
                    mcp_servers: config.mcp_servers,
                    skills: config.skills,
                    authorized_keys: Some(authorized_keys),
                };
                (credentials, worker_settings)
            }
            Err(error) => {
                let mut plan = sync::SyncPlan::default();
                plan.items.push(SyncItem {
                    what: "credentials from config.json".to_owned(),
                    error: Some(format!("{error:#}")),
                });
                return (plan, None);
            }
        };
        // Reading the host's credential files and packing them is file work: off the runtime.
        crate::state::off_the_runtime(|| {
            let plan = sync::SyncPlan::new(
                &credentials,
                &worker_settings,
                self.settings.host_home.as_deref(),
                environment,
            );
            let archive = (!plan.is_empty()).then(|| plan.archive_for(owner));
            (plan, archive)
        })
    }

    /// Waits for a started container to be ready while its credentials are synced; a sync that
    /// fails is logged and leaves the workspace usable (`perry sync` says what failed).
    async fn wait_until_ready_and_sync(&self, record: &Workspace) -> Result<(), String> {
        let container = self.container_name(&record.name);
        let (ready, mut synced) = tokio::join!(
            self.wait_until_ready(record),
            self.sync_credentials(&record.name, &container)
        );
        if ready.is_ok() {
            synced.extend(self.install_hooks(&container).await);
            self.sessions.index(&record.name, &container);
        }
        for item in synced {
            if let Some(error) = item.error {
                tracing::warn!("sync of {} into {:?}: {error}", item.what, record.name);
            }
        }
        ready
    }

    /// Clones the repository asked for at create, as user `workspace` in a login shell (so the
    /// synced environment and keys apply). A failure is recorded on the workspace, which stays
    /// usable.
    async fn clone_repository(&self, mut record: Workspace, target: CloneTarget) -> Workspace {
        let path = format!("{}/{}", sync::HOME, target.directory);
        let command = [
            "/bin/bash",
            "-lc",
            CLONE_SCRIPT,
            "perry-clone",
            &target.url,
            &path,
        ]
        .map(str::to_owned)
        .to_vec();
        let outcome = self
            .exec(perry_api::ExecInput {
                name: record.name.clone(),
                command,
                timeout_seconds: Some(CLONE_TIMEOUT_SECONDS),
                user: None,
                workdir: None,
            })
            .await;
        let error = match outcome {
            Ok(output) if output.exit_code == 0 => None,
            Ok(output) => Some(
                Some(output.stderr.trim())
                    .filter(|stderr| !stderr.is_empty())
                    .unwrap_or("git clone failed")
                    .to_owned(),
            ),
            Err(error) => Some(error.to_string()),
        };
        self.record_clone(&mut record, target, path, error);
        record
    }

    /// Writes down how the clone of `target` into `path` went, on the record and in state.json.
    fn record_clone(
        &self,
        record: &mut Workspace,
        target: CloneTarget,
        path: String,
        error: Option<String>,
    ) {
        if let Some(error) = &error {
            tracing::warn!(
                "cloning {} into {:?} failed: {error}",
                target.url,
                record.name
            );
        }
        record.clone = Some(CloneOutcome {
            url: target.url,
            path,
            error,
        });
        let saved = self.state.update(|state| {
            if let Some(stored) = state.workspaces.get_mut(&record.name) {
                stored.clone = record.clone.clone();
            }
        });
        if let Err(error) = saved {
            tracing::error!("cannot record the clone of {:?}: {error:#}", record.name);
        }
    }

    /// How many workspaces state.json holds.
    pub fn count(&self) -> usize {
        self.state.snapshot().workspaces.len()
    }

    /// What this agent can take on now, for placement across agents.
    pub async fn capacity(&self) -> Result<perry_api::AgentCapacity, ApiError> {
        let (host, image_present, listed) = tokio::try_join!(
            async { Ok::<_, ApiError>(self.engine.host_resources().await?) },
            async { Ok(self.engine.image_exists(&self.settings.image).await?) },
            self.list(),
        )?;
        let here = self
            .engine
            .runs_workspaces_here()
            .then(crate::machine::load)
            .flatten();
        Ok(perry_api::AgentCapacity {
            // The engine's "no bound it can see" is not a size.
            cpus: (host.cpus != u32::MAX).then_some(host.cpus),
            memory_total_mb: (host.memory_mb != u64::MAX).then_some(host.memory_mb),
            memory_available_mb: here.map(|load| load.memory_available_mb),
            load1: here.map(|load| load.load1),
            running_workspaces: u32::try_from(
                listed
                    .iter()
                    .filter(|workspace| workspace.status == WorkspaceStatus::Running)
                    .count(),
            )
            .unwrap_or(u32::MAX),
            image_present,
        })
    }
}

/// Seconds a clone at create may take.
pub(super) const CLONE_TIMEOUT_SECONDS: u32 = 600;
/// `git clone -- "$1" "$2"` that never prompts (no terminal to answer) and leaves an existing
/// directory alone (a home volume kept from before).
pub(super) const CLONE_SCRIPT: &str = "export GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND='ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new'; \
     if [ -e \"$2\" ]; then echo \"$2 exists already; not cloning\" >&2; exit 0; fi; \
     git clone --quiet -- \"$1\" \"$2\"";

/// A repository to clone and the directory it goes to under the home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloneTarget {
    url: String,
    pub(crate) directory: String,
}

/// Checks a git URL and finds the directory git would clone it into: `https://host/o/repo.git`,
/// `git@host:o/repo`, `ssh://…`, `git://…` and `file://…` all give `repo`.
pub(crate) fn clone_target(url: &str) -> Result<CloneTarget, ApiError> {
    let bad = |why: &str| {
        ApiError::BadRequest(format!(
            "Cannot clone {url:?}: {why}; give a git URL such as https://github.com/owner/repo.git or git@github.com:owner/repo.git"
        ))
    };
    if url.starts_with('-') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it must not start with '-' or contain spaces"));
    }
    let known_scheme = ["https://", "http://", "ssh://", "git://", "file://"]
        .iter()
        .any(|scheme| url.starts_with(scheme));
    let scp_like = !url.contains("://")
        && url.split_once(':').is_some_and(|(host, path)| {
            !host.is_empty() && !host.contains('/') && !path.is_empty()
        });
    if !known_scheme && !scp_like {
        return Err(bad("it is not a URL git can clone"));
    }
    let tail = url
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or_default();
    let directory = tail.strip_suffix(".git").unwrap_or(tail);
    let directory_ok = !directory.is_empty()
        && directory != "."
        && directory != ".."
        && directory
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !directory_ok {
        return Err(bad("its last part is not a usable directory name"));
    }
    Ok(CloneTarget {
        url: url.to_owned(),
        directory: directory.to_owned(),
    })
}

/// The name of a Docker-in-Docker mode, as logs and `agent.info` show it.
pub fn dind_mode_name(mode: DindMode) -> &'static str {
    match mode {
        DindMode::Privileged => "privileged",
        DindMode::Capabilities => "capabilities (all but CAP_SYS_RESOURCE, unconfined)",
    }
}

/// Connects to sshd on the host port and reads its greeting.
async fn ssh_banner(port: u16) -> Result<(), String> {
    let connect = tokio::net::TcpStream::connect(("127.0.0.1", port));
    let mut stream = match tokio::time::timeout(Duration::from_secs(2), connect).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => {
            return Err(format!(
                "sshd does not accept connections on port {port} yet: {error}"
            ));
        }
        Err(_) => return Err(format!("sshd on port {port} does not answer")),
    };
    let mut greeting = [0u8; 4];
    match tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut greeting)).await {
        Ok(Ok(_)) if &greeting == b"SSH-" => Ok(()),
        Ok(Ok(_)) => Err(format!("port {port} answers but not with an SSH greeting")),
        _ => Err(format!(
            "sshd on port {port} accepted but sent no greeting yet"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_urls_give_the_directory_git_would_make_and_bad_ones_a_clear_error() {
        for (url, directory) in [
            ("https://github.com/owner/repo.git", "repo"),
            ("https://github.com/owner/repo/", "repo"),
            ("git@github.com:owner/my.repo.git", "my.repo"),
            ("git@github.com:repo", "repo"),
            ("ssh://git@host:2222/x/y-z.git", "y-z"),
            ("git://172.17.0.1:9418/demo.git", "demo"),
            ("file:///srv/git/demo", "demo"),
        ] {
            assert_eq!(clone_target(url).unwrap().directory, directory, "{url}");
        }
        for url in [
            "--upload-pack=touch /tmp/x",
            "https://host/a b",
            "not a url",
            "/local/path",
            "https://host/..",
            "https://host/$(id)",
        ] {
            let error = clone_target(url).unwrap_err();
            assert!(
                matches!(&error, ApiError::BadRequest(message) if message.contains("Cannot clone")),
                "{url}: {error:?}"
            );
        }
    }
}
