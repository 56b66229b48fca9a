//! The `perry` binary as a person uses it: the agent as a real process, the CLI talking to it
//! over HTTP, real workspaces on the real Docker Engine.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use common::{AgentProcess, PERRY, assert_success, free_port, listed, ssh, text};

#[test]
fn the_core_flow_works_from_the_cli_and_survives_sigkill_of_the_agent() {
    let mut agent = AgentProcess::start("flow");

    let stdout = assert_success(&agent.perry(&["start", "demo"]), "perry start demo");
    assert!(stdout.contains("demo is running"), "{stdout}");
    assert!(
        stdout.contains("ssh -p "),
        "the summary says how to get in: {stdout}"
    );

    let table = assert_success(&agent.perry(&["list"]), "perry list");
    let row = table
        .lines()
        .find(|line| line.contains("demo"))
        .unwrap_or_default();
    assert!(row.contains("running"), "{table}");
    assert_eq!(listed(&agent), [("demo".to_owned(), "running".to_owned())]);

    // The host user's key gets in over SSH; passwords do not.
    let workspaces: Vec<Value> =
        serde_json::from_str(&assert_success(&agent.perry(&["list", "--json"]), "list")).unwrap();
    let port = workspaces[0]["ports"]["ssh"].as_u64().unwrap() as u16;
    let login = ssh(
        &agent,
        port,
        &[],
        "whoami && docker info --format '{{.Driver}}'",
    );
    assert_eq!(
        text(&login.stdout),
        "workspace\noverlay2\n",
        "ssh with the key: {}",
        text(&login.stderr)
    );
    let password = ssh(
        &agent,
        port,
        &[
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
        ],
        "true",
    );
    assert!(!password.status.success());
    assert!(
        text(&password.stderr).contains("Permission denied (publickey)"),
        "{}",
        text(&password.stderr)
    );

    // SIGKILL and restart: every workspace is still there, still running.
    agent.sigkill();
    agent.spawn();
    assert_eq!(listed(&agent), [("demo".to_owned(), "running".to_owned())]);

    // `perry start` on an existing workspace starts it rather than creating another.
    let stdout = assert_success(&agent.perry(&["stop", "demo"]), "perry stop demo");
    assert!(stdout.contains("demo is stopped"), "{stdout}");
    assert_success(
        &agent.perry(&["start", "demo"]),
        "perry start demo (existing)",
    );
    assert_eq!(listed(&agent), [("demo".to_owned(), "running".to_owned())]);

    let info = assert_success(&agent.perry(&["info"]), "perry info");
    assert!(
        info.contains("Docker:") && info.contains("DinD mode:"),
        "{info}"
    );

    assert_success(&agent.perry(&["delete", "demo"]), "perry delete demo");
    assert!(listed(&agent).is_empty());
    let again = agent.perry(&["delete", "demo"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("does not exist"),
        "the server's message is shown: {}",
        text(&again.stderr)
    );
}

#[test]
fn first_run_writes_a_private_config_prints_the_token_and_stops_on_sigterm() {
    let mut agent = AgentProcess::start("firstrun");
    let config: Value =
        serde_json::from_slice(&std::fs::read(agent.dir.path().join("config.json")).unwrap())
            .unwrap();
    let token = config["auth"]["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 32, "token has at least 128 bits: {token}");
    let mode = std::fs::metadata(agent.dir.path().join("config.json"))
        .unwrap()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let banner = agent.stdout.join("\n");
    assert!(
        banner.contains(&format!("?token={token}")),
        "the URL carries the token: {banner}"
    );

    let bad_name = agent.perry(&["start", "Not_Valid"]);
    assert!(!bad_name.status.success());
    assert!(
        text(&bad_name.stderr).contains("lowercase letters"),
        "{}",
        text(&bad_name.stderr)
    );

    let status = agent.sigterm();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[test]
fn an_unreachable_agent_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(PERRY)
        .args(["list"])
        .env("PERRY_CONFIG_DIR", dir.path())
        .env("PERRY_WORKER", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot reach the Perry agent"), "{stderr}");
}

#[test]
fn config_worker_and_token_go_to_a_private_client_json() {
    let dir = tempfile::tempdir().unwrap();
    let perry = |args: &[&str]| {
        Command::new(PERRY)
            .args(args)
            .env("PERRY_CONFIG_DIR", dir.path())
            .env_remove("PERRY_WORKER")
            .output()
            .unwrap()
    };
    assert_success(
        &perry(&["config", "worker", "box.tailnet:7391"]),
        "config worker",
    );
    assert_success(&perry(&["config", "token", "abc123"]), "config token");
    let path: &Path = &dir.path().join("client.json");
    let client: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(
        client,
        json!({"worker": "box.tailnet:7391", "token": "abc123"})
    );
    assert_eq!(std::fs::metadata(path).unwrap().mode() & 0o777, 0o600);
    let shown: Value = serde_json::from_str(&assert_success(
        &perry(&["config", "show", "--json"]),
        "config show",
    ))
    .unwrap();
    assert_eq!(shown["agent"], "http://box.tailnet:7391");
    assert!(
        !shown.to_string().contains("abc123"),
        "show never prints the token"
    );
    let refused = perry(&["config", "worker", "two words"]);
    assert!(!refused.status.success());
}

#[test]
fn without_docker_calls_answer_503_and_the_agent_stays_up() {
    let socket_dir = tempfile::tempdir().unwrap();
    let nowhere = format!("unix://{}", socket_dir.path().join("docker.sock").display());
    let agent = AgentProcess::start_with_docker_host("nodocker", Some(&nowhere));

    let list = agent.perry(&["list"]);
    assert!(!list.status.success());
    let stderr = text(&list.stderr);
    assert!(
        stderr.contains("Docker is not answering") && stderr.contains("SERVICE_UNAVAILABLE"),
        "{stderr}"
    );
    let start = agent.perry(&["start", "nothing"]);
    assert!(
        text(&start.stderr).contains("SERVICE_UNAVAILABLE"),
        "{}",
        text(&start.stderr)
    );

    // The agent itself is fine: it answers what does not need Docker.
    let info = assert_success(&agent.perry(&["info", "--json"]), "perry info");
    let info: Value = serde_json::from_str(&info).unwrap();
    assert!(info.get("dockerVersion").is_none(), "{info}");
    assert_success(&agent.perry(&["config", "show"]), "perry config show");
}
