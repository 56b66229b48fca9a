//! What the Docker adapter makes of the real daemon's error answers: each kind of
//! [`EngineError`] comes from Docker's HTTP status (and, for a failed port bind, the one message
//! classified in `docker/`), never from callers reading message text.
//!
//! The containers are small (`debian:bookworm` running `sleep infinity`), made with bollard
//! directly so the calls under test are the adapter's own, and labelled with a unique prefix
//! that is cleaned up however a test ends.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use common::{RemoveOnDrop, labels};
use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{ContainerSpec, Docker, EngineError};
use perry_api::{DindMode, WorkspaceLimits};

/// A small image every machine that runs these tests has (ENVIRONMENT.md: it is imported first).
const SMALL_IMAGE: &str = "debian:bookworm";

async fn raw_client() -> bollard::Docker {
    bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap()
}

/// Creates (not starts) `<prefix><tag>` running `sleep infinity` under an init that stops it on
/// SIGTERM; with `host_port`, container port 22 is published there on 0.0.0.0.
async fn sleeping_container(prefix: &str, tag: &str, host_port: Option<u16>) -> String {
    let name = format!("{prefix}{tag}");
    let mut host_config = HostConfig {
        init: Some(true),
        ..Default::default()
    };
    if let Some(port) = host_port {
        host_config.port_bindings = Some(HashMap::from([(
            "22/tcp".to_owned(),
            Some(vec![PortBinding {
                host_ip: Some("0.0.0.0".to_owned()),
                host_port: Some(port.to_string()),
            }]),
        )]));
    }
    let body = ContainerCreateBody {
        image: Some(SMALL_IMAGE.to_owned()),
        cmd: Some(vec!["sleep".to_owned(), "infinity".to_owned()]),
        labels: Some(labels(prefix)),
        exposed_ports: host_port.map(|_| vec!["22/tcp".to_owned()]),
        host_config: Some(host_config),
        ..Default::default()
    };
    raw_client()
        .await
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&name).build()),
            body,
        )
        .await
        .unwrap_or_else(|error| panic!("cannot create {name}: {error}"));
    name
}

async fn is_running(docker: &Docker, name: &str) -> bool {
    docker
        .inspect_container(name)
        .await
        .unwrap()
        .is_some_and(|container| container.running)
}

