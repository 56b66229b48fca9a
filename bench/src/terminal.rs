//! Terminal figures, all on one workspace in one run, interleaved:
//! - as a person types: `perry shell` next to `docker exec -it`, each CLI in a pseudo-terminal of
//!   its own (keystroke echo round trip and bulk output throughput);
//! - the wire alone: the `/terminal` WebSocket next to the Engine API's exec TTY, which
//!   `docker exec -it` itself uses (the floor);
//! - the agent's memory with 20 open terminals.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{Docker, TtyExec};
use perry_api::procedures::{
    TerminalsList, Void, WorkspacesCreate, WorkspacesDelete, WorkspacesList, WorkspacesSync,
};
use perry_api::{
    CreateWorkspaceInput, TerminalsListInput, Workspace, WorkspaceNameInput, WorkspaceStatus,
};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::{Agent, percentile, rpc_request};
use perry_test_support::remove_docker_objects;

/// Bytes of base64 the throughput run prints.
const FLOOD_BYTES: u64 = 50_000_000;
const KEYSTROKES: usize = 300;

/// One side of the comparison: send bytes, receive bytes.
#[allow(async_fn_in_trait)]
pub(crate) trait Pipe {
    async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()>;
    async fn receive(&mut self) -> anyhow::Result<Vec<u8>>;

    /// Reads until `needle` has arrived; returns how many bytes came.
    async fn receive_until(&mut self, needle: &[u8]) -> anyhow::Result<u64> {
        let mut window: Vec<u8> = Vec::new();
        let mut total = 0u64;
        loop {
            let bytes = match tokio::time::timeout(Duration::from_secs(60), self.receive()).await {
                Ok(bytes) => bytes?,
                Err(_) => bail!(
                    "no output for 60 s after {total} bytes; the last ones: {:?}",
                    String::from_utf8_lossy(&window[window.len().saturating_sub(200)..])
                ),
            };
            total += bytes.len() as u64;
            window.extend_from_slice(&bytes);
            if window
                .windows(needle.len())
                .any(|candidate| candidate == needle)
            {
                return Ok(total);
            }
            let keep = window.len().saturating_sub(needle.len() + 256);
            window.drain(..keep);
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) struct PerryTerminal {
    socket: Socket,
}

impl Pipe for PerryTerminal {
    async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.socket
            .send(Message::Binary(bytes.to_vec().into()))
            .await?;
        Ok(())
    }

    async fn receive(&mut self) -> anyhow::Result<Vec<u8>> {
        loop {
            match self.socket.next().await.context("socket closed")?? {
                Message::Binary(bytes) => return Ok(bytes.to_vec()),
                Message::Close(frame) => bail!("terminal closed: {frame:?}"),
                _ => {}
            }
        }
    }
}

/// A command in a pseudo-terminal of its own, read on a thread (the master blocks).
pub(crate) struct PtyProcess {
    child: std::process::Child,
    writer: std::fs::File,
    output: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
}

impl PtyProcess {
    pub(crate) fn spawn(
        program: &std::path::Path,
        args: &[&str],
        envs: &[(&str, String)],
    ) -> anyhow::Result<PtyProcess> {
        let pty = nix::pty::openpty(
            Some(&nix::pty::Winsize {
                ws_row: 50,
                ws_col: 200,
                ws_xpixel: 0,
                ws_ypixel: 0,
            }),
            None,
        )?;
        let slave = std::fs::File::from(pty.slave);
        let mut command = std::process::Command::new(program);
        command
            .args(args)
            .stdin(slave.try_clone()?)
            .stdout(slave.try_clone()?)
            .stderr(slave);
        for (key, value) in envs {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot run {}", program.display()))?;
        let master = std::fs::File::from(pty.master);
        let writer = master.try_clone()?;
        let (sender, output) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let mut master = master;
            let mut buffer = vec![0u8; 64 * 1024];
            while let Ok(read) = std::io::Read::read(&mut master, &mut buffer) {
                if read == 0 || sender.send(buffer[..read].to_vec()).is_err() {
                    return;
                }
            }
        });
        Ok(PtyProcess {
            child,
            writer,
            output,
        })
    }
}

impl Drop for PtyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pipe for PtyProcess {
    async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        std::io::Write::write_all(&mut self.writer, bytes)?;
        Ok(())
    }

    async fn receive(&mut self) -> anyhow::Result<Vec<u8>> {
        self.output
            .recv()
            .await
            .context("the program's terminal closed")
    }
}

struct RawExec {
    output: std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>,
    input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
}

