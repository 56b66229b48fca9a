//! Creates that fail halfway on the real Docker Engine take back exactly what they made: a volume
//! Docker cannot make, and an SSH port another process takes between the agent's check and
//! Docker's bind. (A missing image and a container name someone else holds are in
//! workspaces.rs.)

mod common;

use std::collections::HashMap;
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::StreamExt;
use perry_agent::engine::docker::{PREFIX_LABEL, SSH_PORT_LABEL};
use perry_api::procedures::{WorkspacesCreate, WorkspacesDelete, WorkspacesList};
use perry_api::{Workspace, WorkspaceStatus};
use serde_json::{Value, json};

use common::{TestAgent, docker_objects};

async fn bollard() -> bollard::Docker {
    bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap()
}

/// A regular file where Docker's local volume driver wants the directory of a volume: Docker
/// then refuses to create that volume. Removed on drop.
struct VolumeBlocker(PathBuf);

impl VolumeBlocker {
    async fn new(volume: &str) -> VolumeBlocker {
        let info = bollard().await.info().await.unwrap();
        let root = PathBuf::from(info.docker_root_dir.expect("Docker says where its root is"));
        let path = root.join("volumes").join(volume);
        std::fs::write(&path, b"not a volume directory").unwrap_or_else(|error| {
            panic!(
                "this test puts a file into the local Docker's {}: {error}",
                root.display()
            )
        });
        VolumeBlocker(path)
    }
}

impl Drop for VolumeBlocker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_volume_docker_cannot_make_rolls_the_create_back() {
    let agent = TestAgent::start("novol").await;
    let range = agent.agent.workspaces.settings().ssh_port_range;
    // The home volume is made first, then the docker volume fails: the rollback must remove the
    // home volume it made.
    let blocker = VolumeBlocker::new(&format!("{}zeta-docker", agent.prefix)).await;
    let (status, error) = agent
        .call("workspaces/create", json!({"name": "zeta"}))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (500, Some("INTERNAL_SERVER_ERROR")),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("zeta-docker"),
        "the message names the volume: {error}"
    );
    let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(Value::Null).await;
    assert!(listed.is_empty(), "no record is left: {listed:?}");
    assert_eq!(
        docker_objects(&agent.prefix).await,
        (vec![], vec![]),
        "the home volume the create made is gone"
    );

    // Once Docker can make the volume, the same name works and gets the port the failed create
    // had reserved.
    drop(blocker);
    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "zeta"})).await;
    assert_eq!(created.status, WorkspaceStatus::Running, "{created:?}");
    assert_eq!(created.ports.ssh, range.start);
    println!(
        "volume fault: create failed with 500 and left nothing; the retry got port {} of {}-{}",
        created.ports.ssh, range.start, range.end
    );
}

/// Follows Docker's container creations of `prefix` and binds each new workspace's SSH port on
/// the host before Docker's own bind, the first `limit` times. Returns the listeners it holds
/// and how many binds it lost to Docker.
struct PortThief {
    held: Arc<Mutex<Vec<TcpListener>>>,
    lost: Arc<Mutex<Vec<u16>>>,
    task: tokio::task::JoinHandle<()>,
}

impl PortThief {
    async fn start(prefix: &str, limit: usize) -> PortThief {
        let docker = bollard().await;
        let filters = HashMap::from([
            ("type", vec!["container".to_owned()]),
            ("event", vec!["create".to_owned()]),
            ("label", vec![format!("{PREFIX_LABEL}={prefix}")]),
        ]);
        let mut events = docker.events(Some(
            bollard::query_parameters::EventsOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ));
        let held = Arc::new(Mutex::new(Vec::new()));
        let lost = Arc::new(Mutex::new(Vec::new()));
        let (held_by_task, lost_by_task) = (held.clone(), lost.clone());
        let task = tokio::spawn(async move {
            let mut tries = 0;
            while let Some(event) = events.next().await {
                let Ok(event) = event else { return };
                let port: Option<u16> = event
                    .actor
                    .and_then(|actor| actor.attributes)
                    .and_then(|attributes| attributes.get(SSH_PORT_LABEL)?.parse().ok());
                let Some(port) = port else { continue };
                if tries == limit {
                    continue;
                }
                tries += 1;
                match TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)) {
                    Ok(listener) => held_by_task.lock().unwrap().push(listener),
                    Err(_) => lost_by_task.lock().unwrap().push(port),
                }
            }
        });
        // The subscription must be in place before the create starts.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        PortThief { held, lost, task }
    }

    fn held_ports(&self) -> Vec<u16> {
        self.held
            .lock()
            .unwrap()
            .iter()
            .map(|listener| listener.local_addr().unwrap().port())
            .collect()
    }

    fn lost(&self) -> Vec<u16> {
        self.lost.lock().unwrap().clone()
    }
}

