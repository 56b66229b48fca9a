//! The Kubernetes engine: workspaces as pods on a cluster, placed, restarted and limited by it.
//!
//! A workspace is a StatefulSet of at most one pod, with two PersistentVolumeClaims (home and
//! the inner Docker's data) that Perry makes itself, so that they outlive the pod as Docker's
//! volumes outlive a container:
//! - created = the StatefulSet at 0 replicas (Docker's "created, not started");
//! - start = 1 replica: the scheduler puts the pod on any node that can mount the claims;
//! - stop = 0 replicas: the pod goes, the claims stay;
//! - delete = the StatefulSet, its pod and (through [`Engine::remove_volume`]) the claims.
//!
//! A StatefulSet rather than a bare pod: the cluster itself keeps the stopped workspace (its
//! spec, its labels) and brings the pod back when it dies or is evicted, with at most one pod at
//! a time, which the inner Docker's claim needs; a bare pod would leave a stopped workspace as
//! claims only, and one that died would stay dead until the agent noticed.
//!
//! Kubernetes label values cannot hold what Perry's labels do (a prefix ending in `-`, an RFC
//! 3339 time), so Perry's labels travel as annotations, and the objects carry two selectable
//! labels: [`MANAGED_LABEL`] and [`PREFIX_HASH_LABEL`] (a digest of the agent's prefix).
//!
//! Exec goes through the Kubernetes exec API over WebSocket. It has no user or working
//! directory of its own: commands for another user than the image's run through `runuser`, and
//! a working directory through `env -C`. The cluster forgets a pod's own filesystem when the pod
//! is recreated, so files put into a workspace that does not run yet are kept here and put in
//! when it starts.

mod exec;
pub mod manifests;
mod objects;
mod publish;
mod task;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Event, Node, PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams};
use perry_api::DindMode;

use super::{
    ContainerInfo, ContainerSpec, Engine, EngineError, ExecState, KubernetesConfig, SplitOutput,
    StdioExec, TtyExec, TtyExecStreams,
};

/// Selects every object a Perry agent made.
pub const MANAGED_LABEL: &str = "app.kubernetes.io/managed-by";
/// Selects the objects of one agent: a digest of its `workspacePrefix`.
pub const PREFIX_HASH_LABEL: &str = "dev.perry.prefix-hash";
/// The one container of a workspace pod.
const CONTAINER: &str = "workspace";
/// How long a start waits for the pod to run, and a stop or removal for it to go.
const POD_WAIT: Duration = Duration::from_secs(180);
/// How often a pod is looked at while it starts or goes (a GET, cheap next to a start).
const POD_POLL: Duration = Duration::from_millis(100);
/// How long a pod may stay unschedulable before a start says so (the cluster keeps trying).
const UNSCHEDULABLE_GRACE: Duration = Duration::from_secs(20);
/// How long a started workspace may have no pod at all before the StatefulSet's events are
/// read for why (a quota or an admission policy that refused it).
const NO_POD_GRACE: Duration = Duration::from_secs(2);

/// A Kubernetes cluster, reached through its API with kube-rs.
pub struct Kubernetes {
    client: kube::Client,
    namespace: String,
    config: KubernetesConfig,
    /// The API server's URL, for people.
    server: String,
    execs: exec::Execs,
    /// The SSH ports of running workspaces, published on the agent's machine.
    published: publish::Published,
    /// Files put into a workspace while its pod did not run: (directory, tar archive), put in
    /// when it starts.
    pending_uploads: Mutex<HashMap<String, Vec<PendingUpload>>>,
    /// Held while the probe pod's name is in use: the removal of a killed agent's probe pod at
    /// startup waits for the probe a first create started meanwhile instead of deleting it.
    probing: tokio::sync::Mutex<()>,
}

/// A tar archive to unpack at a directory.
type PendingUpload = (String, Vec<u8>);

