//! What Perry's Rust tests (perry-agent's and perry's) and the benchmark share to run an agent
//! against the real Docker Engine: its config on a temp dir with a unique workspace prefix and
//! an SSH port range of its own, free ports, typed oRPC calls, and the cleanup of every Docker
//! object a prefix made.
//!
//! Cleanup never panics: it runs while a failing test unwinds, where a second panic aborts the
//! whole test binary before anything is removed. It runs on a thread of its own with its own
//! runtime (so it works inside a runtime too) and waits a while for a dockerd that is coming
//! back (`crates/perry/tests/harness.rs` checks it).

pub mod git;
pub mod netns;
pub mod slow_link;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use perry_agent::engine::docker::{Docker, EngineError, PREFIX_LABEL};
use perry_api::procedures::Procedure;
use rand::Rng;
use serde::Serialize;
use serde_json::{Value, json};

/// The repository's root (where `target/` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The image workspaces run in tests: the one `make image` builds.
pub fn test_image() -> String {
    std::env::var("PERRY_TEST_IMAGE").unwrap_or_else(|_| "workspace-base".to_owned())
}

/// The static worker binary `make build` leaves in target/release.
pub fn worker_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PERRY_WORKER_BINARY") {
        return PathBuf::from(path);
    }
    for profile in ["release", "debug"] {
        let path = repo_root()
            .join("target")
            .join(profile)
            .join("perry-worker");
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

/// A port nothing on the host listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The first of 100 SSH ports for one agent, picked at random in 10000–32699: below Linux's
/// ephemeral ports (32768 and up), which a test that opens thousands of connections takes, and a
/// taken port at the range's start fails the tests that expect the first SSH port.
pub fn ssh_port_range_start() -> u16 {
    10_000 + rand::rng().random_range(0..227u16) * 100
}

/// Writes an agent's config.json in `dir`: workspaces named with `prefix`, the test image, SSH
/// ports from `range_start` (100 of them), and `extra` keys on top.
pub fn write_config(
    dir: &Path,
    prefix: &str,
    image: &str,
    range_start: u16,
    extra: serde_json::Map<String, Value>,
) {
    let mut config = json!({
        "workspacePrefix": prefix,
        "imageTag": image,
        "sshPortRange": {"start": range_start, "end": range_start + 99},
    });
    for (key, value) in extra {
        config[key] = value;
    }
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

/// `perry agent run` of `perry` (a binary path) on `config_dir` and 127.0.0.1:`port`, with the
/// test worker binary; the caller adds arguments, environment and stdio, and spawns it.
pub fn agent_run_command(perry: &Path, config_dir: &Path, port: u16) -> Command {
    let mut command = Command::new(perry);
    command
        .args(["agent", "run", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .env("PERRY_CONFIG_DIR", config_dir)
        .env("PERRY_WORKER_BINARY", worker_binary());
    command
}

/// Waits until something listens on `port` of 127.0.0.1; false after `timeout`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// The request for procedure `path` with `input` on the agent at `url`, as oRPC's RPCLink sends
/// it.
pub fn rpc_request(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    path: &str,
    input: &impl Serialize,
) -> reqwest::RequestBuilder {
    let request = http
        .post(format!("{url}/rpc/{path}"))
        .json(&json!({ "json": input }));
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

/// Calls procedure `path`; returns the HTTP status and the `json` payload of the reply.
pub async fn rpc_call(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    path: &str,
    input: &impl Serialize,
) -> reqwest::Result<(u16, Value)> {
    let response = rpc_request(http, url, token, path, input).send().await?;
    let status = response.status().as_u16();
    let mut body: Value = response.json().await?;
    Ok((
        status,
        body.get_mut("json").map(Value::take).unwrap_or_default(),
    ))
}

/// Calls procedure `P`, which must succeed, and decodes its output.
pub async fn call<P: Procedure>(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    input: &impl Serialize,
) -> Result<P::Output, String> {
    let path = P::PATH;
    let (status, body) = rpc_call(http, url, Some(token), path, input)
        .await
        .map_err(|error| format!("{path}: {error}"))?;
    if status != 200 {
        return Err(format!("{path} failed ({status}): {body}"));
    }
    serde_json::from_value(body).map_err(|error| format!("{path} output: {error}"))
}

/// The label that marks Docker objects of `prefix`, for tests that make objects themselves.
pub fn labels(prefix: &str) -> HashMap<String, String> {
    HashMap::from([(PREFIX_LABEL.to_owned(), prefix.to_owned())])
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
            let docker = Docker::new();
            let deadline = Instant::now() + CLEANUP_WAIT_FOR_DOCKER;
            loop {
                match docker.remove_all_of_prefix(&owned_prefix).await {
                    Ok(()) => return Ok(()),
                    Err(EngineError::Unavailable(_)) if Instant::now() < deadline => {
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
        "cleanup of {prefix}: {problem}; Docker objects labelled {PREFIX_LABEL}={prefix} may be left"
    );
}

/// Removes every Docker object of `prefix` when dropped, for tests that make Docker objects
/// without an agent.
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
        remove_docker_objects(&self.prefix);
    }
}

/// What a kubectl run printed, and whether it succeeded.
#[derive(Debug)]
pub struct KubectlOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// The test cluster's kubectl: the one `scripts/kubernetes/ensure-kubernetes.sh` builds and
/// caches.
pub fn kubectl_binary() -> std::io::Result<PathBuf> {
    let script = repo_root().join("scripts/kubernetes/ensure-kubernetes.sh");
    let bin = Command::new(script)
        .stderr(std::process::Stdio::inherit())
        .output()?;
    Ok(Path::new(String::from_utf8_lossy(&bin.stdout).trim()).join("kubectl"))
}

/// Runs [`kubectl_binary`] with `args` against `kubeconfig`, `input` on its stdin.
pub fn kubectl(
    kubeconfig: &str,
    args: &[&str],
    input: Option<&str>,
) -> std::io::Result<KubectlOutput> {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = Command::new(kubectl_binary()?)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take();
    if let (Some(mut stdin), Some(input)) = (stdin, input) {
        stdin.write_all(input.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    Ok(KubectlOutput {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}
