//! The Kubernetes engine against a real cluster (`scripts/kubernetes/cluster.sh up`, which
//! `scripts/test.sh` starts for these tests and stops after): a workspace's whole life as a
//! StatefulSet with two claims, commands, files, sync, SSH and port forwards through the API
//! server, a terminal typed into, stop and start on another node with the claims kept, the
//! agent restarted finding its workspaces from labels, a workspace cloned claim to claim, and
//! faults told as they are.
//!
//! `PERRY_TEST_KUBECONFIG` names the cluster's kubeconfig; without it these tests fail (they
//! are left out of the plain `cargo nextest run`, see .config/nextest.toml).

mod common;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolumeClaim, Pod, ResourceQuota};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use perry_api::procedures::{
    AgentInfoCall, PortsForward, WorkspacesClone, WorkspacesCreate, WorkspacesDelete,
    WorkspacesExec, WorkspacesList, WorkspacesLogs, WorkspacesStart, WorkspacesStop,
    WorkspacesSync,
};
use perry_api::{AgentInfo, ExecOutput, SyncOutput, Workspace, WorkspaceStatus};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use common::{TestAgent, TestAgentConfig};

const SESSION_ID: &str = "6f1c3a52-9d0e-4b8e-a7a4-2f59d1c0b7e3";

/// The test cluster's kubeconfig.
fn kubeconfig() -> String {
    std::env::var("PERRY_TEST_KUBECONFIG").expect(
        "PERRY_TEST_KUBECONFIG names the test cluster's kubeconfig: run `scripts/kubernetes/cluster.sh up`",
    )
}

async fn client() -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

/// A namespace of the test's own, made now and removed (with all in it) when dropped.
struct TestNamespace {
    name: String,
    client: kube::Client,
}

impl TestNamespace {
    async fn new(tag: &str) -> TestNamespace {
        let client = client().await;
        let suffix: u32 = rand::random::<u32>() % 1_000_000;
        let name = format!("perry-{tag}-{suffix:06}");
        let namespace: Namespace =
            serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap();
        TestNamespace { name, client }
    }

    fn sets(&self) -> Api<StatefulSet> {
        Api::namespaced(self.client.clone(), &self.name)
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.name)
    }

    fn claims(&self) -> Api<PersistentVolumeClaim> {
        Api::namespaced(self.client.clone(), &self.name)
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        let (name, client) = (self.name.clone(), self.client.clone());
        // Drop cannot await; a thread with its own runtime removes the namespace and all in it.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Runtime::new() else {
                return;
            };
            runtime.block_on(async {
                let _ = Api::<Namespace>::all(client)
                    .delete(&name, &DeleteParams::default())
                    .await;
            });
        })
        .join();
    }
}

/// An agent whose engine is the test cluster, in `namespace`.
async fn agent_on(namespace: &TestNamespace, tag: &str) -> TestAgent {
    agent_with(namespace, tag, json!({})).await
}

/// An agent on the test cluster with engine settings `more` besides the test's own.
async fn agent_with(namespace: &TestNamespace, tag: &str, more: serde_json::Value) -> TestAgent {
    let mut engine = json!({
        "kind": "kubernetes",
        "kubeconfig": kubeconfig(),
        "namespace": namespace.name,
        "imagePullPolicy": "Never",
        "volumeSize": "1Gi",
    });
    for (key, value) in more.as_object().into_iter().flatten() {
        engine[key] = value.clone();
    }
    let mut extra = serde_json::Map::new();
    extra.insert("engine".to_owned(), engine);
    TestAgent::start_with(
        tag,
        TestAgentConfig {
            extra,
            ..TestAgentConfig::default()
        },
    )
    .await
}

async fn run(agent: &TestAgent, name: &str, user: &str, script: &str) -> ExecOutput {
    agent
        .ok::<WorkspacesExec>(json!({
            "name": name,
            "command": ["/bin/bash", "-c", script],
            "user": user,
        }))
        .await
}

/// The terminal's id and replayed bytes, from the first control message of a terminal socket.
async fn attached<S>(socket: &mut S) -> (String, u32)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let first = socket.next().await.unwrap().unwrap();
    let Message::Text(text) = first else {
        panic!("the first frame is a control message, got {first:?}")
    };
    match serde_json::from_str(&text).unwrap() {
        perry_api::TerminalControl::Attached {
            id, replayed_bytes, ..
        } => (id, replayed_bytes),
        other => panic!("the first control message says which terminal: {other:?}"),
    }
}

