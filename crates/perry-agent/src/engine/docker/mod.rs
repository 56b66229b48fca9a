//! The Docker engine: everything Perry asks of the Docker Engine goes through here, over its API
//! (bollard), never through the docker CLI.
//!
//! **Architecture invariant:** no other module of the agent names bollard or reads a Docker
//! message's text; they see [`EngineError`] kinds and the engine's types.
//!
//! The client negotiates the API version with the daemon on first use (Docker 20.10 speaks 1.41 at
//! most), and again after the daemon went away, so the agent can start, and keep running, while
//! Docker is down.

mod dind_probe;
mod error;
mod image_build;
mod raw_exec;
mod task;

use std::collections::HashMap;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, HostConfig, Mount, MountType, NetworkCreateRequest, PortBinding,
    RestartPolicy, RestartPolicyNameEnum, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder, EventsOptionsBuilder,
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
    StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt;
use perry_api::{DindMode, WorkspaceLimits};
use tokio::sync::RwLock;

pub use image_build::{BuildProgress, ImageBuild, host_ca_certificates};

pub use super::{
    CREATED_LABEL, ContainerInfo, ContainerSpec, EXEC_OUTPUT_LIMIT, Engine, EngineError,
    ExecOutput, ExecState, PREFIX_LABEL, SSH_PORT_LABEL, SplitOutput, StdioExec, TtyExec,
    TtyExecStreams, WORKSPACE_LABEL,
};

/// How long [`Docker::remove_container`] waits for a removal someone else started.
const REMOVAL_WAIT: Duration = Duration::from_secs(60);

/// The multiplexed output of an attached exec without a TTY.
type ExecStream = std::pin::Pin<
    Box<
        dyn futures_util::Stream<Item = Result<bollard::container::LogOutput, BollardError>> + Send,
    >,
>;
/// The stdin of an attached exec.
type ExecInput = std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>;

