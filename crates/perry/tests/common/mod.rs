//! The harness for tests of the `perry` binary: the agent as a real process on a temp config
//! dir and a free port, with a unique prefix, cleaned up (process and Docker objects) on drop.

#![allow(dead_code)]

pub mod tmux;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const PERRY: &str = env!("CARGO_BIN_EXE_perry");

pub fn worker_binary() -> PathBuf {
    std::env::var_os("PERRY_WORKER_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/perry-worker")
        })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
        // Below Linux's ephemeral ports (32768 and up), which connections of other tests take.
        let range_start = 10_000 + (std::process::id() % 227) as u16 * 100;
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
            docker_host: docker_host.map(str::to_owned),
            log: None,
            agent_args: Vec::new(),
        };
        if logged {
            agent.log = Some(agent.dir.path().join("agent.log"));
        }
        agent
    }

    pub fn spawn(&mut self) {
        let mut command = Command::new(PERRY);
        if let Some(docker_host) = &self.docker_host {
            command.env("DOCKER_HOST", docker_host);
        }
        let mut child = command
            .args([
                "agent",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
            ])
            .args(&self.agent_args)
            .env("PERRY_CONFIG_DIR", self.dir.path())
            .env("HOME", self.home.path())
            .env("PERRY_WORKER_BINARY", worker_binary())
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
        let url = format!("http://127.0.0.1:{}/rpc/{path}", self.port);
        let token = self.token();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let response = reqwest::Client::new()
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({ "json": input }))
                    .send()
                    .await
                    .expect("the agent answers");
                let status = response.status().as_u16();
                let body: Value = response.json().await.expect("the reply is JSON");
                (status, body.get("json").cloned().unwrap_or(Value::Null))
            })
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
        Command::new(PERRY)
            .args(args)
            .env("PERRY_CONFIG_DIR", self.dir.path())
            .env("PERRY_WORKER", format!("127.0.0.1:{}", self.port))
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
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
        }
        remove_docker_objects(&self.prefix);
    }
}

/// How long cleanup waits for a Docker daemon that does not answer (one a fault test stopped,
/// coming back).
const CLEANUP_WAIT_FOR_DOCKER: Duration = Duration::from_secs(90);

/// Removes every container, volume and network carrying `prefix`'s label, waiting a while for a
/// Docker daemon that does not answer. Never panics, and works in any context (inside a runtime,
/// during a panic): it runs on a thread of its own with its own runtime, and reports what it
/// could not do on stderr.
pub fn remove_docker_objects(prefix: &str) {
    let owned_prefix = prefix.to_owned();
    let cleanup = std::thread::spawn(move || -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("no runtime: {error}"))?;
        runtime.block_on(async {
            let docker = perry_agent::engine::docker::Docker::new();
            let deadline = Instant::now() + CLEANUP_WAIT_FOR_DOCKER;
            loop {
                match docker.remove_all_of_prefix(&owned_prefix).await {
                    Ok(()) => return Ok(()),
                    Err(perry_agent::engine::docker::EngineError::Unavailable(_))
                        if Instant::now() < deadline =>
                    {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    Err(error) => return Err(error.to_string()),
                }
            }
        })
    });
    let problem = match cleanup.join() {
        Ok(Ok(())) => return,
        Ok(Err(problem)) => problem,
        Err(_) => "the cleanup thread panicked".to_owned(),
    };
    eprintln!(
        "cleanup of {prefix}: {problem}; Docker objects labelled dev.perry.prefix={prefix} may be left"
    );
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
