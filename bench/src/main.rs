//! Perry's figures, measured against the real Docker Engine and the release `perry` binary.
//!
//! `perry-bench create` — create → ready through the agent, next to the raw Docker floor
//!   (create + start of the same image with the same volumes and flags, until the inner dockerd
//!   answers), interleaved in one run; prints medians and their ratio.
//! `perry-bench idle` — the agent's resident memory when idle.
//! `perry-bench list` — workspaces.list latency with 100 workspaces in state.json.
//! `perry-bench terminal` — keystroke echo and throughput through /terminal next to a raw exec,
//!   and the agent's memory with 20 open terminals (see terminal.rs).
//! `perry-bench terminal-echo`, `terminal-flood` — the echo or throughput figures alone, quick
//!   to repeat while tuning.
//! `perry-bench terminal-load` — keystroke echo p99 while 50 workspaces (PERRY_BENCH_LOAD) are
//!   created and deleted at once and every workspace is synced in a loop, next to idle.
//! `perry-bench kubernetes` — on the test cluster (`KUBECONFIG`): create → ready next to
//!   `kubectl apply` of the same objects, list with 100 workspaces, keystroke echo through the
//!   exec API next to `kubectl exec -it` (see kubernetes.rs).
//! `perry-bench fleet` — `perry list` across 3 agents × 100 workspaces next to one agent's,
//!   through the CLI, and with a fourth agent that never answers (see fleet.rs).
//! `perry-bench sessions` — a transcript append inside a workspace → its /sessions event, the
//!   perry-worker's idle memory and CPU, and sessions.list / messages / search with 1,000
//!   sessions (see sessions.rs).
//! `perry-bench settings` — a setting saved → applied in 10 running workspaces (see settings.rs).
//! `perry-bench devcontainer` — a workspace from a devcontainer.json whose image is built (cache
//!   hit) next to one from the agent's image, and the size Perry's layer adds (devcontainer.rs).

mod clone;
mod devcontainer;
mod fleet;
mod kubernetes;
mod sessions;
mod settings;
mod terminal;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{ContainerSpec, Docker};
use perry_api::procedures::{AgentInfoCall, Procedure, Void, WorkspacesCreate, WorkspacesList};
use perry_api::{CreateWorkspaceInput, DindMode, Workspace, WorkspacePorts, WorkspaceStatus};
use perry_test_support::{
    agent_run_command, free_port, labels, remove_docker_objects, ssh_port_range_start,
};
use serde_json::{Value, json};

pub use perry_test_support::repo_root;

fn image() -> String {
    std::env::var("PERRY_BENCH_IMAGE").unwrap_or_else(|_| "workspace-base".to_owned())
}

/// The request for procedure `P` with `input` on the agent at `url`, as oRPC's RPCLink sends it.
fn rpc_request<P: Procedure>(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    input: &P::Input,
) -> reqwest::RequestBuilder {
    perry_test_support::rpc_request(http, url, Some(token), P::PATH, input)
}

/// The release agent as a child process on a temp config dir.
struct Agent {
    child: Child,
    url: String,
    token: String,
    prefix: String,
    /// The first of the agent's 100 SSH ports.
    ssh_ports: u16,
    _dir: tempfile::TempDir,
}

impl Agent {
    fn start(tag: &str, state: Option<Value>) -> anyhow::Result<Agent> {
        Self::start_with(tag, state, json!({}))
    }

    /// An agent with `extra` keys in its config.json (e.g. another engine).
    fn start_with(tag: &str, state: Option<Value>, extra: Value) -> anyhow::Result<Agent> {
        let dir = tempfile::tempdir()?;
        let prefix = format!("bench-{tag}-{}-", std::process::id());
        let token = "bench-token-0123456789abcdef0123456789abcdef".to_owned();
        let ssh_ports = ssh_port_range_start();
        let mut extra = extra.as_object().cloned().unwrap_or_default();
        extra.insert("auth".to_owned(), json!({"token": token}));
        perry_test_support::write_config(dir.path(), &prefix, &image(), ssh_ports, extra);
        if let Some(state) = state {
            std::fs::write(dir.path().join("state.json"), state.to_string())?;
        }
        let port = free_port();
        let root = repo_root();
        // PERRY_BENCH_AGENT_LOG=<file>: the agent's debug log there, to see where time goes.
        let (level, log) = match std::env::var_os("PERRY_BENCH_AGENT_LOG") {
            Some(path) => (
                "perry_agent=debug,warn",
                Stdio::from(std::fs::File::create(path)?),
            ),
            None => ("warn", Stdio::null()),
        };
        let child = agent_run_command(&root.join("target/release/perry"), dir.path(), port)
            .env("PERRY_LOG", level)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("run `make build` first: target/release/perry is missing")?;
        let url = format!("http://127.0.0.1:{port}");
        if !perry_test_support::wait_for_port(port, Duration::from_secs(20)) {
            bail!("the agent did not start listening");
        }
        Ok(Agent {
            child,
            url,
            token,
            prefix,
            ssh_ports,
            _dir: dir,
        })
    }