/// Waits until the workspace's sessions list the test's session, through its worker.
async fn sessions_until_listed(agent: &TestAgent, workspace: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = agent
            .call("sessions/list", json!({"workspaceName": workspace}))
            .await;
        if status == 200
            && body["sessions"]
                .as_array()
                .is_some_and(|sessions| sessions.iter().any(|s| s["sessionId"] == SESSION_ID))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no session listed: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Reads from a terminal socket until `wanted` shows, or fails after 30 s.
async fn read_until<S>(socket: &mut S, wanted: &str) -> String
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    read_within(socket, wanted, Duration::from_secs(30))
        .await
        .unwrap_or_else(|why| panic!("{why}"))
}

/// Reads from a terminal socket until `wanted` shows: what was read, or why it did not show
/// within `time`.
async fn read_within<S>(socket: &mut S, wanted: &str, time: Duration) -> Result<String, String>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut seen = String::new();
    let deadline = Instant::now() + time;
    while !seen.contains(wanted) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Some(Ok(_))) => {}
            other => {
                return Err(format!(
                    "no {wanted:?} in the terminal ({other:?}); saw {seen:?}"
                ));
            }
        }
    }
    Ok(seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_lives_its_whole_life_as_a_pod_with_two_claims() {
    let namespace = TestNamespace::new("life").await;
    let agent = agent_on(&namespace, "k8s").await;

    let info: AgentInfo = agent.ok::<AgentInfoCall>(json!({})).await;
    let engine = info.engine.expect("agent.info tells the engine");
    assert_eq!(engine.kind, "kubernetes");
    assert!(
        engine
            .version
            .as_deref()
            .is_some_and(|version| !version.is_empty()),
        "{engine:?}"
    );
    assert!(engine.location.contains(&namespace.name), "{engine:?}");
    // Its capacity is the largest node's (this kubeconfig may see nodes); the agent's own
    // machine is not where workspaces run, so its free memory and load are not told.
    let capacity = info.capacity.expect("a capacity");
    assert!(
        capacity.cpus.is_some_and(|cpus| cpus > 0)
            && capacity.memory_total_mb.is_some_and(|memory| memory > 0),
        "{capacity:?}"
    );
    assert_eq!((capacity.memory_available_mb, capacity.load1), (None, None));
    assert!(capacity.image_present, "{capacity:?}");

    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "alpha"})).await;
    assert_eq!(created.status, WorkspaceStatus::Running, "{created:?}");
    let set_name = agent.container("alpha");
    let set = namespace.sets().get(&set_name).await.unwrap();
    assert_eq!(set.spec.as_ref().and_then(|spec| spec.replicas), Some(1));
    let claims = namespace
        .claims()
        .list(&ListParams::default())
        .await
        .unwrap();
    let mut claim_names: Vec<String> = claims
        .items
        .iter()
        .filter_map(|claim| claim.metadata.name.clone())
        .collect();
    claim_names.sort();
    assert_eq!(
        claim_names,
        [format!("{set_name}-docker"), format!("{set_name}-home")]
    );

    // Commands run as the user asked for, the inner Docker daemon answers, the worker is in.
    let who = run(&agent, "alpha", "workspace", "id -un; echo $HOME; docker version --format '{{.Server.Version}}' >/dev/null && echo docker-ok").await;
    assert_eq!(who.exit_code, 0, "{who:?}");
    assert!(
        who.stdout.contains("workspace\n/home/workspace\ndocker-ok"),
        "{who:?}"
    );
    let failed = run(&agent, "alpha", "root", "echo out; echo err >&2; exit 7").await;
    assert_eq!(
        (
            failed.exit_code,
            failed.stdout.as_str(),
            failed.stderr.as_str()
        ),
        (7, "out\n", "err\n")
    );
    let worker = run(
        &agent,
        "alpha",
        "root",
        "test -x /usr/local/bin/perry-worker && echo worker-ok",
    )
    .await;
    assert_eq!(worker.stdout, "worker-ok\n", "{worker:?}");

    // Files land with their owners (sync's tar copy), and are read back (its environment file).
    let synced: SyncOutput = agent.ok::<WorkspacesSync>(json!({"name": "alpha"})).await;
    assert!(
        synced.items.iter().all(|item| item.error.is_none()),
        "{synced:?}"
    );

    // A terminal typed into, through the exec API.
    let url = format!(
        "{}/terminal/alpha?token={}&cols=90&rows=20",
        agent.url.replace("http://", "ws://"),
        agent.token
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let terminal_id = attached(&mut socket).await.0;
    socket
        .send(Message::Binary(
            b"stty size; echo typed-$((6*7))\n".to_vec().into(),
        ))
        .await
        .unwrap();
    let seen = read_until(&mut socket, "typed-42").await;
    assert!(seen.contains("20 90"), "the size applies: {seen:?}");
    socket
        .send(Message::Text(
            serde_json::to_string(&perry_api::TerminalControl::Resize {
                cols: 100,
                rows: 30,
            })
            .unwrap()
            .into(),
        ))
        .await
        .unwrap();
    // The exec API carries a resize beside the input, not in line with it, and the node
    // applies it on its own: a `stty size` typed at once may run first. Asked until it shows.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        socket
            .send(Message::Binary(b"stty size\n".to_vec().into()))
            .await
            .unwrap();
        match read_within(&mut socket, "30 100", Duration::from_secs(2)).await {
            Ok(_) => break,
            Err(why) => assert!(Instant::now() < deadline, "the resize never applies: {why}"),
        }
    }
    // Dropped without a goodbye, the shell lives on: reattaching replays what it printed.
    drop(socket);
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{url}&terminal={terminal_id}"))
        .await
        .unwrap();
    let (id, replayed) = attached(&mut socket).await;
    assert_eq!((id.as_str(), replayed > 0), (terminal_id.as_str(), true));
    read_until(&mut socket, "typed-42").await;
    socket
        .send(Message::Binary(b"echo still-$((1+1))\n".to_vec().into()))
        .await
        .unwrap();
    read_until(&mut socket, "still-2").await;
    drop(socket);

    // Its host name is the workspace's, not the pod's.
    let hostname = run(&agent, "alpha", "workspace", "hostname").await;
    assert_eq!(hostname.stdout, "alpha\n", "{hostname:?}");

    // SSH is published on the workspace's port on the agent's machine.
    let mut ssh = tokio::net::TcpStream::connect(("127.0.0.1", created.ports.ssh))
        .await
        .unwrap();
    let mut greeting = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(10), ssh.read_exact(&mut greeting))
        .await
        .expect("sshd greets in time")
        .unwrap();
    assert_eq!(&greeting, b"SSH-");
    drop(ssh);

    // A port forward into the pod.
    let host_port = agent.free_host_port();
    run(&agent, "alpha", "workspace", "nohup python3 -c \"import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8123)); s.listen()\nwhile True:\n c,_=s.accept(); c.sendall(c.recv(100).upper()); c.close()\" >/dev/null 2>&1 &").await;
    let _ = agent
        .ok::<PortsForward>(json!({"workspaceName": "alpha", "forwards": [{"hostPort": host_port, "workspacePort": 8123}]}))
        .await;
    let answer = async {
        for _ in 0..50 {
            if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", host_port)).await {
                stream.write_all(b"hello").await.unwrap();
                let mut reply = Vec::new();
                let _ = stream.read_to_end(&mut reply).await;
                if reply == b"HELLO" {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    };
    assert!(answer.await, "the forward reaches the pod's port");

    // Logs are the pod's.
    let logs = agent
        .ok::<WorkspacesLogs>(json!({"name": "alpha", "tail": 50}))
        .await;
    assert!(!logs.lines.is_empty(), "{logs:?}");

    // A coding agent's transcript written in the pod shows as a session, through the worker.
    let line = json!({"parentUuid": null, "isSidechain": false, "userType": "external",
        "cwd": "/home/workspace/app", "sessionId": SESSION_ID, "version": "2.0.14",
        "type": "user", "message": {"role": "user", "content": "hello from the pod"},
        "uuid": "u1", "timestamp": "2026-12-05T02:00:00.000Z"})
    .to_string();
    let written = run(&agent, "alpha", "workspace", &format!(
        "mkdir -p ~/.claude/projects/-home-workspace-app && printf '%s\\n' '{line}' > ~/.claude/projects/-home-workspace-app/{SESSION_ID}.jsonl"
    )).await;
    assert_eq!(written.exit_code, 0, "{written:?}");
    sessions_until_listed(&agent, "alpha").await;

    // The cluster makes the pod anew by itself (deleted, evicted, its node drained): the
    // agent puts its worker back, so sessions show again, and the SSH host key is the same.
    let host_key = "cat /etc/ssh/ssh_host_ed25519_key.pub";
    let key_before = run(&agent, "alpha", "root", host_key).await.stdout;
    let pod_name = format!("{set_name}-0");
    let old_pod = namespace.pods().get(&pod_name).await.unwrap().metadata.uid;
    namespace
        .pods()
        .delete(&pod_name, &Default::default())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let new_pod = namespace.pods().get_opt(&pod_name).await.unwrap();
        let (status, body) = agent
            .call(
                "workspaces/exec",
                json!({"name": "alpha", "user": "root",
                    "command": ["/bin/sh", "-c", "pgrep -x perry-worker >/dev/null && echo worker-runs"]}),
            )
            .await;
        if new_pod.is_some_and(|pod| pod.metadata.uid != old_pod)
            && status == 200
            && body["stdout"] == "worker-runs\n"
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no worker runs in the remade pod: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    sessions_until_listed(&agent, "alpha").await;
    let again = run(&agent, "alpha", "root", &format!("{host_key}; hostname")).await;
    assert_eq!(again.stdout, format!("{key_before}alpha\n"), "{again:?}");

    // Stop keeps the claims and the files in them; start brings them back.
    run(&agent, "alpha", "workspace", "echo kept > ~/note.txt").await;
    let stopped: Workspace = agent.ok::<WorkspacesStop>(json!({"name": "alpha"})).await;
    assert_eq!(stopped.status, WorkspaceStatus::Stopped, "{stopped:?}");
    assert!(
        namespace
            .pods()
            .get_opt(&format!("{set_name}-0"))
            .await
            .unwrap()
            .is_none(),
        "no pod while stopped"
    );
    assert_eq!(
        namespace
            .claims()
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    let started: Workspace = agent.ok::<WorkspacesStart>(json!({"name": "alpha"})).await;
    assert_eq!(started.status, WorkspaceStatus::Running, "{started:?}");
    let note = run(
        &agent,
        "alpha",
        "workspace",
        "cat ~/note.txt; test -x /usr/local/bin/perry-worker && echo worker-back",
    )
    .await;
    assert_eq!(note.stdout, "kept\nworker-back\n", "{note:?}");

    // Delete takes everything.
    agent.ok::<WorkspacesDelete>(json!({"name": "alpha"})).await;
    assert!(namespace.sets().get_opt(&set_name).await.unwrap().is_none());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = namespace
            .claims()
            .list(&ListParams::default())
            .await
            .unwrap()
            .items;
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "claims left: {left:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (status, body) = agent.call("workspaces/get", json!({"name": "alpha"})).await;
    assert_eq!(status, 404, "{body}");
}

/// The cluster script, for killing and starting a node's kubelet.
fn cluster(args: &[&str]) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/kubernetes/cluster.sh");
    let status = std::process::Command::new(script)
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "cluster.sh {args:?}");
}

