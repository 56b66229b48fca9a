//! Workspaces built from a repository's devcontainer.json (read by [`crate::devcontainer`],
//! which is pure): the repository is cloned first, into the new workspace's home volume by a
//! task container of its own; the config is read from there, its image made (the project's
//! image or Dockerfile, then Perry's layer on top: the inner Docker daemon, sshd, sudo, the
//! user, the coding agents; then its local features) and cached by a content hash; only then is
//! the workspace's container made, once, from that image, and the config's lifecycle commands
//! run in the spec's order. A rebuild reads the config out of the running workspace and makes
//! its container again with the same volumes.
//!
//! Every line of a build goes to the workspace's progress (the step) and to its build log
//! (`<config dir>/builds/<workspace>.log`, the last build's), with every key of the config
//! Perry does not act on, named.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use perry_api::{PortForward, Workspace};

use super::scripts::Step;
use super::{
    CLONE_SCRIPT, CLONE_TIMEOUT_SECONDS, CloneTarget, MadeObjects, STOP_GRACE, WorkspaceService,
    sync,
};
use crate::devcontainer::{self, Command, ConfigFiles, DevContainer, Source};
use crate::engine::EngineError;
use crate::engine::{ImageBuildSpec, ImageInfo, TaskSpec};
use crate::error::ApiError;

/// Perry's layer: a Dockerfile template and the script it runs (see image/layer/).
const LAYER_DOCKERFILE: &str = include_str!("../../../../image/layer/Dockerfile.template");
const LAYER_INSTALL: &str = include_str!("../../../../image/layer/install.sh");
const ENTRYPOINT: &str = include_str!("../../../../image/entrypoint.sh");
const HOME_SNAPSHOT: &str = include_str!("../../../../image/layer/home-snapshot.sh");
/// The last step of an image with features, as of the layer's (see home-snapshot.sh).
const HOME_SNAPSHOT_STEP: &str = "USER root\nRUN /bin/sh /opt/perry/home-snapshot.sh\n";
/// How an image is made from a config: in its content hash, so that an agent that makes them
/// otherwise does not take an image made the old way.
const RECIPE: [&str; 2] = [
    include_str!("devcontainer.rs"),
    include_str!("../devcontainer/features.rs"),
];

/// The repository of the images built from devcontainer.json; the tag is the content hash.
pub const IMAGE_REPOSITORY: &str = "perry-devcontainer";
/// The label on those images with the lifecycle commands a start runs (JSON, [`Hooks`]).
pub const HOOKS_LABEL: &str = "dev.perry.devcontainer.hooks";
/// The label of Perry's layer naming the account the workspace user is (empty: its own).
const ACCOUNT_LABEL: &str = "dev.perry.account";
/// The label of the agent's own workspace image, which images made from it keep.
const BASE_IMAGE_LABEL: &str = "dev.perry.image";
/// The markers around the layer's copy of the coding agents.
const AGENTS_BEGIN: &str = "# perry:agents-begin";
const AGENTS_END: &str = "# perry:agents-end";
/// The most of a repository's `.devcontainer/` Perry reads.
const CONFIG_LIMIT: u64 = 32 * 1024 * 1024;
/// The most of a build context Perry sends to the engine.
const CONTEXT_LIMIT: u64 = 2 * 1024 * 1024 * 1024;
/// Seconds one lifecycle command may run.
const HOOK_TIMEOUT_SECONDS: u32 = 3600;

/// What a workspace's image carries of its config for the containers made from it: the
/// lifecycle commands and the volumes to mount.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hooks {
    /// `mounts` of kind volume: the volume's name (`None`: a volume of the workspace's own)
    /// and where it goes.
    #[serde(default)]
    pub mounts: Vec<(Option<String>, String)>,
    /// The repository's folder in the workspace: where commands run.
    pub workdir: String,
    pub env: BTreeMap<String, Option<String>>,
    pub on_create: Vec<(String, Command)>,
    pub update_content: Vec<(String, Command)>,
    pub post_create: Vec<(String, Command)>,
    pub post_start: Vec<(String, Command)>,
    pub post_attach: Vec<(String, Command)>,
    /// `forwardPorts`, with their labels.
    #[serde(default)]
    pub forward_ports: Vec<(u16, Option<String>)>,
}

/// An image made (or found made) from a config.
#[derive(Debug, Clone)]
pub struct Built {
    pub image: String,
    /// The config's path in the repository.
    pub config_path: String,
    /// Also the ports to forward, with the image's metadata merged in.
    pub hooks: Hooks,
    /// `customizations.perry.limits`.
    pub limits: Option<perry_api::WorkspaceLimits>,
}

/// The last build's log of one workspace: a file, and the step shown on every list.
struct BuildLog<'a> {
    service: &'a WorkspaceService,
    workspace: String,
    file: Option<std::fs::File>,
}

/// How many of a failed build's last lines its error repeats.
const ERROR_LINES: usize = 15;

impl BuildLog<'_> {
    fn line(&mut self, line: &str) {
        if line.starts_with("Step ") {
            self.service
                .set_progress(&self.workspace, &format!("building: {line}"), None);
        }
        let time = humantime::format_rfc3339_nanos(std::time::SystemTime::now());
        if let Some(file) = &mut self.file
            && writeln!(file, "{time} {line}").is_err()
        {
            self.file = None;
        }
    }
}