    /// Calls procedure `P` and decodes its output.
    async fn call<P: Procedure>(
        &self,
        http: &reqwest::Client,
        input: &P::Input,
    ) -> anyhow::Result<P::Output> {
        perry_test_support::call::<P>(http, &self.url, &self.token, input)
            .await
            .map_err(anyhow::Error::msg)
    }

    /// Creates workspace `name` with the agent's defaults and waits for its answer.
    async fn create_workspace(
        &self,
        http: &reqwest::Client,
        name: String,
    ) -> anyhow::Result<perry_api::Workspace> {
        self.call::<WorkspacesCreate>(
            http,
            &CreateWorkspaceInput {
                name,
                ..Default::default()
            },
        )
        .await
    }

    fn config_dir(&self) -> &Path {
        self._dir.path()
    }

    /// CPU time (user + system) the agent process has used so far.
    fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Fields after the command name, which sits in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .context("bad /proc stat")?
            .1
            .split_whitespace()
            .collect();
        let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
        let per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)?
            .context("no clock tick rate")? as f64;
        Ok(ticks / per_second)
    }

    /// CPU clock ticks the agent process has used so far (user + system).
    fn cpu_ticks(&self) -> anyhow::Result<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // After the command name in parentheses: state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .context("no command in stat")?
            .1
            .split_whitespace()
            .collect();
        Ok(fields[11].parse::<u64>()? + fields[12].parse::<u64>()?)
    }

    fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))
            .context("no VmRSS")?;
        Ok(line
            .split_whitespace()
            .nth(1)
            .context("bad VmRSS")?
            .parse()?)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * fraction).round() as usize]
}