/// Marks a node (un)schedulable, as `kubectl cordon` does.
async fn cordon(node: &str, unschedulable: bool) {
    let nodes: Api<Node> = Api::all(client().await);
    let patch = json!({"spec": {"unschedulable": unschedulable}});
    nodes
        .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

/// Puts the cluster back as the other tests expect it (both nodes up and schedulable),
/// however this test ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        cluster(&["start-node", "1"]);
        cluster(&["start-node", "2"]);
        let _ = std::thread::spawn(|| {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                cordon("localhost", false).await;
                cordon("127.0.0.2", false).await;
            });
        })
        .join();
    }
}

async fn pod_node(namespace: &TestNamespace, set: &str) -> String {
    let pod = namespace.pods().get(&format!("{set}-0")).await.unwrap();
    pod.spec.and_then(|spec| spec.node_name).unwrap()
}

async fn status_until(agent: &TestAgent, name: &str, wanted: WorkspaceStatus) -> Workspace {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(json!({})).await;
        let workspace = listed
            .into_iter()
            .find(|workspace| workspace.name == name)
            .unwrap();
        if workspace.status == wanted {
            return workspace;
        }
        assert!(
            Instant::now() < deadline,
            "still {workspace:?}, not {wanted:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_starts_where_its_storage_goes_and_follows_a_lost_node() {
    let namespace = TestNamespace::new("nodes").await;
    let agent = agent_on(&namespace, "k8snodes").await;
    let created: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": "roam", "limits": {"cpus": 1, "memoryMb": 2048}}))
        .await;
    assert_eq!(created.status, WorkspaceStatus::Running, "{created:?}");
    // The default process limit is not promised where nothing holds it.
    assert_eq!(created.limits.and_then(|limits| limits.pids), None);
    let set = agent.container("roam");
    // Limits are the pod's limits; it asks the scheduler for less.
    let resources = namespace
        .sets()
        .get(&set)
        .await
        .unwrap()
        .spec
        .unwrap()
        .template
        .spec
        .unwrap()
        .containers[0]
        .resources
        .clone()
        .unwrap();
    // (The API server writes 2048Mi as 2Gi.)
    assert_eq!(resources.limits.unwrap()["memory"].0, "2Gi");
    assert_eq!(resources.requests.unwrap()["cpu"].0, "100m");
    run(&agent, "roam", "workspace", "echo travels > ~/note.txt").await;
    let host_key = "cat /etc/ssh/ssh_host_ed25519_key.pub";
    let key_before = run(&agent, "roam", "root", host_key).await.stdout;

    // Stopped on one node and started when only the other can take it: the claims go along.
    let first = pod_node(&namespace, &set).await;
    let (other, other_number) = if first == "localhost" {
        ("127.0.0.2", "2")
    } else {
        ("localhost", "1")
    };
    let _restore = Restore;
    cordon(&first, true).await;
    let _: Workspace = agent.ok::<WorkspacesStop>(json!({"name": "roam"})).await;
    let started: Workspace = agent.ok::<WorkspacesStart>(json!({"name": "roam"})).await;
    assert_eq!(started.status, WorkspaceStatus::Running, "{started:?}");
    assert_eq!(pod_node(&namespace, &set).await, other);
    let note = run(&agent, "roam", "workspace", "cat ~/note.txt").await;
    assert_eq!(note.stdout, "travels\n", "{note:?}");
    cordon(&first, false).await;

    // Its node is lost (kubelet and containers gone, as when the machine dies): the
    // workspace turns unreachable, and a start moves it back where its storage is.
    cordon(other, true).await;
    cluster(&["lose-node", other_number]);
    let lost = status_until(&agent, "roam", WorkspaceStatus::Unreachable).await;
    assert!(
        lost.error.as_deref().is_some_and(|why| why.contains(other)),
        "{lost:?}"
    );
    let moved: Workspace = agent.ok::<WorkspacesStart>(json!({"name": "roam"})).await;
    assert_eq!(moved.status, WorkspaceStatus::Running, "{moved:?}");
    assert_eq!(pod_node(&namespace, &set).await, first);
    let note = run(&agent, "roam", "workspace", "cat ~/note.txt").await;
    assert_eq!(note.stdout, "travels\n", "{note:?}");
    // A new pod on another node, the same SSH host key: ssh clients keep trusting it.
    assert_eq!(
        run(&agent, "roam", "root", host_key).await.stdout,
        key_before
    );
    cluster(&["start-node", other_number]);
    cordon(other, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_agent_finds_its_workspaces_from_the_clusters_labels() {
    let namespace = TestNamespace::new("restart").await;
    let mut agent = agent_on(&namespace, "k8sre").await;
    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "kept"})).await;
    agent.stop_agent().await;
    // state.json gone too: only the cluster knows the workspace now.
    std::fs::remove_file(agent.dir.path().join("state.json")).unwrap();
    agent.restart_agent().await;
    let found = status_until(&agent, "kept", WorkspaceStatus::Running).await;
    assert_eq!(found.ports.ssh, created.ports.ssh);
    assert_eq!(found.created, created.created);
    // Its SSH port is published again.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut ssh) = tokio::net::TcpStream::connect(("127.0.0.1", found.ports.ssh)).await {
            let mut greeting = [0u8; 4];
            if tokio::time::timeout(Duration::from_secs(5), ssh.read_exact(&mut greeting))
                .await
                .is_ok_and(|read| read.is_ok())
            {
                assert_eq!(&greeting, b"SSH-");
                break;
            }
        }
        assert!(Instant::now() < deadline, "SSH is not published again");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A clone on Kubernetes: the source is stopped for the copy (a pod cannot be frozen) and runs
