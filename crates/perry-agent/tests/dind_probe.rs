//! The Docker-in-Docker probe leaves nothing behind, however the agent stops, and runs once per
//! Docker daemon: the mode it found is remembered in state.json.

mod common;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::query_parameters::EventsOptionsBuilder;
use common::TestAgent;
use futures_util::StreamExt;
use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{Docker, PREFIX_LABEL};
use perry_api::procedures::AgentInfoCall;
use perry_api::{AgentInfo, DindMode};
use serde_json::{Value, json};

fn unix_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128
}

/// Docker's events of `prefix`'s containers from `since_nanos` until now, as (action, name).
async fn container_events_since(prefix: &str, since_nanos: i128) -> Vec<(String, String)> {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let since = (since_nanos / 1_000_000_000).to_string();
    // `until` in the past ends the stream; one second ahead lets the last events arrive.
    let until = (unix_nanos() / 1_000_000_000 + 1).to_string();
    let filters = HashMap::from([
        ("type", vec!["container".to_owned()]),
        ("label", vec![format!("{PREFIX_LABEL}={prefix}")]),
    ]);
    let options = EventsOptionsBuilder::default()
        .since(&since)
        .until(&until)
        .filters(&filters)
        .build();
    let mut events = docker.events(Some(options));
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        if i128::from(event.time_nano.unwrap_or(0)) < since_nanos {
            continue;
        }
        let name = event
            .actor
            .and_then(|actor| actor.attributes)
            .and_then(|mut attributes| attributes.remove("name"))
            .unwrap_or_default();
        seen.push((event.action.unwrap_or_default(), name));
    }
    seen
}

/// Every container carrying `prefix`'s label, the probe included.
async fn containers_of(prefix: &str) -> Vec<String> {
    Docker::new()
        .list_containers(prefix)
        .await
        .unwrap()
        .into_iter()
        .map(|container| container.name)
        .collect()
}

fn remembered_probe(agent: &TestAgent) -> Value {
    let state: Value =
        serde_json::from_slice(&std::fs::read(agent.dir.path().join("state.json")).unwrap())
            .unwrap();
    state["dindProbe"].clone()
}

async fn dind_mode_once_known(agent: &TestAgent) -> DindMode {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let info: AgentInfo = agent.ok::<AgentInfoCall>(json!({})).await;
        if let Some(mode) = info.dind_mode {
            return mode;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "agent.info never reported a Docker-in-Docker mode"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_stopped_right_after_start_leaves_no_probe_and_the_next_start_does_not_probe() {
    let began = unix_nanos();
    let mut agent = TestAgent::start("probe-stop").await;
    agent.stop_agent().await;

    assert_eq!(containers_of(&agent.prefix).await, Vec::<String>::new());
    let probe = format!("{}dind-probe", agent.prefix);
    let events = container_events_since(&agent.prefix, began).await;
    assert!(
        events
            .iter()
            .any(|(action, name)| action == "create" && *name == probe),
        "the first start probes: {events:?}"
    );
    let remembered = remembered_probe(&agent);
    let mode: DindMode = serde_json::from_value(remembered["mode"].clone())
        .unwrap_or_else(|error| panic!("state.json remembers the mode ({error}): {remembered}"));

    let restarted = unix_nanos();
    agent.restart_agent().await;
    assert_eq!(dind_mode_once_known(&agent).await, mode);
    agent.stop_agent().await;
    let events = container_events_since(&agent.prefix, restarted).await;
    assert!(
        !events.iter().any(|(action, _)| action == "create"),
        "the second start made a container: {events:?}"
    );
    assert_eq!(containers_of(&agent.prefix).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn another_docker_daemon_is_probed_again() {
    let mut agent = TestAgent::start("probe-daemon").await;
    let mode = dind_mode_once_known(&agent).await;
    agent.stop_agent().await;
    // What a probe on another daemon found: the opposite mode.
    let other_mode = match mode {
        DindMode::Privileged => "capabilities",
        DindMode::Capabilities => "privileged",
    };
    let state_path = agent.dir.path().join("state.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    state["dindProbe"] = json!({"daemon": "another daemon 1.0", "mode": other_mode});
    std::fs::write(&state_path, state.to_string()).unwrap();

    let restarted = unix_nanos();
    agent.restart_agent().await;
    assert_eq!(dind_mode_once_known(&agent).await, mode);
    agent.stop_agent().await;
    let probe = format!("{}dind-probe", agent.prefix);
    let events = container_events_since(&agent.prefix, restarted).await;
    assert!(
        events
            .iter()
            .any(|(action, name)| action == "create" && *name == probe),
        "a different daemon's result is not used: {events:?}"
    );
    assert_eq!(
        remembered_probe(&agent)["mode"],
        serde_json::to_value(mode).unwrap()
    );
    assert_ne!(
        remembered_probe(&agent)["daemon"],
        json!("another daemon 1.0")
    );
    assert_eq!(containers_of(&agent.prefix).await, Vec::<String>::new());
}

/// The agent's runtime goes away in the middle of the probe (the process ends without its
/// graceful shutdown): the probe's guard still removes the container.
#[test]
fn a_runtime_dropped_during_the_probe_leaves_no_probe_container() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let began = unix_nanos();
    let agent = runtime.block_on(TestAgent::start("probe-cut"));
    let probe = format!("{}dind-probe", agent.prefix);
    runtime.block_on(async {
        let docker = bollard::Docker::connect_with_defaults()
            .unwrap()
            .negotiate_version()
            .await
            .unwrap();
        let filters = HashMap::from([
            ("type", vec!["container".to_owned()]),
            ("event", vec!["create".to_owned()]),
            ("container", vec![probe.clone()]),
        ]);
        let since = (began / 1_000_000_000).to_string();
        let options = EventsOptionsBuilder::default()
            .since(&since)
            .filters(&filters)
            .build();
        let mut events = docker.events(Some(options));
        let created = tokio::time::timeout(Duration::from_secs(120), events.next()).await;
        assert!(
            matches!(created, Ok(Some(Ok(_)))),
            "the probe container was never created: {created:?}"
        );
    });
    // Drops every task of the agent wherever it is; returns once they are all dropped.
    drop(runtime);

    let check = tokio::runtime::Runtime::new().unwrap();
    let left = check.block_on(containers_of(&agent.prefix));
    let events = check.block_on(container_events_since(&agent.prefix, began));
    println!("the probe's container events: {events:?}");
    assert_eq!(left, Vec::<String>::new());
    drop(agent);
}
