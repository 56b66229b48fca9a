//! The engines that run workspaces: the Docker Engine ([`docker`]) and Kubernetes. Everything
//! above this module (workspace, terminal, sessions, ports, the container view) asks an
//! [`Engine`] and never knows which one runs a workspace.
//!
//! **Architecture invariant:** only the engine modules talk to an engine (bollard for Docker);
//! no other module names bollard or reads an engine's message text: they see [`EngineError`]
//! kinds and the types here.

pub mod docker;
mod error;
pub mod kubernetes;

use std::collections::HashMap;
use std::time::Duration;

use std::collections::BTreeMap;

use perry_api::{DindMode, WorkspaceLimits};
use serde::{Deserialize, Serialize};

pub use error::EngineError;

/// Which engine runs the agent's workspaces: config.json's `engine`, `{"kind": "docker"}` when
/// absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EngineConfig {
    /// The Docker Engine on the agent's machine (`DOCKER_HOST`, else the local socket).
    #[default]
    Docker,
    /// A Kubernetes cluster: each workspace a pod with two PersistentVolumeClaims.
    Kubernetes(Box<KubernetesConfig>),
}

/// Where and how workspaces run on Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubernetesConfig {
    /// The namespace of every workspace object (`perry` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The kubeconfig file; absent: the agent's ServiceAccount inside a cluster, else
    /// `$KUBECONFIG` or `~/.kube/config`, as kubectl finds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// The kubeconfig context (its current one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The StorageClass of the workspaces' claims (the cluster's default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// The size each claim asks for (`10Gi` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_size: Option<String>,
    /// The image new workspaces run, as the cluster's nodes name it (config.json's `imageTag`
    /// when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `Always`, `IfNotPresent` (when absent) or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// A RuntimeClass for the pods (e.g. sysbox), which then get no added rights of Perry's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    /// Labels a node must have to run workspaces.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
}

impl EngineConfig {
    pub(crate) fn is_docker(&self) -> bool {
        *self == EngineConfig::Docker
    }
}

/// The engine config.json's `engine` names.
pub async fn from_config(config: &EngineConfig) -> anyhow::Result<std::sync::Arc<dyn Engine>> {
    Ok(match config {
        EngineConfig::Docker => std::sync::Arc::new(docker::Docker::new()),
        EngineConfig::Kubernetes(kubernetes) => {
            std::sync::Arc::new(kubernetes::Kubernetes::connect(kubernetes).await?)
        }
    })
}

/// The label every engine object of a workspace (container or pod, volume or claim, network) carries, with the workspace's name.
pub const WORKSPACE_LABEL: &str = "dev.perry.workspace";
/// The label that ties a workspace's objects to one agent's `workspacePrefix`.
pub const PREFIX_LABEL: &str = "dev.perry.prefix";
/// Creation time of the workspace, RFC 3339.
pub const CREATED_LABEL: &str = "dev.perry.created";
/// The host port of the workspace's sshd.
pub const SSH_PORT_LABEL: &str = "dev.perry.ssh-port";

/// What Perry needs to know about one of its containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    pub running: bool,
    pub image: String,
    pub labels: HashMap<String, String>,
    /// Its address on each network it is attached to, by network name.
    pub addresses: HashMap<String, std::net::IpAddr>,
    /// Why the engine cannot reach it now, when it cannot (a Kubernetes pod whose node stopped
    /// answering); it may still run there.
    pub unreachable: Option<String>,
}

/// Everything that makes a workspace container.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    pub name: String,
    pub hostname: String,
    pub image: String,
    pub labels: HashMap<String, String>,
    pub env: Vec<String>,
    pub network: String,
    /// Volume name → mount point.
    pub volumes: Vec<(String, String)>,
    pub ssh_host_port: u16,
    /// CPU, memory and process limits; an absent field is no limit.
    pub limits: WorkspaceLimits,
}

/// An interactive command to start with [`Engine::start_tty_exec`].
#[derive(Debug, Clone, Copy)]
pub struct TtyExec<'a> {
    pub container: &'a str,
    pub user: &'a str,
    pub working_dir: &'a str,
    pub cmd: &'a [String],
    pub env: &'a [String],
}

/// The streams of a running TTY exec: raw bytes both ways.
pub struct TtyExecStreams {
    pub exec_id: String,
    pub output: std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>,
    pub input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
}

/// What a command run with [`Engine::exec_split`] printed, and how it ended.
#[derive(Debug, Clone, Default)]
pub struct SplitOutput {
    pub exit_code: i64,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub truncated: bool,
}