impl std::fmt::Debug for Kubernetes {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Kubernetes")
            .field("server", &self.server)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A stream with an item for each change of the objects `params` selects, from now on.
async fn changes_of<K>(
    api: Api<K>,
    params: &kube::api::WatchParams,
) -> Result<impl futures_util::Stream<Item = Result<(), EngineError>> + use<K>, EngineError>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
{
    let version = api
        .list_metadata(&ListParams::default().limit(1))
        .await
        .map_err(from_kube)?
        .metadata
        .resource_version
        .unwrap_or_default();
    Ok(api
        .watch(params, &version)
        .await
        .map_err(from_kube)?
        .map(|event| event.map(drop).map_err(from_kube)))
}

/// A kube-rs error as a kind.
pub(crate) fn from_kube(error: kube::Error) -> EngineError {
    match error {
        kube::Error::Api(status) => match status.code {
            404 => EngineError::NotFound(status.message),
            409 => EngineError::Conflict(status.message),
            code => EngineError::Refused {
                status: code,
                message: status.message,
            },
        },
        kube::Error::SerdeError(error) => EngineError::Failed(error.to_string()),
        other => EngineError::Unavailable(format!(
            "The Kubernetes API is not answering ({other}); check the cluster and the agent's kubeconfig"
        )),
    }
}

fn ignore_not_found(result: Result<(), EngineError>) -> Result<(), EngineError> {
    match result {
        Err(EngineError::NotFound(_)) => Ok(()),
        other => other,
    }
}

impl Kubernetes {
    /// Connects with `config`: its kubeconfig (and context), else the pod's ServiceAccount
    /// inside a cluster, else `$KUBECONFIG` or `~/.kube/config`.
    pub async fn connect(config: &KubernetesConfig) -> anyhow::Result<Kubernetes> {
        use anyhow::Context as _;
        let options = kube::config::KubeConfigOptions {
            context: config.context.clone(),
            ..Default::default()
        };
        let client_config = match &config.kubeconfig {
            Some(path) => {
                let kubeconfig = kube::config::Kubeconfig::read_from(path)
                    .with_context(|| format!("cannot read the kubeconfig {path}"))?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .with_context(|| format!("cannot use the kubeconfig {path}"))?
            }
            None => kube::Config::infer()
                .await
                .context("no Kubernetes configuration found (no ServiceAccount, $KUBECONFIG or ~/.kube/config); set engine.kubeconfig in config.json")?,
        };
        let server = client_config.cluster_url.to_string();
        let namespace = config
            .namespace
            .clone()
            .unwrap_or_else(|| "perry".to_owned());
        let client =
            kube::Client::try_from(client_config).context("cannot make a Kubernetes client")?;
        Ok(Kubernetes {
            client,
            namespace,
            config: config.clone(),
            server,
            execs: exec::Execs::default(),
            published: publish::Published::default(),
            pending_uploads: Mutex::new(HashMap::new()),
            probing: tokio::sync::Mutex::new(()),
        })
    }

    fn sets(&self) -> Api<StatefulSet> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn claims(&self) -> Api<PersistentVolumeClaim> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The pod of a workspace's StatefulSet.
    fn pod_name(container: &str) -> String {
        format!("{container}-0")
    }

    /// Sets the StatefulSet's replicas to `replicas`.
    async fn scale(&self, name: &str, replicas: i32) -> Result<(), EngineError> {
        let patch = serde_json::json!({"spec": {"replicas": replicas}});
        self.sets()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(from_kube)?;
        Ok(())
    }

