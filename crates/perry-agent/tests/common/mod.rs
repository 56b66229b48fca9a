//! The one harness for tests against the real Docker Engine: an agent on a temp config dir and
//! a free port, with a unique workspace prefix, that removes every container, volume and network
//! it made when dropped. What perry's tests and the benchmark use too (config, calls, cleanup)
//! is in the perry-test-support crate; this module adds the in-process agent.

#![allow(dead_code)]

use std::sync::Arc;

use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{Docker, PREFIX_LABEL};
use perry_agent::server::{RunningAgent, start};
use perry_agent::{Agent, AgentOptions};
use perry_api::procedures::Procedure;
use serde_json::Value;

// Not every test binary uses each of these.
#[allow(unused_imports)]
pub use perry_test_support::{
    RemoveOnDrop, free_port, labels, remove_docker_objects, ssh_port_range_start, test_image,
    unique_prefix, worker_binary,
};

/// An agent running in this process against the real Docker Engine.
pub struct TestAgent {
    pub url: String,
    pub token: String,
    pub prefix: String,
    pub dir: tempfile::TempDir,
    pub agent: Arc<Agent>,
    http: reqwest::Client,
    running: Option<RunningAgent>,
}

/// Extra settings for a test agent's config.json.
#[derive(Debug, Default, Clone)]
pub struct TestAgentConfig {
    pub no_auth: bool,
    /// Where the web UI comes from (the embedded build unless a test says otherwise).
    pub web: perry_agent::web::WebFiles,
    pub extra: serde_json::Map<String, Value>,
    /// The address the agent listens on (127.0.0.1 unless a test says otherwise); calls go to
    /// 127.0.0.1 either way.
    pub host: Option<String>,
}

impl TestAgent {
    /// An agent with a fresh config dir, a unique prefix and its own SSH port range.
    pub async fn start(tag: &str) -> TestAgent {
        Self::start_with(tag, TestAgentConfig::default()).await
    }

    pub async fn start_with(tag: &str, options: TestAgentConfig) -> TestAgent {
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_prefix(tag);
        perry_test_support::write_config(
            dir.path(),
            &prefix,
            &test_image(),
            ssh_port_range_start(),
            options.extra,
        );
        let running = start(agent_options(
            dir.path(),
            options.host.as_deref().unwrap_or("127.0.0.1"),
            options.no_auth,
            options.web,
        ))
        .await
        .expect("the agent starts");
        TestAgent {
            url: format!("http://127.0.0.1:{}", running.address.port()),
            token: running.token.clone(),
            prefix,
            agent: running.agent.clone(),
            dir,
            http: reqwest::Client::new(),
            running: Some(running),
        }
    }

    /// Calls a procedure with the agent's token; returns HTTP status and the `json` payload.
    pub async fn call(&self, path: &str, input: Value) -> (u16, Value) {
        self.call_with_token(path, input, Some(&self.token)).await
    }

    pub async fn call_with_token(
        &self,
        path: &str,
        input: Value,
        token: Option<&str>,
    ) -> (u16, Value) {
        perry_test_support::rpc_call(&self.http, &self.url, token, path, &input)
            .await
            .expect("the agent answers with JSON")
    }

    /// Calls procedure `P`, which must succeed, and decodes its output. The input stays JSON,
    /// as a client sends it.
    pub async fn ok<P: Procedure>(&self, input: Value) -> P::Output {
        perry_test_support::call::<P>(&self.http, &self.url, &self.token, &input)
            .await
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// The port the agent listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit_once(':').unwrap().1.parse().unwrap()
    }

    /// The container name of workspace `name`.
    pub fn container(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A port nothing on the host listens on now, outside this agent's SSH range: for a
    /// forward's host port.
    pub fn free_host_port(&self) -> u16 {
        let range = self.agent.workspaces.settings().ssh_port_range;
        loop {
            let port = std::net::TcpListener::bind(("127.0.0.1", 0))
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            if !(range.start..=range.end).contains(&port) {
                return port;
            }
        }
    }

    /// Stops the agent (gracefully) but keeps its config dir and Docker objects.
    pub async fn stop_agent(&mut self) {
        if let Some(running) = self.running.take() {
            running.agent.shutdown.notify_one();
            running.wait().await.unwrap();
        }
    }

    /// Stops the agent gracefully and starts a new one on the same config dir (state.json,
    /// config.json and Docker objects kept), as after a reboot or an upgrade.
    pub async fn restart_agent(&mut self) {
        self.stop_agent().await;
        let running = start(agent_options(
            self.dir.path(),
            "127.0.0.1",
            false,
            Default::default(),
        ))
        .await
        .expect("the agent starts again");
        self.url = format!("http://127.0.0.1:{}", running.address.port());
        self.token = running.token.clone();
        self.agent = running.agent.clone();
        self.running = Some(running);
    }
}

/// The options of a test agent on `config_dir`, on a free port of `host`.
fn agent_options(
    config_dir: &std::path::Path,
    host: &str,
    no_auth: bool,
    web: perry_agent::web::WebFiles,
) -> AgentOptions {
    AgentOptions {
        config_dir: config_dir.to_path_buf(),
        host: host.to_owned(),
        port: Some(0),
        no_auth,
        worker_binary: Some(worker_binary()),
        web,
        tls: None,
    }
}

impl Drop for TestAgent {
    /// Never panics (see perry_test_support): stops the agent, waiting for its startup work
    /// (which may be making a probe container), on a thread with its own runtime, then removes
    /// the prefix's Docker objects.
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let stopped = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Runtime::new() {
                    runtime.block_on(async move {
                        running.agent.shutdown.notify_one();
                        let _ = running.wait().await;
                    });
                }
            });
            if stopped.join().is_err() {
                eprintln!("stopping the agent of {} panicked", self.prefix);
            }
        }
        remove_docker_objects(&self.prefix);
    }
}