/// again after; a throwaway pod copies both claims into the clone's, and is gone after.
#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_is_cloned_claim_to_claim_and_its_source_runs_again() {
    let namespace = TestNamespace::new("clone").await;
    let agent = agent_on(&namespace, "k8sclone").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "first"})).await;
    let seeded = run(
        &agent,
        "first",
        "workspace",
        "echo kept-by-the-claim > ~/note.txt && ln -s note.txt ~/link && stat -c %U ~/note.txt",
    )
    .await;
    assert_eq!(seeded.exit_code, 0, "{seeded:?}");
    let copy: Workspace = agent
        .ok::<WorkspacesClone>(json!({"source": "first", "name": "second"}))
        .await;
    assert_eq!(copy.status, WorkspaceStatus::Running, "{copy:?}");
    let read = run(
        &agent,
        "second",
        "workspace",
        "cat ~/link; stat -c %U ~/note.txt",
    )
    .await;
    assert_eq!(read.stdout, format!("kept-by-the-claim\n{}", seeded.stdout));
    let claims = namespace
        .claims()
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(claims, 4, "two claims per workspace");
    let pods: Vec<String> = namespace
        .pods()
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|pod| pod.metadata.name)
        .collect();
    assert!(
        pods.iter().all(|pod| !pod.ends_with(".clone")),
        "the copy's pod is gone: {pods:?}"
    );
    // The source was stopped for the copy and starts again by itself.
    status_until(&agent, "first", WorkspaceStatus::Running).await;
    let changed = run(&agent, "second", "workspace", "echo changed > ~/note.txt").await;
    assert_eq!(changed.exit_code, 0);
    let source = run(&agent, "first", "workspace", "cat ~/note.txt").await;
    assert_eq!(source.stdout, "kept-by-the-claim\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_are_told_as_they_are_and_leave_nothing_behind() {
    let namespace = TestNamespace::new("faults").await;
    // No node has this label: the scheduler cannot place the pod.
    let agent = agent_with(
        &namespace,
        "k8sfault",
        json!({"nodeSelector": {"perry-test": "nowhere"}}),
    )
    .await;
    let (status, body) = agent
        .call("workspaces/create", json!({"name": "stuck"}))
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| message.contains("no node can run")),
        "{body}"
    );
    assert!(
        namespace
            .sets()
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !namespace
        .claims()
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the claims of a failed create stay"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // An image no node has, with a policy of never pulling: told before anything is made.
    let (status, body) = agent
        .call(
            "workspaces/create",
            json!({"name": "noimage", "image": "perry-test/none:1"}),
        )
        .await;
    assert_eq!(status, 412, "{body}");
    // A process limit nothing in the cluster would hold is refused, not quietly dropped.
    let (status, body) = agent
        .call(
            "workspaces/create",
            json!({"name": "pids", "limits": {"pids": 1000}}),
        )
        .await;
    assert_eq!(
        (status, &body["code"]),
        (400, &json!("BAD_REQUEST")),
        "{body}"
    );
    assert_eq!(
        body["data"]["issues"][0]["path"],
        json!(["limits"]),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| message.contains("podPidsLimit")),
        "{body}"
    );
}