impl Drop for PortThief {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How many times a scenario that races Docker's bind is tried before the test gives up on
/// winning the race.
const RACE_ATTEMPTS: usize = 5;

#[tokio::test(flavor = "multi_thread")]
async fn an_ssh_port_taken_just_before_docker_binds_it_moves_the_workspace_to_another_port() {
    let agent = TestAgent::start("portrace").await;
    let range = agent.agent.workspaces.settings().ssh_port_range;
    let began = Instant::now();
    let mut lost_races = 0;
    for attempt in 0..RACE_ATTEMPTS {
        let name = format!("eta{attempt}");
        let thief = PortThief::start(&agent.prefix, 1).await;
        let (status, body) = agent.call("workspaces/create", json!({"name": name})).await;
        let held = thief.held_ports();
        if !thief.lost().is_empty() {
            // Docker had bound the port before the thief: no clash happened. Try again.
            lost_races += 1;
            assert_eq!(status, 200, "{body}");
            agent.ok::<WorkspacesDelete>(json!({"name": name})).await;
            continue;
        }
        assert_eq!(held.len(), 1, "the thief held the first port");
        assert_eq!(status, 200, "a clash at the bind moment retries: {body}");
        let created: Workspace = serde_json::from_value(body).unwrap();
        assert_eq!(created.status, WorkspaceStatus::Running, "{created:?}");
        assert_ne!(
            created.ports.ssh, held[0],
            "not the port someone else holds"
        );
        assert!((range.start..=range.end).contains(&created.ports.ssh));
        let (containers, volumes) = docker_objects(&agent.prefix).await;
        assert_eq!(containers, [agent.container(&name)]);
        assert_eq!(volumes.len(), 2, "{volumes:?}");
        let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(Value::Null).await;
        assert_eq!(
            listed
                .iter()
                .map(|w| (w.name.as_str(), w.ports.ssh))
                .collect::<Vec<_>>(),
            [(name.as_str(), created.ports.ssh)]
        );
        // The thief's listener is untouched: it still accepts.
        std::net::TcpStream::connect(("127.0.0.1", held[0]))
            .expect("the foreign listener is still there");
        println!(
            "port race: port {} taken at the bind moment, the workspace moved to {} (attempt {}, {lost_races} races lost to Docker, {} ms)",
            held[0],
            created.ports.ssh,
            attempt + 1,
            began.elapsed().as_millis()
        );
        return;
    }
    panic!("the test never bound the port before Docker did in {RACE_ATTEMPTS} attempts");
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_ports_taken_at_every_bind_roll_the_create_back_completely() {
    let agent = TestAgent::start("portfail").await;
    let began = Instant::now();
    let mut lost_races = 0;
    for attempt in 0..RACE_ATTEMPTS {
        let name = format!("theta{attempt}");
        let thief = PortThief::start(&agent.prefix, usize::MAX).await;
        let (status, body) = agent.call("workspaces/create", json!({"name": name})).await;
        let held = thief.held_ports();
        if !thief.lost().is_empty() {
            lost_races += 1;
            drop(thief);
            if status == 200 {
                agent.ok::<WorkspacesDelete>(json!({"name": name})).await;
            }
            assert_eq!(docker_objects(&agent.prefix).await, (vec![], vec![]));
            continue;
        }
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("CONFLICT")),
            "every port tried was taken: {body}"
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("SSH ports"),
            "the error says the ports were taken: {body}"
        );
        let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(Value::Null).await;
        assert!(listed.is_empty(), "no record is left: {listed:?}");
        assert_eq!(
            docker_objects(&agent.prefix).await,
            (vec![], vec![]),
            "no container or volume is left"
        );
        println!(
            "port clash rollback: {} ports taken at the bind moment ({held:?}), create answered {status} {}, nothing left (attempt {}, {lost_races} races lost, {} ms)",
            held.len(),
            body["code"],
            attempt + 1,
            began.elapsed().as_millis()
        );
        return;
    }
    panic!("the test never bound the ports before Docker did in {RACE_ATTEMPTS} attempts");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ssh_port_a_foreign_process_listens_on_is_skipped() {
    let agent = TestAgent::start("portbusy").await;
    let range = agent.agent.workspaces.settings().ssh_port_range;
    let foreign = TcpListener::bind((Ipv4Addr::UNSPECIFIED, range.start)).unwrap();
    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "iota"})).await;
    assert_eq!(created.ports.ssh, range.start + 1);
    drop(foreign);
}
