//! Many agents, one CLI: `perry agents add|list|remove|default` and `perry list` across real
//! agents, with one that goes down and one that answers nothing at all.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;

use serde_json::{Value, json};

use common::{AgentProcess, assert_success, fleet_listed, perry_with_client as perry, text};

/// Runs `args`, expects a failure whose stderr contains `wanted`, and that client.json is
/// exactly as it was.
fn refused(dir: &Path, args: &[&str], wanted: &str) {
    let before = std::fs::read(dir.join("client.json")).ok();
    refused_with(dir, args, wanted);
    assert_eq!(
        std::fs::read(dir.join("client.json")).ok(),
        before,
        "{args:?} changed client.json"
    );
}

/// A TCP port that answers every connection with `reply` (an HTTP server that is no agent), or
/// accepts and never answers when `reply` is `None` (an agent that hangs).
fn fake_server(reply: Option<&'static str>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            match reply {
                Some(reply) => {
                    let mut request = [0u8; 4096];
                    let _ = stream.read(&mut request);
                    let _ = stream.write_all(reply.as_bytes());
                }
                None => held.push(stream),
            }
        }
    });
    port
}

#[test]
fn agents_are_added_by_name_and_listed_as_one_fleet() {
    let home = AgentProcess::start("fleethome");
    let mut closet = AgentProcess::start("fleetcloset");
    assert_success(&home.perry(&["start", "alpha"]), "start alpha on home");
    assert_success(&closet.perry(&["start", "beta"]), "start beta on closet");
    let client = tempfile::tempdir().unwrap();
    let dir = client.path();

    // By the sign-in URL the web UI shows, and by host:port with --token.
    let added = perry(
        dir,
        &[
            "agents",
            "add",
            "home",
            &format!("http://127.0.0.1:{}/?token={}", home.port, home.token()),
        ],
    );
    let stdout = assert_success(&added, "agents add home");
    assert!(
        stdout.contains("Added agent home") && stdout.contains("the default"),
        "{stdout}"
    );
    assert_success(
        &perry(
            dir,
            &[
                "agents",
                "add",
                "closet",
                &format!("127.0.0.1:{}", closet.port),
                "--token",
                &closet.token(),
            ],
        ),
        "agents add closet",
    );
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.join("client.json")).unwrap()).unwrap();
    assert_eq!(saved["defaultAgent"], "home");
    assert_eq!(
        saved["agents"]["closet"],
        json!({"url": format!("http://127.0.0.1:{}", closet.port), "token": closet.token()})
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(dir.join("client.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    // Bad input: each told, nothing saved.
    let home_url = format!("127.0.0.1:{}", home.port);
    refused(dir, &["agents", "add", "home", &home_url], "already added");
    refused(
        dir,
        &[
            "agents",
            "add",
            "again",
            &home_url,
            "--token",
            &home.token(),
        ],
        "is already added as \"home\"",
    );
    refused(
        dir,
        &["agents", "add", "Bad_Name", &home_url],
        "Invalid agent name",
    );
    let fresh = AgentProcess::start("fleetfresh");
    refused(
        dir,
        &[
            "agents",
            "add",
            "fresh",
            &format!("127.0.0.1:{}", fresh.port),
            "--token",
            "not-its-token",
        ],
        "refused the token",
    );
    let web_server = fake_server(Some(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
    ));
    refused(
        dir,
        &["agents", "add", "web", &format!("127.0.0.1:{web_server}")],
        "not a Perry agent",
    );
    refused(
        dir,
        &["agents", "add", "nowhere", "ftp://box"],
        "not an agent's address",
    );
    refused(
        dir,
        &["agents", "remove", "attic"],
        "No agent named \"attic\"; the agents are: closet, home",
    );
    refused(dir, &["agents", "default", "attic"], "No agent named");

    // One list of every agent's workspaces, each with its agent.
    let listed = assert_success(&perry(dir, &["list"]), "list");
    let line = |name: &str| {
        listed
            .lines()
            .find(|line| line.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no {name} in {listed}"))
            .to_owned()
    };
    assert!(listed.trim_start().starts_with("AGENT"), "{listed}");
    assert!(
        listed
            .lines()
            .next()
            .unwrap()
            .trim_end()
            .ends_with("LAST USED"),
        "{listed}"
    );
    assert!(
        line("alpha").trim_start().starts_with("home ") && line("alpha").contains("running"),
        "{listed}"
    );
    assert!(
        line("beta").trim_start().starts_with("closet ") && line("beta").contains("running"),
        "{listed}"
    );
    let pairs = fleet_listed(dir);
    assert_eq!(
        pairs,
        [
            ("closet".to_owned(), "beta".to_owned()),
            ("home".to_owned(), "alpha".to_owned())
        ]
    );

    // Each agent's health and capacity.
    let agents: Vec<Value> = serde_json::from_str(&assert_success(
        &perry(dir, &["agents", "list", "--json"]),
        "agents list --json",
    ))
    .unwrap();
    assert_eq!(agents.len(), 2);
    for agent in &agents {
        assert!(agent["error"].is_null(), "{agent}");
        assert_eq!(agent["info"]["capacity"]["runningWorkspaces"], 1, "{agent}");
        assert_eq!(agent["default"], agent["name"] == "home", "{agent}");
    }
    let table = assert_success(&perry(dir, &["agents", "list"]), "agents list");
    assert!(
        table.contains("home *") && table.contains(" ok "),
        "{table}"
    );

    // --worker names one agent, by its name or its address (whose added token it gets).
    for worker in ["closet", &format!("127.0.0.1:{}", closet.port)] {
        let one: Vec<Value> = serde_json::from_str(&assert_success(
            &perry(dir, &["--worker", worker, "list", "--json"]),
            "list on one agent",
        ))
        .unwrap();
        assert_eq!(
            one.iter()
                .map(|w| w["name"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["beta"]
        );
    }
    let echoed = assert_success(
        &perry(dir, &["exec", "alpha", "--", "echo", "on-home"]),
        "exec alpha, found on home",
    );
    assert_eq!(echoed.trim(), "on-home");
    // A bare name goes to the agent that has it.
    let found = assert_success(
        &perry(dir, &["exec", "beta", "--", "hostname"]),
        "exec beta, found on closet",
    );
    assert_eq!(found.trim(), "beta");

    // `agent/workspace` names it on that agent; a bare name finds the one agent that has it,
    // and an ambiguous one lists the candidates.
    let echoed = assert_success(
        &perry(dir, &["exec", "closet/beta", "--", "echo", "on-closet"]),
        "exec closet/beta",
    );
    assert_eq!(echoed.trim(), "on-closet");
    assert_success(&perry(dir, &["start", "home/beta"]), "start home/beta");
    refused_with(
        dir,
        &["exec", "beta", "--", "true"],
        "beta is on several agents: closet/beta, home/beta",
    );
    refused_with(dir, &["stop", "attic/beta"], "No agent named \"attic\"");
    // A clone is made beside its source; the latest sessions are asked of every agent.
    refused_with(
        dir,
        &["clone", "closet/beta", "home/copy"],
        "a clone is made on the agent of its source",
    );
    let recent: Vec<Value> = serde_json::from_str(&assert_success(
        &perry(dir, &["sessions", "--recent", "--json"]),
        "sessions --recent on every agent",
    ))
    .unwrap();
    assert!(recent.is_empty(), "no session was opened: {recent:?}");
    // Placement: on a named agent, never a second workspace of a name that exists elsewhere.
    assert_success(
        &perry(dir, &["start", "delta", "--on", "closet"]),
        "start --on closet",
    );
    assert_eq!(names_on(&closet), ["beta", "delta"]);
    refused_with(
        dir,
        &["start", "alpha", "--on", "closet"],
        "alpha exists on home",
    );
    refused_with(
        dir,
        &["start", "home/zeta", "--on", "closet"],
        "names agent home, and --on closet another",
    );

    // An agent that goes down is one line; one that hangs is told after the fleet's patience;
    // the rest are listed all the same.
    closet.sigkill();
    let hole = fake_server(None);
    let mut file: Value =
        serde_json::from_slice(&std::fs::read(dir.join("client.json")).unwrap()).unwrap();
    file["agents"]["hole"] = json!({"url": format!("http://127.0.0.1:{hole}")});
    std::fs::write(dir.join("client.json"), file.to_string()).unwrap();
    let listed = assert_success(&perry(dir, &["list"]), "list with agents down");
    assert!(
        listed.lines().any(
            |l| l.trim_start().starts_with("closet") && l.contains("unreachable: cannot reach")
        ),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.trim_start().starts_with("hole") && l.contains("no answer from")),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.trim_start().starts_with("home") && l.contains("alpha")),
        "{listed}"
    );
    let table = assert_success(&perry(dir, &["agents", "list"]), "agents list, some down");
    assert!(
        table
            .lines()
            .any(|l| l.trim_start().starts_with("closet") && l.contains("unreachable")),
        "{table}"
    );
    // A name only a silent agent has is not called missing.
    refused_with(
        dir,
        &["stop", "delta"],
        "No agent that answered has a workspace delta; these did not answer: closet",
    );
    // `--on auto` places a new workspace on an agent that answers.
    assert_success(
        &perry(dir, &["start", "epsilon", "--on", "auto"]),
        "start --on auto",
    );
    assert!(names_on(&home).contains(&"epsilon".to_owned()));

    // Forgetting agents; the default moves with `default`.
    assert_success(&perry(dir, &["agents", "remove", "hole"]), "remove hole");
    assert_success(
        &perry(dir, &["agents", "default", "closet"]),
        "default closet",
    );
    assert_success(
        &perry(dir, &["agents", "remove", "closet"]),
        "remove closet",
    );
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.join("client.json")).unwrap()).unwrap();
    assert_eq!(saved["agents"].as_object().unwrap().len(), 1);
    assert!(saved.get("defaultAgent").is_none(), "{saved}");
    for name in ["alpha", "beta", "epsilon"] {
        assert_success(&home.perry(&["delete", name]), "delete on home");
    }
}

/// Runs `args` and expects a failure whose stderr contains `wanted`.
fn refused_with(dir: &Path, args: &[&str], wanted: &str) {
    let output = perry(dir, args);
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "{args:?} succeeded: {}",
        text(&output.stdout)
    );
    assert!(stderr.contains(wanted), "{args:?}: {stderr}");
}

/// The workspaces of one agent, by name.
fn names_on(agent: &AgentProcess) -> Vec<String> {
    let mut names: Vec<String> = common::listed(agent)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    names.sort();
    names
}