impl WorkspaceService {
    /// Makes a workspace (reserved as `record`, with the agent's image) from a repository: the
    /// repository is cloned first into the workspace's home volume by a task of its own, its
    /// devcontainer.json (or the one `config_name` names) read from there and its image built
    /// (or found), and only then the workspace's container made, once, from that image. Without
    /// a config the workspace is the agent's image with the clone in it; a clone that fails is
    /// recorded on it (the workspace stays usable), as for a repository cloned into a running
    /// workspace. Returns the workspace and the lifecycle commands its first start runs.
    pub(super) async fn create_from_repository(
        &self,
        mut record: Workspace,
        target: CloneTarget,
        config_name: Option<&str>,
        requested: perry_api::WorkspaceLimits,
        made: &mut MadeObjects,
    ) -> Result<(Workspace, Vec<Step>), ApiError> {
        let name = record.name.clone();
        self.make_network_and_volumes(&record, made).await?;
        self.set_progress(&name, "cloning", None);
        let path = format!("{}/{}", sync::HOME, target.directory);
        // A '.' no workspace name has: never another workspace's container.
        let checkout = format!("{}.checkout", self.container_name(&name));
        // Removed however this ends, also when the request is dropped meanwhile: a stopped
        // container holding the home volume would keep the volume from being removed.
        let removal = RemoveOnDrop {
            engine: self.engine.clone(),
            container: checkout.clone(),
        };
        let cloned = self.check_out(&record, &checkout, &target, &path).await;
        let built = match cloned {
            Ok(()) => {
                self.record_clone(&mut record, target, path.clone(), None);
                self.set_progress(&name, "reading devcontainer.json", None);
                self.build_devcontainer(&name, &checkout, &path, config_name)
                    .await
            }
            Err(error) => {
                self.record_clone(&mut record, target, path.clone(), Some(error));
                Ok(None)
            }
        };
        removal.now().await;
        let built = built?;
        if let Some(built) = &built {
            self.take_built(&mut record, built, Some(requested)).await?;
            self.state
                .update(|state| state.workspaces.insert(name.clone(), record.clone()))?;
        }
        let mode = self.dind_mode_for(&record.image).await?;
        let workspace = self.provision(record, mode, made).await?;
        match built {
            Some(built) if workspace.status == perry_api::WorkspaceStatus::Running => {
                self.forward_config_ports(&name, &built).await;
                Ok((self.settled_record(&name)?, self.built_steps(&built).await))
            }
            _ => Ok((workspace, Vec::new())),
        }
    }

    /// Clones `target` into `path` of the workspace's home volume in a task container
    /// `checkout` (the agent's image, the workspaces' network, the credentials of a sync put in
    /// first, as user `workspace` in a login shell), which is kept for the config to be read
    /// from. The error is git's.
    async fn check_out(
        &self,
        record: &Workspace,
        checkout: &str,
        target: &CloneTarget,
        path: &str,
    ) -> Result<(), String> {
        // The checkout runs the agent's image, whose user is uid 1000.
        let (plan, archive) =
            self.credentials_archive(&record.name, Ok(String::new()), sync::Owner::default());
        for item in plan.items.iter().filter(|item| item.error.is_some()) {
            tracing::warn!(
                "sync of {} for the clone of {:?}: {}",
                item.what,
                record.name,
                item.error.as_deref().unwrap_or_default()
            );
        }
        let files = match archive {
            Some(Ok(archive)) => archive,
            Some(Err(error)) => return Err(format!("cannot pack the credentials: {error}")),
            None => Vec::new(),
        };
        let task = TaskSpec {
            name: checkout.to_owned(),
            image: record.image.clone(),
            labels: self.prefix_labels(),
            volumes: self
                .volumes(&record.name)
                .into_iter()
                .filter(|(_, target)| target == sync::HOME)
                .map(|(volume, target)| (volume, target, false))
                .collect(),
            command: [
                "/bin/sh",
                "-c",
                "chown \"$0:\" \"$4\" && exec runuser -u \"$0\" -- /bin/bash -lc \"$1\" perry-clone \"$2\" \"$3\"",
                sync::USER,
                CLONE_SCRIPT,
                &target.url,
                path,
                sync::HOME,
            ]
            .map(str::to_owned)
            .to_vec(),
            network: Some(self.network_name()),
            files,
            keep: true,
        };
        // Its lines are listened to (a task nobody listens to is stopped), but git is quiet.
        let (lines, _listened) = tokio::sync::mpsc::unbounded_channel();
        let timeout = std::time::Duration::from_secs(CLONE_TIMEOUT_SECONDS.into());
        match tokio::time::timeout(timeout, self.engine.run_task(&task, lines)).await {
            Ok(Ok(outcome)) if outcome.exit_code == 0 => Ok(()),
            Ok(Ok(outcome)) => Err(Some(outcome.stderr_tail.trim())
                .filter(|stderr| !stderr.is_empty())
                .unwrap_or("git clone failed")
                .to_owned()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!(
                "the clone did not finish within {CLONE_TIMEOUT_SECONDS} s"
            )),
        }
    }

    /// Puts what `built` says onto the workspace's record: its image, its config, the labels of
    /// its ports and its limits. `customizations.perry.limits` apply where the person asked for
    /// none at create (`requested`); at a rebuild (`None`) the config's win, as the config is
    /// what a rebuild follows. A config without limits leaves the workspace's as they are.
    async fn take_built(
        &self,
        record: &mut Workspace,
        built: &Built,
        requested: Option<perry_api::WorkspaceLimits>,
    ) -> Result<(), ApiError> {
        if let Some(limits) = built.limits {
            let asked = requested.unwrap_or_default().or(limits);
            record.limits = Some(self.limits_for(asked).await.map_err(|error| {
                ApiError::UnprocessableContent(format!(
                    "{}: customizations.perry.limits: {error}",
                    built.config_path
                ))
            })?);
        }
        record.image = built.image.clone();
        record.devcontainer = Some(built.config_path.clone());
        record.ports.labels = built
            .hooks
            .forward_ports
            .iter()
            .filter_map(|(port, label)| Some((*port, label.clone()?)))
            .collect();
        Ok(())
    }

    /// Forwards the ports the config names; one that cannot be (another workspace has it) is
    /// logged and the rest go on.
    async fn forward_config_ports(&self, name: &str, built: &Built) {
        for (port, _) in &built.hooks.forward_ports {
            let forward = PortForward {
                host_port: *port,
                workspace_port: *port,
            };
            if let Err(error) = self.forward_locked(name, vec![forward]).await {
                tracing::warn!(
                    "{name:?}: cannot forward port {port} as {} asks: {error}",
                    built.config_path
                );
            }
        }
    }

    /// Builds the workspace again from the current devcontainer.json of its repository and
    /// makes its container anew from that image, keeping its volumes (the home, the inner
    /// Docker's data); the creation commands run again, as for a new container.
    pub async fn rebuild(&self, name: &str) -> Result<Workspace, ApiError> {
        self.after_change(self.rebuild_serialized(name).await).await
    }