    /// Waits until the workspace's pod runs, telling a pod that cannot start why.
    async fn wait_running(&self, name: &str) -> Result<(), EngineError> {
        let started = Instant::now();
        let asked_at = jiff::Timestamp::now();
        let deadline = started + POD_WAIT;
        let mut unschedulable_since = None;
        loop {
            let pod = self
                .pods()
                .get_opt(&Self::pod_name(name))
                .await
                .map_err(from_kube)?;
            if pod.is_none()
                && started.elapsed() > NO_POD_GRACE
                && let Some(why) = self.pod_refused(name, asked_at).await?
            {
                return Err(EngineError::Refused {
                    status: 403,
                    message: format!("the cluster refused the pod of {name}: {why}"),
                });
            }
            if let Some(pod) = pod {
                match objects::pod_progress(&pod) {
                    objects::PodProgress::Running => return Ok(()),
                    objects::PodProgress::Failed(why) => {
                        return Err(EngineError::Refused {
                            status: 500,
                            message: format!("the pod of {name} cannot start: {why}"),
                        });
                    }
                    objects::PodProgress::Unschedulable(why) => {
                        let since = *unschedulable_since.get_or_insert_with(Instant::now);
                        if since.elapsed() > UNSCHEDULABLE_GRACE {
                            return Err(EngineError::Refused {
                                status: 503,
                                message: format!(
                                    "no node can run {name} now (the cluster keeps trying): {why}"
                                ),
                            });
                        }
                    }
                    objects::PodProgress::Starting => unschedulable_since = None,
                }
            }
            if Instant::now() > deadline {
                return Err(EngineError::Failed(format!(
                    "the pod of {name} did not run within {} s",
                    POD_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(POD_POLL).await;
        }
    }

    /// Why the StatefulSet `name` could not make its pod since `since` (a quota, an admission
    /// policy), from the events its controller records; `None` when it says nothing.
    async fn pod_refused(
        &self,
        name: &str,
        since: jiff::Timestamp,
    ) -> Result<Option<String>, EngineError> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), &self.namespace);
        let params = ListParams::default().fields(&format!(
            "involvedObject.kind=StatefulSet,involvedObject.name={name},reason=FailedCreate"
        ));
        let events = events.list(&params).await.map_err(from_kube)?;
        Ok(objects::newest_refusal(&events.items, since))
    }

    /// Removes the pod of a workspace whose node stopped answering, so its StatefulSet makes
    /// it anew where its claims can be mounted. Kubernetes does not do this by itself (a node
    /// that is only cut off may still run the pod, and two pods must not share the inner
    /// Docker's claim); a person asking to start it again is the word that it may.
    async fn move_off_a_lost_node(&self, name: &str) -> Result<(), EngineError> {
        let pod_name = Self::pod_name(name);
        let Some(pod) = self.pods().get_opt(&pod_name).await.map_err(from_kube)? else {
            return Ok(());
        };
        let Some(why) = objects::unreachable(&pod) else {
            return Ok(());
        };
        tracing::warn!("{name}: {why}; removing its pod so it starts elsewhere");
        let force = DeleteParams::default().grace_period(0);
        ignore_not_found(
            self.pods()
                .delete(&pod_name, &force)
                .await
                .map(drop)
                .map_err(from_kube),
        )?;
        // Its StatefulSet makes a pod of the same name at once: wait for this one, by uid.
        let deadline = Instant::now() + POD_WAIT;
        loop {
            let now = self.pods().get_opt(&pod_name).await.map_err(from_kube)?;
            if now.is_none_or(|now| now.metadata.uid != pod.metadata.uid) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(EngineError::RemovalInProgress(pod_name));
            }
            tokio::time::sleep(POD_POLL).await;
        }
    }

    /// Waits until the workspace's pod is gone.
    async fn wait_pod_gone(&self, name: &str, wait: Duration) -> Result<(), EngineError> {
        let deadline = Instant::now() + wait;
        while self
            .pods()
            .get_opt(&Self::pod_name(name))
            .await
            .map_err(from_kube)?
            .is_some()
        {
            if Instant::now() > deadline {
                return Err(EngineError::RemovalInProgress(Self::pod_name(name)));
            }
            tokio::time::sleep(POD_POLL).await;
        }
        Ok(())
    }

    /// Puts in the files kept for a workspace that was not running.
    async fn put_pending_uploads(&self, name: &str) -> Result<(), EngineError> {
        let pending = lock(&self.pending_uploads).remove(name);
        for (dir, archive) in pending.into_iter().flatten() {
            self.extract(name, &dir, archive).await?;
        }
        Ok(())
    }

