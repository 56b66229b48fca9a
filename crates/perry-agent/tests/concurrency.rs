//! Many workspaces created at once on a fresh agent: every create succeeds, each gets its own
//! SSH port, and Docker ends up with exactly their objects. (Concurrent creates of one name are
//! in workspaces.rs.)
//!
//! 50 Docker-in-Docker workspaces starting at once load a 2-core machine heavily (about 90 s,
//! load average 80, 45 MiB each): `.config/nextest.toml` runs this test alone.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use perry_agent::engine::docker::{Docker, PREFIX_LABEL};
use perry_api::procedures::WorkspacesList;
use perry_api::{Workspace, WorkspaceStatus};
use serde_json::{Value, json};

use common::{TestAgent, docker_objects};

fn available_memory_mib() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib / 1024)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_creates_with_distinct_names_all_succeed_with_distinct_ssh_ports() {
    let count = 50;
    let agent = TestAgent::start("many").await;
    let range = agent.agent.workspaces.settings().ssh_port_range;
    let memory_before = available_memory_mib();
    let load_before = load_average();

    let began = Instant::now();
    let creates = (0..count).map(|index| {
        let agent = &agent;
        async move {
            let name = format!("m{index}");
            let (status, body) = agent.call("workspaces/create", json!({"name": name})).await;
            (name, status, body)
        }
    });
    let results = futures_util::future::join_all(creates).await;
    let create_time = began.elapsed();
    let memory_after = available_memory_mib();
    let load_after = load_average();

    let failures: Vec<String> = results
        .iter()
        .filter(|(_, status, body)| *status != 200 || body["status"] != "running")
        .map(|(name, status, body)| format!("{name}: {status} {body}"))
        .collect();
    let ports: BTreeSet<u16> = results
        .iter()
        .filter_map(|(_, _, body)| body["ports"]["ssh"].as_u64())
        .map(|port| port as u16)
        .collect();
    println!(
        "concurrency: {count} concurrent creates, {} succeeded, {} distinct SSH ports, in {:.1} s; \
         available memory {memory_before} → {memory_after} MiB (~{} MiB per workspace), load {load_before} → {load_after}",
        count - failures.len(),
        ports.len(),
        create_time.as_secs_f64(),
        memory_before.saturating_sub(memory_after) / count as u64,
    );
    assert!(
        failures.is_empty(),
        "failed creates:\n{}",
        failures.join("\n")
    );
    assert_eq!(ports.len(), count, "every workspace has its own SSH port");
    assert!(
        ports
            .iter()
            .all(|port| (range.start..=range.end).contains(port)),
        "{ports:?} in {range:?}"
    );

    let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(Value::Null).await;
    assert_eq!(listed.len(), count);
    assert!(
        listed
            .iter()
            .all(|workspace| workspace.status == WorkspaceStatus::Running),
        "{listed:?}"
    );
    let (containers, volumes) = docker_objects(&agent.prefix).await;
    assert_eq!((containers.len(), volumes.len()), (count, 2 * count));
    let networks = Docker::new()
        .list_networks(PREFIX_LABEL, &agent.prefix)
        .await
        .unwrap();
    assert_eq!(networks.len(), 1, "one shared network: {networks:?}");

    let began = Instant::now();
    let deletes = listed
        .iter()
        .map(|workspace| agent.call("workspaces/delete", json!({"name": workspace.name})));
    let deleted = futures_util::future::join_all(deletes).await;
    println!(
        "concurrency: {count} concurrent deletes in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    assert!(
        deleted.iter().all(|(status, _)| *status == 200),
        "{deleted:?}"
    );
    assert_eq!(docker_objects(&agent.prefix).await, (vec![], vec![]));
}
