//! Three agents as on three machines: each in its own network namespace with its own address,
//! config dir and workspace prefix (sharing this machine's dockerd), and the CLI in the root
//! namespace. One list of every workspace with its agent, `agent/name` addressing, `--on auto`
//! placement; then one agent's link is cut (`ip link set … down`): it is told as unreachable,
//! the others keep working and `--on auto` goes elsewhere; the link comes back and so does the
//! agent. The peers relay of the agent that serves the web UI is checked across the namespaces
//! too (the browser side of it is web/e2e/fleet.e2e.ts).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use perry_test_support::netns::Namespace;
use serde_json::json;

use common::tmux::Tmux;
use common::{AgentProcess, assert_success, fleet_listed, perry_with_client as perry};

fn pair(agent: &str, name: &str) -> (String, String) {
    (agent.to_owned(), name.to_owned())
}

/// The agent that lists workspace `name`.
fn placed_on(dir: &Path, name: &str) -> String {
    let pairs = fleet_listed(dir);
    pairs
        .iter()
        .find(|(_, listed)| listed == name)
        .unwrap_or_else(|| panic!("no agent lists {name}: {pairs:?}"))
        .0
        .clone()
}

#[test]
fn three_agents_on_three_networks_are_one_fleet_and_one_cut_off_is_told_and_skipped() {
    let namespaces: Vec<Arc<Namespace>> = ["a", "b", "c"]
        .iter()
        .map(|tag| Arc::new(Namespace::create(tag).expect("a network namespace (run as root)")))
        .collect();
    let agents: Vec<AgentProcess> = ["a", "b", "c"]
        .iter()
        .zip(&namespaces)
        .map(|(tag, namespace)| AgentProcess::start_in(&format!("ns{tag}"), namespace.clone()))
        .collect();
    let client = tempfile::tempdir().unwrap();
    let dir = client.path();
    for (name, agent) in ["a", "b", "c"].iter().zip(&agents) {
        let sign_in = format!("{}/?token={}", agent.url(), agent.token());
        assert_success(
            &perry(dir, &["agents", "add", name, &sign_in]),
            "agents add",
        );
    }

    // Every agent's workspaces, with the agent each is on; a name on one agent is reached bare,
    // and as agent/name.
    assert_success(&perry(dir, &["start", "wa", "--on", "a"]), "start on a");
    assert_success(&perry(dir, &["start", "wb", "--on", "b"]), "start on b");
    assert_success(&perry(dir, &["start", "b/both"]), "start b/both");
    assert_success(&perry(dir, &["start", "a/both"]), "start a/both");
    assert_eq!(
        fleet_listed(dir),
        vec![
            pair("a", "both"),
            pair("a", "wa"),
            pair("b", "both"),
            pair("b", "wb")
        ]
    );
    let stopped = perry(dir, &["stop", "both"]);
    assert!(!stopped.status.success());
    let refusal = String::from_utf8_lossy(&stopped.stderr);
    assert!(
        refusal.contains("a/both") && refusal.contains("b/both"),
        "{refusal}"
    );
    assert_success(&perry(dir, &["stop", "b/both"]), "stop b/both");
    assert_success(&perry(dir, &["stop", "wa"]), "stop wa (bare, on a only)");
    let (_, got) = agents[0].call("workspaces/get", json!({"name": "wa"}));
    assert_eq!(got["status"], "stopped", "{got}");

    // a and b each run a workspace and c none: auto places on c.
    assert_success(&perry(dir, &["start", "wa"]), "start wa again");
    assert_success(&perry(dir, &["start", "auto1", "--on", "auto"]), "auto1");
    assert_eq!(placed_on(dir, "auto1"), "c");

    // The TUI groups the workspaces by agent, each agent's line with its health.
    let tui = Tmux::start_with_client(dir, "tui");
    tui.wait_for_line(&["c", "up, 1 workspace(s)"], Duration::from_secs(20));
    tui.wait_for_line(&["wb", "running"], Duration::from_secs(5));

    // c's link is cut: it is told as unreachable, a and b are listed all the same.
    namespaces[2].cut().unwrap();
    let started = Instant::now();
    let listed = perry(dir, &["list"]);
    println!("perry list with c cut off: {:?}", started.elapsed());
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed
            .lines()
            .any(|line| line.trim_start().starts_with("c ") && line.contains("unreachable")),
        "{listed}"
    );
    for (agent, name) in [("a", "wa"), ("b", "wb")] {
        assert!(
            listed
                .lines()
                .any(|line| line.trim_start().starts_with(agent)
                    && line.split_whitespace().nth(1) == Some(name)),
            "{listed}"
        );
    }
    tui.wait_for_line(&["c", "unreachable"], Duration::from_secs(10));
    tui.wait_for_line(&["wa", "running"], Duration::from_secs(5));
    // auto goes elsewhere.
    assert_success(&perry(dir, &["start", "auto2", "--on", "auto"]), "auto2");
    let placed = placed_on(dir, "auto2");
    assert!(placed == "a" || placed == "b", "{placed}");

    // The link comes back: so does c, with its workspace.
    // (The kernel may take a moment to find the address again after the link is up.)
    namespaces[2].link_up().unwrap();
    let restored = Instant::now();
    let mut pairs = fleet_listed(dir);
    while !pairs.contains(&pair("c", "auto1")) {
        assert!(
            restored.elapsed() < Duration::from_secs(30),
            "c never came back: {pairs:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
        pairs = fleet_listed(dir);
    }
    println!(
        "c listed again {:?} after its link came up",
        restored.elapsed()
    );
    tui.wait_for_line(&["c", "up, 1 workspace(s)"], Duration::from_secs(10));
    tui.press(&["q"]);

    // The relay across namespaces: a relays to c, which is reached with a's token alone.
    let (status, added) = agents[0].call(
        "peers/add",
        json!({"name": "c", "address": format!("{}/?token={}", agents[2].url(), agents[2].token())}),
    );
    assert_eq!(status, 200, "{added}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let relayed = runtime
        .block_on(perry_test_support::rpc_call(
            &reqwest::Client::new(),
            &format!("{}/peers/c", agents[0].url()),
            Some(&agents[0].token()),
            "workspaces/list",
            &json!(null),
        ))
        .unwrap();
    assert_eq!(relayed.0, 200, "{}", relayed.1);
    assert_eq!(relayed.1[0]["name"], "auto1", "{}", relayed.1);

    for (agent, names) in agents.iter().zip([
        &["wa", "both", "auto2"][..],
        &["wb", "both", "auto2"][..],
        &["auto1"][..],
    ]) {
        for name in names {
            let _ = agent.call("workspaces/delete", json!({ "name": name }));
        }
    }
}