impl TestNamespace {
    /// Sets the namespace's quota of pods to `pods` and waits until the cluster counts by it.
    async fn quota_pods(&self, pods: u32) {
        let quotas: Api<ResourceQuota> = Api::namespaced(self.client.clone(), &self.name);
        let quota: ResourceQuota = serde_json::from_value(json!({
            "metadata": {"name": "pods"},
            "spec": {"hard": {"pods": pods.to_string()}},
        }))
        .unwrap();
        quotas
            .patch(
                "pods",
                &PatchParams::apply("perry-test").force(),
                &Patch::Apply(&quota),
            )
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let counted = quotas.get("pods").await.unwrap().status.and_then(|status| {
                Some(
                    status.hard?.get("pods")?.0.clone() == pods.to_string()
                        && status.used.is_some(),
                )
            });
            if counted == Some(true) {
                return;
            }
            assert!(Instant::now() < deadline, "the quota is never counted");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until nothing of a failed create is left: no StatefulSet, no claim, no pod.
    async fn until_empty(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let params = ListParams::default();
            let left = (
                self.sets().list(&params).await.unwrap().items.len(),
                self.claims().list(&params).await.unwrap().items.len(),
                self.pods().list(&params).await.unwrap().items.len(),
            );
            if left == (0, 0, 0) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "a failed create leaves (sets, claims, pods) {left:?}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quota_that_refuses_is_told_and_leaves_nothing_behind() {
    let namespace = TestNamespace::new("quota").await;
    let agent = agent_on(&namespace, "k8squota").await;
    let refused = |status: u16, body: &serde_json::Value| {
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["code"], "FORBIDDEN", "{body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|message| message.contains("exceeded quota")),
            "{body}"
        );
    };
    // No pod at all: the first create's Docker-in-Docker probe is refused, and told as the
    // quota, not as a cluster that forbids privileged pods.
    namespace.quota_pods(0).await;
    let (status, body) = agent
        .call("workspaces/create", json!({"name": "first"}))
        .await;
    refused(status, &body);
    namespace.until_empty().await;
    // Room for one: the second workspace's StatefulSet is made, its pod refused, and that is
    // read from the set's events instead of waiting for a pod that never comes.
    namespace.quota_pods(1).await;
    let fits: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "fits"})).await;
    assert_eq!(fits.status, WorkspaceStatus::Running);
    let (status, body) = agent
        .call("workspaces/create", json!({"name": "over"}))
        .await;
    refused(status, &body);
    let list: Vec<Workspace> = agent.ok::<WorkspacesList>(json!({})).await;
    assert_eq!(
        list.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(),
        ["fits"]
    );
    agent.ok::<WorkspacesDelete>(json!({"name": "fits"})).await;
    namespace.until_empty().await;
}

