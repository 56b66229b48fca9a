//! The workspace lifecycle against the real Docker Engine and the real workspace image.

mod common;

use std::time::Duration;

use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::Docker;
use perry_api::procedures::{WorkspacesCreate, WorkspacesList, WorkspacesStart, WorkspacesStop};
use perry_api::{Workspace, WorkspaceStatus};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use common::{TestAgent, docker_objects, exec};

async fn ssh_greeting(port: u16) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("ssh port accepts TCP");
    let mut greeting = vec![0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut greeting))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&greeting[..read]).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_lives_through_create_stop_start_and_delete() {
    let agent = TestAgent::start("life").await;
    let container = agent.container("alpha");

    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "alpha"})).await;
    assert_eq!(created.status, WorkspaceStatus::Running, "{created:?}");
    assert!(created.container_id.is_some());
    let range = agent.agent.workspaces.settings().ssh_port_range;
    assert!((range.start..=range.end).contains(&created.ports.ssh));

    // The inner Docker daemon runs containers of its own.
    let (code, output) = exec(
        &container,
        "workspace",
        "docker info --format '{{.Driver}}'",
    )
    .await;
    assert_eq!(
        (code, output.trim()),
        (0, "overlay2"),
        "docker info inside: {output}"
    );
    // There is no registry: the host's debian:bookworm goes into the inner dockerd.
    common::load_image_inside(&container, "debian:bookworm").await;
    let (code, output) = exec(
        &container,
        "workspace",
        "docker run --rm debian:bookworm echo inner-ok",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("inner-ok"), "{output}");

    // sshd answers on the published port and takes keys only.
    assert!(ssh_greeting(created.ports.ssh).await.starts_with("SSH-2.0"));
    let (_, sshd_config) = exec(&container, "root", "sshd -T").await;
    assert!(
        sshd_config.contains("passwordauthentication no"),
        "{sshd_config}"
    );

    // The user, sudo, the toolchain and the worker are there.
    let (code, output) = exec(&container, "workspace", "id -u && sudo -n true && perry-worker --version && git --version && node --version && go version && python3 --version").await;
    assert_eq!(code, 0, "{output}");
    assert!(output.starts_with("1000\n"), "{output}");
    assert!(output.contains("perry-worker 0.1.0"), "{output}");

    // Sync replaces the worker binary even while the worker runs from it.
    let (status, body) = agent
        .call("workspaces/sync", json!({"name": "alpha"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (code, output) = exec(
        &container,
        "workspace",
        "perry-worker --version && ls -a /usr/local/bin | grep -c perry-worker",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        output.lines().last(),
        Some("1"),
        "no temp file is left: {output}"
    );

    // A second create of the same name is a conflict.
    let (status, error) = agent
        .call("workspaces/create", json!({"name": "alpha"}))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("CONFLICT")),
        "{error}"
    );

    // Files in /home/workspace survive stop and start.
    let (code, _) = exec(&container, "workspace", "echo kept > ~/proof.txt").await;
    assert_eq!(code, 0);
    let stopped: Workspace = agent.ok::<WorkspacesStop>(json!({"name": "alpha"})).await;
    assert_eq!(stopped.status, WorkspaceStatus::Stopped);
    let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(Value::Null).await;
    assert_eq!(
        listed
            .iter()
            .map(|w| (w.name.as_str(), w.status))
            .collect::<Vec<_>>(),
        [("alpha", WorkspaceStatus::Stopped)]
    );
    let again: Workspace = agent.ok::<WorkspacesStop>(json!({"name": "alpha"})).await;
    assert_eq!(
        again.status,
        WorkspaceStatus::Stopped,
        "stopping a stopped workspace is fine"
    );
    let started: Workspace = agent.ok::<WorkspacesStart>(json!({"name": "alpha"})).await;
    assert_eq!(started.status, WorkspaceStatus::Running);
    assert_eq!(started.ports.ssh, created.ports.ssh);
    let (code, output) = exec(&container, "workspace", "cat ~/proof.txt").await;
    assert_eq!((code, output.trim()), (0, "kept"));
    let (code, output) = exec(
        &container,
        "workspace",
        "docker info --format '{{.Driver}}'",
    )
    .await;
    assert_eq!(code, 0, "dockerd runs again after a restart: {output}");

    // Delete takes the container and both volumes.
    let deleted = agent
        .call("workspaces/delete", json!({"name": "alpha"}))
        .await;
    assert_eq!(deleted, (200, json!({"success": true})));
    assert_eq!(docker_objects(&agent.prefix).await, (vec![], vec![]));
    let (status, _) = agent.call("workspaces/get", json!({"name": "alpha"})).await;
    assert_eq!(status, 404);
    let (status, _) = agent
        .call("workspaces/delete", json!({"name": "alpha"}))
        .await;
    assert_eq!(status, 404);
}

