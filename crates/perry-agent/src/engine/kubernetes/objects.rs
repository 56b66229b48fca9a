//! The Kubernetes objects of a workspace, and what Perry reads back from them. Pure: no API
//! calls here.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Event, Node, PersistentVolumeClaim, Pod};
use perry_api::{DindMode, WorkspaceLimits};
use serde_json::{Value, json};

use super::{CONTAINER, MANAGED_LABEL, PREFIX_HASH_LABEL};
use crate::engine::{
    ContainerInfo, ContainerSpec, EngineError, KubernetesConfig, PREFIX_LABEL, WORKSPACE_LABEL,
};
use crate::limits::HostResources;

/// Ties a StatefulSet to its pod.
const SET_LABEL: &str = "dev.perry.set";
/// Perry's own labels ride along as annotations with this prefix in their keys.
const PERRY_KEY_PREFIX: &str = "dev.perry.";
/// The claims' size when config.json names none.
const DEFAULT_VOLUME_SIZE: &str = "10Gi";
/// What a workspace asks the scheduler for at least (its limits are the most it may use).
const CPU_REQUEST_MILLIS: u64 = 100;
const MEMORY_REQUEST_MB: u32 = 256;
/// StatefulSet names must leave room for the pod's `-0` and the revision hash in a label of 63.
const MAX_SET_NAME: usize = 52;

/// The label value that selects one agent's objects: Kubernetes label values cannot hold every
/// prefix (`workspace-` ends in `-`), so a digest of it.
pub fn prefix_hash(prefix: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(prefix.as_bytes())[..12])
}

/// The label selector of one agent's objects.
pub(super) fn prefix_selector(prefix: &str) -> String {
    format!(
        "{MANAGED_LABEL}=perry,{PREFIX_HASH_LABEL}={}",
        prefix_hash(prefix)
    )
}

/// Labels (selectable) and annotations (Perry's labels, exact) of an object with Perry `labels`.
fn metadata(name: &str, labels: &HashMap<String, String>) -> Value {
    let mut selectable = BTreeMap::from([(MANAGED_LABEL.to_owned(), "perry".to_owned())]);
    if let Some(prefix) = labels.get(PREFIX_LABEL) {
        selectable.insert(PREFIX_HASH_LABEL.to_owned(), prefix_hash(prefix));
    }
    // A workspace name is a DNS label, so it is a valid label value as it is.
    if let Some(workspace) = labels.get(WORKSPACE_LABEL) {
        selectable.insert(WORKSPACE_LABEL.to_owned(), workspace.clone());
    }
    let annotations: BTreeMap<&String, &String> = labels.iter().collect();
    json!({"name": name, "labels": selectable, "annotations": annotations})
}

/// Perry's labels of an object, from its annotations.
fn perry_labels(annotations: Option<&BTreeMap<String, String>>) -> HashMap<String, String> {
    annotations
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.starts_with(PERRY_KEY_PREFIX))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, EngineError> {
    serde_json::from_value(value)
        .map_err(|error| EngineError::Failed(format!("cannot build a Kubernetes object: {error}")))
}

/// A workspace's claim.
pub(super) fn claim(
    name: &str,
    labels: &HashMap<String, String>,
    config: &KubernetesConfig,
) -> PersistentVolumeClaim {
    let mut spec = json!({
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": config.volume_size.as_deref().unwrap_or(DEFAULT_VOLUME_SIZE)}},
    });
    if let Some(class) = &config.storage_class {
        spec["storageClassName"] = json!(class);
    }
    let claim = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": metadata(name, labels), "spec": spec});
    // Built from strings and maps only: it always fits the type.
    serde_json::from_value(claim).unwrap_or_default()
}

/// The rights the inner Docker daemon gets in `mode`: privileged, or every capability but
/// CAP_SYS_RESOURCE with seccomp and AppArmor unconfined, as the Docker engine does; none of
/// Perry's with a RuntimeClass, which brings its own.
fn security_context(mode: DindMode, config: &KubernetesConfig) -> Value {
    if config.runtime_class_name.is_some() {
        return json!({});
    }
    match mode {
        DindMode::Privileged => json!({"privileged": true}),
        DindMode::Capabilities => json!({
            "privileged": false,
            "allowPrivilegeEscalation": true,
            "capabilities": {"add": ["ALL"], "drop": ["SYS_RESOURCE"]},
            "seccompProfile": {"type": "Unconfined"},
        }),
    }
}