/// The streams of a running exec without a TTY.
pub struct StdioExec {
    pub exec_id: String,
    pub stdout: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = Result<hyper::body::Bytes, EngineError>> + Send>,
    >,
    pub stdin: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
}

/// What the engine says about an exec.
#[derive(Debug, Clone, Copy)]
pub struct ExecState {
    pub running: bool,
    pub pid: i64,
    pub exit_code: Option<i64>,
}

/// The result of a command run to completion in a container.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub exit_code: i64,
    /// Its stdout and stderr together, cut at [`EXEC_OUTPUT_LIMIT`] bytes.
    pub output: String,
}

/// A throwaway container (pod) that runs one command to its end with volumes mounted, as root:
/// the copy of a workspace clone, the checkout of a new workspace's repository.
#[derive(Debug, Clone, Default)]
pub struct TaskSpec {
    pub name: String,
    pub image: String,
    pub labels: HashMap<String, String>,
    /// Volume name, mount point, and whether it is mounted read-only.
    pub volumes: Vec<(String, String, bool)>,
    pub command: Vec<String>,
    /// The network it joins; `None`: none at all (Docker; a pod always has the cluster's).
    pub network: Option<String>,
    /// A tar archive unpacked at `/` before it starts; empty: nothing (Docker only).
    pub files: Vec<u8>,
    /// Left in place once it ended, for the caller to read from (`download_archive`) and then
    /// remove (`remove_container`); otherwise it is removed on every path (Docker only).
    pub keep: bool,
}

/// How a task ended: its exit code and the last of what it printed to stderr.
#[derive(Debug, Clone)]
pub struct TaskOutcome {
    pub exit_code: i64,
    pub stderr_tail: String,
}

/// An image to build from a tar of its context (the Engine's classic builder: no BuildKit
/// features such as `RUN --mount`).
#[derive(Debug, Clone, Default)]
pub struct ImageBuildSpec {
    pub tag: String,
    /// The build context as a tar archive.
    pub context: Vec<u8>,
    /// The Dockerfile's path inside the context.
    pub dockerfile: String,
    pub args: HashMap<String, String>,
    /// The stage to build (the last one when absent).
    pub target: Option<String>,
    pub cache_from: Vec<String>,
    pub labels: HashMap<String, String>,
}

/// What Perry reads of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub id: String,
    /// The user its processes run as (`root` when it names none).
    pub user: String,
    /// Bytes, all layers counted.
    pub size: u64,
    pub labels: HashMap<String, String>,
    /// Its environment, `NAME=value` each.
    pub env: Vec<String>,
}

/// How much output of a command run with [`Engine::exec`] is kept.
pub const EXEC_OUTPUT_LIMIT: usize = 64 * 1024;

/// What runs workspaces. One workspace is one container (Docker) or one pod (Kubernetes), with
/// two volumes (home and the inner Docker's data); names are the agent's prefix plus the
/// workspace's name, and every object carries [`PREFIX_LABEL`].
#[async_trait::async_trait]
pub trait Engine: std::fmt::Debug + Send + Sync {
    /// `docker` or `kubernetes`, as `agent.info` tells it.
    fn kind(&self) -> &'static str;

    /// Where workspaces go, for people: Docker's endpoint, a cluster's server and namespace.
    fn location(&self) -> String;

    /// The engine's version, e.g. Docker's `20.10.24+dfsg1`.
    async fn version(&self) -> Result<String, EngineError>;

    /// Who answers: a Docker-in-Docker probe's result holds for the engine that gave it.
    async fn identity(&self) -> Result<String, EngineError>;

    /// The CPUs and memory a workspace can have at most.
    async fn host_resources(&self) -> Result<crate::limits::HostResources, EngineError>;

    /// Whether workspaces run on the agent's own machine, so its free memory and load are
    /// theirs too.
    fn runs_workspaces_here(&self) -> bool {
        false
    }

