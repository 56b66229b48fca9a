//! The Kubernetes engine against a real cluster (`scripts/kubernetes/cluster.sh up`, which
//! `scripts/test.sh` starts for these tests and stops after): a workspace's whole life as a
//! StatefulSet with two claims, commands, files, sync, SSH and port forwards through the API
//! server, a terminal typed into, stop and start on another node with the claims kept, the
//! agent restarted finding its workspaces from labels, and faults told as they are.
//!
//! `PERRY_TEST_KUBECONFIG` names the cluster's kubeconfig; without it these tests fail (they
//! are left out of the plain `cargo nextest run`, see .config/nextest.toml).

mod common;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use perry_api::procedures::{
    AgentInfoCall, PortsForward, WorkspacesCreate, WorkspacesDelete, WorkspacesExec,
    WorkspacesLogs, WorkspacesStart, WorkspacesStop, WorkspacesSync,
};
use perry_api::{AgentInfo, ExecOutput, SyncOutput, Workspace, WorkspaceStatus};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use common::{TestAgent, TestAgentConfig};

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
    let mut extra = serde_json::Map::new();
    extra.insert(
        "engine".to_owned(),
        json!({
            "kind": "kubernetes",
            "kubeconfig": kubeconfig(),
            "namespace": namespace.name,
            "imagePullPolicy": "Never",
            "volumeSize": "1Gi",
        }),
    );
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

/// Reads from a terminal socket until `wanted` shows, or fails after 30 s.
async fn read_until<S>(socket: &mut S, wanted: &str) -> String
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !seen.contains(wanted) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Some(Ok(_))) => {}
            other => panic!("no {wanted:?} in the terminal ({other:?}); saw {seen:?}"),
        }
    }
    seen
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
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
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
    socket
        .send(Message::Binary(b"stty size\n".to_vec().into()))
        .await
        .unwrap();
    read_until(&mut socket, "30 100").await;
    drop(socket);

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