impl Pipe for RawExec {
    async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.input.write_all(bytes).await?;
        self.input.flush().await?;
        Ok(())
    }

    async fn receive(&mut self) -> anyhow::Result<Vec<u8>> {
        let mut buffer = vec![0u8; 64 * 1024];
        let read = tokio::io::AsyncReadExt::read(&mut self.output, &mut buffer).await?;
        if read == 0 {
            bail!("exec ended");
        }
        buffer.truncate(read);
        Ok(buffer)
    }
}

pub(crate) async fn open_perry(agent: &Agent, workspace: &str) -> anyhow::Result<PerryTerminal> {
    let url = format!(
        "{}/terminal/{workspace}?cols=200&rows=50",
        agent.url.replace("http://", "ws://")
    );
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {}", agent.token).parse()?);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true).await?;
    let mut terminal = PerryTerminal { socket };
    // Skip the first control message.
    while !matches!(
        terminal.socket.next().await.context("closed")??,
        Message::Text(_)
    ) {}
    Ok(terminal)
}

async fn open_raw(docker: &Docker, container: &str) -> anyhow::Result<RawExec> {
    let cmd = ["/bin/bash".to_owned(), "-l".to_owned()];
    let env = ["TERM=xterm-256color".to_owned()];
    let streams = docker
        .start_tty_exec(TtyExec {
            container,
            user: "workspace",
            working_dir: "/home/workspace",
            cmd: &cmd,
            env: &env,
        })
        .await?;
    docker.resize_exec(&streams.exec_id, 200, 50).await?;
    Ok(RawExec {
        output: streams.output,
        input: streams.input,
    })
}

/// Prepares a shell for measuring: `cat` echoing keystrokes through the TTY's line discipline.
pub(crate) async fn settle(pipe: &mut impl Pipe) -> anyhow::Result<()> {
    pipe.send(b"export PS1='$ '; echo settled-$((1+1))\n")
        .await?;
    pipe.receive_until(b"settled-2").await?;
    Ok(())
}

pub(crate) async fn echo_round_trips(pipe: &mut impl Pipe) -> anyhow::Result<Vec<f64>> {
    pipe.send(b"cat\n").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut millis = Vec::with_capacity(KEYSTROKES);
    for index in 0..KEYSTROKES {
        let key = [b'a' + (index % 26) as u8];
        let started = Instant::now();
        pipe.send(&key).await?;
        pipe.receive_until(&key).await?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    // End cat with EOF (Ctrl-D on an empty line); Ctrl-C would also flush what is typed next.
    pipe.send(b"\n\x04").await?;
    pipe.send(b"echo cat-done-$((3+4))\n").await?;
    pipe.receive_until(b"cat-done-7").await?;
    millis.sort_by(f64::total_cmp);
    Ok(millis)
}

async fn flood_seconds(pipe: &mut impl Pipe) -> anyhow::Result<f64> {
    let raw_bytes = FLOOD_BYTES / 4 * 3;
    let command =
        format!("head -c {raw_bytes} /dev/zero | base64 -w 0; echo; echo flood-end-$((5+6))\n");
    let started = Instant::now();
    pipe.send(command.as_bytes()).await?;
    let received = pipe.receive_until(b"flood-end-11").await?;
    if received < FLOOD_BYTES {
        bail!("only {received} bytes arrived");
    }
    Ok(started.elapsed().as_secs_f64())
}

/// How much of the terminal benchmark to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Echo, throughput and memory.
    Full,
    /// Echo alone: seconds instead of minutes, for tuning.
    EchoOnly,
    /// Throughput alone, for tuning.
    FloodOnly,
}

/// Echo times (ms, sorted) and flood times (s) of one way into the workspace.
#[derive(Default)]
struct Figures {
    echo: Vec<f64>,
    flood: Vec<f64>,
}

impl Figures {
    async fn measure(&mut self, pipe: &mut impl Pipe, scope: Scope) -> anyhow::Result<()> {
        if scope != Scope::FloodOnly {
            self.echo.extend(echo_round_trips(pipe).await?);
            self.echo.sort_by(f64::total_cmp);
        }
        if scope != Scope::EchoOnly {
            self.flood.push(flood_seconds(pipe).await?);
        }
        Ok(())
    }

    fn echo_p50(&self) -> f64 {
        percentile(&self.echo, 0.5)
    }