/// Docker answers a second start or stop with 304 Not Modified. bollard 0.21 gives that as
/// success; any error it gives must be the 304 kind.
fn assert_not_modified(raw: Result<(), bollard::errors::Error>) {
    if let Err(error) = raw {
        let error = EngineError::from(error);
        assert!(
            matches!(error, EngineError::NotModified(_)),
            "Docker's 304 must be NotModified: {error:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_a_started_container_changes_nothing_and_is_fine() {
    let objects = RemoveOnDrop::new("start-twice");
    let docker = Docker::new();
    let name = sleeping_container(&objects.prefix, "c", None).await;

    docker.start_container(&name).await.unwrap();
    assert!(is_running(&docker, &name).await);
    assert_not_modified(raw_client().await.start_container(&name, None).await);
    assert_eq!(docker.start_container(&name).await, Ok(()));
    assert!(is_running(&docker, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_a_stopped_container_changes_nothing_and_is_fine() {
    let objects = RemoveOnDrop::new("stop-twice");
    let docker = Docker::new();
    let name = sleeping_container(&objects.prefix, "c", None).await;
    docker.start_container(&name).await.unwrap();

    let grace = Duration::from_secs(5);
    docker.stop_container(&name, grace).await.unwrap();
    assert!(!is_running(&docker, &name).await);
    assert_not_modified(raw_client().await.stop_container(&name, None).await);
    assert_eq!(docker.stop_container(&name, grace).await, Ok(()));
    // Never started at all: also nothing to stop.
    let fresh = sleeping_container(&objects.prefix, "fresh", None).await;
    assert_eq!(docker.stop_container(&fresh, grace).await, Ok(()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_container_is_not_found_and_removing_it_again_is_fine() {
    let objects = RemoveOnDrop::new("remove-twice");
    let docker = Docker::new();
    let name = sleeping_container(&objects.prefix, "c", None).await;
    docker.start_container(&name).await.unwrap();

    docker.remove_container(&name).await.unwrap();
    assert_eq!(docker.inspect_container(&name).await, Ok(None));
    assert_eq!(docker.remove_container(&name).await, Ok(()));
    // The 404 underneath, as the adapter sorts it.
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    let raw = raw_client()
        .await
        .remove_container(&name, Some(options))
        .await
        .unwrap_err();
    assert!(
        matches!(EngineError::from(raw), EngineError::NotFound(_)),
        "a second removal answers 404"
    );
    let started = docker.start_container(&name).await;
    assert!(
        matches!(started, Err(EngineError::NotFound(_))),
        "{started:?}"
    );
    let stopped = docker.stop_container(&name, Duration::from_secs(1)).await;
    assert!(
        matches!(stopped, Err(EngineError::NotFound(_))),
        "{stopped:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removal_already_under_way_is_waited_for() {
    let objects = RemoveOnDrop::new("remove-racing");
    let docker = std::sync::Arc::new(Docker::new());

    // Raw: removals of one container at once; those that come while another is under way get
    // 409 ("removal of container … is already in progress"), which the adapter sorts as Conflict.
    let name = sleeping_container(&objects.prefix, "raw", None).await;
    docker.start_container(&name).await.unwrap();
    let client = raw_client().await;
    let raw = futures_util::future::join_all((0..4).map(|_| {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        let client = client.clone();
        let name = name.clone();
        async move { client.remove_container(&name, Some(options)).await }
    }))
    .await;
    let mut conflicts = 0;
    for answer in raw {
        match answer.map_err(EngineError::from) {
            Ok(()) | Err(EngineError::NotFound(_)) => {}
            Err(EngineError::Conflict(_)) => conflicts += 1,
            Err(other) => panic!("a racing removal answered {other:?}"),
        }
    }

    // The adapter: every removal returns once the container is gone, whichever ran first.
    let name = sleeping_container(&objects.prefix, "adapter", None).await;
    docker.start_container(&name).await.unwrap();
    let removals = (0..4).map(|_| {
        let docker = docker.clone();
        let name = name.clone();
        tokio::spawn(async move {
            docker.remove_container(&name).await?;
            docker.inspect_container(&name).await
        })
    });
    for removal in futures_util::future::join_all(removals).await {
        assert_eq!(
            removal.unwrap(),
            Ok(None),
            "removed, and gone when it returns"
        );
    }
    println!("racing removals: {conflicts} of 4 raw removals were answered 409 Conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_a_port_another_process_holds_is_port_in_use() {
    let objects = RemoveOnDrop::new("port-process");
    let docker = Docker::new();
    let holder = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let name = sleeping_container(&objects.prefix, "c", Some(port)).await;

    let started = docker.start_container(&name).await;
    assert!(
        matches!(started, Err(EngineError::PortInUse(_))),
        "{started:?}"
    );
    drop(holder);
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_a_port_another_container_holds_is_port_in_use() {
    let objects = RemoveOnDrop::new("port-container");
    let docker = Docker::new();
    let port = std::net::TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let first = sleeping_container(&objects.prefix, "first", Some(port)).await;
    docker.start_container(&first).await.unwrap();
    let second = sleeping_container(&objects.prefix, "second", Some(port)).await;

    let started = docker.start_container(&second).await;
    assert!(
        matches!(started, Err(EngineError::PortInUse(_))),
        "{started:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_name_and_an_exec_in_a_stopped_container_are_conflicts() {
    let objects = RemoveOnDrop::new("conflicts");
    let docker = Docker::new();
    let name = sleeping_container(&objects.prefix, "c", None).await;

    let spec = ContainerSpec {
        name: name.clone(),
        hostname: "c".to_owned(),
        image: SMALL_IMAGE.to_owned(),
        labels: labels(&objects.prefix),
        env: Vec::new(),
        network: "bridge".to_owned(),
        volumes: Vec::new(),
        ssh_host_port: 0,
        limits: WorkspaceLimits::default(),
    };
    let created = docker.create_container(&spec, DindMode::Capabilities).await;
    assert!(
        matches!(created, Err(EngineError::Conflict(_))),
        "{created:?}"
    );
    let exec = docker.exec(&name, "root", &["true"]).await;
    assert!(matches!(exec, Err(EngineError::Conflict(_))), "{exec:?}");
}

/// Docker before API 1.44 lets two creates of one network name both succeed (an agent killed in
/// the middle of its create, then the next agent's create): every later use of the name is then
/// ambiguous. `prepare` leaves one of them.
#[tokio::test(flavor = "multi_thread")]
async fn a_network_made_twice_is_made_one_again() {
    let objects = RemoveOnDrop::new("net-twice");
    let docker = Docker::new();
    let name = format!("{}network", objects.prefix);
    let raw = raw_client().await;
    for _ in 0..2 {
        let made = raw
            .create_network(bollard::models::NetworkCreateRequest {
                name: name.clone(),
                labels: Some(labels(&objects.prefix)),
                ..Default::default()
            })
            .await;
        if made.is_err() {
            // A daemon with API 1.44 or newer refuses the second: nothing to heal there.
            return;
        }
    }
    let twice = docker
        .list_networks(perry_agent::engine::PREFIX_LABEL, &objects.prefix)
        .await
        .unwrap();
    assert_eq!(twice.len(), 2, "{twice:?}");
    assert!(
        raw.inspect_network(&name, None).await.is_err(),
        "the name is ambiguous"
    );

    docker
        .prepare(&name, labels(&objects.prefix))
        .await
        .unwrap();
    let left = docker
        .list_networks(perry_agent::engine::PREFIX_LABEL, &objects.prefix)
        .await
        .unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    raw.inspect_network(&name, None).await.unwrap();
}
