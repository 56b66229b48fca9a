//! Terminal figures: keystroke echo round trip and bulk output throughput through
//! `/terminal/:workspace`, next to a raw Docker exec with a TTY on the same workspace (the Engine
//! API `docker exec -it` uses), measured in one run; and the agent's memory with 20 terminals.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use perry_agent::docker::{Docker, TtyExec};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::{Agent, percentile, remove_objects};

/// Bytes of base64 the throughput run prints.
const FLOOD_BYTES: u64 = 50_000_000;
const KEYSTROKES: usize = 300;

/// One side of the comparison: send bytes, receive bytes.
#[allow(async_fn_in_trait)]
trait Pipe {
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

struct PerryTerminal {
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

struct RawExec {
    output: std::pin::Pin<
        Box<
            dyn futures_util::Stream<
                    Item = Result<bollard::container::LogOutput, bollard::errors::Error>,
                > + Send,
        >,
    >,
    input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
}

impl Pipe for RawExec {
    async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.input.write_all(bytes).await?;
        self.input.flush().await?;
        Ok(())
    }

    async fn receive(&mut self) -> anyhow::Result<Vec<u8>> {
        Ok(self
            .output
            .next()
            .await
            .context("exec ended")??
            .into_bytes()
            .to_vec())
    }
}

async fn open_perry(agent: &Agent, workspace: &str) -> anyhow::Result<PerryTerminal> {
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
async fn settle(pipe: &mut impl Pipe) -> anyhow::Result<()> {
    pipe.send(b"export PS1='$ '; echo settled-$((1+1))\n")
        .await?;
    pipe.receive_until(b"settled-2").await?;
    Ok(())
}

async fn echo_round_trips(pipe: &mut impl Pipe) -> anyhow::Result<Vec<f64>> {
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

pub async fn bench_terminal() -> anyhow::Result<()> {
    let agent = Agent::start("term", None)?;
    let http = reqwest::Client::new();
    let result = async {
        agent
            .call(&http, "workspaces/create", json!({"name": "bench"}))
            .await?;
        let container = format!("{}bench", agent.prefix);
        let docker = Docker::new();
        let mut perry = open_perry(&agent, "bench").await?;
        let mut raw = open_raw(&docker, &container).await?;
        settle(&mut perry).await?;
        settle(&mut raw).await?;

        // Interleave the two, twice, so drift in the machine's load hits both alike.
        let (mut perry_echo, mut raw_echo) = (Vec::new(), Vec::new());
        let (mut perry_flood, mut raw_flood) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            perry_echo.extend(echo_round_trips(&mut perry).await?);
            raw_echo.extend(echo_round_trips(&mut raw).await?);
            perry_flood.push(flood_seconds(&mut perry).await?);
            raw_flood.push(flood_seconds(&mut raw).await?);
        }
        perry_echo.sort_by(f64::total_cmp);
        raw_echo.sort_by(f64::total_cmp);
        let best = |runs: &[f64]| runs.iter().copied().fold(f64::INFINITY, f64::min);
        let (perry_mbps, raw_mbps) = (
            FLOOD_BYTES as f64 / 1e6 / best(&perry_flood),
            FLOOD_BYTES as f64 / 1e6 / best(&raw_flood),
        );
        let (perry_p50, raw_p50) = (percentile(&perry_echo, 0.5), percentile(&raw_echo, 0.5));
        println!(
            "terminal keystroke echo, {} keystrokes each, interleaved:",
            perry_echo.len()
        );
        println!(
            "  /terminal WebSocket  p50 {perry_p50:.3} ms  p95 {:.3} ms",
            percentile(&perry_echo, 0.95)
        );
        println!(
            "  raw Docker exec TTY  p50 {raw_p50:.3} ms  p95 {:.3} ms",
            percentile(&raw_echo, 0.95)
        );
        println!("  ratio p50 {:.2}×  (goal ≤ 1.2×)", perry_p50 / raw_p50);
        println!(
            "terminal throughput, {} MB of base64 (best of 2):",
            FLOOD_BYTES / 1_000_000
        );
        println!("  /terminal WebSocket  {perry_mbps:.0} MB/s");
        println!("  raw Docker exec TTY  {raw_mbps:.0} MB/s");
        println!("  ratio {:.2}×  (goal ≥ 0.9×)", perry_mbps / raw_mbps);

        let rss_before = agent.rss_kib()?;
        let mut terminals = Vec::new();
        for _ in 0..20 {
            let mut terminal = open_perry(&agent, "bench").await?;
            settle(&mut terminal).await?;
            terminals.push(terminal);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_after = agent.rss_kib()?;
        let listed: Value = agent
            .call(&http, "terminals/list", json!({"workspaceName": "bench"}))
            .await?;
        println!(
            "agent RSS with {} open terminals: {:.1} MB ({:.1} MB before opening 20)",
            listed.as_array().map_or(0, Vec::len),
            rss_after as f64 / 1024.0,
            rss_before as f64 / 1024.0
        );
        Ok::<_, anyhow::Error>(())
    }
    .await;
    remove_objects(&agent.prefix).await;
    result
}