    async fn rebuild_serialized(&self, name: &str) -> Result<Workspace, ApiError> {
        let _serialized = self.lock_name(name).await;
        let record = self.require_record(name)?;
        if !self.engine.builds_images() {
            return Err(ApiError::PreconditionFailed(format!(
                "The {} engine builds no images (they could run only where they were built): {name:?} cannot be rebuilt from a devcontainer.json",
                self.engine.kind()
            )));
        }
        let Some(repo) = record
            .clone
            .as_ref()
            .filter(|clone| clone.error.is_none())
            .map(|clone| clone.path.clone())
        else {
            return Err(ApiError::PreconditionFailed(format!(
                "Workspace {name:?} was not made from a repository (`perry start {name} --clone <url>`): there is no devcontainer.json to rebuild it from"
            )));
        };
        let config_name = record.devcontainer.as_deref().and_then(config_name_of);
        // The config is read out of the workspace: it runs while it is rebuilt.
        let running = self.start_locked(name).await?;
        if running.status != perry_api::WorkspaceStatus::Running {
            return Err(ApiError::Conflict(format!(
                "Workspace {name:?} did not start, so its devcontainer.json cannot be read: {}",
                running.error.unwrap_or_default()
            )));
        }
        let _busy = self.mark_busy(name);
        let container = self.container_name(name);
        self.set_progress(name, "reading devcontainer.json", None);
        let Some(built) = self
            .build_devcontainer(name, &container, &repo, config_name.as_deref())
            .await?
        else {
            return Err(ApiError::PreconditionFailed(format!(
                "The repository in {repo} has no devcontainer.json (any more): nothing to rebuild {name:?} from"
            )));
        };
        let workspace = self.switch_image(running, &built).await?;
        if workspace.status == perry_api::WorkspaceStatus::Running {
            self.forward_config_ports(name, &built).await;
        }
        let hooks = self.built_steps(&built).await;
        Ok(self.start_post_start_scripts(self.settled_record(name)?, hooks))
    }

    /// The record as it is once the work on it is done (its forwards made), without the step
    /// it was at.
    fn settled_record(&self, name: &str) -> Result<Workspace, ApiError> {
        self.require_record(name).map(|mut record| {
            record.progress = None;
            record
        })
    }

    /// Makes the workspace's container again from `built`'s image, with the same volumes, and
    /// waits until it is ready.
    async fn switch_image(
        &self,
        mut record: Workspace,
        built: &Built,
    ) -> Result<Workspace, ApiError> {
        let name = record.name.clone();
        let container = self.container_name(&name);
        let previous = record.image.clone();
        // First what can fail without a change: a config whose limits do not fit, an image
        // whose Docker-in-Docker mode cannot be found.
        self.take_built(&mut record, built, None).await?;
        let mode = self.dind_mode_for(&record.image).await?;
        self.set_progress(&name, "starting the workspace's own image", None);
        self.close_clients(&name, "the workspace is being rebuilt")
            .await;
        match self.engine.stop_container(&container, STOP_GRACE).await {
            Ok(()) | Err(EngineError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
        self.engine.remove_container(&container).await?;
        record.status = perry_api::WorkspaceStatus::Creating;
        self.state
            .update(|state| state.workspaces.insert(name.clone(), record.clone()))?;
        // What a rebuild makes stays, whatever happens next: the workspace keeps its volumes.
        let mut made = MadeObjects::default();
        let id = self.create_container(&record, mode, &mut made).await?;
        record.container_id = Some(id.clone());
        self.engine.start_container(&id).await?;
        if previous != record.image {
            self.release_image(&previous).await;
        }
        let ready = self.wait_until_ready_and_sync(&record).await;
        if ready.is_ok() {
            self.bind_forwards(&record).await;
        }
        self.record_outcome(&name, record, ready)
    }

    /// Where the last build of workspace `name` wrote its output.
    pub fn build_log_path(&self, name: &str) -> PathBuf {
        self.settings
            .config_dir
            .join("builds")
            .join(format!("{name}.log"))
    }

    /// The last `tail` lines of the last build's log (after `since`), as log lines of stream
    /// `build`; none when the workspace was never built from a devcontainer.json.
    pub(super) fn build_log_lines(
        &self,
        name: &str,
        tail: u32,
        since: Option<std::time::SystemTime>,
    ) -> Result<Vec<perry_api::LogLine>, ApiError> {
        let text = match std::fs::read(self.build_log_path(name)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(internal(format!("cannot read the build log: {error}"))),
        };
        let lines: Vec<perry_api::LogLine> = text
            .lines()
            .filter_map(|line| {
                let (time, text) = line.split_once(' ')?;
                let at = humantime::parse_rfc3339(time).ok()?;
                since
                    .is_none_or(|since| at > since)
                    .then(|| perry_api::LogLine {
                        stream: "build".to_owned(),
                        time: time.to_owned(),
                        text: text.to_owned(),
                    })
            })
            .collect();
        let skip = lines.len().saturating_sub(tail as usize);
        Ok(lines.into_iter().skip(skip).collect())
    }

    /// Removes an image built from a devcontainer.json once no workspace uses it (a rebuild
    /// made another, its workspace is gone). Another agent's container may still run it: the
    /// engine then refuses, and the image stays.
    pub(super) async fn release_image(&self, image: &str) {
        if !is_built_image(image) {
            return;
        }
        let used = self
            .state
            .snapshot()
            .workspaces
            .values()
            .any(|workspace| workspace.image == image);
        if used {
            return;
        }
        match self.engine.remove_image(image).await {
            Ok(()) => tracing::info!("removed {image}: no workspace uses it any more"),
            Err(EngineError::Conflict(_)) => {}
            Err(error) => tracing::warn!("cannot remove the unused image {image}: {error}"),
        }
    }

    /// Removes the build log of a workspace that is gone.
    pub(super) fn forget_build_log(&self, name: &str) {
        match std::fs::remove_file(self.build_log_path(name)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!("cannot remove the build log of {name:?}: {error}"),
        }
    }

    fn open_build_log(&self, name: &str) -> BuildLog<'_> {
        let path = self.build_log_path(name);
        let file = path
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::File::create(&path));
        let file = match file {
            Ok(file) => Some(file),
            Err(error) => {
                tracing::warn!("cannot write the build log {}: {error}", path.display());
                None
            }
        };
        BuildLog {
            service: self,
            workspace: name.to_owned(),
            file,
        }
    }

