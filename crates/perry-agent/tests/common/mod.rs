//! The one harness for tests against the real Docker Engine: an agent on a temp config dir and
//! a free port, with a unique workspace prefix, that removes every container, volume and network
//! it made when dropped.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{Docker, PREFIX_LABEL};
use perry_agent::server::{RunningAgent, start};
use perry_agent::{Agent, AgentOptions};
use perry_api::procedures::Procedure;
use rand::Rng;
use serde_json::{Value, json};

/// The image workspaces run in tests: the one `make image` builds.
pub fn test_image() -> String {
    std::env::var("PERRY_TEST_IMAGE").unwrap_or_else(|_| "workspace-base".to_owned())
}

/// The static worker binary `make build` leaves in target/release.
pub fn worker_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PERRY_WORKER_BINARY") {
        return PathBuf::from(path);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for profile in ["release", "debug"] {
        let path = root.join("target").join(profile).join("perry-worker");
        if path.exists() {
            return path;
        }
    }
    panic!("no perry-worker binary: run `make build` first");
}

/// A unique prefix so parallel tests never touch each other's objects.
pub fn unique_prefix(tag: &str) -> String {
    let suffix: u32 = rand::rng().random_range(0..1_000_000);
    format!("pt{suffix:06}-{tag}-")
}

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
}

impl TestAgent {
    /// An agent with a fresh config dir, a unique prefix and its own SSH port range.
    pub async fn start(tag: &str) -> TestAgent {
        Self::start_with(tag, TestAgentConfig::default()).await
    }

    pub async fn start_with(tag: &str, options: TestAgentConfig) -> TestAgent {
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_prefix(tag);
        // Below Linux's ephemeral ports (32768 and up): a test that opens thousands of
        // connections takes those, and a taken port at the range's start fails the tests that
        // expect the first SSH port.
        let range_start: u16 = 10_000 + rand::rng().random_range(0..227u16) * 100;
        let mut config = json!({
            "workspacePrefix": prefix,
            "imageTag": test_image(),
            "sshPortRange": {"start": range_start, "end": range_start + 99},
        });
        for (key, value) in options.extra {
            config[key] = value;
        }
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        let running = start(AgentOptions {
            config_dir: dir.path().to_path_buf(),
            host: "127.0.0.1".to_owned(),
            port: Some(0),
            no_auth: options.no_auth,
            worker_binary: Some(worker_binary()),
            web: options.web.clone(),
            tls: None,
        })
        .await
        .expect("the agent starts");
        TestAgent {
            url: format!("http://{}", running.address),
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
        let mut request = self
            .http
            .post(format!("{}/rpc/{path}", self.url))
            .json(&json!({ "json": input }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the agent answers");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("the reply is JSON");
        (status, body.get("json").cloned().unwrap_or(Value::Null))
    }

    /// Calls procedure `P`, which must succeed, and decodes its output. The input stays JSON,
    /// as a client sends it.
    pub async fn ok<P: Procedure>(&self, input: Value) -> P::Output {
        let path = P::PATH;
        let (status, body) = self.call(path, input).await;
        assert_eq!(status, 200, "{path} failed: {body}");
        serde_json::from_value(body).unwrap_or_else(|error| panic!("{path} output: {error}"))
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
        let running = start(AgentOptions {
            config_dir: self.dir.path().to_path_buf(),
            host: "127.0.0.1".to_owned(),
            port: Some(0),
            no_auth: false,
            worker_binary: Some(worker_binary()),
            web: Default::default(),
            tls: None,
        })
        .await
        .expect("the agent starts again");
        self.url = format!("http://{}", running.address);
        self.token = running.token.clone();
        self.agent = running.agent.clone();
        self.running = Some(running);
    }
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        let prefix = self.prefix.clone();
        let running = self.running.take();
        // Drop cannot await: stop the agent (waiting for its startup work, which may be making a
        // probe container) and clean up on a thread with its own runtime.
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    if let Some(running) = running {
                        running.agent.shutdown.notify_one();
                        let _ = running.wait().await;
                    }
                    remove_docker_objects(&prefix).await;
                });
        })
        .join()
        .unwrap();
    }
}

/// Removes every container, volume and network carrying `prefix`'s label.
pub async fn remove_docker_objects(prefix: &str) {
    if let Err(error) = Docker::new().remove_all_of_prefix(prefix).await {
        eprintln!("cleanup of {prefix}: {error}");
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

/// Labels helper for tests that make Docker objects themselves.
pub fn labels(prefix: &str) -> HashMap<String, String> {
    HashMap::from([(PREFIX_LABEL.to_owned(), prefix.to_owned())])
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

/// Removes every Docker object of `prefix` when dropped, for tests that make Docker objects
/// without an agent. Never panics: it runs on a thread of its own with its own runtime, so it
/// works while a failing test unwinds, inside or outside a runtime.
pub struct RemoveOnDrop {
    pub prefix: String,
}

impl RemoveOnDrop {
    /// A guard over a fresh unique prefix.
    pub fn new(tag: &str) -> RemoveOnDrop {
        RemoveOnDrop {
            prefix: unique_prefix(tag),
        }
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let prefix = self.prefix.clone();
        let cleanup =
            std::thread::spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(remove_docker_objects(&prefix)),
                    Err(error) => eprintln!("cleanup of {prefix}: no runtime: {error}"),
                }
            });
        if cleanup.join().is_err() {
            eprintln!("cleanup of {} panicked", self.prefix);
        }
    }
}
