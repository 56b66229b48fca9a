//! The harness for tests of the `perry` binary: the agent as a real process on a temp config
//! dir and a free port, with a unique prefix, cleaned up (process and Docker objects) on drop.
//! The config, calls and cleanup come from the perry-test-support crate, shared with
//! perry-agent's tests and the benchmark.

#![allow(dead_code)]

pub mod tmux;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

// Not every test binary uses each of these.
#[allow(unused_imports)]
pub use perry_test_support::{
    free_port, remove_docker_objects, ssh_port_range_start, test_image, worker_binary,
};

pub const PERRY: &str = env!("CARGO_BIN_EXE_perry");

/// How long a request to dockerd may still run after the agent that sent it was killed.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(1);

/// An agent process on a temp config dir, killed and cleaned up on drop.
pub struct AgentProcess {
    pub dir: tempfile::TempDir,
    /// The agent's $HOME, with an SSH key pair whose public half workspaces authorize.
    pub home: tempfile::TempDir,
    pub prefix: String,
    pub port: u16,
    child: Option<Child>,
    pub stdout: Vec<String>,
    docker_host: Option<String>,
    /// Where the agent's log (stderr) goes, appended over restarts; discarded when `None`.
    pub log: Option<PathBuf>,
    /// More arguments for `perry agent run` (e.g. `--tls-cert`).
    pub agent_args: Vec<String>,
    /// The network namespace the agent runs in (as on another machine); else 127.0.0.1.
    pub namespace: Option<std::sync::Arc<perry_test_support::netns::Namespace>>,
}

impl AgentProcess {
    pub fn start(tag: &str) -> AgentProcess {
        Self::start_with_docker_host(tag, None)
    }

    /// An agent that keeps its log in `agent.log` of its config dir, over restarts.
    pub fn start_logged(tag: &str) -> AgentProcess {
        Self::start_with(tag, None, true)
    }

    /// A logged agent started with more arguments for `perry agent run`.
    pub fn start_with_args(tag: &str, args: &[&str]) -> AgentProcess {
        let mut agent = Self::new(tag, None, true);
        agent.agent_args = args.iter().map(|arg| (*arg).to_owned()).collect();
        agent.spawn();
        agent
    }

    /// An agent that reaches Docker at `docker_host` (e.g. a socket nobody listens on).
    pub fn start_with_docker_host(tag: &str, docker_host: Option<&str>) -> AgentProcess {
        Self::start_with(tag, docker_host, false)
    }

    fn start_with(tag: &str, docker_host: Option<&str>, logged: bool) -> AgentProcess {
        let mut agent = Self::new(tag, docker_host, logged);
        agent.spawn();
        agent
    }