/// The test cluster's kubectl: whether it succeeded, and all it printed.
fn kubectl(args: &[&str], input: Option<&str>) -> (bool, String) {
    let output = perry_test_support::kubectl(&kubeconfig(), args, input).unwrap();
    (output.success, output.stdout + &output.stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_runs_inside_the_cluster_with_exactly_its_namespaces_rights() {
    use perry_agent::engine::kubernetes::manifests::{ROLE_RULES, agent_manifests};
    let namespace = TestNamespace {
        name: format!("perry-incluster-{:06}", rand::random::<u32>() % 1_000_000),
        client: client().await,
    };
    // As `perry agent install --kubernetes` prints them, with the image `cluster.sh
    // agent-image` loaded into the nodes, and the test cluster's settings in config.json (its
    // nodes have the workspace image and no registry to pull from).
    let engine = format!(r#""namespace": "{}"}}}}"#, namespace.name);
    let manifests = agent_manifests(&namespace.name, AGENT_IMAGE).replace(
        &engine,
        &format!(
            r#""namespace": "{}", "imagePullPolicy": "Never", "volumeSize": "1Gi"}}}}"#,
            namespace.name
        ),
    );
    assert_ne!(manifests, agent_manifests(&namespace.name, AGENT_IMAGE));
    let (applied, output) = kubectl(&["apply", "-f", "-"], Some(&manifests));
    assert!(applied, "{output}");
    let account = format!("system:serviceaccount:{}:perry-agent", namespace.name);
    // `kubectl auth can-i VERB RESOURCE [--subresource=S]` as the agent's ServiceAccount.
    let can = |verb: &str, resource: &str, in_namespace: &str| {
        let (resource, subresource) = match resource.split_once('/') {
            Some((resource, sub)) => (resource, format!("--subresource={sub}")),
            None => (resource, String::new()),
        };
        let mut args = vec![
            "auth",
            "can-i",
            verb,
            resource,
            "-n",
            in_namespace,
            "--as",
            &account,
        ];
        if !subresource.is_empty() {
            args.push(&subresource);
        }
        kubectl(&args, None).1.trim() == "yes"
    };
    for (group, resource, verbs) in ROLE_RULES {
        let qualified = match (*group, resource.split_once('/')) {
            ("", _) => (*resource).to_owned(),
            (group, None) => format!("{resource}.{group}"),
            (group, Some((kind, sub))) => format!("{kind}.{group}/{sub}"),
        };
        for verb in *verbs {
            assert!(can(verb, &qualified, &namespace.name), "{verb} {qualified}");
        }
    }
    // Nothing beyond: no secrets, no other namespace, no nodes to change.
    assert!(!can("get", "secrets", &namespace.name));
    assert!(!can("create", "pods", "default"));
    assert!(!can("delete", "nodes", &namespace.name));

    // And with only those rights, the agent runs a workspace from inside. This cluster has no
    // kube-proxy, so no Service address routes: the agent's pod uses node 1's network and
    // reaches the API server where the nodes do (a secret volume on node 2, whose kubelet has
    // a mount namespace of its own, is not seen by its dockerd).
    let port = perry_test_support::free_port();
    let patch = json!({"spec": {"template": {"spec": {
        "hostNetwork": true,
        "nodeSelector": {"kubernetes.io/hostname": "localhost"},
        "containers": [{
            "name": "agent",
            "command": ["perry", "agent", "run", "--host", "127.0.0.1", "--port", port.to_string()],
            "env": [
                {"name": "KUBERNETES_SERVICE_HOST", "value": "127.0.0.1"},
                {"name": "KUBERNETES_SERVICE_PORT", "value": "6443"},
            ],
        }],
    }}}});
    let in_namespace = ["-n", namespace.name.as_str()];
    let (patched, output) = kubectl(
        &[
            in_namespace[0],
            in_namespace[1],
            "patch",
            "deployment/perry-agent",
            "--type=strategic",
            "-p",
            &patch.to_string(),
        ],
        None,
    );
    assert!(patched, "{output}");
    let (rolled_out, output) = kubectl(
        &[
            in_namespace[0],
            in_namespace[1],
            "rollout",
            "status",
            "deployment/perry-agent",
            "--timeout=120s",
        ],
        None,
    );
    if !rolled_out {
        // What the cluster says about it (a node's taint, an image it lacks, a crash).
        let (_, pods) = kubectl(
            &[in_namespace[0], in_namespace[1], "describe", "pods"],
            None,
        );
        let (_, nodes) = kubectl(&["describe", "nodes"], None);
        panic!(
            "the agent's Deployment never ran (is {AGENT_IMAGE} on the nodes? `scripts/kubernetes/cluster.sh agent-image`): {output}\n{pods}\n{nodes}"
        );
    }
    let agent = InClusterAgent::reach(&namespace.name, port).await;
    let info = agent.call("agent/info", json!({})).await;
    assert_eq!(info["engine"]["kind"], "kubernetes", "{info}");
    let created = agent
        .call("workspaces/create", json!({"name": "inside"}))
        .await;
    assert_eq!(created["status"], "running", "{created}");
    let output = agent
        .call(
            "workspaces/exec",
            json!({"name": "inside", "command": ["/bin/sh", "-c", "echo from-$((40+2))"]}),
        )
        .await;
    assert_eq!(output["stdout"], "from-42\n", "{output}");
    agent
        .call("workspaces/delete", json!({"name": "inside"}))
        .await;
    let listed = agent.call("workspaces/list", json!({})).await;
    assert_eq!(listed, json!([]));
}

/// The image of the in-cluster agent, as `scripts/kubernetes/cluster.sh agent-image` builds it.
const AGENT_IMAGE: &str = "perry-agent:test";

/// The agent running in the cluster, reached on node 1's network.
struct InClusterAgent {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl InClusterAgent {
    async fn reach(namespace: &str, port: u16) -> InClusterAgent {
        // The agent writes its token into config.json as it starts.
        let deadline = Instant::now() + Duration::from_secs(30);
        let token = loop {
            let (read, config) = kubectl(
                &[
                    "-n",
                    namespace,
                    "exec",
                    "deployment/perry-agent",
                    "--",
                    "cat",
                    "/root/.config/perry/config.json",
                ],
                None,
            );
            let token = serde_json::from_str::<serde_json::Value>(&config)
                .ok()
                .and_then(|config| Some(config["auth"]["token"].as_str()?.to_owned()));
            match token {
                Some(token) if read && perry_test_support::wait_for_port(port, Duration::ZERO) => {
                    break token;
                }
                _ => assert!(Instant::now() < deadline, "no agent answering: {config}"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        InClusterAgent {
            url: format!("http://127.0.0.1:{port}"),
            token,
            http: reqwest::Client::new(),
        }
    }

    /// Calls a procedure and returns its output, failing on any error.
    async fn call(&self, procedure: &str, input: serde_json::Value) -> serde_json::Value {
        let response = self
            .http
            .post(format!("{}/rpc/{procedure}", self.url))
            .bearer_auth(&self.token)
            .json(&json!({ "json": input }))
            .timeout(Duration::from_secs(240))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        assert!(status.is_success(), "{procedure}: {status} {body}");
        body["json"].clone()
    }
}