    /// Reads the devcontainer.json of the repository at `repo` in `container` and makes its
    /// image, unless an image of the same content hash exists. `Ok(None)`: the repository
    /// has no config (and none was asked for by `config_name`).
    pub(super) async fn build_devcontainer(
        &self,
        workspace: &str,
        container: &str,
        repo: &str,
        config_name: Option<&str>,
    ) -> Result<Option<Built>, ApiError> {
        let files = self.read_config_files(container, repo).await?;
        let Some(path) = devcontainer::find_config(&files, config_name).map_err(invalid)? else {
            return Ok(None);
        };
        let variables = devcontainer::Variables {
            local_env: std::env::vars().collect(),
            local_workspace_folder: repo.to_owned(),
            container_workspace_folder: repo.to_owned(),
        };
        let mut config = devcontainer::parse(&files, &path, &variables).map_err(invalid)?;
        let mut log = self.open_build_log(workspace);
        log.line(&format!("perry: building the workspace from {path}"));
        log_unsupported(&mut log, &path, &config.unsupported);
        let context = match &config.source {
            Source::Build(build) => Some(
                self.context_tar(
                    container,
                    &format!("{repo}/{}", build.context),
                    &relative_to(&build.dockerfile, &build.context),
                    &mut log,
                )
                .await?,
            ),
            Source::Image(_) => None,
        };
        let certificates = read_ca_certificates();
        let workspace_image = self.settings.image.clone();
        let workspace_image_id = self
            .engine
            .image_info(&workspace_image)
            .await?
            .map(|info| info.id)
            .unwrap_or_default();
        // The project's image as the engine describes it, read once: an `image` here, a
        // Dockerfile's once it is built.
        let mut project_info: Option<ImageInfo> = None;
        let base_image_id = match config.source.clone() {
            Source::Image(image) => match self.engine.image_info(&image).await? {
                Some(info) => {
                    merge_image_metadata(&mut config, &image, &info.labels, &mut log);
                    let id = info.id.clone();
                    project_info = Some(info);
                    id
                }
                None => {
                    return Err(ApiError::PreconditionFailed(format!(
                        "{path} asks for the image {image:?}, which is not on the agent's Docker host and cannot be pulled from here; pull or build it there first"
                    )));
                }
            },
            Source::Build(_) => String::new(),
        };
        let hash = {
            let mut hasher = Sha256::new();
            for part in [
                devcontainer::content_hash(&config, &files).as_bytes(),
                context
                    .as_ref()
                    .map_or(&[][..], |(_, hash)| hash.as_bytes()),
                base_image_id.as_bytes(),
                workspace_image_id.as_bytes(),
                LAYER_DOCKERFILE.as_bytes(),
                LAYER_INSTALL.as_bytes(),
                ENTRYPOINT.as_bytes(),
                HOME_SNAPSHOT.as_bytes(),
                RECIPE[0].as_bytes(),
                RECIPE[1].as_bytes(),
            ] {
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part);
            }
            for (name, pem) in &certificates {
                hasher.update(name.as_bytes());
                hasher.update(pem);
            }
            hex::encode(hasher.finalize())
        };
        let image = format!("{IMAGE_REPOSITORY}:{}", &hash[..24]);
        let mut built = Built {
            image: image.clone(),
            config_path: path.clone(),
            hooks: hooks_of(&config, repo),
            limits: config.perry.limits,
        };
        if let Some(info) = self.engine.image_info(&image).await? {
            log.line(&format!("perry: {image} is built already (same content)"));
            // A Dockerfile's image is not built again: its metadata came along into this one
            // (labels are inherited), so it is merged from here, as after a build.
            if let Source::Build(build) = &config.source {
                let from = format!("the image of {}", build.dockerfile);
                merge_image_metadata(&mut config, &from, &info.labels, &mut log);
                built.hooks = hooks_of(&config, repo);
            }
            let account = info.labels.get(ACCOUNT_LABEL).filter(|a| !a.is_empty());
            log_account(&mut log, account.map(String::as_str), &config);
            return Ok(Some(built));
        }
        let project_image = match (&config.source, context) {
            (Source::Image(image), _) => image.clone(),
            (Source::Build(build), Some((context, _))) => {
                log.line(&format!("perry: building {}", build.dockerfile));
                let dockerfile = relative_to(&build.dockerfile, &build.context);
                let built_image = self
                    .build_logged(
                        ImageBuildSpec {
                            tag: String::new(),
                            context,
                            dockerfile,
                            args: build.args.clone().into_iter().collect(),
                            target: build.target.clone(),
                            cache_from: build.cache_from.clone(),
                            labels: HashMap::new(),
                        },
                        &mut log,
                    )
                    .await?;
                // The Dockerfile's image carries the metadata of the one it starts FROM.
                project_info = self.engine.image_info(&built_image).await?;
                if let Some(info) = &project_info {
                    let from = format!("the image of {}", build.dockerfile);
                    merge_image_metadata(&mut config, &from, &info.labels, &mut log);
                    built.hooks = hooks_of(&config, repo);
                }
                built_image
            }
            (Source::Build(_), None) => unreachable!("the context is read for every build"),
        };
        // Perry's layer goes first, so that the features find the workspace's user (their
        // `_REMOTE_USER` and its home) and the tools Perry installs; the features' build, when
        // there is one, is the image's last.
        let labels = HashMap::from([
            (
                HOOKS_LABEL.to_owned(),
                serde_json::to_string(&built.hooks).map_err(internal)?,
            ),
            ("dev.perry.devcontainer.config".to_owned(), path.clone()),
        ]);
        let final_build = |tag_it: bool| {
            if tag_it {
                (image.clone(), labels.clone())
            } else {
                (String::new(), HashMap::new())
            }
        };
        log.line("perry: adding Perry's layer");
        let (tag, layer_labels) = final_build(config.features.is_empty());
        let (layer, account) = self.layer_context(
            &config,
            &project_image,
            project_info.as_ref(),
            &workspace_image,
            certificates,
        )?;
        log_account(&mut log, account.as_deref(), &config);
        let with_layer = self
            .build_logged(
                ImageBuildSpec {
                    tag,
                    context: layer,
                    dockerfile: "Dockerfile".to_owned(),
                    labels: layer_labels,
                    ..Default::default()
                },
                &mut log,
            )
            .await?;
        if !config.features.is_empty() {
            log.line("perry: installing the features");
            let mut for_features = config.clone();
            for_features.remote_user =
                Some(account.unwrap_or_else(|| crate::workspace::sync::USER.to_owned()));
            // The layer's image runs as root, as Perry's entrypoint must.
            let (mut dockerfile, mut entries) =
                devcontainer::features_context(&for_features, &files, &with_layer, "root");
            // What the features put into the home is the image's home too.
            dockerfile.push_str(HOME_SNAPSHOT_STEP);
            entries.push(("Dockerfile".to_owned(), dockerfile.into_bytes(), 0o644));
            let (tag, labels) = final_build(true);
            self.build_logged(
                ImageBuildSpec {
                    tag,
                    context: tar_of(&entries).map_err(internal)?,
                    dockerfile: "Dockerfile".to_owned(),
                    labels,
                    ..Default::default()
                },
                &mut log,
            )
            .await?;
        }
        log.line(&format!("perry: built {image}"));
        Ok(Some(built))
    }

    /// The build context of Perry's layer on `base`: its Dockerfile (the template filled in,
    /// containerEnv added, the coding agents left out when `base` has them already) and the
    /// files it copies; and the person's account in the image that Perry's user becomes
    /// (see [`remote_user`]). `info`: the engine's description of `base`.
    fn layer_context(
        &self,
        config: &DevContainer,
        base: &str,
        info: Option<&ImageInfo>,
        workspace_image: &str,
        certificates: Vec<(String, Vec<u8>)>,
    ) -> Result<(Vec<u8>, Option<String>), ApiError> {
        // An image made from the agent's own image has its coding agents already: copying
        // them again would add a gigabyte for nothing.
        let has_agents = info.is_some_and(|info| {
            info.labels.get(BASE_IMAGE_LABEL).map(String::as_str) == Some("workspace-base")
        });
        let from_image = config_user(config).is_none();
        let asked = remote_user(config, info.map_or("", |info| &info.user));
        // Such an image has Perry's user of its own, which install.sh keeps (and says so): the
        // account asked for stays a user apart.
        let account = asked.clone().filter(|_| !has_agents);
        let template = if has_agents {
            without_agents(LAYER_DOCKERFILE)
        } else {
            LAYER_DOCKERFILE.to_owned()
        };
        let dockerfile = template
            .replace("{{WORKSPACE_IMAGE}}", workspace_image)
            .replace("{{BASE_IMAGE}}", base)
            .replace("{{USER}}", crate::workspace::sync::USER)
            .replace(
                "{{REMOTE_USER_FROM_IMAGE}}",
                if from_image { "1" } else { "" },
            )
            .replace("{{REMOTE_USER}}", asked.as_deref().unwrap_or_default())
            .replace("{{ACCOUNT}}", account.as_deref().unwrap_or_default())
            .replacen(
                "COPY perry/ /opt/perry/",
                &format!(
                    "{}COPY perry/ /opt/perry/",
                    env_lines(&config.container_env)
                ),
                1,
            );
        let mut entries = vec![
            ("Dockerfile".to_owned(), dockerfile.into_bytes(), 0o644),
            (
                "perry/install.sh".to_owned(),
                LAYER_INSTALL.as_bytes().to_vec(),
                0o755,
            ),
            (
                "perry/entrypoint.sh".to_owned(),
                ENTRYPOINT.as_bytes().to_vec(),
                0o755,
            ),
            (
                "perry/home-snapshot.sh".to_owned(),
                HOME_SNAPSHOT.as_bytes().to_vec(),
                0o755,
            ),
            ("perry/ca-certificates/.keep".to_owned(), Vec::new(), 0o644),
        ];
        for (name, pem) in certificates {
            entries.push((format!("perry/ca-certificates/{name}"), pem, 0o644));
        }
        Ok((tar_of(&entries).map_err(internal)?, account))
    }

    /// Builds one image, its output in the log; its id.
    async fn build_logged(
        &self,
        spec: ImageBuildSpec,
        log: &mut BuildLog<'_>,
    ) -> Result<String, ApiError> {
        let (lines, mut told) = tokio::sync::mpsc::unbounded_channel();
        let build = self.engine.build_image(&spec, lines);
        let mut last = std::collections::VecDeque::new();
        let follow = async {
            while let Some(line) = told.recv().await {
                log.line(&line);
                if last.len() == ERROR_LINES {
                    last.pop_front();
                }
                last.push_back(line);
            }
        };
        let (outcome, ()) = tokio::join!(build, follow);
        match outcome {
            Ok(id) => Ok(id),
            Err(error) => {
                log.line(&format!("perry: the build failed: {error}"));
                // Perry's layer says in one `perry: ` line why it cannot work on an image.
                let reason = last
                    .iter()
                    .rev()
                    .find_map(|line| strip_ansi(line).strip_prefix("perry: ").map(str::to_owned));
                Err(ApiError::UnprocessableContent(match reason {
                    Some(reason) => format!("The workspace image could not be built: {reason}"),
                    None => format!(
                        "The workspace image could not be built: {error}\nThe build's last lines:\n{}",
                        Vec::from(last).join("\n")
                    ),
                }))
            }
        }
    }

    /// `.devcontainer/` and `.devcontainer.json` of the repository at `repo` in `container`.
    async fn read_config_files(
        &self,
        container: &str,
        repo: &str,
    ) -> Result<ConfigFiles, ApiError> {
        let mut files = ConfigFiles::new();
        if let Some(config) = self
            .engine
            .read_file(
                container,
                &format!("{repo}/.devcontainer.json"),
                1024 * 1024,
            )
            .await?
        {
            files.insert(".devcontainer.json".to_owned(), config);
        }
        if let Some(archive) = self
            .engine
            .download_archive(container, &format!("{repo}/.devcontainer"), CONFIG_LIMIT)
            .await?
        {
            for (path, contents, _) in files_of(&archive).map_err(internal)? {
                files.insert(path, contents);
            }
        }
        Ok(files)
    }

    /// The build context at `dir` in `container` (see [`devcontainer::context`]): the tar to
    /// build with and its hash.
    async fn context_tar(
        &self,
        container: &str,
        dir: &str,
        dockerfile: &str,
        log: &mut BuildLog<'_>,
    ) -> Result<(Vec<u8>, String), ApiError> {
        let dir = dir.trim_end_matches('/');
        let archive = self
            .engine
            .download_archive(container, dir, CONTEXT_LIMIT)
            .await?
            .ok_or_else(|| {
                ApiError::UnprocessableContent(format!("The build context {dir} does not exist"))
            })?;
        let context =
            devcontainer::context::build_context(&archive, dockerfile).map_err(invalid)?;
        if let Some(ignored) = &context.ignored {
            log.line(&format!(
                "perry: {} leaves {} of the context's {} entries out",
                ignored.file, ignored.left_out, ignored.of
            ));
        }
        Ok((context.tar, context.hash))
    }

    /// What `image` carries of the config it was built from, and its environment; `None` for
    /// an image not built from one (or unreadable: logged).
    async fn image_metadata(&self, image: &str) -> Option<(Hooks, Vec<String>)> {
        // Only the images built here carry it: the others are not even asked about.
        if !is_built_image(image) {
            return None;
        }
        match self.engine.image_info(image).await {
            Ok(Some(info)) => {
                let label = info.labels.get(HOOKS_LABEL).map_or("", String::as_str);
                match serde_json::from_str::<Hooks>(label) {
                    Ok(hooks) => Some((hooks, info.env)),
                    Err(error) => {
                        tracing::warn!("{image}: unreadable {HOOKS_LABEL}: {error}");
                        None
                    }
                }
            }
            Ok(None) => {
                tracing::warn!("{image} is gone: its lifecycle commands are not run");
                None
            }
            Err(error) => {
                tracing::warn!("cannot read the devcontainer metadata of {image}: {error}");
                None
            }
        }
    }

    /// The volumes `mounts` of the config of workspace `name`'s image asks for: (volume,
    /// mount point, whether it is the workspace's own). A named one is the agent's, shared by
    /// its workspaces that name it (`<prefix>mount-<name>`); an anonymous one is the
    /// workspace's (`<container>-mount-<n>`), removed with it.
    pub(super) async fn config_volumes(
        &self,
        name: &str,
        image: &str,
    ) -> Vec<(String, String, bool)> {
        let Some((hooks, _)) = self.image_metadata(image).await else {
            return Vec::new();
        };
        let container = self.container_name(name);
        hooks
            .mounts
            .iter()
            .enumerate()
            .map(|(index, (source, target))| match source {
                Some(source) => (
                    format!("{}mount-{source}", self.settings.prefix),
                    target.clone(),
                    false,
                ),
                None => (format!("{container}-mount-{index}"), target.clone(), true),
            })
            .collect()
    }

    /// The lifecycle commands a container made from an image runs: `created` for the first
    /// start of a new container (onCreate, updateContent, postCreate), and at every start
    /// postStart and postAttach.
    pub(super) async fn lifecycle_steps(&self, image: &str, created: bool) -> Vec<Step> {
        let Some((hooks, env)) = self.image_metadata(image).await else {
            return Vec::new();
        };
        steps_in_env(hooks, &env, created)
    }

    /// The lifecycle commands of the first start of a container made from `built`, as the
    /// create and the rebuild have them in hand (only the image's environment is read).
    async fn built_steps(&self, built: &Built) -> Vec<Step> {
        let env = match self.engine.image_info(&built.image).await {
            Ok(info) => info.map(|info| info.env).unwrap_or_default(),
            Err(error) => {
                tracing::warn!(
                    "{}: no environment for ${{containerEnv:…}}: {error}",
                    built.image
                );
                Vec::new()
            }
        };
        steps_in_env(built.hooks.clone(), &env, true)
    }
}