    /// The nodes, when the agent may list them (a Role limited to a namespace may not).
    async fn nodes(&self) -> Result<Option<Vec<Node>>, EngineError> {
        match Api::<Node>::all(self.client.clone())
            .list(&ListParams::default())
            .await
            .map_err(from_kube)
        {
            Ok(nodes) => Ok(Some(nodes.items)),
            Err(EngineError::Refused { status: 403, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A StatefulSet and its pod as Perry sees them.
    fn info(set: &StatefulSet, pod: Option<&Pod>) -> ContainerInfo {
        objects::container_info(set, pod)
    }

    /// Runs the DinD probe pod in `mode`: whether it ran.
    async fn probe_runs(
        &self,
        image: &str,
        probe_name: &str,
        labels: &HashMap<String, String>,
        mode: DindMode,
    ) -> Result<bool, EngineError> {
        let pod = objects::probe_pod(probe_name, image, labels, mode, &self.config);
        match self.pods().create(&PostParams::default(), &pod).await {
            Ok(_) => {}
            // A policy (Pod Security admission) that refuses the rights is an answer too; a
            // quota that has no room for the probe is not: it would refuse any pod.
            Err(kube::Error::Api(status))
                if (status.code == 403 || status.code == 422)
                    && !objects::is_quota_refusal(&status.message) =>
            {
                return Ok(false);
            }
            Err(error) => return Err(from_kube(error)),
        }
        let deadline = Instant::now() + POD_WAIT;
        let mut unschedulable_since = None;
        let outcome = loop {
            let Some(pod) = self.pods().get_opt(probe_name).await.map_err(from_kube)? else {
                break Err(EngineError::Failed("the probe pod vanished".to_owned()));
            };
            let unschedulable = objects::pending_reason(&pod);
            match objects::probe_outcome(&pod) {
                Some(ran) => break Ok(ran),
                None if unschedulable.is_some()
                    && unschedulable_since
                        .get_or_insert_with(Instant::now)
                        .elapsed()
                        > UNSCHEDULABLE_GRACE =>
                {
                    break Err(EngineError::Refused {
                        status: 503,
                        message: format!(
                            "no node can run a workspace now: {}",
                            unschedulable.unwrap_or_default()
                        ),
                    });
                }
                None if Instant::now() > deadline => {
                    break Err(EngineError::Failed(format!(
                        "the Docker-in-Docker probe pod did not finish within {} s: {}",
                        POD_WAIT.as_secs(),
                        objects::pending_reason(&pod).unwrap_or_default()
                    )));
                }
                None => tokio::time::sleep(POD_POLL).await,
            }
        };
        self.delete_probe_pod(probe_name).await?;
        outcome
    }

    /// Deletes the probe pod and waits until it is gone; the caller holds `probing`.
    async fn delete_probe_pod(&self, probe_name: &str) -> Result<(), EngineError> {
        let delete = DeleteParams::default().grace_period(0);
        match self.pods().delete(probe_name, &delete).await {
            Ok(_) => {}
            Err(error) => ignore_not_found(Err(from_kube(error)))?,
        }
        let deadline = Instant::now() + POD_WAIT;
        while self
            .pods()
            .get_opt(probe_name)
            .await
            .map_err(from_kube)?
            .is_some()
        {
            if Instant::now() > deadline {
                return Err(EngineError::RemovalInProgress(probe_name.to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Engine for Kubernetes {
    fn kind(&self) -> &'static str {
        "kubernetes"
    }

    fn location(&self) -> String {
        format!("{}, namespace {}", self.server, self.namespace)
    }

    async fn version(&self) -> Result<String, EngineError> {
        let version = self.client.apiserver_version().await.map_err(from_kube)?;
        Ok(version.git_version)
    }

    async fn identity(&self) -> Result<String, EngineError> {
        Ok(format!(
            "kubernetes {} {} {}",
            self.server,
            self.namespace,
            self.version().await?
        ))
    }

    fn no_process_limit(&self) -> Option<&'static str> {
        Some(
            "Kubernetes has no process limit per pod (the kubelet's podPidsLimit sets one for every pod of a node); leave pids out, or set it to 0",
        )
    }

    async fn run_task(
        &self,
        task: &super::TaskSpec,
        lines: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<super::TaskOutcome, EngineError> {
        self.run_task_pod(task, lines).await
    }

    /// A pod cannot be frozen: its workspace is stopped (its claims stay) for a copy.
    async fn pause_container(&self, name: &str) -> Result<(), EngineError> {
        self.stop_container(name, Duration::from_secs(30)).await
    }

    /// Starts again a workspace [`Engine::pause_container`] stopped.
    async fn unpause_container(&self, name: &str) -> Result<(), EngineError> {
        self.start_container(name).await
    }

    async fn host_resources(&self) -> Result<crate::limits::HostResources, EngineError> {
        // The biggest node bounds a workspace; without the right to see nodes, the cluster's
        // own quota and scheduler are the bound.
        let Some(nodes) = self.nodes().await? else {
            return Ok(crate::limits::HostResources {
                cpus: u32::MAX,
                memory_mb: u64::MAX,
            });
        };
        Ok(objects::largest_node(&nodes))
    }

    async fn image_exists(&self, image: &str) -> Result<bool, EngineError> {
        // A registry may have it, and the nodes pull it: only a policy of never pulling makes
        // the nodes' own images the whole answer.
        if self.config.image_pull_policy.as_deref() != Some("Never") {
            return Ok(true);
        }
        match self.nodes().await? {
            Some(nodes) => Ok(objects::some_node_has_image(&nodes, image)),
            None => Ok(true),
        }
    }

    async fn detect_dind_mode(
        &self,
        image: &str,
        probe_name: &str,
        labels: HashMap<String, String>,
    ) -> Result<DindMode, EngineError> {
        // A RuntimeClass (sysbox and the like) gives nested containers their rights itself.
        if self.config.runtime_class_name.is_some() {
            return Ok(DindMode::Capabilities);
        }
        let _one_probe_at_a_time = self.probing.lock().await;
        self.delete_probe_pod(probe_name).await?;
        if self
            .probe_runs(image, probe_name, &labels, DindMode::Privileged)
            .await?
        {
            return Ok(DindMode::Privileged);
        }
        Ok(DindMode::Capabilities)
    }

    async fn remove_probe(&self, probe_name: &str) -> Result<(), EngineError> {
        let _one_probe_at_a_time = self.probing.lock().await;
        self.delete_probe_pod(probe_name).await
    }

    async fn prepare(
        &self,
        _network: &str,
        _labels: HashMap<String, String>,
    ) -> Result<(), EngineError> {
        // Pods share the cluster's network; the namespace is the person's to make (an agent
        // limited to it could not).
        Ok(())
    }

    async fn volume_exists(&self, name: &str) -> Result<bool, EngineError> {
        Ok(self
            .claims()
            .get_opt(name)
            .await
            .map_err(from_kube)?
            .is_some())
    }

    async fn create_volume(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<(), EngineError> {
        let claim = objects::claim(name, &labels, &self.config);
        match self.claims().create(&PostParams::default(), &claim).await {
            Ok(_) => Ok(()),
            Err(error) => match from_kube(error) {
                EngineError::Conflict(_) => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        ignore_not_found(
            self.claims()
                .delete(name, &DeleteParams::default())
                .await
                .map(drop)
                .map_err(from_kube),
        )
    }

    async fn create_container(
        &self,
        spec: &ContainerSpec,
        mode: DindMode,
    ) -> Result<String, EngineError> {
        let set = objects::stateful_set(spec, mode, &self.config)?;
        self.sets()
            .create(&PostParams::default(), &set)
            .await
            .map_err(from_kube)?;
        Ok(spec.name.clone())
    }

    async fn start_container(&self, name: &str) -> Result<(), EngineError> {
        let set = self
            .sets()
            .get_opt(name)
            .await
            .map_err(from_kube)?
            .ok_or_else(|| EngineError::NotFound(format!("no workspace {name} in the cluster")))?;
        let ssh_port = Self::info(&set, None)
            .labels
            .get(super::SSH_PORT_LABEL)
            .and_then(|port| port.parse().ok());
        // Bound first, as Docker binds a published port when it starts a container.
        if let Some(port) = ssh_port {
            self.published.publish(self.pods(), name, port).await?;
        }
        self.scale(name, 1).await?;
        self.move_off_a_lost_node(name).await?;
        if let Err(error) = self.wait_running(name).await {
            // Refused (a quota, a policy): stopped again, so it does not start by itself later
            // behind the person's back. Unschedulable is left to the cluster, as it said.
            if matches!(error, EngineError::Refused { status: 403, .. }) {
                self.published.withdraw(name);
                self.scale(name, 0).await?;
            }
            return Err(error);
        }
        self.put_pending_uploads(name).await
    }

    async fn stop_container(&self, name: &str, grace: Duration) -> Result<(), EngineError> {
        self.published.withdraw(name);
        self.scale(name, 0).await?;
        self.wait_pod_gone(name, grace + POD_WAIT).await
    }

    async fn remove_container(&self, name: &str) -> Result<(), EngineError> {
        self.published.withdraw(name);
        let removed = self
            .sets()
            .delete(name, &DeleteParams::background())
            .await
            .map(drop)
            .map_err(from_kube);
        ignore_not_found(removed)?;
        // Docker's removal kills; so does this, and waits, so the claims can go right after.
        let killed = self
            .pods()
            .delete(
                &Self::pod_name(name),
                &DeleteParams::default().grace_period(0),
            )
            .await
            .map(drop)
            .map_err(from_kube);
        ignore_not_found(killed)?;
        lock(&self.pending_uploads).remove(name);
        self.wait_pod_gone(name, POD_WAIT).await
    }

    async fn inspect_container(&self, name: &str) -> Result<Option<ContainerInfo>, EngineError> {
        let Some(set) = self.sets().get_opt(name).await.map_err(from_kube)? else {
            return Ok(None);
        };
        let pod = self
            .pods()
            .get_opt(&Self::pod_name(name))
            .await
            .map_err(from_kube)?;
        Ok(Some(Self::info(&set, pod.as_ref())))
    }

    async fn list_containers(&self, prefix: &str) -> Result<Vec<ContainerInfo>, EngineError> {
        let selector = ListParams::default().labels(&objects::prefix_selector(prefix));
        let (sets, pods) = tokio::try_join!(
            async { self.sets().list(&selector).await.map_err(from_kube) },
            async { self.pods().list(&selector).await.map_err(from_kube) },
        )?;
        let pods: HashMap<String, &Pod> = pods
            .items
            .iter()
            .filter_map(|pod| Some((pod.metadata.name.clone()?, pod)))
            .collect();
        let containers: Vec<ContainerInfo> = sets
            .items
            .iter()
            .map(|set| {
                let name = set.metadata.name.clone().unwrap_or_default();
                Self::info(set, pods.get(&Self::pod_name(&name)).copied())
            })
            .collect();
        self.published.follow(&self.pods(), &containers).await;
        Ok(containers)
    }

    async fn container_changes(
        &self,
        _since: u64,
        prefix: &str,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<(), EngineError>>, EngineError>
    {
        // Watches from "now" (the current resource versions): the caller lists right after
        // subscribing, so nothing before is missed.
        let params = kube::api::WatchParams::default().labels(&objects::prefix_selector(prefix));
        let sets = changes_of(self.sets(), &params).await?;
        let pods = changes_of(self.pods(), &params).await?;
        Ok(futures_util::stream::select(sets, pods).boxed())
    }

    async fn exec_split(
        &self,
        container: &str,
        user: &str,
        working_dir: Option<&str>,
        cmd: &[String],
        limit: usize,
    ) -> Result<SplitOutput, EngineError> {
        let command = exec::command(user, working_dir, &[], cmd);
        exec::run_to_end(
            &self.pods(),
            &Self::pod_name(container),
            command,
            None,
            limit,
        )
        .await
    }

    async fn start_tty_exec(&self, request: TtyExec<'_>) -> Result<TtyExecStreams, EngineError> {
        let command = exec::command(
            request.user,
            Some(request.working_dir),
            request.env,
            request.cmd,
        );
        self.execs
            .start_tty(&self.pods(), &Self::pod_name(request.container), command)
            .await
    }

    async fn resize_exec(&self, exec_id: &str, cols: u16, rows: u16) -> Result<(), EngineError> {
        self.execs.resize(exec_id, cols, rows).await
    }

    async fn exec_state(&self, exec_id: &str) -> Result<ExecState, EngineError> {
        self.execs.state(exec_id)
    }

    async fn start_stdio_exec(
        &self,
        container: &str,
        user: &str,
        cmd: &[&str],
    ) -> Result<StdioExec, EngineError> {
        let cmd: Vec<String> = cmd.iter().map(|part| (*part).to_owned()).collect();
        let command = exec::command(user, None, &[], &cmd);
        self.execs
            .start_stdio(&self.pods(), &Self::pod_name(container), command)
            .await
    }

    async fn container_logs(
        &self,
        container: &str,
        tail: u32,
        since_seconds: Option<i64>,
    ) -> Result<Vec<(String, String, String)>, EngineError> {
        let mut params = LogParams {
            container: Some(CONTAINER.to_owned()),
            timestamps: true,
            tail_lines: Some(i64::from(tail)),
            ..LogParams::default()
        };
        if let Some(since) = since_seconds {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs() as i64);
            params.since_seconds = Some((now - since).max(1));
        }
        let text = match self.pods().logs(&Self::pod_name(container), &params).await {
            Ok(text) => text,
            // A stopped workspace has no pod, and so no output yet.
            Err(error) => match from_kube(error) {
                EngineError::NotFound(_) => String::new(),
                other => return Err(other),
            },
        };
        // The cluster keeps one stream per container: stdout and stderr together.
        Ok(text
            .lines()
            .map(|line| {
                let (time, text) = line.split_once(' ').unwrap_or((line, ""));
                ("stdout".to_owned(), time.to_owned(), text.to_owned())
            })
            .collect())
    }

    async fn upload_archive(
        &self,
        container: &str,
        dir: &str,
        archive: Vec<u8>,
    ) -> Result<(), EngineError> {
        let running = self
            .pods()
            .get_opt(&Self::pod_name(container))
            .await
            .map_err(from_kube)?
            .is_some_and(|pod| objects::pod_progress(&pod) == objects::PodProgress::Running);
        if !running {
            lock(&self.pending_uploads)
                .entry(container.to_owned())
                .or_default()
                .push((dir.to_owned(), archive));
            return Ok(());
        }
        self.extract(container, dir, archive).await
    }

    async fn read_file(
        &self,
        container: &str,
        path: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, EngineError> {
        exec::read_file(&self.pods(), &Self::pod_name(container), path, limit).await
    }

    async fn connect(
        &self,
        container: &ContainerInfo,
        _network: &str,
        port: u16,
    ) -> Result<Box<dyn super::Connection>, EngineError> {
        publish::forward(&self.pods(), &Self::pod_name(&container.name), port).await
    }
}

impl Kubernetes {
    /// Unpacks a tar archive at `dir` in the running pod, as root, keeping owners and modes.
    async fn extract(
        &self,
        container: &str,
        dir: &str,
        archive: Vec<u8>,
    ) -> Result<(), EngineError> {
        exec::extract(&self.pods(), &Self::pod_name(container), dir, archive).await
    }
}

pub use objects::prefix_hash;
