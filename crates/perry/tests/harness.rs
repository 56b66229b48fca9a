//! The test harness itself: a test that fails still stops its agent and removes its Docker
//! objects, instead of aborting in its cleanup and leaving them behind.

mod common;

use std::path::Path;

use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{Docker, PREFIX_LABEL};
use serde_json::{Value, json};

use common::AgentProcess;

/// What Docker still has of `prefix`: containers, volumes and networks, by name.
fn docker_objects(prefix: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let docker = Docker::new();
        let mut names: Vec<String> = docker
            .list_containers(prefix)
            .await
            .unwrap()
            .into_iter()
            .map(|container| format!("container {}", container.name))
            .collect();
        for volume in docker.list_volumes(PREFIX_LABEL, prefix).await.unwrap() {
            names.push(format!("volume {volume}"));
        }
        for (_, network) in docker.list_networks(PREFIX_LABEL, prefix).await.unwrap() {
            names.push(format!("network {network}"));
        }
        names
    })
}

#[test]
fn a_failing_test_still_stops_its_agent_and_removes_its_workspace() {
    let (made, what_was_made) = std::sync::mpsc::channel::<(String, u32, u16, Value)>();
    // A test body that fails with its agent and a workspace (container, two volumes) in hand.
    let failing_test = std::thread::spawn(move || {
        let agent = AgentProcess::start("failing");
        let (status, body) = agent.call("workspaces/create", json!({"name": "left"}));
        made.send((agent.prefix.clone(), agent.pid().unwrap(), status, body))
            .unwrap();
        panic!("a deliberately failing assertion: the harness must clean up anyway");
    });
    assert!(failing_test.join().is_err(), "the test body failed");

    let (prefix, pid, status, body) = what_was_made.recv().unwrap();
    assert_eq!(status, 200, "the workspace was made: {body}");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the agent process {pid} was stopped"
    );
    assert_eq!(docker_objects(&prefix), Vec::<String>::new());
}

#[test]
fn cleanup_inside_a_runtime_does_not_panic() {
    // Async tests drop their agents inside a runtime, where starting another runtime on the same
    // thread panics; the cleanup runs on a thread of its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let prefix = runtime.block_on(async {
        let agent = AgentProcess::start("in-runtime");
        let prefix = agent.prefix.clone();
        drop(agent);
        prefix
    });
    assert_eq!(docker_objects(&prefix), Vec::<String>::new());
}