/// Whether `image` is one built here from a devcontainer.json.
/// Removes a container in a task of its own when dropped: the clone's, which the create keeps
/// only while it reads from it. One that cannot be removed is logged (the next create of the
/// name removes it first).
struct RemoveOnDrop {
    engine: std::sync::Arc<dyn crate::engine::Engine>,
    container: String,
}

impl RemoveOnDrop {
    /// Removes it now, before what comes next (a rollback removes the volume it holds).
    async fn now(mut self) {
        let container = std::mem::take(&mut self.container);
        if let Err(error) = self.engine.remove_container(&container).await {
            tracing::warn!("cannot remove the clone's container {container}: {error}");
        }
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if self.container.is_empty() {
            return;
        }
        let engine = self.engine.clone();
        let container = std::mem::take(&mut self.container);
        tokio::spawn(async move {
            if let Err(error) = engine.remove_container(&container).await {
                tracing::warn!("cannot remove the clone's container {container}: {error}");
            }
        });
    }
}

/// Says in the build log whose account the workspace user is.
/// Lists in the build log what Perry leaves out of `source` (a config or an image).
fn log_unsupported(
    log: &mut BuildLog<'_>,
    source: &str,
    unsupported: &[devcontainer::Unsupported],
) {
    for item in unsupported {
        log.line(&format!(
            "perry: {source}: \"{}\" is not supported and is left out: {}",
            item.key, item.why
        ));
    }
}