/// What Docker has of `prefix`: container names and volume names. The short-lived container
/// that detects the Docker-in-Docker mode at startup is not a workspace object and is left out.
pub async fn docker_objects(prefix: &str) -> (Vec<String>, Vec<String>) {
    let docker = Docker::new();
    let probe = format!("{prefix}dind-probe");
    let mut containers: Vec<String> = docker
        .list_containers(prefix)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .filter(|name| *name != probe)
        .collect();
    let mut volumes = docker.list_volumes(PREFIX_LABEL, prefix).await.unwrap();
    containers.sort();
    volumes.sort();
    (containers, volumes)
}

/// Runs a shell command in a workspace container as `user`; returns (exit code, output).
pub async fn exec(container: &str, user: &str, script: &str) -> (i64, String) {
    let output = Docker::new()
        .exec(container, user, &["bash", "-lc", script])
        .await
        .unwrap();
    (output.exit_code, output.output)
}

/// Loads one of the host's images into a workspace's inner dockerd (there is no registry).
pub async fn load_image_inside(container: &str, image: &str) {
    use bollard::exec::{CreateExecOptions, StartExecResults};
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;

    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions::<String> {
                cmd: Some(vec!["docker".into(), "load".into()]),
                attach_stdin: Some(true),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let StartExecResults::Attached {
        mut output,
        mut input,
    } = docker.start_exec(&exec.id, None).await.unwrap()
    else {
        panic!("exec did not attach");
    };
    let mut archive = docker.export_image(image);
    while let Some(chunk) = archive.next().await {
        input.write_all(&chunk.unwrap()).await.unwrap();
    }
    input.shutdown().await.unwrap();
    drop(input);
    let mut log = String::new();
    while let Some(chunk) = output.next().await {
        log.push_str(&chunk.unwrap().to_string());
    }
    assert!(
        log.contains("Loaded image"),
        "docker load of {image} inside {container} failed: {log}"
    );
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame of `socket` as `T`; panics after 20 s or on anything else.
pub async fn next_json<T: serde::de::DeserializeOwned>(socket: &mut Socket) -> T {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(20), socket.next())
            .await
            .expect("a frame within 20 s")
            .expect("the socket stays open")
            .expect("a frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{text} is not what was expected: {error}"));
        }
    }
}

/// A Claude Code session in `container` whose first prompt is `title` (its transcript, written
/// once), and its hook saying `payload` (with the session's id) as Claude Code runs it: on stdin.
pub async fn claude_hook(container: &str, session: &str, title: &str, payload: Value) {
    let dir = "/home/workspace/.claude/projects/-home-workspace-app";
    let line = serde_json::json!({"parentUuid": null, "isSidechain": false, "type": "user",
        "sessionId": session, "cwd": "/home/workspace/app", "uuid": "u1",
        "timestamp": "2026-12-05T10:00:00.000Z", "message": {"role": "user", "content": title}});
    let mut payload = payload;
    payload["session_id"] = session.into();
    payload["cwd"] = "/home/workspace/app".into();
    payload["transcript_path"] = format!("{dir}/{session}.jsonl").into();
    let quoted = |value: &Value| value.to_string().replace('\'', "'\\''");
    let script = format!(
        "mkdir -p {dir} && f={dir}/{session}.jsonl && \
         ([ -f $f ] || printf '%s\\n' '{}' > $f) && \
         printf '%s' '{}' | perry-worker event claude",
        quoted(&line),
        quoted(&payload)
    );
    let (code, output) = exec(container, "workspace", &script).await;
    assert_eq!(code, 0, "{output}");
}