    fn mbps(&self) -> f64 {
        FLOOD_BYTES as f64 / 1e6 / self.flood.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// "echo p50 A×, throughput B×" of this path over `other`, each with its goal.
    fn ratio_to(&self, other: &Figures, echo_goal: &str, throughput_goal: &str) -> String {
        let mut parts = Vec::new();
        if !self.echo.is_empty() {
            parts.push(format!(
                "echo p50 {:.2}×{echo_goal}",
                self.echo_p50() / other.echo_p50()
            ));
        }
        if !self.flood.is_empty() {
            parts.push(format!(
                "throughput {:.2}×{throughput_goal}",
                self.mbps() / other.mbps()
            ));
        }
        parts.join(", ")
    }

    fn print(&self, name: &str) {
        let mut parts = Vec::new();
        if !self.echo.is_empty() {
            parts.push(format!(
                "echo p50 {:.3} ms  p95 {:.3} ms",
                self.echo_p50(),
                percentile(&self.echo, 0.95)
            ));
        }
        if !self.flood.is_empty() {
            parts.push(format!("throughput {:.0} MB/s", self.mbps()));
        }
        println!("  {name:<28} {}", parts.join("   "));
    }
}

pub async fn bench_terminal(scope: Scope) -> anyhow::Result<()> {
    let agent = Agent::start("term", None)?;
    let http = reqwest::Client::new();
    let result = async {
        agent
            .create_workspace(&http, "bench".to_owned())
            .await?;
        let container = format!("{}bench", agent.prefix);
        let docker = Docker::new();
        let mut perry = open_perry(&agent, "bench").await?;
        let mut raw = open_raw(&docker, &container).await?;
        settle(&mut perry).await?;
        settle(&mut raw).await?;

        let root = crate::repo_root();
        let mut perry_cli = PtyProcess::spawn(
            &root.join("target/release/perry"),
            &["shell", "bench"],
            // As a person on the agent's machine runs it: the CLI finds its agent (and its
            // local socket) through the config dir, as `docker` finds dockerd's socket.
            &[("PERRY_CONFIG_DIR", agent.config_dir().display().to_string())],
        )?;
        let mut docker_cli = PtyProcess::spawn(
            std::path::Path::new("docker"),
            &["exec", "-it", "-u", "workspace", "-w", "/home/workspace", "-e", "TERM=xterm-256color", &container, "bash", "-l"],
            &[],
        )?;
        settle(&mut perry_cli).await?;
        settle(&mut docker_cli).await?;

        // Interleaved, three times, so drift in the machine's load hits all alike.
        let mut figures = [Figures::default(), Figures::default(), Figures::default(), Figures::default()];
        for _ in 0..3 {
            figures[0].measure(&mut perry_cli, scope).await?;
            figures[1].measure(&mut docker_cli, scope).await?;
            figures[2].measure(&mut perry, scope).await?;
            figures[3].measure(&mut raw, scope).await?;
        }
        let [perry_cli, docker_cli, perry_ws, raw_exec] = &mut figures;
        println!("terminal: {} keystrokes' echo round trip and the best of {} runs of {} MB of base64 output, per path:",
            perry_cli.echo.len(), perry_cli.flood.len(), FLOOD_BYTES / 1_000_000);
        perry_cli.print("perry shell (in a pty)");
        docker_cli.print("docker exec -it (in a pty)");
        println!("  ratio perry shell / docker exec -it: {}", perry_cli.ratio_to(docker_cli, " (goal ≤ 1.2×)", " (goal ≥ 0.9×)"));
        perry_ws.print("/terminal WebSocket");
        raw_exec.print("Engine API exec TTY (floor)");
        println!("  ratio /terminal / Engine API exec: {}", perry_ws.ratio_to(raw_exec, "", ""));

        if scope != Scope::Full {
            return Ok(());
        }
        let rss_before = agent.rss_kib()?;
        let mut terminals = Vec::new();
        for _ in 0..20 {
            let mut terminal = open_perry(&agent, "bench").await?;
            settle(&mut terminal).await?;
            terminals.push(terminal);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_after = agent.rss_kib()?;
        let listed = agent
            .call::<TerminalsList>(
                &http,
                &TerminalsListInput {
                    workspace_name: "bench".to_owned(),
                },
            )
            .await?;
        println!(
            "agent RSS with {} open terminals: {:.1} MB ({:.1} MB before opening 20)",
            listed.len(),
            rss_after as f64 / 1024.0,
            rss_before as f64 / 1024.0
        );
        Ok::<_, anyhow::Error>(())
    }
    .await;
    remove_docker_objects(&agent.prefix);
    result
}

/// Keystroke echo through `/terminal` while the agent is busy: `load` workspaces created and
/// deleted at once, and `workspaces.sync` of every workspace over and over (what `perry sync
/// --all` does), next to the same echo idle. State writes (flock + fsync), credential reads and
/// Docker calls must not hold up a keystroke (goal: p99 under load within 2× of idle).
pub async fn bench_echo_under_load(load: usize) -> anyhow::Result<()> {
    let agent = Agent::start("echoload", None)?;
    let http = reqwest::Client::new();
    let result = async {
        agent
            .create_workspace(&http, "echo".to_owned())
            .await?;
        let docker = Docker::new();
        let mut perry = open_perry(&agent, "echo").await?;
        let mut raw = open_raw(&docker, &format!("{}echo", agent.prefix)).await?;
        settle(&mut perry).await?;
        settle(&mut raw).await?;
        let idle = [
            echo_round_trips(&mut perry).await?,
            echo_round_trips(&mut raw).await?,
        ];

        let (url, token) = (agent.url.clone(), agent.token.clone());
        let load_task = tokio::spawn(async move { run_load(&url, &token, load).await });
        // Interleaved with the Engine API's own exec, the floor: what the machine's load alone
        // does to an echo (2 cores also run dockerd and every booting workspace).
        let mut busy = [Vec::new(), Vec::new()];
        let mut rounds = 0;
        let started = std::time::Instant::now();
        let cpu_before = agent.cpu_seconds()?;
        // At least one round, so a load that ends at once still leaves samples to rank.
        loop {
            busy[0].extend(echo_round_trips(&mut perry).await?);
            busy[1].extend(echo_round_trips(&mut raw).await?);
            rounds += 1;
            if load_task.is_finished() {
                break;
            }
        }
        let agent_cpu = agent.cpu_seconds()? - cpu_before;
        let wall = started.elapsed().as_secs_f64();
        let (made, failed, syncs) = load_task.await??;
        for samples in &mut busy {
            samples.sort_by(f64::total_cmp);
        }
        println!(
            "terminal echo under load: {load} concurrent create→delete ({made} made, {failed} failed) and {syncs} workspaces.sync calls; {rounds} rounds of {KEYSTROKES} keystrokes per path"
        );
        let line = |name: &str, samples: &[f64]| {
            println!(
                "  {name:<34} p50 {:.2} ms   p99 {:.2} ms",
                percentile(samples, 0.5),
                percentile(samples, 0.99)
            );
        };
        println!(
            "  the agent used {agent_cpu:.1} s of CPU in {wall:.1} s ({:.0}% of one core)",
            agent_cpu / wall * 100.0
        );
        line("/terminal idle", &idle[0]);
        line("/terminal under load", &busy[0]);
        line("Engine API exec idle (floor)", &idle[1]);
        line("Engine API exec under load (floor)", &busy[1]);
        let p99 = |samples: &[f64]| percentile(samples, 0.99);
        println!(
            "  /terminal p99 under load / idle: {:.2}× (goal ≤ 2×); the floor's: {:.2}×; /terminal / floor under load: {:.2}×",
            p99(&busy[0]) / p99(&idle[0]),
            p99(&busy[1]) / p99(&idle[1]),
            p99(&busy[0]) / p99(&busy[1])
        );
        Ok::<_, anyhow::Error>(())
    }
    .await;
    remove_docker_objects(&agent.prefix);
    result
}

/// `load` workspaces created and deleted concurrently, with `workspaces.sync` of every listed
/// workspace looping until they are done. Returns (created, failed, sync calls).
async fn run_load(url: &str, token: &str, load: usize) -> anyhow::Result<(usize, usize, usize)> {
    let http = reqwest::Client::new();
    let churn = futures_util::future::join_all((0..load).map(|index| {
        let name = format!("load{index}");
        let http = &http;
        async move {
            let create = CreateWorkspaceInput {
                name: name.clone(),
                ..Default::default()
            };
            let created = rpc_request::<WorkspacesCreate>(http, url, token, &create)
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            let delete = WorkspaceNameInput { name };
            let _ = rpc_request::<WorkspacesDelete>(http, url, token, &delete)
                .send()
                .await;
            created
        }
    }));
    let syncs = std::sync::atomic::AtomicUsize::new(0);
    let sync_all = async {
        loop {
            // A failed or odd reply lists nothing: the load goes on.
            let listed: Vec<Workspace> =
                match rpc_request::<WorkspacesList>(&http, url, token, &Void)
                    .send()
                    .await
                {
                    Ok(response) => response
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|mut body| serde_json::from_value(body["json"].take()).ok())
                        .unwrap_or_default(),
                    Err(_) => Vec::new(),
                };
            for workspace in listed {
                if workspace.status == WorkspaceStatus::Running {
                    let sync = WorkspaceNameInput {
                        name: workspace.name,
                    };
                    let _ = rpc_request::<WorkspacesSync>(&http, url, token, &sync)
                        .send()
                        .await;
                    syncs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        outcomes = churn => {
            let made = outcomes.iter().filter(|made| **made).count();
            let syncs = syncs.load(std::sync::atomic::Ordering::Relaxed);
            Ok((made, outcomes.len() - made, syncs))
        }
        () = sync_all => unreachable!("the sync loop never ends"),
    }
}