/// Merges the `devcontainer.metadata` label among `labels` of `image` into `config` (see
/// [`devcontainer::metadata`]) and lists what of it Perry leaves out.
fn merge_image_metadata(
    config: &mut DevContainer,
    image: &str,
    labels: &HashMap<String, String>,
    log: &mut BuildLog<'_>,
) {
    let Some(label) = labels.get(devcontainer::metadata::LABEL) else {
        return;
    };
    log.line(&format!(
        "perry: {image} has devcontainer.metadata: merged into the config"
    ));
    let listed = config.unsupported.len();
    devcontainer::metadata::merge_image_metadata(config, image, label);
    log_unsupported(log, image, &config.unsupported[listed..]);
}

fn log_account(log: &mut BuildLog<'_>, account: Option<&str>, config: &DevContainer) {
    match account {
        Some(account) => log.line(&format!(
            "perry: the workspace user is {account}'s account (Perry names it {:?} too; its home is {})",
            crate::workspace::sync::USER,
            crate::workspace::sync::HOME
        )),
        None if config_user(config)
            .is_some_and(|spec| is_root(spec.split(':').next().unwrap_or_default())) =>
        {
            log.line(&format!(
                "perry: root is not taken as the workspace user: terminals, SSH and the lifecycle commands run as {:?}, with passwordless sudo",
                crate::workspace::sync::USER
            ));
        }
        None => {}
    }
}

/// The person's own account in the image, which Perry's user becomes a second name of: the
/// config's `remoteUser`, else its `containerUser`, else the image's USER (the spec's
/// defaults), its user part. None for root (Perry's user stays a user of its own, with sudo)
/// and for Perry's own user.
fn remote_user(config: &DevContainer, image_user: &str) -> Option<String> {
    account_of(config_user(config).unwrap_or(image_user))
}

/// The user the config names: `remoteUser`, else `containerUser`.
fn config_user(config: &DevContainer) -> Option<&str> {
    config
        .remote_user
        .as_deref()
        .or(config.container_user.as_deref())
}

/// The account a user spec (`name`, `uid`, `name:group`) names, if Perry's user can become it.
fn account_of(spec: &str) -> Option<String> {
    let user = spec.split(':').next().unwrap_or_default();
    let plain = user
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    (plain && !is_root(user) && user != crate::workspace::sync::USER).then(|| user.to_owned())
}

fn is_root(user: &str) -> bool {
    matches!(user, "" | "root" | "0")
}

fn is_built_image(image: &str) -> bool {
    image
        .strip_prefix(IMAGE_REPOSITORY)
        .is_some_and(|tag| tag.starts_with(':'))
}

/// The layer's Dockerfile without its copy of the coding agents.
fn without_agents(dockerfile: &str) -> String {
    match (dockerfile.find(AGENTS_BEGIN), dockerfile.find(AGENTS_END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!(
                "{}{}",
                &dockerfile[..begin],
                &dockerfile[end + AGENTS_END.len()..]
            )
        }
        _ => dockerfile.to_owned(),
    }
}