/// The annotations a pod in `mode` needs besides Perry's: AppArmor unconfined (the
/// annotation, which clusters before 1.30 read and later ones still honour).
fn pod_annotations(mode: DindMode, config: &KubernetesConfig) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    if mode == DindMode::Capabilities && config.runtime_class_name.is_none() {
        annotations.insert(
            format!("container.apparmor.security.beta.kubernetes.io/{CONTAINER}"),
            "unconfined".to_owned(),
        );
    }
    annotations
}

/// Requests and limits from Perry's limits: the limits are the most the workspace may use; it
/// asks for little, so it fits where its limits would not all be free at once.
fn resources(limits: &WorkspaceLimits) -> Value {
    let mut requested = serde_json::Map::new();
    let mut limited = serde_json::Map::new();
    if let Some(cpus) = limits.cpus {
        let millis = (cpus * 1000.0).round() as u64;
        limited.insert("cpu".to_owned(), json!(format!("{millis}m")));
        requested.insert(
            "cpu".to_owned(),
            json!(format!("{}m", millis.min(CPU_REQUEST_MILLIS))),
        );
    }
    if let Some(memory_mb) = limits.memory_mb {
        limited.insert("memory".to_owned(), json!(format!("{memory_mb}Mi")));
        requested.insert(
            "memory".to_owned(),
            json!(format!("{}Mi", memory_mb.min(MEMORY_REQUEST_MB))),
        );
    }
    // A pod has no process limit of its own (the kubelet's podPidsLimit is the node's).
    json!({"requests": requested, "limits": limited})
}

fn pod_spec(spec_image: &str, env: &[String], mode: DindMode, config: &KubernetesConfig) -> Value {
    let env: Vec<Value> = env
        .iter()
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            json!({"name": name, "value": value})
        })
        .collect();
    let mut pod = json!({
        // Workspaces resolve names as their node does; cluster DNS is not every cluster's.
        "dnsPolicy": "Default",
        "enableServiceLinks": false,
        "automountServiceAccountToken": false,
        "terminationGracePeriodSeconds": 30,
        "containers": [{
            "name": CONTAINER,
            "image": spec_image,
            "imagePullPolicy": config.image_pull_policy.as_deref().unwrap_or("IfNotPresent"),
            "env": env,
            "ports": [{"name": "ssh", "containerPort": 22}],
            "securityContext": security_context(mode, config),
        }],
    });
    if let Some(class) = &config.runtime_class_name {
        pod["runtimeClassName"] = json!(class);
    }
    if !config.node_selector.is_empty() {
        pod["nodeSelector"] = json!(config.node_selector);
    }
    pod
}

/// The StatefulSet of a workspace, at 0 replicas.
pub(super) fn stateful_set(
    spec: &ContainerSpec,
    mode: DindMode,
    config: &KubernetesConfig,
) -> Result<StatefulSet, EngineError> {
    if spec.name.len() > MAX_SET_NAME {
        return Err(EngineError::Refused {
            status: 422,
            message: format!(
                "{} is longer than the {MAX_SET_NAME} characters Kubernetes allows a workspace's objects; use a shorter workspace name or workspacePrefix",
                spec.name
            ),
        });
    }
    let image = config.image.as_deref().unwrap_or(&spec.image);
    // The pod's own host name is the StatefulSet's; the entrypoint takes this one.
    let mut env = spec.env.clone();
    env.push(format!("PERRY_HOSTNAME={}", spec.hostname));
    let mut pod = pod_spec(image, &env, mode, config);
    let (mounts, volumes): (Vec<Value>, Vec<Value>) = spec
        .volumes
        .iter()
        .enumerate()
        .map(|(index, (claim, target))| {
            let name = format!("volume-{index}");
            (
                json!({"name": name, "mountPath": target}),
                json!({"name": name, "persistentVolumeClaim": {"claimName": claim}}),
            )
        })
        .unzip();
    pod["containers"][0]["volumeMounts"] = json!(mounts);
    pod["containers"][0]["resources"] = resources(&spec.limits);
    pod["volumes"] = json!(volumes);
    let mut template_metadata = metadata(&spec.name, &spec.labels);
    template_metadata["labels"][SET_LABEL] = json!(spec.name);
    if let Some(annotations) = template_metadata["annotations"].as_object_mut() {
        for (key, value) in pod_annotations(mode, config) {
            annotations.insert(key, json!(value));
        }
    }
    if let Some(template) = template_metadata.as_object_mut() {
        template.remove("name");
    }
    typed(json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(&spec.name, &spec.labels),
        "spec": {
            "replicas": 0,
            "serviceName": spec.name,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {SET_LABEL: spec.name}},
            "template": {"metadata": template_metadata, "spec": pod},
        },
    }))
}