/// Container events that change what a list shows. Exec events, which every terminal and
/// readiness probe makes, are left out.
const STATUS_EVENTS: &[&str] = &[
    "create", "start", "restart", "stop", "die", "kill", "destroy", "rename", "pause", "unpause",
    "oom",
];
/// The Docker Engine, reached through its API.
#[derive(Debug, Clone)]
pub struct Docker {
    client: std::sync::Arc<RwLock<Option<bollard::Docker>>>,
    /// Held while a network is looked up and created: Docker before API 1.44 lets two creates
    /// of one name both succeed, and a name that matches two networks is unusable.
    network_creation: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Held by the Docker-in-Docker probe: probes share one container name.
    probing: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Default for Docker {
    fn default() -> Self {
        Self::new()
    }
}

impl Docker {
    /// A handle that connects on first use (`DOCKER_HOST`, else the local socket).
    pub fn new() -> Docker {
        Docker {
            client: std::sync::Arc::new(RwLock::new(None)),
            network_creation: std::sync::Arc::new(tokio::sync::Mutex::new(())),
            probing: std::sync::Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    async fn client(&self) -> Result<bollard::Docker, EngineError> {
        if let Some(client) = self.client.read().await.as_ref() {
            return Ok(client.clone());
        }
        let mut slot = self.client.write().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let client = bollard::Docker::connect_with_defaults()
            .map_err(error::unavailable)?
            .negotiate_version()
            .await
            .map_err(error::unavailable)?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Runs `call` on the client; a daemon that stopped answering makes the next call negotiate
    /// anew (it may come back as a different version).
    async fn call<T, F, Fut>(&self, call: F) -> Result<T, EngineError>
    where
        F: FnOnce(bollard::Docker) -> Fut,
        Fut: Future<Output = Result<T, BollardError>>,
    {
        let client = self.client().await?;
        let result = call(client).await.map_err(EngineError::from);
        if let Err(EngineError::Unavailable(_)) = &result {
            *self.client.write().await = None;
        }
        result
    }

    /// A label of an image, if the image exists and has it.
    pub async fn image_label(
        &self,
        image: &str,
        label: &str,
    ) -> Result<Option<String>, EngineError> {
        match self
            .call(|docker| async move { docker.inspect_image(image).await })
            .await
        {
            Ok(inspect) => Ok(inspect
                .config
                .and_then(|config| config.labels)
                .and_then(|mut labels| labels.remove(label))),
            Err(EngineError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// A tar of `path` in a container, read no further than `limit` bytes.
    async fn fetch_archive(
        &self,
        container: &str,
        path: &str,
        limit: u64,
    ) -> Result<Fetched, EngineError> {
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let fetched = self
            .call(|docker| async move {
                let mut stream = docker.download_from_container(container, Some(options));
                let mut archive = Vec::new();
                while let Some(chunk) = stream.next().await {
                    archive.extend_from_slice(&chunk?);
                    if archive.len() as u64 > limit {
                        return Ok(Fetched::TooLarge);
                    }
                }
                Ok(Fetched::Archive(archive))
            })
            .await;
        match fetched {
            Err(EngineError::NotFound(_)) => Ok(Fetched::Missing),
            other => other,
        }
    }

    /// Docker before API 1.44 lets two creates of one network name both succeed (an agent
    /// killed while its create was under way, and the next agent's), and a name that matches
    /// two networks is unusable. Removes this agent's networks of `name` but one; one that
    /// containers use is refused by Docker and stays. Whether one network of the name is left.
    async fn remove_duplicate_networks(
        &self,
        name: &str,
        labels: &HashMap<String, String>,
    ) -> Result<bool, EngineError> {
        let Some(prefix) = labels.get(PREFIX_LABEL) else {
            return Ok(false);
        };
        let mut same: Vec<String> = self
            .list_networks(PREFIX_LABEL, prefix)
            .await?
            .into_iter()
            .filter(|(_, network)| network == name)
            .map(|(id, _)| id)
            .collect();
        same.sort();
        let mut left = same.len();
        for id in &same {
            if left <= 1 {
                break;
            }
            match self.remove_network(id).await {
                Ok(()) => {
                    tracing::warn!("removed network {name} ({id}): Docker had made it twice");
                    left -= 1;
                }
                Err(EngineError::Conflict(_) | EngineError::Refused { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(left == 1)
    }

    /// Removes a network; a missing one is fine.
    pub async fn remove_network(&self, name: &str) -> Result<(), EngineError> {
        ignore_not_found(
            self.call(|docker| async move { docker.remove_network(name).await })
                .await,
        )
    }

    /// Names of the volumes carrying `label=value`.
    pub async fn list_volumes(&self, label: &str, value: &str) -> Result<Vec<String>, EngineError> {
        let filters = label_filter(label, value);
        let options = bollard::query_parameters::ListVolumesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let response = self
            .call(|docker| async move { docker.list_volumes(Some(options)).await })
            .await?;
        Ok(response
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|volume| volume.name)
            .collect())
    }

    /// The networks carrying `label=value`, as (id, name): names need not be unique in Docker.
    pub async fn list_networks(
        &self,
        label: &str,
        value: &str,
    ) -> Result<Vec<(String, String)>, EngineError> {
        let filters = label_filter(label, value);
        let options = bollard::query_parameters::ListNetworksOptionsBuilder::default()
            .filters(&filters)
            .build();
        let networks = self
            .call(|docker| async move { docker.list_networks(Some(options)).await })
            .await?;
        Ok(networks
            .into_iter()
            .map(|network| {
                (
                    network.id.unwrap_or_default(),
                    network.name.unwrap_or_default(),
                )
            })
            .collect())
    }

    /// Removes every container, volume and network labelled with `prefix`: everything an agent
    /// with that `workspacePrefix` made. Tests and benchmarks clean up with it.
    pub async fn remove_all_of_prefix(&self, prefix: &str) -> Result<(), EngineError> {
        for container in self.list_containers(prefix).await? {
            self.remove_container(&container.id).await?;
        }
        for volume in self.list_volumes(PREFIX_LABEL, prefix).await? {
            self.remove_volume(&volume).await?;
        }
        // By id: a network name Docker let two creates take twice is ambiguous.
        for (id, _) in self.list_networks(PREFIX_LABEL, prefix).await? {
            self.remove_network(&id).await?;
        }
        Ok(())
    }

    /// Creates an exec from `config` and starts it attached (not for TTY execs: see
    /// [`Docker::start_tty_exec`]); returns the client, the exec's id, its multiplexed output and
    /// its stdin.
    async fn start_attached_exec(
        &self,
        container: &str,
        config: CreateExecOptions<String>,
    ) -> Result<(bollard::Docker, String, ExecStream, ExecInput), EngineError> {
        let client = self.client().await?;
        let exec = client
            .create_exec(container, config)
            .await
            .map_err(EngineError::from)?;
        match client
            .start_exec(&exec.id, None)
            .await
            .map_err(EngineError::from)?
        {
            StartExecResults::Attached { output, input } => Ok((client, exec.id, output, input)),
            StartExecResults::Detached => Err(EngineError::Failed(
                "Docker started the exec detached".to_owned(),
            )),
        }
    }
}

#[async_trait::async_trait]
impl Engine for Docker {
    fn kind(&self) -> &'static str {
        "docker"
    }

    fn location(&self) -> String {
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned())
    }

    async fn identity(&self) -> Result<String, EngineError> {
        self.daemon_identity().await
    }

    fn runs_workspaces_here(&self) -> bool {
        self.location().starts_with("unix://")
    }

    async fn detect_dind_mode(
        &self,
        image: &str,
        probe_name: &str,
        labels: HashMap<String, String>,
    ) -> Result<DindMode, EngineError> {
        self.probe_in_own_task(image, probe_name, labels).await
    }

    async fn remove_probe(&self, probe_name: &str) -> Result<(), EngineError> {
        self.remove_probe_container(probe_name).await
    }

    /// The Engine's version, e.g. `20.10.24+dfsg1`.
    async fn version(&self) -> Result<String, EngineError> {
        let version = self
            .call(|docker| async move { docker.version().await })
            .await?;
        Ok(version.version.unwrap_or_else(|| "unknown".to_owned()))
    }

    /// The CPUs and memory of the Docker host (the daemon's machine, which need not be ours).
    async fn host_resources(&self) -> Result<crate::limits::HostResources, EngineError> {
        let info = self
            .call(|docker| async move { docker.info().await })
            .await?;
        Ok(crate::limits::HostResources {
            cpus: info
                .ncpu
                .and_then(|cpus| u32::try_from(cpus).ok())
                .unwrap_or(1),
            memory_mb: info
                .mem_total
                .and_then(|bytes| u64::try_from(bytes).ok())
                .unwrap_or(0)
                / MIB,
        })
    }

    /// Whether an image with this tag exists locally.
    async fn image_exists(&self, image: &str) -> Result<bool, EngineError> {
        match self
            .call(|docker| async move { docker.inspect_image(image).await })
            .await
        {
            Ok(_) => Ok(true),
            Err(EngineError::NotFound(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Creates the bridge network if it does not exist. Containers on it cannot talk to each
    /// other (no inter-container communication): workspaces are isolated from one another.
    async fn prepare(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<(), EngineError> {
        let _one_at_a_time = self.network_creation.lock().await;
        match self
            .call(|docker| async move { docker.inspect_network(name, None).await })
            .await
        {
            Ok(_) => return Ok(()),
            Err(EngineError::NotFound(_)) => {}
            Err(EngineError::Unavailable(message)) => {
                return Err(EngineError::Unavailable(message));
            }
            // "2 matches found based on name": made twice, by an agent killed in the middle
            // of its create and the next one.
            Err(other) => {
                if self.remove_duplicate_networks(name, &labels).await? {
                    return Ok(());
                }
                return Err(other);
            }
        }
        let request = NetworkCreateRequest {
            name: name.to_owned(),
            driver: Some("bridge".to_owned()),
            labels: Some(labels.clone()),
            options: Some(HashMap::from([(
                "com.docker.network.bridge.enable_icc".to_owned(),
                "false".to_owned(),
            )])),
            ..Default::default()
        };
        match self
            .call(|docker| async move { docker.create_network(request).await })
            .await
        {
            // Another create won the race: the network is there, which is all we wanted.
            Ok(_) | Err(EngineError::Conflict(_)) => {
                self.remove_duplicate_networks(name, &labels).await?;
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    /// Creates a named volume (idempotent in Docker: an existing volume is returned as is).
    async fn create_volume(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<(), EngineError> {
        let request = VolumeCreateRequest {
            name: Some(name.to_owned()),
            labels: Some(labels),
            ..Default::default()
        };
        self.call(|docker| async move { docker.create_volume(request).await })
            .await?;
        Ok(())
    }

    /// Whether a volume with this name exists.
    async fn volume_exists(&self, name: &str) -> Result<bool, EngineError> {
        match self
            .call(|docker| async move { docker.inspect_volume(name).await })
            .await
        {
            Ok(_) => Ok(true),
            Err(EngineError::NotFound(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Removes a volume; a missing one is fine.
    async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        let options = RemoveVolumeOptionsBuilder::default().force(true).build();
        ignore_not_found(
            self.call(|docker| async move { docker.remove_volume(name, Some(options)).await })
                .await,
        )
    }

    fn builds_images(&self) -> bool {
        true
    }

    async fn image_info(&self, image: &str) -> Result<Option<super::ImageInfo>, EngineError> {
        match self
            .call(|docker| async move { docker.inspect_image(image).await })
            .await
        {
            Ok(inspect) => {
                let config = inspect.config.unwrap_or_default();
                Ok(Some(super::ImageInfo {
                    id: inspect.id.unwrap_or_default(),
                    user: config
                        .user
                        .filter(|user| !user.is_empty())
                        .unwrap_or_else(|| "root".to_owned()),
                    size: inspect
                        .size
                        .and_then(|bytes| u64::try_from(bytes).ok())
                        .unwrap_or(0),
                    labels: config.labels.unwrap_or_default(),
                    env: config.env.unwrap_or_default(),
                }))
            }
            Err(EngineError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    async fn remove_image(&self, image: &str) -> Result<(), EngineError> {
        ignore_not_found(
            self.call(|docker| async move {
                docker
                    .remove_image(
                        image,
                        None::<bollard::query_parameters::RemoveImageOptions>,
                        None,
                    )
                    .await
                    .map(|_| ())
            })
            .await,
        )
    }

    async fn build_image(
        &self,
        spec: &super::ImageBuildSpec,
        lines: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<String, EngineError> {
        self.build_from_context(spec, false, |line| {
            let _ = lines.send(line.to_owned());
        })
        .await
    }

    async fn run_task(
        &self,
        task: &super::TaskSpec,
        lines: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<super::TaskOutcome, EngineError> {
        self.run_task_in_own_task(task, lines).await
    }

    async fn pause_container(&self, name: &str) -> Result<(), EngineError> {
        self.pause(name).await
    }

    async fn unpause_container(&self, name: &str) -> Result<(), EngineError> {
        self.unpause(name).await
    }

    /// Creates a workspace container in `mode`; returns its id.
    async fn create_container(
        &self,
        spec: &ContainerSpec,
        mode: DindMode,
    ) -> Result<String, EngineError> {
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        let body = ContainerCreateBody {
            hostname: Some(spec.hostname.clone()),
            image: Some(spec.image.clone()),
            labels: Some(spec.labels.clone()),
            env: Some(spec.env.clone()),
            exposed_ports: Some(vec!["22/tcp".to_owned()]),
            host_config: Some(workspace_host_config(spec, mode)),
            ..Default::default()
        };
        let response = self
            .call(|docker| async move { docker.create_container(Some(options), body).await })
            .await?;
        Ok(response.id)
    }

    /// Starts a container; one already running is fine (Docker answers 304 Not Modified).
    /// A host port it publishes that someone else holds is [`EngineError::PortInUse`].
    async fn start_container(&self, name: &str) -> Result<(), EngineError> {
        match self
            .call(|docker| async move { docker.start_container(name, None).await })
            .await
        {
            Ok(()) | Err(EngineError::NotModified(_)) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Stops a container, giving it `grace` to shut down; a stopped one is fine.
    async fn stop_container(&self, name: &str, grace: Duration) -> Result<(), EngineError> {
        let seconds = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::default().t(seconds).build();
        match self
            .call(|docker| async move { docker.stop_container(name, Some(options)).await })
            .await
        {
            // 304 Not Modified: it was not running.
            Ok(()) | Err(EngineError::NotModified(_)) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Removes a container, running or not; a missing one is fine.
    /// Returns once the container is gone: when someone else is already removing it (such as
    /// an agent killed in the middle of a delete), its name and volumes stay taken until Docker
    /// is done, so this waits for that too ([`EngineError::RemovalInProgress`] if that takes
    /// longer than a minute).
    async fn remove_container(&self, name: &str) -> Result<(), EngineError> {
        let deadline = std::time::Instant::now() + REMOVAL_WAIT;
        loop {
            let options = RemoveContainerOptionsBuilder::default().force(true).build();
            match self
                .call(|docker| async move { docker.remove_container(name, Some(options)).await })
                .await
            {
                Ok(()) | Err(EngineError::NotFound(_)) => return Ok(()),
                // A forced removal conflicts only with what passes by itself: another removal of
                // the same container still under way, or the container exiting just as Docker
                // kills it. Either way, asking again is right.
                Err(EngineError::Conflict(_)) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(EngineError::Conflict(_)) => {
                    return Err(EngineError::RemovalInProgress(name.to_owned()));
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// One container by name or id, `None` when it does not exist.
    async fn inspect_container(&self, name: &str) -> Result<Option<ContainerInfo>, EngineError> {
        let inspect = match self
            .call(|docker| async move { docker.inspect_container(name, None).await })
            .await
        {
            Ok(inspect) => inspect,
            Err(EngineError::NotFound(_)) => return Ok(None),
            Err(other) => return Err(other),
        };
        let config = inspect.config.unwrap_or_default();
        let networks = inspect
            .network_settings
            .and_then(|settings| settings.networks);
        Ok(Some(ContainerInfo {
            id: inspect.id.unwrap_or_default(),
            name: inspect
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_owned(),
            running: inspect
                .state
                .and_then(|state| state.running)
                .unwrap_or(false),
            image: config.image.unwrap_or_default(),
            labels: config.labels.unwrap_or_default(),
            addresses: addresses(networks),
            unreachable: None,
        }))
    }

    /// All containers (running or not) carrying `label=value`.
    async fn list_containers(&self, prefix: &str) -> Result<Vec<ContainerInfo>, EngineError> {
        let filters = label_filter(PREFIX_LABEL, prefix);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers = self
            .call(|docker| async move { docker.list_containers(Some(options)).await })
            .await?;
        Ok(containers
            .into_iter()
            .map(|container| ContainerInfo {
                id: container.id.unwrap_or_default(),
                name: container
                    .names
                    .and_then(|names| names.into_iter().next())
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_owned(),
                running: matches!(
                    container.state,
                    Some(bollard::models::ContainerSummaryStateEnum::RUNNING)
                ),
                image: container.image.unwrap_or_default(),
                labels: container.labels.unwrap_or_default(),
                addresses: addresses(
                    container
                        .network_settings
                        .and_then(|settings| settings.networks),
                ),
                unreachable: None,
            })
            .collect())
    }

    async fn container_changes(
        &self,
        since: u64,
        prefix: &str,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<(), EngineError>>, EngineError>
    {
        let filters = HashMap::from([
            ("type", vec!["container".to_owned()]),
            ("label", vec![format!("{PREFIX_LABEL}={prefix}")]),
            (
                "event",
                STATUS_EVENTS
                    .iter()
                    .map(|event| (*event).to_owned())
                    .collect(),
            ),
        ]);
        let client = self.client().await?;
        let options = EventsOptionsBuilder::default()
            .since(&since.to_string())
            .filters(&filters)
            .build();
        Ok(client
            .events(Some(options))
            .map(|event| event.map(|_| ()).map_err(EngineError::from))
            .boxed())
    }

    /// Starts an interactive command with a TTY in a running container; returns the exec's id
    /// and its raw byte stream (output out, keystrokes in). The output ends when the command
    /// exits.
    async fn start_tty_exec(&self, request: TtyExec<'_>) -> Result<TtyExecStreams, EngineError> {
        let config = CreateExecOptions {
            cmd: Some(request.cmd.to_vec()),
            user: Some(request.user.to_owned()),
            working_dir: Some(request.working_dir.to_owned()),
            env: Some(request.env.to_vec()),
            tty: Some(true),
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let client = self.client().await?;
        let exec = client
            .create_exec(request.container, config)
            .await
            .map_err(EngineError::from)?;
        let api_version = client.client_version().to_string();
        let stream = raw_exec::start_attached(&api_version, &exec.id).await?;
        let (output, input) = tokio::io::split(stream);
        Ok(TtyExecStreams {
            exec_id: exec.id,
            output: Box::pin(output),
            input: Box::pin(input),
        })
    }

    /// Runs `cmd` to completion as `user` in `working_dir` (the image's when `None`), with
    /// stdout and stderr kept apart, each cut at `limit` bytes.
    async fn exec_split(
        &self,
        container: &str,
        user: &str,
        working_dir: Option<&str>,
        cmd: &[String],
        limit: usize,
    ) -> Result<SplitOutput, EngineError> {
        let config = CreateExecOptions {
            cmd: Some(cmd.to_vec()),
            user: Some(user.to_owned()),
            working_dir: working_dir.map(str::to_owned),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let (client, exec_id, mut stream, _) = self.start_attached_exec(container, config).await?;
        let mut output = SplitOutput::default();
        while let Some(chunk) = stream.next().await {
            let (target, bytes) = match chunk.map_err(EngineError::from)? {
                bollard::container::LogOutput::StdOut { message } => (&mut output.stdout, message),
                bollard::container::LogOutput::StdErr { message } => (&mut output.stderr, message),
                _ => continue,
            };
            let room = limit.saturating_sub(target.len());
            if bytes.len() > room {
                output.truncated = true;
            }
            target.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        let inspect = client
            .inspect_exec(&exec_id)
            .await
            .map_err(EngineError::from)?;
        output.exit_code = inspect.exit_code.unwrap_or(-1);
        Ok(output)
    }

    /// The container's own output: the last `tail` lines, or those since `since_seconds`
    /// (Unix time), each with Docker's RFC 3339 timestamp.
    async fn container_logs(
        &self,
        container: &str,
        tail: u32,
        since_seconds: Option<i64>,
    ) -> Result<Vec<(String, String, String)>, EngineError> {
        let mut options = bollard::query_parameters::LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .tail(&tail.to_string());
        if let Some(since) = since_seconds {
            options = options.since(i32::try_from(since).unwrap_or(i32::MAX));
        }
        let options = options.build();
        let client = self.client().await?;
        let mut stream = client.logs(container, Some(options));
        let mut lines = Vec::new();
        while let Some(chunk) = stream.next().await {
            let (name, message) = match chunk.map_err(EngineError::from)? {
                bollard::container::LogOutput::StdOut { message } => ("stdout", message),
                bollard::container::LogOutput::StdErr { message } => ("stderr", message),
                _ => continue,
            };
            for line in String::from_utf8_lossy(&message).lines() {
                let (time, text) = line.split_once(' ').unwrap_or((line, ""));
                lines.push((name.to_owned(), time.to_owned(), text.to_owned()));
            }
        }
        Ok(lines)
    }

    /// Starts a command without a TTY with stdin attached; returns its stdout as a stream of
    /// byte chunks (stderr goes to the agent's log) and its stdin. For line protocols, such as
    /// the one the perry-worker speaks.
    async fn start_stdio_exec(
        &self,
        container: &str,
        user: &str,
        cmd: &[&str],
    ) -> Result<StdioExec, EngineError> {
        let config = CreateExecOptions {
            cmd: Some(cmd.iter().map(|part| (*part).to_owned()).collect()),
            user: Some(user.to_owned()),
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let (_, exec_id, output, input) = self.start_attached_exec(container, config).await?;
        let label = cmd.join(" ");
        let stdout = output.filter_map(move |chunk| {
            let item = match chunk {
                Ok(bollard::container::LogOutput::StdOut { message }) => Some(Ok(message)),
                Ok(bollard::container::LogOutput::StdErr { message }) => {
                    tracing::debug!("{label}: {}", String::from_utf8_lossy(&message).trim_end());
                    None
                }
                Ok(_) => None,
                Err(error) => Some(Err(EngineError::from(error))),
            };
            std::future::ready(item)
        });
        Ok(StdioExec {
            exec_id,
            stdout: Box::pin(stdout),
            stdin: input,
        })
    }

    /// Sets the TTY size of an exec.
    async fn resize_exec(&self, exec_id: &str, cols: u16, rows: u16) -> Result<(), EngineError> {
        let options = bollard::query_parameters::ResizeExecOptionsBuilder::default()
            .w(i32::from(cols))
            .h(i32::from(rows))
            .build();
        self.call(|docker| async move { docker.resize_exec(exec_id, options).await })
            .await
    }

    /// Whether an exec still runs, its process id in the container and its exit code.
    async fn exec_state(&self, exec_id: &str) -> Result<ExecState, EngineError> {
        let inspect = self
            .call(|docker| async move { docker.inspect_exec(exec_id).await })
            .await?;
        Ok(ExecState {
            running: inspect.running.unwrap_or(false),
            pid: inspect.pid.unwrap_or(0),
            exit_code: inspect.exit_code,
        })
    }

    /// Unpacks a tar archive into a container (running or not) at `dir`, keeping the owners and
    /// modes of its entries.
    async fn upload_archive(
        &self,
        container: &str,
        dir: &str,
        archive: Vec<u8>,
    ) -> Result<(), EngineError> {
        let options = UploadToContainerOptionsBuilder::default().path(dir).build();
        self.call(|docker| async move {
            docker
                .upload_to_container(container, Some(options), bollard::body_full(archive.into()))
                .await
        })
        .await
    }

    async fn connect(
        &self,
        container: &ContainerInfo,
        network: &str,
        port: u16,
    ) -> Result<Box<dyn super::Connection>, EngineError> {
        let address = container.addresses.get(network).ok_or_else(|| {
            EngineError::Conflict(format!("{} is not running on {network}", container.name))
        })?;
        let stream = tokio::net::TcpStream::connect((*address, port))
            .await
            .map_err(|error| {
                EngineError::Failed(format!(
                    "nothing accepts connections on port {port} of {} ({error})",
                    container.name
                ))
            })?;
        // Small writes (keystrokes, dev-server pushes) leave at once.
        let _ = stream.set_nodelay(true);
        Ok(Box::new(stream))
    }

    /// The contents of one file in a container (running or not); `None` when it does not exist.
    /// A file larger than `limit` bytes is an error: the download stops there, so a huge file
    /// (or one that never ends) costs no more than `limit`.
    async fn download_archive(
        &self,
        container: &str,
        path: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, EngineError> {
        match self.fetch_archive(container, path, limit).await? {
            Fetched::Missing => Ok(None),
            Fetched::TooLarge => Err(EngineError::Failed(format!(
                "{path} in {container} is larger than {limit} bytes, the most Perry copies of it"
            ))),
            Fetched::Archive(archive) => Ok(Some(archive)),
        }
    }

    async fn read_file(
        &self,
        container: &str,
        path: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, EngineError> {
        // The archive is the file plus its tar headers (a long name or PAX header adds a few
        // blocks) and the two zero blocks that end it.
        const TAR_OVERHEAD: u64 = 64 * 1024;
        let too_large = || {
            EngineError::Failed(format!(
                "{path} in {container} is larger than {limit} bytes, the most Perry reads of it"
            ))
        };
        let archive = match self
            .fetch_archive(container, path, limit.saturating_add(TAR_OVERHEAD))
            .await?
        {
            Fetched::Missing => return Ok(None),
            Fetched::TooLarge => return Err(too_large()),
            Fetched::Archive(archive) => archive,
        };
        let unreadable = |error: std::io::Error| {
            EngineError::Failed(format!("cannot read {path} from {container}: {error}"))
        };
        let mut reader = tar::Archive::new(archive.as_slice());
        let mut entries = reader.entries().map_err(unreadable)?;
        let Some(entry) = entries.next() else {
            return Ok(None);
        };
        let entry = entry.map_err(unreadable)?;
        if entry.size() > limit {
            return Err(too_large());
        }
        let mut contents = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(entry, limit), &mut contents)
            .map_err(unreadable)?;
        Ok(Some(contents))
    }
}

/// What [`Docker::fetch_archive`] found.
enum Fetched {
    Missing,
    TooLarge,
    Archive(Vec<u8>),
}

/// A container's address on each of its networks (Docker gives "" where it has none).
fn addresses(
    networks: Option<HashMap<String, bollard::models::EndpointSettings>>,
) -> HashMap<String, std::net::IpAddr> {
    networks
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(network, endpoint)| Some((network, endpoint.ip_address?.parse().ok()?)))
        .collect()
}

fn ignore_not_found(result: Result<(), EngineError>) -> Result<(), EngineError> {
    match result {
        Err(EngineError::NotFound(_)) => Ok(()),
        other => other,
    }
}

/// The host side of a workspace container: its volumes, port, network and the rights its inner
/// Docker daemon needs.
fn workspace_host_config(spec: &ContainerSpec, mode: DindMode) -> HostConfig {
    let mut host_config = HostConfig {
        init: Some(true),
        network_mode: Some(spec.network.clone()),
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
            maximum_retry_count: None,
        }),
        port_bindings: Some(HashMap::from([(
            "22/tcp".to_owned(),
            Some(vec![PortBinding {
                host_ip: Some("0.0.0.0".to_owned()),
                host_port: Some(spec.ssh_host_port.to_string()),
            }]),
        )])),
        mounts: Some(
            spec.volumes
                .iter()
                .map(|(volume, target)| Mount {
                    target: Some(target.clone()),
                    source: Some(volume.clone()),
                    typ: Some(MountType::VOLUME),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    };
    apply_limits(&mut host_config, &spec.limits);
    match mode {
        DindMode::Privileged => host_config.privileged = Some(true),
        DindMode::Capabilities => {
            host_config.cap_add = Some(vec!["ALL".to_owned()]);
            host_config.cap_drop = Some(vec!["SYS_RESOURCE".to_owned()]);
            host_config.security_opt = Some(vec![
                "seccomp=unconfined".to_owned(),
                "apparmor=unconfined".to_owned(),
            ]);
            // `--security-opt systempaths=unconfined` is a CLI spelling; the API form is empty
            // masked and read-only path lists, so the inner dockerd can mount /proc and /sys.
            host_config.masked_paths = Some(Vec::new());
            host_config.readonly_paths = Some(Vec::new());
        }
    }
    host_config
}

/// Bytes in a MiB, the unit of `memoryMb`.
const MIB: u64 = 1024 * 1024;

/// Puts the limits into a container's HostConfig (fields Engine API 1.41 knows). Swap is
/// limited to the memory limit, so swapping cannot stretch it.
fn apply_limits(host_config: &mut HostConfig, limits: &WorkspaceLimits) {
    if let Some(cpus) = limits.cpus {
        // Float to integer casts saturate; the value was checked against the host's CPUs.
        host_config.nano_cpus = Some((cpus * 1e9).round() as i64);
    }
    if let Some(memory_mb) = limits.memory_mb {
        let bytes = i64::from(memory_mb) * MIB as i64;
        host_config.memory = Some(bytes);
        host_config.memory_swap = Some(bytes);
    }
    if let Some(pids) = limits.pids {
        host_config.pids_limit = Some(i64::from(pids));
    }
}

/// Docker's list filter for objects carrying `label=value`.
fn label_filter(label: &str, value: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_owned(), vec![format!("{label}={value}")])])
}