/// containerEnv as Dockerfile `ENV` lines (quoted, `\`, `"` and `$` escaped), one each; a
/// line break, which a Dockerfile line cannot hold, becomes a space.
fn env_lines(env: &BTreeMap<String, String>) -> String {
    env.iter()
        .map(|(key, value)| {
            let escaped: String = value
                .chars()
                .flat_map(|c| match c {
                    '\\' | '"' | '$' => vec!['\\', c],
                    '\n' => vec![' '],
                    c => vec![c],
                })
                .collect();
            format!("ENV {key}=\"{escaped}\"\n")
        })
        .collect()
}

/// The name `--devcontainer` gives the config at `path`: `.devcontainer/<name>/devcontainer.json`.
fn config_name_of(path: &str) -> Option<String> {
    let name = path
        .strip_prefix(".devcontainer/")?
        .strip_suffix("/devcontainer.json")?;
    (!name.contains('/')).then(|| name.to_owned())
}

/// `hooks` with `${containerEnv:…}` replaced in remoteEnv and in every command.
/// [`steps_of`] with `${containerEnv:…}` taken from `env` (`KEY=value` lines): the
/// container's environment, the image's with containerEnv in it.
fn steps_in_env(hooks: Hooks, env: &[String], created: bool) -> Vec<Step> {
    let env: HashMap<String, String> = env
        .iter()
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    steps_of(&with_container_env(hooks, &env), created)
}

fn with_container_env(mut hooks: Hooks, env: &HashMap<String, String>) -> Hooks {
    let substitute = |text: &str| devcontainer::substitute_container_env(text, env);
    fn each(command: &mut Command, substitute: &dyn Fn(&str) -> String) {
        match command {
            Command::Shell(script) => *script = substitute(script),
            Command::Exec(parts) => parts.iter_mut().for_each(|part| *part = substitute(part)),
            Command::Parallel(parts) => parts
                .iter_mut()
                .for_each(|(_, command)| each(command, substitute)),
        }
    }
    for value in hooks.env.values_mut().flatten() {
        *value = substitute(value);
    }
    for list in [
        &mut hooks.on_create,
        &mut hooks.update_content,
        &mut hooks.post_create,
        &mut hooks.post_start,
        &mut hooks.post_attach,
    ] {
        for (_, command) in list.iter_mut() {
            each(command, &substitute);
        }
    }
    hooks
}

/// The hooks of a parsed config, run in the repository's folder.
fn hooks_of(config: &DevContainer, repo: &str) -> Hooks {
    let commands = |hooks: &[devcontainer::HookCommand]| {
        hooks
            .iter()
            .map(|hook| (hook.origin.clone(), hook.command.clone()))
            .collect()
    };
    Hooks {
        mounts: config
            .mounts
            .iter()
            .map(|mount| (mount.source.clone(), mount.target.clone()))
            .collect(),
        workdir: config
            .workspace_folder
            .clone()
            .unwrap_or_else(|| repo.to_owned()),
        env: config.remote_env.clone(),
        on_create: commands(&config.lifecycle.on_create),
        update_content: commands(&config.lifecycle.update_content),
        post_create: commands(&config.lifecycle.post_create),
        post_start: commands(&config.lifecycle.post_start),
        post_attach: commands(&config.lifecycle.post_attach),
        forward_ports: config
            .forward_ports
            .iter()
            .map(|port| (port.port, port.label.clone()))
            .collect(),
    }
}

/// The steps of `hooks` in the spec's order; a failed one skips the rest, as the spec says.
fn steps_of(hooks: &Hooks, created: bool) -> Vec<Step> {
    let user = crate::workspace::sync::USER;
    let home = crate::workspace::sync::HOME;
    let env: Vec<String> = hooks
        .env
        .iter()
        .filter_map(|(key, value)| Some(format!("{key}={}", value.as_ref()?)))
        .collect();
    let mut hook_lists = Vec::new();
    if created {
        hook_lists.push(("onCreateCommand", &hooks.on_create));
        hook_lists.push(("updateContentCommand", &hooks.update_content));
        hook_lists.push(("postCreateCommand", &hooks.post_create));
    }
    hook_lists.push(("postStartCommand", &hooks.post_start));
    hook_lists.push(("postAttachCommand", &hooks.post_attach));
    let mut steps = Vec::new();
    for (hook, commands) in hook_lists {
        for (origin, command) in commands {
            let name = if origin == "devcontainer.json" {
                hook.to_owned()
            } else {
                format!("{hook} of {origin}")
            };
            let argvs: Vec<(String, Vec<String>)> = match command {
                Command::Parallel(parts) => parts
                    .iter()
                    .map(|(part, command)| (format!("{name} {part}"), argv_of(command, &env)))
                    .collect(),
                single => vec![(name.clone(), argv_of(single, &env))],
            };
            steps.push(Step {
                name,
                timeout_seconds: HOOK_TIMEOUT_SECONDS,
                commands: argvs,
                user: user.to_owned(),
                home: home.to_owned(),
                workdir: hooks.workdir.clone(),
                stops_the_rest: true,
            });
        }
    }
    steps
}

/// What runs one command: a string with /bin/sh (as the spec says, not the user's shell), an
/// array as it is; `env` (remoteEnv) set for it.
fn argv_of(command: &Command, env: &[String]) -> Vec<String> {
    let mut argv = vec!["env".to_owned()];
    argv.extend(env.iter().cloned());
    match command {
        Command::Shell(script) => {
            argv.extend(["/bin/sh".to_owned(), "-c".to_owned(), script.clone()]);
        }
        Command::Exec(parts) => argv.extend(parts.iter().cloned()),
        // Nested object forms do not exist in the spec; the parser refuses them.
        Command::Parallel(_) => argv.extend(["true".to_owned()]),
    }
    argv
}

/// `path` (repository-relative) as seen from `dir` (repository-relative, "" = the root).
fn relative_to(path: &str, dir: &str) -> String {
    let dir = dir.trim_matches('/');
    if dir.is_empty() {
        return path.to_owned();
    }
    let dir_parts: Vec<&str> = dir.split('/').collect();
    let path_parts: Vec<&str> = path.split('/').collect();
    let common = dir_parts
        .iter()
        .zip(&path_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; dir_parts.len() - common];
    parts.extend(&path_parts[common..]);
    parts.join("/")
}

/// The regular files of a tar archive: path, contents, mode.
fn files_of(archive: &[u8]) -> std::io::Result<Vec<(String, Vec<u8>, u32)>> {
    let mut files = Vec::new();
    let mut reader = tar::Archive::new(archive);
    for entry in reader.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.to_string_lossy().into_owned();
        let mode = entry.header().mode()?;
        let mut contents = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut contents)?;
        files.push((path, contents, mode));
    }
    Ok(files)
}