/// The throwaway pod that finds out whether `mode` runs here.
pub(super) fn probe_pod(
    name: &str,
    image: &str,
    labels: &HashMap<String, String>,
    mode: DindMode,
    config: &KubernetesConfig,
) -> Pod {
    let mut pod = pod_spec(config.image.as_deref().unwrap_or(image), &[], mode, config);
    pod["restartPolicy"] = json!("Never");
    pod["containers"][0]["command"] = json!(["/bin/true"]);
    let mut metadata = metadata(name, labels);
    if let Some(annotations) = metadata["annotations"].as_object_mut() {
        for (key, value) in pod_annotations(mode, config) {
            annotations.insert(key, json!(value));
        }
    }
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod});
    serde_json::from_value(pod).unwrap_or_default()
}

/// The throwaway pod of a task (a clone's copy): root, CAP_SYS_ADMIN (the inner Docker's
/// `trusted.*` attributes), no service links, never restarted; its claims mounted as the task
/// says. Local volumes bind where their first pod runs, so the scheduler puts it on the node of
/// the claims it reads, and the new claims follow.
pub(super) fn task_pod(task: &super::super::TaskSpec, config: &KubernetesConfig) -> Pod {
    let mut pod = pod_spec(
        config.image.as_deref().unwrap_or(&task.image),
        &[],
        DindMode::Privileged,
        config,
    );
    pod["restartPolicy"] = json!("Never");
    pod["containers"][0]["command"] = json!(task.command);
    pod["containers"][0]["securityContext"] = if config.runtime_class_name.is_some() {
        json!({"runAsUser": 0})
    } else {
        json!({"runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN"]}})
    };
    if let Some(container) = pod["containers"][0].as_object_mut() {
        container.remove("ports");
    }
    let (mounts, volumes): (Vec<Value>, Vec<Value>) = task
        .volumes
        .iter()
        .enumerate()
        .map(|(index, (claim, target, read_only))| {
            let name = format!("volume-{index}");
            (
                json!({"name": name, "mountPath": target, "readOnly": read_only}),
                json!({"name": name, "persistentVolumeClaim": {"claimName": claim, "readOnly": read_only}}),
            )
        })
        .unzip();
    pod["containers"][0]["volumeMounts"] = json!(mounts);
    pod["volumes"] = json!(volumes);
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata(&task.name, &task.labels), "spec": pod});
    serde_json::from_value(pod).unwrap_or_default()
}

/// How a task's pod ended: its exit code, once its container has terminated.
pub(super) fn task_exit_code(pod: &Pod) -> Option<i64> {
    let status = pod.status.as_ref()?;
    status
        .container_statuses
        .iter()
        .flatten()
        .find_map(|container| container.state.as_ref()?.terminated.as_ref())
        .map(|terminated| i64::from(terminated.exit_code))
}

/// Where a workspace's pod is on its way to running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PodProgress {
    Starting,
    Running,
    /// No node can take it now; the scheduler's words.
    Unschedulable(String),
    /// It cannot run as it is (image missing, refused rights, crashing); why.
    Failed(String),
}

/// Container waiting reasons that will not pass by themselves.
const STUCK_REASONS: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "CrashLoopBackOff",
];

pub(super) fn pod_progress(pod: &Pod) -> PodProgress {
    let Some(status) = &pod.status else {
        return PodProgress::Starting;
    };
    if pod.metadata.deletion_timestamp.is_some() {
        return PodProgress::Starting;
    }
    if let Some("Failed" | "Succeeded") = status.phase.as_deref() {
        return PodProgress::Failed(format!(
            "it ended ({})",
            status.reason.as_deref().unwrap_or("exited")
        ));
    }
    for container in status.container_statuses.iter().flatten() {
        let state = container.state.as_ref();
        if state.and_then(|state| state.running.as_ref()).is_some() {
            return PodProgress::Running;
        }
        if let Some(waiting) = state.and_then(|state| state.waiting.as_ref())
            && let Some(reason) = waiting.reason.as_deref()
            && STUCK_REASONS.contains(&reason)
        {
            return PodProgress::Failed(format!(
                "{reason}: {}",
                waiting.message.as_deref().unwrap_or("no message")
            ));
        }
    }
    if let Some(reason) = pending_reason(pod) {
        return PodProgress::Unschedulable(reason);
    }
    PodProgress::Starting
}