/// The raw floor: the same container straight through the Engine API, ready when dockerd answers.
async fn raw_floor_once(
    docker: &Docker,
    prefix: &str,
    ssh_host_port: u16,
    index: usize,
    mode: DindMode,
) -> anyhow::Result<f64> {
    let name = format!("{prefix}raw{index}");
    let labels = labels(prefix);
    let started = Instant::now();
    let volumes = vec![
        (format!("{name}-home"), "/home/workspace".to_owned()),
        (format!("{name}-docker"), "/var/lib/docker".to_owned()),
    ];
    for (volume, _) in &volumes {
        docker.create_volume(volume, labels.clone()).await?;
    }
    let spec = ContainerSpec {
        name: name.clone(),
        hostname: name.clone(),
        image: image(),
        labels,
        env: Vec::new(),
        network: "bridge".to_owned(),
        volumes,
        ssh_host_port,
        limits: Default::default(),
    };
    docker.create_container(&spec, mode).await?;
    docker.start_container(&name).await?;
    loop {
        let output = docker
            .exec(
                &name,
                "root",
                &["docker", "version", "--format", "{{.Server.Version}}"],
            )
            .await?;
        if output.exit_code == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn bench_create(runs: usize) -> anyhow::Result<()> {
    let agent = Agent::start("create", None)?;
    let http = reqwest::Client::new();
    let docker = Docker::new();
    // Let the agent detect the Docker-in-Docker mode first, as it does at startup.
    let mut mode = None;
    for _ in 0..200 {
        let info = agent.call::<AgentInfoCall>(&http, &Void).await?;
        if let Some(found) = info.dind_mode {
            mode = Some(found);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mode = mode.context("the agent never detected the DinD mode")?;
    let (mut perry, mut floor) = (Vec::new(), Vec::new());
    let result: anyhow::Result<()> = async {
        for index in 0..runs {
            let started = Instant::now();
            let workspace = agent.create_workspace(&http, format!("w{index}")).await?;
            perry.push(started.elapsed().as_secs_f64());
            if workspace.status != WorkspaceStatus::Running {
                bail!("workspace not ready: {workspace:?}");
            }
            // The ports after the agent's range: below the ephemeral ones, like the agent's.
            let port = agent.ssh_ports + 100 + index as u16;
            floor.push(raw_floor_once(&docker, &agent.prefix, port, index, mode).await?);
        }
        Ok(())
    }
    .await;
    remove_docker_objects(&agent.prefix);
    result?;
    let (perry_median, floor_median) = (median(&mut perry), median(&mut floor));
    println!(
        "create → ready, {runs} runs each, interleaved (image {}):",
        image()
    );
    println!(
        "  perry workspaces.create  median {:.2} s  (all: {})",
        perry_median,
        fmt_list(&perry)
    );
    println!(
        "  raw Docker floor         median {:.2} s  (all: {})",
        floor_median,
        fmt_list(&floor)
    );
    println!(
        "  ratio perry / floor      {:.2}×  (goal ≤ 1.30×)",
        perry_median / floor_median
    );
    Ok(())
}

fn fmt_list(values: &[f64]) -> String {
    values
        .iter()
        .map(|value| format!("{value:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn bench_idle() -> anyhow::Result<()> {
    let agent = Agent::start("idle", None)?;
    let http = reqwest::Client::new();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = agent.rss_kib()?;
    for _ in 0..200 {
        agent.call::<WorkspacesList>(&http, &Void).await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = agent.rss_kib()?;
    remove_docker_objects(&agent.prefix);
    println!(
        "agent RSS idle after start: {:.1} MB (goal ≤ 15 MB)",
        idle as f64 / 1024.0
    );
    println!(
        "agent RSS after 200 workspaces.list calls: {:.1} MB",
        after as f64 / 1024.0
    );
    Ok(())
}

fn state_with(count: usize) -> Value {
    let workspaces: BTreeMap<String, Workspace> = (0..count)
        .map(|index| {
            let name = format!("ws{index:03}");
            let workspace = Workspace {
                name: name.clone(),
                status: WorkspaceStatus::Running,
                container_id: None,
                created: "2026-01-01T00:00:00Z".to_owned(),
                image: image(),
                ports: WorkspacePorts {
                    ssh: 2200 + index as u16,
                    forwards: Vec::new(),
                    labels: Default::default(),
                },
                error: None,
                clone: None,
                limits: None,
                post_start: None,
                last_used: None,
                progress: None,
                devcontainer: None,
            };
            (name, workspace)
        })
        .collect();
    json!({ "workspaces": workspaces })
}

async fn bench_list(calls: usize) -> anyhow::Result<()> {
    let agent = Agent::start("list", Some(state_with(100)))?;
    let http = reqwest::Client::new();
    let listed = agent.call::<WorkspacesList>(&http, &Void).await?;
    if listed.len() != 100 {
        bail!("expected 100 workspaces, got {}", listed.len());
    }
    for _ in 0..50 {
        agent.call::<WorkspacesList>(&http, &Void).await?;
    }
    let mut millis = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        agent.call::<WorkspacesList>(&http, &Void).await?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    remove_docker_objects(&agent.prefix);
    println!(
        "workspaces.list with 100 workspaces in state, {calls} calls over HTTP keep-alive: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms (goal p50 ≤ 2 ms)",
        percentile(&millis, 0.5),
        percentile(&millis, 0.95),
        percentile(&millis, 0.99)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".to_owned());
    let runs: usize = std::env::var("PERRY_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(5);
    if !Path::new(&repo_root().join("target/release/perry")).exists() {
        bail!("run `make build` first");
    }
    match which.as_str() {
        "create" => bench_create(runs).await,
        "clone" => clone::bench_clone(runs.min(3)).await,
        "devcontainer" => devcontainer::bench_devcontainer(runs).await,
        "kubernetes" => kubernetes::bench_kubernetes(runs).await,
        "fleet" => fleet::bench_fleet(runs).await,
        "idle" => bench_idle().await,
        "list" => bench_list(1000).await,
        "terminal" => terminal::bench_terminal(terminal::Scope::Full).await,
        "terminal-echo" => terminal::bench_terminal(terminal::Scope::EchoOnly).await,
        "terminal-flood" => terminal::bench_terminal(terminal::Scope::FloodOnly).await,
        "terminal-load" => {
            let load = std::env::var("PERRY_BENCH_LOAD")
                .ok()
                .and_then(|load| load.parse().ok())
                .unwrap_or(50);
            terminal::bench_echo_under_load(load).await
        }
        "sessions" => sessions::bench_sessions().await,
        "settings" => settings::bench_settings().await,
        "all" => {
            bench_idle().await?;
            bench_list(1000).await?;
            terminal::bench_terminal(terminal::Scope::Full).await?;
            sessions::bench_sessions().await?;
            settings::bench_settings().await?;
            bench_create(runs).await
        }
        other => {
            bail!(
                "unknown benchmark {other:?}: create, clone, devcontainer, fleet, idle, kubernetes, list, terminal, terminal-echo, terminal-flood, terminal-load, sessions, settings or all"
            )
        }
    }
}