    /// Why this engine cannot hold a workspace to a number of processes, if it cannot.
    fn no_process_limit(&self) -> Option<&'static str> {
        None
    }

    /// Whether the image is there to run.
    async fn image_exists(&self, image: &str) -> Result<bool, EngineError>;

    /// Whether [`Engine::build_image`] works here: images built from a devcontainer.json can
    /// only run where they were built (no registry to push them to).
    fn builds_images(&self) -> bool {
        false
    }

    /// What the engine knows of an image; `None` when it does not have it.
    async fn image_info(&self, image: &str) -> Result<Option<ImageInfo>, EngineError> {
        let _ = image;
        Err(EngineError::Failed(format!(
            "the {} engine cannot inspect images",
            self.kind()
        )))
    }

    /// Builds an image, each line of the build's output sent to `lines`; returns its id. A
    /// failed step is [`EngineError::Failed`] with the engine's own words for it.
    async fn build_image(
        &self,
        spec: &ImageBuildSpec,
        lines: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<String, EngineError> {
        let _ = (spec, lines);
        Err(EngineError::Failed(format!(
            "the {} engine cannot build images; build them where its nodes can pull them",
            self.kind()
        )))
    }

    /// Removes an image (and its untagged parents); a missing one is fine, one a container
    /// still uses is [`EngineError::Conflict`].
    async fn remove_image(&self, image: &str) -> Result<(), EngineError> {
        let _ = image;
        Ok(())
    }

    /// Finds out how a workspace's inner Docker daemon gets its rights here, with a throwaway
    /// container (or pod) `probe_name` of `image` that is gone when this returns, also when the
    /// future is dropped before.
    async fn detect_dind_mode(
        &self,
        image: &str,
        probe_name: &str,
        labels: HashMap<String, String>,
    ) -> Result<DindMode, EngineError>;

    /// Removes the probe an agent killed in the middle of its probe left behind.
    async fn remove_probe(&self, probe_name: &str) -> Result<(), EngineError>;

    /// Makes what all workspaces share (Docker: their network) when it is missing.
    async fn prepare(
        &self,
        network: &str,
        labels: HashMap<String, String>,
    ) -> Result<(), EngineError>;

    async fn volume_exists(&self, name: &str) -> Result<bool, EngineError>;

    /// Creates a volume (a claim on Kubernetes); an existing one is left as it is.
    async fn create_volume(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<(), EngineError>;

    /// Removes a volume; a missing one is fine.
    async fn remove_volume(&self, name: &str) -> Result<(), EngineError>;

    /// Runs `task` to its end, each line of its stdout sent to `lines`; the container is gone
    /// when this returns. When `lines` is closed (the caller gave up) the task is stopped.
    async fn run_task(
        &self,
        task: &TaskSpec,
        lines: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<TaskOutcome, EngineError> {
        let _ = (task, lines);
        Err(EngineError::Failed(format!(
            "the {} engine cannot run tasks",
            self.kind()
        )))
    }

    /// Holds a running container's volumes still for a copy: Docker freezes its processes
    /// (`docker pause`); Kubernetes, which cannot freeze a pod, stops it.
    async fn pause_container(&self, name: &str) -> Result<(), EngineError> {
        let _ = name;
        Err(EngineError::Failed(format!(
            "the {} engine cannot pause containers",
            self.kind()
        )))
    }

    /// Lets a container [`Engine::pause_container`] held run again.
    async fn unpause_container(&self, name: &str) -> Result<(), EngineError> {
        let _ = name;
        Ok(())
    }

    /// Creates a workspace's container in `mode`, not started; returns its id.
    async fn create_container(
        &self,
        spec: &ContainerSpec,
        mode: DindMode,
    ) -> Result<String, EngineError>;

    /// Starts a container; one already running is fine. A host port it publishes that someone
    /// else holds is [`EngineError::PortInUse`].
    async fn start_container(&self, name: &str) -> Result<(), EngineError>;

    /// Stops a container, giving it `grace` to shut down; a stopped one is fine.
    async fn stop_container(&self, name: &str, grace: Duration) -> Result<(), EngineError>;

    /// Removes a container, running or not, and waits until it is gone; a missing one is fine.
    async fn remove_container(&self, name: &str) -> Result<(), EngineError>;

    /// One container by name or id, `None` when it does not exist.
    async fn inspect_container(&self, name: &str) -> Result<Option<ContainerInfo>, EngineError>;

    /// All containers (running or not) of the agent with `prefix`.
    async fn list_containers(&self, prefix: &str) -> Result<Vec<ContainerInfo>, EngineError>;

    /// The engine's own events about the containers of `prefix` since `since` (Unix seconds),
    /// one `()` per change: the caller only needs to know that something changed. Ends with an
    /// error when the engine goes away.
    async fn container_changes(
        &self,
        since: u64,
        prefix: &str,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<(), EngineError>>, EngineError>;

    /// Runs `cmd` in a running container as `user` and waits for it to finish; stdout then
    /// stderr, cut at [`EXEC_OUTPUT_LIMIT`]. For the agent's own small commands (checksums,
    /// chmod, kills), whose output is read only to report a failure.
    async fn exec(
        &self,
        container: &str,
        user: &str,
        cmd: &[&str],
    ) -> Result<ExecOutput, EngineError> {
        let cmd: Vec<String> = cmd.iter().map(|part| (*part).to_owned()).collect();
        let output = self
            .exec_split(container, user, None, &cmd, EXEC_OUTPUT_LIMIT)
            .await?;
        let mut text = output.stdout;
        let room = EXEC_OUTPUT_LIMIT.saturating_sub(text.len());
        text.extend_from_slice(&output.stderr[..output.stderr.len().min(room)]);
        Ok(ExecOutput {
            exit_code: output.exit_code,
            output: String::from_utf8_lossy(&text).into_owned(),
        })
    }

    /// Runs `cmd` to completion as `user` in `working_dir` (the image's when `None`), with
    /// stdout and stderr kept apart, each cut at `limit` bytes (the rest is drained).
    async fn exec_split(
        &self,
        container: &str,
        user: &str,
        working_dir: Option<&str>,
        cmd: &[String],
        limit: usize,
    ) -> Result<SplitOutput, EngineError>;

    /// Starts an interactive command with a TTY; its raw byte streams (output out, keystrokes
    /// in). The output ends when the command exits.
    async fn start_tty_exec(&self, request: TtyExec<'_>) -> Result<TtyExecStreams, EngineError>;

    /// Sets the TTY size of an exec.
    async fn resize_exec(&self, exec_id: &str, cols: u16, rows: u16) -> Result<(), EngineError>;

    /// Whether an exec still runs, and how it ended.
    async fn exec_state(&self, exec_id: &str) -> Result<ExecState, EngineError>;

    /// Starts a command without a TTY with stdin attached: its stdout as byte chunks (stderr
    /// goes to the agent's log) and its stdin. For line protocols, such as the worker's.
    async fn start_stdio_exec(
        &self,
        container: &str,
        user: &str,
        cmd: &[&str],
    ) -> Result<StdioExec, EngineError>;

    /// The container's own output: the last `tail` lines, or those since `since_seconds` (Unix
    /// time), each as (stream, RFC 3339 time, text).
    async fn container_logs(
        &self,
        container: &str,
        tail: u32,
        since_seconds: Option<i64>,
    ) -> Result<Vec<(String, String, String)>, EngineError>;

    /// Unpacks a tar archive into a container at `dir`, keeping its entries' owners and modes.
    async fn upload_archive(
        &self,
        container: &str,
        dir: &str,
        archive: Vec<u8>,
    ) -> Result<(), EngineError>;

    /// A tar archive of `path` (a file or a whole directory) in a container, stopped or
    /// running; `None` when it does not exist. An archive past `limit` bytes is an error, and
    /// costs no more than `limit` to find out.
    async fn download_archive(
        &self,
        container: &str,
        path: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, EngineError> {
        let _ = (container, path, limit);
        Err(EngineError::Failed(format!(
            "the {} engine cannot copy directories out of workspaces",
            self.kind()
        )))
    }

    /// The contents of one file in a container; `None` when it does not exist. A file larger
    /// than `limit` bytes is an error, and costs no more than `limit` to find out.
    async fn read_file(
        &self,
        container: &str,
        path: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, EngineError>;

    /// Opens a connection to `port` of a running container: to its address on `network`
    /// (Docker), or through the API server (Kubernetes). Port forwards and SSH use it.
    async fn connect(
        &self,
        container: &ContainerInfo,
        network: &str,
        port: u16,
    ) -> Result<Box<dyn Connection>, EngineError>;

    /// Puts one file into a container at `dir/file_name` with `mode`, owned by root.
    async fn upload_file(
        &self,
        container: &str,
        dir: &str,
        file_name: &str,
        contents: &[u8],
        mode: u32,
    ) -> Result<(), EngineError> {
        let archive = one_file_archive(file_name, contents, mode)
            .map_err(|error| EngineError::Failed(format!("cannot pack {file_name}: {error}")))?;
        self.upload_archive(container, dir, archive).await
    }
}

/// A byte stream both ways to a port of a workspace.
pub trait Connection: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Connection for T {}

/// A tar archive of one file owned by root.
fn one_file_archive(file_name: &str, contents: &[u8], mode: u32) -> std::io::Result<Vec<u8>> {
    let mut header = tar::Header::new_gnu();
    header.set_size(contents.len() as u64);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0),
    );
    let mut archive = tar::Builder::new(Vec::new());
    archive.append_data(&mut header, file_name, contents)?;
    archive.into_inner()
}