/// The scheduler's message for a pod it cannot place.
pub(super) fn pending_reason(pod: &Pod) -> Option<String> {
    pod.status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .find(|condition| {
            condition.type_ == "PodScheduled"
                && condition.status == "False"
                && condition.reason.as_deref() == Some("Unschedulable")
        })
        .map(|condition| condition.message.clone().unwrap_or_default())
}

/// Whether an API server's refusal is a ResourceQuota's: its admission says "exceeded quota",
/// "failed quota" (a pod without the requests a quota counts) or "status unknown for quota".
pub(super) fn is_quota_refusal(message: &str) -> bool {
    message.contains(" quota")
}

/// How far the API server's clock may be behind the agent's for an event to count as new.
const CLOCK_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

/// The message of the newest FailedCreate event among `events` seen since `since` (less
/// [`CLOCK_SKEW`]), without the controller's preamble: what refused the pod.
pub(super) fn newest_refusal(events: &[Event], since: jiff::Timestamp) -> Option<String> {
    let since = since - CLOCK_SKEW;
    events
        .iter()
        .filter_map(|event| {
            let seen = event
                .last_timestamp
                .as_ref()
                .map(|time| time.0)
                .or_else(|| event.event_time.as_ref().map(|time| time.0))?;
            (seen >= since).then_some((seen, event.message.as_deref()?))
        })
        .max_by_key(|(seen, _)| *seen)
        .map(|(_, message)| {
            // "create Pod x-0 in StatefulSet x failed error: pods "x-0" is forbidden: …"
            message
                .split_once(" failed error: ")
                .map_or(message, |(_, why)| why)
                .to_owned()
        })
}

/// Whether the probe pod ran (`Some(true)`), could not (`Some(false)`), or is not done.
pub(super) fn probe_outcome(pod: &Pod) -> Option<bool> {
    let status = pod.status.as_ref()?;
    match status.phase.as_deref() {
        Some("Succeeded") => return Some(true),
        Some("Failed") => return Some(false),
        _ => {}
    }
    for container in status.container_statuses.iter().flatten() {
        let state = container.state.as_ref()?;
        if let Some(terminated) = &state.terminated {
            return Some(terminated.exit_code == 0);
        }
        if let Some(reason) = state
            .waiting
            .as_ref()
            .and_then(|waiting| waiting.reason.as_deref())
            && STUCK_REASONS.contains(&reason)
        {
            return Some(false);
        }
    }
    None
}

/// A StatefulSet and its pod as Perry sees them.
pub(super) fn container_info(set: &StatefulSet, pod: Option<&Pod>) -> ContainerInfo {
    let name = set.metadata.name.clone().unwrap_or_default();
    let wanted = set
        .spec
        .as_ref()
        .and_then(|spec| spec.replicas)
        .unwrap_or(0)
        > 0;
    let running = wanted && pod.is_some_and(|pod| pod_progress(pod) == PodProgress::Running);
    let unreachable = pod.and_then(unreachable);
    let image = set
        .spec
        .as_ref()
        .and_then(|spec| spec.template.spec.as_ref())
        .and_then(|pod| pod.containers.first())
        .and_then(|container| container.image.clone())
        .unwrap_or_default();
    let addresses = pod
        .and_then(|pod| pod.status.as_ref()?.pod_ip.as_ref()?.parse().ok())
        .map(|address| HashMap::from([("pod".to_owned(), address)]))
        .unwrap_or_default();
    ContainerInfo {
        id: name.clone(),
        name,
        running,
        image,
        labels: perry_labels(set.metadata.annotations.as_ref()),
        addresses,
        unreachable,
    }
}

