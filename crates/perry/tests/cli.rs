//! The `perry` binary as a person uses it: the agent as a real process, the CLI talking to it
//! over HTTP, real workspaces on the real Docker Engine.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PERRY: &str = env!("CARGO_BIN_EXE_perry");

fn worker_binary() -> PathBuf {
    std::env::var_os("PERRY_WORKER_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/perry-worker")
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An agent process on a temp config dir, killed and cleaned up on drop.
struct AgentProcess {
    dir: tempfile::TempDir,
    /// The agent's $HOME, with an SSH key pair whose public half workspaces authorize.
    home: tempfile::TempDir,
    prefix: String,
    port: u16,
    child: Option<Child>,
    stdout: Vec<String>,
}

impl AgentProcess {
    fn start(tag: &str) -> AgentProcess {
        let dir = tempfile::tempdir().unwrap();
        let prefix = format!("pc{}-{tag}-", std::process::id() % 100_000);
        let range_start = 30_000 + (std::process::id() % 300) as u16 * 100;
        let config = json!({
            "workspacePrefix": prefix,
            "imageTag": std::env::var("PERRY_TEST_IMAGE").unwrap_or_else(|_| "workspace-base".into()),
            "sshPortRange": {"start": range_start, "end": range_start + 99},
        });
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".ssh")).unwrap();
        let keygen = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(home.path().join(".ssh/id_ed25519"))
            .status()
            .unwrap();
        assert!(keygen.success());
        let mut agent = AgentProcess {
            dir,
            home,
            prefix,
            port: free_port(),
            child: None,
            stdout: Vec::new(),
        };
        agent.spawn();
        agent
    }

    fn spawn(&mut self) {
        let mut child = Command::new(PERRY)
            .args([
                "agent",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
            ])
            .env("PERRY_CONFIG_DIR", self.dir.path())
            .env("HOME", self.home.path())
            .env("PERRY_WORKER_BINARY", worker_binary())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The banner is printed once the port is bound.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        self.stdout.clear();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let done = line.trim_start().starts_with("Config:");
            self.stdout.push(line);
            if done {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }

    fn perry(&self, args: &[&str]) -> Output {
        Command::new(PERRY)
            .args(args)
            .env("PERRY_CONFIG_DIR", self.dir.path())
            .env("PERRY_WORKER", format!("127.0.0.1:{}", self.port))
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn sigkill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn sigterm(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the agent did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let prefix = self.prefix.clone();
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let docker = perry_agent::docker::Docker::new();
                let label = perry_agent::docker::PREFIX_LABEL;
                for container in docker
                    .list_containers(label, &prefix)
                    .await
                    .unwrap_or_default()
                {
                    let _ = docker.remove_container(&container.id).await;
                }
                for volume in docker
                    .list_volumes(label, &prefix)
                    .await
                    .unwrap_or_default()
                {
                    let _ = docker.remove_volume(&volume).await;
                }
                let _ = docker.remove_network(&format!("{prefix}network")).await;
            });
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_success(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn ssh(agent: &AgentProcess, port: u16, extra: &[&str], command: &str) -> Output {
    Command::new("ssh")
        .arg("-i")
        .arg(agent.home.path().join(".ssh/id_ed25519"))
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
        ])
        .args(["-o", "ConnectTimeout=10", "-p", &port.to_string()])
        .args(extra)
        .args(["workspace@127.0.0.1", command])
        .output()
        .unwrap()
}

fn listed(agent: &AgentProcess) -> Vec<(String, String)> {
    let stdout = assert_success(&agent.perry(&["list", "--json"]), "perry list --json");
    let workspaces: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    workspaces
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap().to_owned(),
                w["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

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