/// Lists until `done` holds, for at most 10 s (changes made outside Perry reach the list through
/// Docker's event stream), and returns the last list.
async fn list_until(agent: &TestAgent, done: impl Fn(&[Workspace]) -> bool) -> Vec<Workspace> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(Value::Null).await;
        if done(&listed) || std::time::Instant::now() > deadline {
            return listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_is_the_truth_for_what_runs() {
    let agent = TestAgent::start("truth").await;
    let docker = Docker::new();
    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "beta"})).await;
    assert_eq!(created.status, WorkspaceStatus::Running);
    exec(
        &agent.container("beta"),
        "workspace",
        "echo survives > ~/note.txt",
    )
    .await;
    let host_key = "cat /etc/ssh/ssh_host_ed25519_key.pub";
    let (_, key_before) = exec(&agent.container("beta"), "root", host_key).await;
    assert!(key_before.starts_with("ssh-ed25519 "), "{key_before}");

    // Stopped behind Perry's back: list says stopped once Docker's event arrives.
    docker
        .stop_container(&agent.container("beta"), Duration::from_secs(5))
        .await
        .unwrap();
    let listed = list_until(&agent, |listed| {
        listed[0].status == WorkspaceStatus::Stopped
    })
    .await;
    assert_eq!(listed[0].status, WorkspaceStatus::Stopped);

    // Removed behind Perry's back: list shows it, in error, with what to do.
    docker
        .remove_container(&agent.container("beta"))
        .await
        .unwrap();
    let listed = list_until(&agent, |listed| listed[0].status == WorkspaceStatus::Error).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, WorkspaceStatus::Error);
    assert!(
        listed[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("removed outside Perry"),
        "{listed:?}"
    );

    // Start recreates the container on the same volumes.
    let started: Workspace = agent.ok::<WorkspacesStart>(json!({"name": "beta"})).await;
    assert_eq!(started.status, WorkspaceStatus::Running, "{started:?}");
    let (code, output) = exec(&agent.container("beta"), "workspace", "cat ~/note.txt").await;
    assert_eq!((code, output.trim()), (0, "survives"));
    // A new container, the same SSH host key (kept on the workspace's volume).
    let (_, key_after) = exec(&agent.container("beta"), "root", host_key).await;
    assert_eq!(key_after, key_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_image_says_to_run_perry_build_and_leaves_nothing() {
    let agent = TestAgent::start("noimg").await;
    let (status, error) = agent
        .call(
            "workspaces/create",
            json!({"name": "gamma", "image": "perry-no-such-image:latest"}),
        )
        .await;
    assert_eq!(status, 412, "{error}");
    assert_eq!(error["code"], "PRECONDITION_FAILED");
    assert!(
        error["message"].as_str().unwrap().contains("perry build"),
        "{error}"
    );
    let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(Value::Null).await;
    assert!(listed.is_empty());
    assert_eq!(docker_objects(&agent.prefix).await, (vec![], vec![]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_that_fails_halfway_rolls_back_and_leaves_foreign_objects_alone() {
    let agent = TestAgent::start("clash").await;
    // Someone else's container already has the name the workspace's container needs.
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let foreign = agent.container("delta");
    docker
        .create_container(
            Some(
                bollard::query_parameters::CreateContainerOptionsBuilder::default()
                    .name(&foreign)
                    .build(),
            ),
            bollard::models::ContainerCreateBody {
                image: Some("debian:bookworm".into()),
                cmd: Some(vec!["true".into()]),
                labels: Some(common::labels(&agent.prefix)),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let (status, error) = agent
        .call("workspaces/create", json!({"name": "delta"}))
        .await;
    assert_eq!(status, 409, "{error}");
    let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(Value::Null).await;
    assert!(listed.is_empty(), "no record is left: {listed:?}");
    let (containers, volumes) = docker_objects(&agent.prefix).await;
    assert_eq!(containers, [foreign], "the foreign container is untouched");
    assert!(
        volumes.is_empty(),
        "the volumes made for the failed create are gone: {volumes:?}"
    );
    // The port it had reserved is free again: the next create gets the first port of the range.
    let created: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": "epsilon"}))
        .await;
    assert_eq!(
        created.ports.ssh,
        agent.agent.workspaces.settings().ssh_port_range.start
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_creates_of_one_name_give_one_workspace_and_conflicts() {
    let agent = TestAgent::start("race").await;
    let calls = (0..20).map(|_| agent.call("workspaces/create", json!({"name": "same"})));
    let results = futures_util::future::join_all(calls).await;
    let mut statuses: Vec<u16> = results.iter().map(|(status, _)| *status).collect();
    statuses.sort();
    let mut expected = vec![409; 20];
    expected[0] = 200;
    assert_eq!(statuses, expected, "{results:?}");
    // Each conflict names the workspace and the input field, for a form to mark.
    for (status, error) in results.iter().filter(|(status, _)| *status == 409) {
        assert_eq!(error["data"]["workspace"], "same", "{status} {error}");
        assert_eq!(
            error["data"]["issues"][0]["path"],
            json!(["name"]),
            "{error}"
        );
    }
    println!("20 concurrent creates of one name: 1 success, 19 conflicts");
    let (containers, volumes) = docker_objects(&agent.prefix).await;
    assert_eq!(containers.len(), 1);
    assert_eq!(volumes.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_started_anew_puts_its_own_worker_into_running_workspaces() {
    use sha2::Digest as _;
    let mut agent = TestAgent::start("workerup").await;
    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "gamma"})).await;
    assert_eq!(created.status, WorkspaceStatus::Running);
    let worker = perry_api::worker::WORKER_PATH;
    let installed = |container: String| async move {
        let (code, output) = exec(&container, "root", &format!("sha256sum {worker}")).await;
        assert_eq!(code, 0, "{output}");
        output
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let ours = hex::encode(sha2::Sha256::digest(
        std::fs::read(perry_test_support::worker_binary()).unwrap(),
    ));
    assert_eq!(installed(agent.container("gamma")).await, ours);

    // As an older agent left it: another worker binary in place (renamed over the running one).
    let (code, output) = exec(
        &agent.container("gamma"),
        "root",
        &format!("cp /bin/true {worker}.old && mv {worker}.old {worker}"),
    )
    .await;
    assert_eq!(code, 0, "{output}");
    assert_ne!(installed(agent.container("gamma")).await, ours);

    agent.restart_agent().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while installed(agent.container("gamma")).await != ours {
        assert!(
            std::time::Instant::now() < deadline,
            "the new agent never put its worker in"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