/// Why a pod cannot be reached, when its node stopped answering: the node controller then
/// marks the pod not ready although its container last ran (and deletes it later, which a
/// node that does not answer never completes).
pub(super) fn unreachable(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    let ran = status.container_statuses.iter().flatten().any(|container| {
        container
            .state
            .as_ref()
            .is_some_and(|state| state.running.is_some())
    });
    let not_ready = status
        .conditions
        .iter()
        .flatten()
        .find(|condition| condition.type_ == "Ready" && condition.status == "False")?;
    if !ran {
        return None;
    }
    let node = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.node_name.clone())
        .unwrap_or_else(|| "its node".to_owned());
    Some(format!(
        "node {node} does not answer ({}); start the workspace to move it to a node that does",
        not_ready
            .message
            .clone()
            .or_else(|| not_ready.reason.clone())
            .unwrap_or_else(|| "not ready".to_owned())
    ))
}

/// CPUs in a Kubernetes quantity (`4`, `3500m`), whole ones.
fn cpus(quantity: &str) -> Option<u32> {
    match quantity.strip_suffix('m') {
        Some(millis) => Some((millis.parse::<u64>().ok()? / 1000) as u32),
        None => quantity.parse::<f64>().ok().map(|cpus| cpus as u32),
    }
}

/// MiB in a Kubernetes memory quantity (`16393560Ki`, `8Gi`, `1000000000`).
fn memory_mb(quantity: &str) -> Option<u64> {
    let units: [(&str, u64); 6] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("k", 1000),
        ("M", 1_000_000),
    ];
    let (number, unit) = units
        .iter()
        .find_map(|(suffix, unit)| Some((quantity.strip_suffix(suffix)?, *unit)))
        .unwrap_or((quantity, 1));
    Some(number.parse::<u64>().ok()? * unit / (1 << 20))
}

/// The largest node's allocatable CPUs and memory: the most one workspace can have.
pub(super) fn largest_node(nodes: &[Node]) -> HostResources {
    let allocatable = |node: &Node, key: &str| {
        node.status
            .as_ref()
            .and_then(|status| status.allocatable.as_ref())
            .and_then(|allocatable| allocatable.get(key))
            .map(|quantity| quantity.0.clone())
    };
    HostResources {
        cpus: nodes
            .iter()
            .filter_map(|node| cpus(&allocatable(node, "cpu")?))
            .max()
            .unwrap_or(1),
        memory_mb: nodes
            .iter()
            .filter_map(|node| memory_mb(&allocatable(node, "memory")?))
            .max()
            .unwrap_or(0),
    }
}

/// An image name as Docker means it, to compare names nodes list with the one asked for:
/// without a registry host, without the `library/` of official images, with a tag
/// (`workspace-base` and `<registry>/library/workspace-base:latest` are the same).
fn normalized_image(image: &str) -> String {
    let mut path = image;
    if let Some((first, rest)) = path.split_once('/')
        && (first.contains('.') || first.contains(':') || first == "localhost")
    {
        path = rest;
    }
    let path = path.strip_prefix("library/").unwrap_or(path);
    if path.contains('@')
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
    {
        path.to_owned()
    } else {
        format!("{path}:latest")
    }
}