    /// The agent's config dir, config.json and $HOME, not yet started.
    fn new(tag: &str, docker_host: Option<&str>, logged: bool) -> AgentProcess {
        let dir = tempfile::tempdir().unwrap();
        let prefix = format!("pc{}-{tag}-", std::process::id() % 100_000);
        perry_test_support::write_config(
            dir.path(),
            &prefix,
            &test_image(),
            ssh_port_range_start(),
            Default::default(),
        );
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
            docker_host: docker_host.map(str::to_owned),
            log: None,
            agent_args: Vec::new(),
            namespace: None,
        };
        if logged {
            agent.log = Some(agent.dir.path().join("agent.log"));
        }
        agent
    }

    /// A logged agent in `namespace`, on its address and the default port.
    pub fn start_in(
        tag: &str,
        namespace: std::sync::Arc<perry_test_support::netns::Namespace>,
    ) -> AgentProcess {
        let mut agent = Self::new(tag, None, true);
        agent.port = perry_agent::state::config::DEFAULT_PORT;
        agent.namespace = Some(namespace);
        agent.spawn();
        agent
    }

    /// The address the agent listens on.
    pub fn host(&self) -> &str {
        self.namespace
            .as_ref()
            .map_or("127.0.0.1", |namespace| namespace.agent_ip.as_str())
    }

    /// `http://host:port` of the agent.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host(), self.port)
    }

    pub fn spawn(&mut self) {
        let mut command = match &self.namespace {
            None => {
                perry_test_support::agent_run_command(Path::new(PERRY), self.dir.path(), self.port)
            }
            Some(namespace) => {
                let mut command = namespace.command(PERRY);
                command
                    .args(["agent", "run", "--host", &namespace.agent_ip, "--port"])
                    .arg(self.port.to_string())
                    .env("PERRY_CONFIG_DIR", self.dir.path())
                    .env("PERRY_WORKER_BINARY", perry_test_support::worker_binary());
                command
            }
        };
        if let Some(docker_host) = &self.docker_host {
            command.env("DOCKER_HOST", docker_host);
        }
        let mut child = command
            .args(&self.agent_args)
            .env("HOME", self.home.path())
            .stdout(Stdio::piped())
            .stderr(match &self.log {
                Some(path) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .unwrap(),
                ),
                None => Stdio::null(),
            })
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

    /// The agent's token, from its config.json.
    pub fn token(&self) -> String {
        let config: Value =
            serde_json::from_slice(&std::fs::read(self.dir.path().join("config.json")).unwrap())
                .unwrap();
        config["auth"]["token"].as_str().unwrap().to_owned()
    }

    /// Calls a procedure over HTTP with the agent's token; returns the HTTP status and the
    /// `json` payload.
    pub fn call(&self, path: &str, input: Value) -> (u16, Value) {
        let url = self.url();
        let token = self.token();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let http = reqwest::Client::new();
                perry_test_support::rpc_call(&http, &url, Some(&token), path, &input).await
            })
            .expect("the agent answers with JSON")
    }

    /// The agent process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the agent process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| child.try_wait().unwrap().is_none())
    }

    pub fn perry(&self, args: &[&str]) -> Output {
        self.perry_command(args).output().unwrap()
    }

    /// `perry` with `args` pointed at this agent, to be run by the caller (one that keeps
    /// running, like `perry watch`).
    pub fn perry_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(PERRY);
        command
            .args(args)
            .env("PERRY_CONFIG_DIR", self.dir.path())
            .env("PERRY_WORKER", format!("{}:{}", self.host(), self.port))
            .env("NO_COLOR", "1");
        command
    }

    /// `perry` as a person on the agent's machine runs it: no address given, so the CLI finds
    /// this agent through its config dir (and its local socket).
    pub fn perry_local(&self, args: &[&str]) -> Output {
        Command::new(PERRY)
            .args(args)
            .env("PERRY_CONFIG_DIR", self.dir.path())
            .env_remove("PERRY_WORKER")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    pub fn sigkill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    pub fn sigterm(&mut self) -> std::process::ExitStatus {
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
    /// Never panics: it runs while a failing test unwinds, where a second panic aborts the whole
    /// test binary before anything is cleaned up.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            // A request the agent sent just before it died (its Docker-in-Docker probe, at
            // start) is still finished by dockerd: give it a moment, or its container would
            // outlive the cleanup (seen: a `tuidown-dind-probe` left behind).
            std::thread::sleep(IN_FLIGHT_GRACE);
        }
        remove_docker_objects(&self.prefix);
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn assert_success(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

pub fn ssh(agent: &AgentProcess, port: u16, extra: &[&str], command: &str) -> Output {
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

pub fn listed(agent: &AgentProcess) -> Vec<(String, String)> {
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

/// `perry` as a person with client.json in `dir` runs it: the agents added there, no worker
/// or token from the environment.
pub fn perry_with_client(dir: &Path, args: &[&str]) -> Output {
    Command::new(PERRY)
        .args(args)
        .env("PERRY_CONFIG_DIR", dir)
        .env_remove("PERRY_WORKER")
        .env_remove("PERRY_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// (agent, workspace) pairs of `perry list --json` across the agents added in `dir`, sorted.
pub fn fleet_listed(dir: &Path) -> Vec<(String, String)> {
    let listed: Vec<Value> = serde_json::from_str(&assert_success(
        &perry_with_client(dir, &["list", "--json"]),
        "list --json",
    ))
    .unwrap();
    let mut pairs: Vec<(String, String)> = listed
        .iter()
        .map(|w| {
            (
                w["agent"].as_str().unwrap_or_default().to_owned(),
                w["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}