/// A tar archive of `entries` (path, contents, mode), owned by root, dated 0: the same
/// entries make the same bytes.
fn tar_of(entries: &[(String, Vec<u8>, u32)]) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    for (path, contents, mode) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(0);
        archive.append_data(&mut header, path, contents.as_slice())?;
    }
    archive.into_inner()
}

/// The host's extra CA certificates for Perry's layer; none (and a warning) when their
/// directory cannot be read.
fn read_ca_certificates() -> Vec<(String, Vec<u8>)> {
    crate::engine::docker::host_ca_certificates().unwrap_or_else(|error| {
        tracing::warn!("the host's extra CA certificates cannot be read: {error}");
        Vec::new()
    })
}

/// A line of build output without the colour codes Docker puts around a step's stderr.
fn strip_ansi(line: &str) -> &str {
    let line = line.trim_end_matches("\u{1b}[0m");
    match line.strip_prefix("\u{1b}[") {
        Some(rest) => rest.split_once('m').map_or(line, |(_, text)| text),
        None => line,
    }
}

fn invalid(error: devcontainer::DevcontainerError) -> ApiError {
    ApiError::UnprocessableContent(error.to_string())
}

fn internal(error: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("{error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_persons_account_is_a_plain_user_but_root_or_perrys() {
        assert_eq!(account_of("vscode").as_deref(), Some("vscode"));
        assert_eq!(account_of("node:node").as_deref(), Some("node"));
        assert_eq!(account_of("1001:1001").as_deref(), Some("1001"));
        for none in ["root", "0:0", "", "workspace", "a b", "x;rm"] {
            assert_eq!(account_of(none), None, "{none}");
        }
    }

    #[test]
    fn container_env_becomes_quoted_env_lines() {
        let env = BTreeMap::from([
            ("A".to_owned(), "plain".to_owned()),
            ("B".to_owned(), r#"say "hi" to $USER\n"#.to_owned()),
            ("C".to_owned(), "two\nlines".to_owned()),
        ]);
        assert_eq!(
            env_lines(&env),
            "ENV A=\"plain\"\nENV B=\"say \\\"hi\\\" to \\$USER\\\\n\"\nENV C=\"two lines\"\n"
        );
    }

    #[test]
    fn the_agents_block_can_be_left_out_of_the_layer() {
        let layer = without_agents(LAYER_DOCKERFILE);
        assert!(LAYER_DOCKERFILE.contains("COPY --from=perry-agents"));
        assert!(!layer.contains("COPY --from=perry-agents"), "{layer}");
        assert!(layer.contains("/bin/sh /opt/perry/install.sh"), "{layer}");
    }

    #[test]
    fn colour_codes_are_taken_off_build_lines() {
        assert_eq!(strip_ansi("\u{1b}[91mperry: no\u{1b}[0m"), "perry: no");
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn a_named_config_is_found_again_by_its_folder() {
        assert_eq!(
            config_name_of(".devcontainer/python/devcontainer.json").as_deref(),
            Some("python")
        );
        assert_eq!(config_name_of(".devcontainer/devcontainer.json"), None);
        assert_eq!(config_name_of(".devcontainer.json"), None);
        assert_eq!(config_name_of(".devcontainer/a/b/devcontainer.json"), None);
    }

    #[test]
    fn a_dockerfile_path_is_made_relative_to_its_context() {
        assert_eq!(
            relative_to(".devcontainer/Dockerfile", ""),
            ".devcontainer/Dockerfile"
        );
        assert_eq!(
            relative_to(".devcontainer/Dockerfile", ".devcontainer"),
            "Dockerfile"
        );
        assert_eq!(relative_to("Dockerfile", ".devcontainer"), "../Dockerfile");
        assert_eq!(relative_to("a/b/Dockerfile", "a/c"), "../b/Dockerfile");
    }

    #[test]
    fn hooks_run_in_the_spec_order_and_creation_hooks_only_once() {
        let hooks = Hooks {
            mounts: Vec::new(),
            forward_ports: Vec::new(),
            workdir: "/home/workspace/app".into(),
            env: BTreeMap::from([
                ("A".to_owned(), Some("1".to_owned())),
                ("B".to_owned(), None),
            ]),
            on_create: vec![("devcontainer.json".into(), Command::Shell("echo c".into()))],
            update_content: vec![(
                "Feature 'x'".into(),
                Command::Exec(vec!["touch".into(), "u".into()]),
            )],
            post_create: vec![(
                "devcontainer.json".into(),
                Command::Parallel(vec![
                    ("one".into(), Command::Shell("echo 1".into())),
                    ("two".into(), Command::Shell("echo 2".into())),
                ]),
            )],
            post_start: vec![("devcontainer.json".into(), Command::Shell("echo s".into()))],
            post_attach: vec![("devcontainer.json".into(), Command::Shell("echo a".into()))],
        };
        let names = |created| {
            steps_of(&hooks, created)
                .into_iter()
                .map(|step| step.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(true),
            [
                "onCreateCommand",
                "updateContentCommand of Feature 'x'",
                "postCreateCommand",
                "postStartCommand",
                "postAttachCommand"
            ]
        );
        assert_eq!(names(false), ["postStartCommand", "postAttachCommand"]);
        let steps = steps_of(&hooks, true);
        assert_eq!(
            steps[0].commands[0].1,
            ["env", "A=1", "/bin/sh", "-c", "echo c"]
        );
        assert_eq!(steps[1].commands[0].1, ["env", "A=1", "touch", "u"]);
        assert_eq!(
            steps[2].commands.len(),
            2,
            "the object form runs its parts at once"
        );
        assert_eq!(steps[2].commands[1].0, "postCreateCommand two");
        assert!(steps.iter().all(|step| step.stops_the_rest));
        assert!(
            steps
                .iter()
                .all(|step| step.workdir == "/home/workspace/app")
        );
    }

    #[test]
    fn tar_entries_round_trip() {
        let entries = vec![
            ("a/b.txt".to_owned(), b"hello".to_vec(), 0o644),
            ("run.sh".to_owned(), b"#!/bin/sh".to_vec(), 0o755),
        ];
        let archive = tar_of(&entries).unwrap();
        assert_eq!(files_of(&archive).unwrap(), entries);
        assert_eq!(
            tar_of(&entries).unwrap(),
            archive,
            "the same entries, the same bytes"
        );
    }
}