pub(super) fn some_node_has_image(nodes: &[Node], image: &str) -> bool {
    let wanted = normalized_image(image);
    nodes.iter().any(|node| {
        node.status
            .as_ref()
            .and_then(|status| status.images.as_ref())
            .into_iter()
            .flatten()
            .flat_map(|listed| listed.names.iter().flatten())
            .any(|name| normalized_image(name) == wanted)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "workspace-alpha".to_owned(),
            hostname: "alpha".to_owned(),
            image: "workspace-base".to_owned(),
            labels: HashMap::from([
                (PREFIX_LABEL.to_owned(), "workspace-".to_owned()),
                (WORKSPACE_LABEL.to_owned(), "alpha".to_owned()),
                (
                    "dev.perry.created".to_owned(),
                    "2026-12-05T02:00:00Z".to_owned(),
                ),
            ]),
            env: vec!["PERRY_SSH_AUTHORIZED_KEYS=ssh-ed25519 AAAA x".to_owned()],
            network: "workspace-network".to_owned(),
            volumes: vec![
                (
                    "workspace-alpha-home".to_owned(),
                    "/home/workspace".to_owned(),
                ),
                (
                    "workspace-alpha-docker".to_owned(),
                    "/var/lib/docker".to_owned(),
                ),
            ],
            ssh_host_port: 2222,
            limits: WorkspaceLimits {
                cpus: Some(1.5),
                memory_mb: Some(4096),
                pids: None,
            },
        }
    }

    #[test]
    fn a_workspace_is_a_stateful_set_at_zero_with_its_claims_rights_and_limits() {
        let set = stateful_set(
            &spec(),
            DindMode::Capabilities,
            &KubernetesConfig::default(),
        )
        .unwrap();
        let value = serde_json::to_value(&set).unwrap();
        assert_eq!(value["spec"]["replicas"], 0);
        let labels = &value["metadata"]["labels"];
        assert_eq!(labels[PREFIX_HASH_LABEL], prefix_hash("workspace-"));
        assert_eq!(labels[WORKSPACE_LABEL], "alpha");
        // Perry's labels, which label values cannot hold, are annotations, read back whole.
        let info = container_info(&set, None);
        assert_eq!(info.labels["dev.perry.created"], "2026-12-05T02:00:00Z");
        assert_eq!(info.labels[PREFIX_LABEL], "workspace-");
        assert!(!info.running);
        let pod = &value["spec"]["template"];
        assert_eq!(pod["metadata"]["labels"][SET_LABEL], "workspace-alpha");
        assert_eq!(
            pod["metadata"]["annotations"]["container.apparmor.security.beta.kubernetes.io/workspace"],
            "unconfined"
        );
        let container = &pod["spec"]["containers"][0];
        assert_eq!(
            container["securityContext"]["capabilities"]["drop"][0],
            "SYS_RESOURCE"
        );
        assert_eq!(
            container["securityContext"]["seccompProfile"]["type"],
            "Unconfined"
        );
        assert_eq!(container["resources"]["limits"]["cpu"], "1500m");
        assert_eq!(container["resources"]["limits"]["memory"], "4096Mi");
        assert_eq!(container["resources"]["requests"]["cpu"], "100m");
        assert_eq!(container["volumeMounts"][1]["mountPath"], "/var/lib/docker");
        assert_eq!(
            pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
            "workspace-alpha-home"
        );
        assert_eq!(container["env"][0]["value"], "ssh-ed25519 AAAA x");
    }

    #[test]
    fn names_too_long_for_kubernetes_are_refused_with_the_limit() {
        let mut long = spec();
        long.name = format!("workspace-{}", "a".repeat(50));
        let error =
            stateful_set(&long, DindMode::Privileged, &KubernetesConfig::default()).unwrap_err();
        assert!(
            matches!(&error, EngineError::Refused { status: 422, message } if message.contains("52")),
            "{error:?}"
        );
    }

    #[test]
    fn quantities_and_image_names_read_as_the_cluster_writes_them() {
        assert_eq!(cpus("4"), Some(4));
        assert_eq!(cpus("3500m"), Some(3));
        assert_eq!(memory_mb("16393560Ki"), Some(16009));
        assert_eq!(memory_mb("8Gi"), Some(8192));
        assert_eq!(normalized_image("workspace-base"), "workspace-base:latest");
        assert_eq!(
            normalized_image("mirror.test/library/workspace-base:latest"),
            "workspace-base:latest"
        );
        assert_eq!(
            normalized_image("mirror.test:5000/perry/ws:1"),
            "perry/ws:1"
        );
        assert_eq!(normalized_image("perry/ws"), "perry/ws:latest");
    }

    #[test]
    fn the_newest_refusal_since_the_start_is_told_without_the_controllers_preamble() {
        let event = |at: &str, message: &str| Event {
            last_timestamp: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                at.parse().unwrap(),
            )),
            message: Some(message.to_owned()),
            ..Event::default()
        };
        let events = [
            event(
                "2026-12-05T10:00:00Z",
                "create Pod w-0 in StatefulSet w failed error: old news",
            ),
            event(
                "2026-12-05T12:00:03Z",
                "create Pod w-0 in StatefulSet w failed error: pods \"w-0\" is forbidden: exceeded quota: q",
            ),
            event("2026-12-05T12:00:01Z", "something earlier"),
        ];
        let since: jiff::Timestamp = "2026-12-05T12:00:02Z".parse().unwrap();
        assert_eq!(
            newest_refusal(&events, since).as_deref(),
            Some("pods \"w-0\" is forbidden: exceeded quota: q")
        );
        assert!(is_quota_refusal(
            "pods \"w-0\" is forbidden: exceeded quota: q"
        ));
        assert!(!is_quota_refusal(
            "violates PodSecurity \"baseline:latest\""
        ));
        let later: jiff::Timestamp = "2026-12-05T13:00:00Z".parse().unwrap();
        assert_eq!(newest_refusal(&events, later), None);
    }
}
