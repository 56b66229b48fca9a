//! Session figures, all on one workspace in one run:
//! - a line appended to a Claude Code transcript inside the workspace → its `updated` event on
//!   `/sessions/:workspace` at the client (the appends go through one long-lived exec whose shell
//!   appends each line it reads from stdin, so a sample costs one pipe write, not an exec start);
//! - a coding agent's hook run in the workspace (`perry-worker event claude`, as Claude Code
//!   runs it, through one long-lived shell that pipes each payload it reads into it) → the
//!   status change on `/events` at the client, and how long the hook holds the coding agent;
//! - the perry-worker's resident memory and CPU while idle, read from /proc in the workspace;
//! - 1,000 transcripts written at once: how long until `sessions.list` counts them all, then
//!   `sessions.list` latency over HTTP keep-alive, and one `sessions.messages` and one
//!   `sessions.search` across them.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{Docker, StdioExec};
use perry_api::procedures::{Procedure, SessionsList, SessionsMessages, SessionsSearch};
use perry_api::sessions::{
    SessionEvent, SessionMessagesInput, SessionState, SessionsListInput, SessionsSearchInput,
    StatusEvent,
};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::{Agent, percentile};
use perry_test_support::remove_docker_objects;

const WORKSPACE: &str = "bench";
/// The transcript the latency samples append to.
const SESSION_ID: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const PROJECT_DIR: &str = "/home/workspace/.claude/projects/-home-workspace-app";
/// Appends not counted: the first creates the file (an `added` event).
const WARMUP_APPENDS: usize = 3;
const APPENDS: usize = 40;
/// Start to start, above the worker's debounce ceiling (250 ms) so no two appends share a batch.
const APPEND_SPACING: Duration = Duration::from_millis(450);
const IDLE_WINDOW: Duration = Duration::from_secs(10);
const SESSIONS: usize = 1000;
const LIST_CALLS: usize = 500;
const QUERY_REPEATS: usize = 10;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn bench_sessions() -> anyhow::Result<()> {
    let agent = Agent::start("sess", None)?;
    let result = run(&agent).await;
    remove_docker_objects(&agent.prefix);
    result
}

async fn run(agent: &Agent) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let docker = Docker::new();
    agent.create_workspace(&http, WORKSPACE.to_owned()).await?;
    let container = format!("{}{WORKSPACE}", agent.prefix);
    wait_for_total(agent, &http, 0, Duration::from_secs(60))
        .await
        .context("the session index never answered")?;

    // 1. Append → event.
    let mut socket = open_sessions(agent).await?;
    let (latencies, acks) = append_latencies(&docker, &container, &mut socket).await?;
    println!(
        "sessions: file append → /sessions event: p50 {:.0} ms, p95 {:.0} ms over {APPENDS} appends (goal p50 ≤ 300 ms)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
    );
    println!(
        "  of which the append itself (exec stdin → the shell's echo after appending): p50 {:.1} ms; the worker debounces 50 ms of quiet (250 ms at most)",
        percentile(&acks, 0.5),
    );
    drop(socket);

    // 1b. Hook → /events.
    let mut events = open_events(agent).await?;
    let (latencies, held) = hook_latencies(&docker, &container, &mut events).await?;
    println!(
        "attention: coding agent's hook → status change on /events: p50 {:.0} ms, p95 {:.0} ms over {HOOKS} hooks (goal p50 ≤ 100 ms)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
    );
    println!(
        "  the hook holds the coding agent (payload written → perry-worker event exited): p50 {:.1} ms, p95 {:.1} ms",
        percentile(&held, 0.5),
        percentile(&held, 0.95),
    );
    drop(events);

    // 1c. Hook → the agent's notification channels: a webhook and a Web Push subscription, on a
    // loopback receiver that plays the endpoint and the push service.
    let (webhook, push) = channel_latencies(agent, &http, &docker, &container).await?;
    println!(
        "attention: hook → webhook POST arriving: p50 {:.0} ms, p95 {:.0} ms; → Web Push request arriving at the push service: p50 {:.0} ms, p95 {:.0} ms, over {CHANNEL_HOOKS} hooks (goals ≤ 200 ms)",
        percentile(&webhook, 0.5),
        percentile(&webhook, 0.95),
        percentile(&push, 0.5),
        percentile(&push, 0.95),
    );

    // 1d. The agent at rest with a workspace running, its worker attached and /events open.
    let _events = open_events(agent).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = agent.cpu_ticks()?;
    let started = Instant::now();
    tokio::time::sleep(IDLE_WINDOW).await;
    let ticks = agent.cpu_ticks()? - before;
    println!(
        "attention: perry agent idle (1 workspace, its worker attached, /events open, 2 channels): CPU {:.2} % of one core over {:.0} s ({ticks} clock ticks)",
        ticks as f64 / 100.0 / started.elapsed().as_secs_f64() * 100.0,
        started.elapsed().as_secs_f64(),
    );

    // 2. The worker at rest.
    let pid = worker_pid(&docker, &container).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = worker_stat(&docker, &container, &pid).await?;
    let started = Instant::now();
    tokio::time::sleep(IDLE_WINDOW).await;
    let after = worker_stat(&docker, &container, &pid).await?;
    let seconds = started.elapsed().as_secs_f64();
    let ticks = (after.cpu_ticks - before.cpu_ticks) as f64;
    println!(
        "sessions: perry-worker idle (1 session indexed, agent attached): RSS {:.1} MB, CPU {:.2} % of one core over {seconds:.0} s ({} clock ticks at {} Hz)",
        after.rss_kib as f64 / 1024.0,
        ticks / before.clock_hz as f64 / seconds * 100.0,
        after.cpu_ticks - before.cpu_ticks,
        before.clock_hz,
    );

    // 3. 1,000 sessions.
    exec_ok(
        &docker,
        &container,
        "workspace",
        &["rm", "-f", &format!("{PROJECT_DIR}/{SESSION_ID}.jsonl")],
    )
    .await?;
    wait_for_total(agent, &http, 0, Duration::from_secs(10)).await?;
    let started = Instant::now();
    exec_ok(
        &docker,
        &container,
        "workspace",
        &["sh", "-c", GENERATE, "sh", &SESSIONS.to_string()],
    )
    .await?;
    let written = started.elapsed().as_secs_f64();
    wait_for_total(agent, &http, SESSIONS, Duration::from_secs(120)).await?;
    let indexed = started.elapsed().as_secs_f64();
    let usage = worker_stat(&docker, &container, &pid).await?;
    println!(
        "sessions: {SESSIONS} transcripts written by one shell loop in the workspace in {written:.2} s; sessions.list counted all {indexed:.2} s after the first write; perry-worker RSS then {:.1} MB",
        usage.rss_kib as f64 / 1024.0
    );

    let list_input = SessionsListInput {
        workspace_name: WORKSPACE.to_owned(),
        limit: Some(100),
        ..Default::default()
    };
    timed_calls::<SessionsList>(agent, &http, &list_input, 50).await?;
    let mut list = timed_calls::<SessionsList>(agent, &http, &list_input, LIST_CALLS).await?;
    list.sort_by(f64::total_cmp);
    println!(
        "sessions: sessions.list (limit 100) with {SESSIONS} sessions, {LIST_CALLS} calls over HTTP keep-alive: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        percentile(&list, 0.5),
        percentile(&list, 0.95),
        percentile(&list, 0.99),
    );
    let messages = timed_calls::<SessionsMessages>(
        agent,
        &http,
        &SessionMessagesInput {
            workspace_name: WORKSPACE.to_owned(),
            session_id: generated_id(SESSIONS / 2),
            limit: None,
            offset: None,
        },
        QUERY_REPEATS,
    )
    .await?;
    let search_input = SessionsSearchInput {
        workspace_name: WORKSPACE.to_owned(),
        query: "needle-1777".to_owned(),
    };
    let search = timed_calls::<SessionsSearch>(agent, &http, &search_input, QUERY_REPEATS).await?;
    println!(
        "sessions: sessions.messages (one session, 50 messages max): first {:.2} ms, median of {QUERY_REPEATS} {:.2} ms; sessions.search over {SESSIONS} sessions: first {:.1} ms, median of {QUERY_REPEATS} {:.1} ms",
        messages[0],
        median_of(&messages),
        search[0],
        median_of(&search),
    );
    let found = agent.call::<SessionsSearch>(&http, &search_input).await?;
    if found.len() != 1 {
        bail!(
            "the search should find one session, found {}: {found:?}",
            found.len()
        );
    }
    Ok(())
}

fn median_of(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 0.5)
}

/// Polls `sessions.list` until it counts `total` sessions; the index may not be up at first.
async fn wait_for_total(
    agent: &Agent,
    http: &reqwest::Client,
    total: usize,
    patience: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + patience;
    loop {
        let input = SessionsListInput {
            workspace_name: WORKSPACE.to_owned(),
            limit: Some(1),
            ..Default::default()
        };
        let last = match agent.call::<SessionsList>(http, &input).await {
            Ok(page) if page.total as usize == total => return Ok(()),
            Ok(page) => format!("total {}", page.total),
            Err(error) => error.to_string(),
        };
        if Instant::now() > deadline {
            bail!("sessions.list never counted {total} sessions (last: {last})");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn open_sessions(agent: &Agent) -> anyhow::Result<Socket> {
    let url = format!(
        "{}/sessions/{WORKSPACE}",
        agent.url.replace("http://", "ws://")
    );
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {}", agent.token).parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true).await?;
    match next_event(&mut socket).await? {
        SessionEvent::Snapshot { .. } => Ok(socket),
        other => bail!("the first event was not a snapshot: {other:?}"),
    }
}

async fn next_event(socket: &mut Socket) -> anyhow::Result<SessionEvent> {
    loop {
        match socket.next().await.context("/sessions closed")?? {
            Message::Text(text) => return Ok(serde_json::from_str(&text)?),
            Message::Close(frame) => bail!("/sessions closed: {frame:?}"),
            _ => {}
        }
    }
}

const HOOKS: usize = 40;
const CHANNEL_HOOKS: usize = 20;

/// A loopback webhook endpoint (`/hook`) and push service (`/push`): each request's path and
/// arrival time goes to the receiver.
async fn loopback_receiver() -> anyhow::Result<(
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, Instant)>,
)> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let sender = sender.clone();
        async move {
            let _ = sender.send((uri.path().to_owned(), Instant::now()));
            axum::http::StatusCode::CREATED
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{address}"), receiver))
}

/// Adds a webhook and a Web Push channel on a loopback receiver, runs permission hooks (each
/// followed by a tool run, so the next is a change again) and returns the sorted milliseconds
/// from each hook's payload written to its webhook's arrival, and to its push request's.
async fn channel_latencies(
    agent: &Agent,
    http: &reqwest::Client,
    docker: &Docker,
    container: &str,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    use base64ct::{Base64UrlUnpadded, Encoding as _};
    let (base, mut arrivals) = loopback_receiver().await?;
    let browser = web_push_native::p256::SecretKey::random(
        &mut web_push_native::p256::elliptic_curve::rand_core::OsRng,
    );
    let input = |value: Value| -> anyhow::Result<perry_api::notifications::ChannelAddInput> {
        Ok(serde_json::from_value(value)?)
    };
    agent
        .call::<perry_api::procedures::NotificationsAdd>(
            http,
            &input(
                json!({"name": "bench-hook", "kind": "webhook", "url": format!("{base}/hook"),
                "secret": "bench", "states": ["needs_input"]}),
            )?,
        )
        .await?;
    agent
        .call::<perry_api::procedures::NotificationsAdd>(
            http,
            &input(json!({"name": "bench-push", "kind": "webpush", "url": format!("{base}/push"),
                "states": ["needs_input"], "keys": {
                    "p256dh": Base64UrlUnpadded::encode_string(browser.public_key().to_sec1_bytes().as_ref()),
                    "auth": Base64UrlUnpadded::encode_string(&[7u8; 16]),
                }}))?,
        )
        .await?;
    let StdioExec { mut stdin, .. } = hook_shell(docker, container).await?;
    // Working first: a permission asked while one is still asked is no new alert.
    let working =
        json!({"session_id": SESSION_ID, "hook_event_name": "PostToolUse", "tool_name": "Bash"});
    stdin.write_all(format!("{working}\n").as_bytes()).await?;
    stdin.flush().await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (mut webhook, mut push) = (Vec::new(), Vec::new());
    for n in 0..=CHANNEL_HOOKS {
        let asked = json!({"session_id": SESSION_ID, "hook_event_name": "PermissionRequest",
            "tool_name": "Bash", "tool_input": {"command": format!("echo channel {n}")}});
        stdin.write_all(format!("{asked}\n").as_bytes()).await?;
        stdin.flush().await?;
        let written = Instant::now();
        let (mut hook_at, mut push_at) = (None, None);
        while hook_at.is_none() || push_at.is_none() {
            let (path, at) = tokio::time::timeout(Duration::from_secs(10), arrivals.recv())
                .await
                .context("no delivery within 10 s")?
                .context("the receiver stopped")?;
            match path.as_str() {
                "/hook" => hook_at = Some(at - written),
                "/push" => push_at = Some(at - written),
                _ => {}
            }
        }
        // The first warms the agent's HTTP client (connections, the VAPID key read).
        if n > 0 {
            webhook.push(hook_at.unwrap_or_default().as_secs_f64() * 1000.0);
            push.push(push_at.unwrap_or_default().as_secs_f64() * 1000.0);
        }
        stdin.write_all(format!("{working}\n").as_bytes()).await?;
        stdin.flush().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stdin.shutdown().await?;
    webhook.sort_by(f64::total_cmp);
    push.sort_by(f64::total_cmp);
    Ok((webhook, push))
}
const WARMUP_HOOKS: usize = 3;

async fn open_events(agent: &Agent) -> anyhow::Result<Socket> {
    let url = format!("{}/events", agent.url.replace("http://", "ws://"));
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {}", agent.token).parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true).await?;
    match next_status(&mut socket).await? {
        StatusEvent::Snapshot { .. } => Ok(socket),
        other => bail!("the first event was not a snapshot: {other:?}"),
    }
}

async fn next_status(socket: &mut Socket) -> anyhow::Result<StatusEvent> {
    loop {
        match socket.next().await.context("/events closed")?? {
            Message::Text(text) => return Ok(serde_json::from_str(&text)?),
            Message::Close(frame) => bail!("/events closed: {frame:?}"),
            _ => {}
        }
    }
}

/// One long-lived shell in the workspace that pipes each line it reads into Claude Code's hook
/// (`perry-worker event claude`, as Claude Code runs it) and says `ok` after each; returned once
/// it has said `ready`.
async fn hook_shell(docker: &Docker, container: &str) -> anyhow::Result<StdioExec> {
    let script = r#"echo ready && while IFS= read -r line; do printf '%s' "$line" | perry-worker event claude; echo ok; done"#;
    let mut shell = docker
        .start_stdio_exec(container, "workspace", &["sh", "-c", script])
        .await?;
    tokio::time::timeout(Duration::from_secs(10), shell.stdout.next())
        .await
        .context("the hook shell did not start")?
        .context("the hook shell ended")??;
    Ok(shell)
}

/// Runs Claude Code's hook through one long-lived shell, alternating a permission asked and a
/// tool run (each a change); returns the sorted milliseconds from each payload written to its
/// change on `/events`, and to the hook's exit (the shell's echo after it).
async fn hook_latencies(
    docker: &Docker,
    container: &str,
    socket: &mut Socket,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let StdioExec {
        mut stdout,
        mut stdin,
        ..
    } = hook_shell(docker, container).await?;
    // Each hook's `ok`, counted from 1: the shell said `ready` first.
    let mut acked = 1usize;
    let mut count_acks = |bytes: &[u8]| {
        acked += bytes.iter().filter(|byte| **byte == b'\n').count();
        acked
    };
    let (mut latencies, mut held) = (Vec::new(), Vec::new());
    for n in 1..=WARMUP_HOOKS + HOOKS {
        let (payload, state) = if n % 2 == 1 {
            (
                json!({"session_id": SESSION_ID, "hook_event_name": "PermissionRequest",
                       "tool_name": "Bash", "tool_input": {"command": format!("echo {n}")}}),
                SessionState::NeedsInput,
            )
        } else {
            (
                json!({"session_id": SESSION_ID, "hook_event_name": "PostToolUse", "tool_name": "Bash"}),
                SessionState::Working,
            )
        };
        stdin.write_all(format!("{payload}\n").as_bytes()).await?;
        stdin.flush().await?;
        let written = Instant::now();
        let (mut ack, mut event) = (None, None);
        let timeout = tokio::time::sleep(Duration::from_secs(10));
        tokio::pin!(timeout);
        while ack.is_none() || event.is_none() {
            tokio::select! {
                chunk = stdout.next() => {
                    let chunk = chunk.context("the hook shell ended")??;
                    if count_acks(&chunk) > n {
                        ack = Some(written.elapsed());
                    }
                }
                received = next_status(socket) => {
                    if let StatusEvent::Changed { session, .. } = received?
                        && session.session_id == SESSION_ID
                        && session.status.as_ref().map(|status| status.state) == Some(state)
                    {
                        event = Some(written.elapsed());
                    }
                }
                _ = &mut timeout => bail!("hook {n}: no change within 10 s (exited: {})", ack.is_some()),
            }
        }
        if n > WARMUP_HOOKS {
            latencies.push(event.unwrap_or_default().as_secs_f64() * 1000.0);
            held.push(ack.unwrap_or_default().as_secs_f64() * 1000.0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stdin.shutdown().await?;
    latencies.sort_by(f64::total_cmp);
    held.sort_by(f64::total_cmp);
    Ok((latencies, held))
}

/// One line of a Claude Code transcript: the `n`th user message.
fn transcript_line(n: usize) -> String {
    let line = json!({
        "type": "user",
        "sessionId": SESSION_ID,
        "uuid": format!("u{n}"),
        "parentUuid": if n == 1 { Value::Null } else { json!(format!("u{}", n - 1)) },
        "cwd": "/home/workspace/app",
        "timestamp": format!("2026-11-26T08:{:02}:{:02}.000Z", n / 60, n % 60),
        "message": {"role": "user", "content": format!("message {n}")},
    });
    format!("{line}\n")
}

/// Appends lines through one long-lived shell; returns the sorted milliseconds from each write
/// to its event, and from each write to the shell's acknowledgement.
async fn append_latencies(
    docker: &Docker,
    container: &str,
    socket: &mut Socket,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let file = format!("{PROJECT_DIR}/{SESSION_ID}.jsonl");
    let script = r#"mkdir -p "$1" && echo ready && while IFS= read -r line; do printf '%s\n' "$line" >>"$2"; echo ok; done"#;
    let StdioExec {
        mut stdout,
        mut stdin,
        ..
    } = docker
        .start_stdio_exec(
            container,
            "workspace",
            &["sh", "-c", script, "sh", PROJECT_DIR, &file],
        )
        .await?;
    let mut acked = 0usize;
    let mut count_acks = |bytes: &[u8]| {
        acked += bytes.iter().filter(|byte| **byte == b'\n').count();
        acked
    };
    // The `ready` line: the directory exists and the loop reads.
    tokio::time::timeout(Duration::from_secs(10), async {
        while count_acks(&stdout.next().await.context("the shell ended")??) < 1 {}
        anyhow::Ok(())
    })
    .await
    .context("the appending shell did not start")??;
    // Let the watcher move onto the new directory before the first append.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (mut latencies, mut acks) = (Vec::new(), Vec::new());
    for n in 1..=WARMUP_APPENDS + APPENDS {
        let line = transcript_line(n);
        stdin.write_all(line.as_bytes()).await?;
        stdin.flush().await?;
        let written = Instant::now();
        let (mut ack, mut event) = (None, None);
        let timeout = tokio::time::sleep(Duration::from_secs(10));
        tokio::pin!(timeout);
        while ack.is_none() || event.is_none() {
            tokio::select! {
                chunk = stdout.next() => {
                    let chunk = chunk.context("the appending shell ended")??;
                    if count_acks(&chunk) > n {
                        ack = Some(written.elapsed());
                    }
                }
                received = next_event(socket) => {
                    let (SessionEvent::Added { session } | SessionEvent::Updated { session }) = received? else {
                        continue;
                    };
                    if session.session_id == SESSION_ID && session.message_count as usize == n {
                        event = Some(written.elapsed());
                    }
                }
                _ = &mut timeout => bail!("append {n}: no event within 10 s (acknowledged: {})", ack.is_some()),
            }
        }
        if n > WARMUP_APPENDS {
            latencies.push(event.unwrap_or_default().as_secs_f64() * 1000.0);
            acks.push(ack.unwrap_or_default().as_secs_f64() * 1000.0);
        }
        tokio::time::sleep_until((written + APPEND_SPACING).into()).await;
    }
    stdin.shutdown().await?;
    latencies.sort_by(f64::total_cmp);
    acks.sort_by(f64::total_cmp);
    Ok((latencies, acks))
}

/// Runs a command to completion; fails unless it exits 0. Returns what it printed.
async fn exec_ok(
    docker: &Docker,
    container: &str,
    user: &str,
    cmd: &[&str],
) -> anyhow::Result<String> {
    let output = docker.exec(container, user, cmd).await?;
    if output.exit_code != 0 {
        bail!(
            "{} exited with {}: {}",
            cmd.join(" "),
            output.exit_code,
            output.output
        );
    }
    Ok(output.output)
}

/// The daemon, not the `runuser` that the entrypoint's supervisor starts it with.
async fn worker_pid(docker: &Docker, container: &str) -> anyhow::Result<String> {
    let output = exec_ok(
        docker,
        container,
        "root",
        &["pgrep", "-f", "^/usr/local/bin/perry-worker serve$"],
    )
    .await
    .context("no perry-worker serve in the workspace")?;
    let pids: Vec<&str> = output.split_whitespace().collect();
    match pids.as_slice() {
        [pid] => Ok((*pid).to_owned()),
        _ => bail!("expected one perry-worker serve, found {pids:?}"),
    }
}

struct Usage {
    rss_kib: u64,
    cpu_ticks: u64,
    clock_hz: u64,
}

async fn worker_stat(docker: &Docker, container: &str, pid: &str) -> anyhow::Result<Usage> {
    let output = exec_ok(
        docker,
        container,
        "root",
        &[
            "sh",
            "-c",
            r#"getconf CLK_TCK && cat "/proc/$1/stat" && grep VmRSS "/proc/$1/status""#,
            "sh",
            pid,
        ],
    )
    .await?;
    let mut lines = output.lines();
    let clock_hz: u64 = lines.next().context("no CLK_TCK")?.trim().parse()?;
    let stat = lines.next().context("no stat")?;
    // Fields after the command name in parentheses start with the state (field 3); utime and
    // stime are fields 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("bad stat")?
        .1
        .split_whitespace()
        .collect();
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    let rss_kib: u64 = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .context("no VmRSS")?
        .parse()?;
    Ok(Usage {
        rss_kib,
        cpu_ticks: utime + stime,
        clock_hz,
    })
}

/// The session id of generated transcript `i` (as the shell in [`GENERATE`] spells it).
fn generated_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-00000000{:04}", 1000 + i)
}

/// Writes `$1` Claude Code transcripts spread over ten projects, with builtins only (no process
/// per file): each a prompt, a reply with a tool call, a tool result, a prompt and a reply.
/// Transcript `i` mentions `needle-<i>` in its last reply.
const GENERATE: &str = r#"set -e
n=$1
base=$HOME/.claude/projects
i=0
while [ "$i" -lt "$n" ]; do
  p=$((i % 10))
  dir=$base/-home-workspace-proj$p
  [ -d "$dir" ] || mkdir -p "$dir"
  k=$((1000 + i))
  id=00000000-0000-4000-8000-00000000$k
  h=$((i / 3600 + 10)); m=$((i / 60 % 60)); s=$((i % 60))
  [ "$m" -ge 10 ] || m=0$m
  [ "$s" -ge 10 ] || s=0$s
  t=2026-11-25T$h:$m:$s
  printf '%s\n' \
    "{\"type\":\"user\",\"sessionId\":\"$id\",\"uuid\":\"$id-1\",\"parentUuid\":null,\"cwd\":\"/home/workspace/proj$p\",\"timestamp\":\"${t}.100Z\",\"message\":{\"role\":\"user\",\"content\":\"Fix the failing test in module $i of project $p\"}}" \
    "{\"type\":\"assistant\",\"sessionId\":\"$id\",\"uuid\":\"$id-2\",\"parentUuid\":\"$id-1\",\"cwd\":\"/home/workspace/proj$p\",\"timestamp\":\"${t}.200Z\",\"message\":{\"id\":\"msg_$id-2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Let me run the tests first.\"},{\"type\":\"tool_use\",\"id\":\"toolu_$k\",\"name\":\"Bash\",\"input\":{\"command\":\"cargo test -p module$i\"}}]}}" \
    "{\"type\":\"user\",\"sessionId\":\"$id\",\"uuid\":\"$id-3\",\"parentUuid\":\"$id-2\",\"cwd\":\"/home/workspace/proj$p\",\"timestamp\":\"${t}.300Z\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_$k\",\"content\":\"test result: FAILED. 41 passed; 1 failed\"}]}}" \
    "{\"type\":\"user\",\"sessionId\":\"$id\",\"uuid\":\"$id-4\",\"parentUuid\":\"$id-3\",\"cwd\":\"/home/workspace/proj$p\",\"timestamp\":\"${t}.400Z\",\"message\":{\"role\":\"user\",\"content\":\"Go ahead and fix it\"}}" \
    "{\"type\":\"assistant\",\"sessionId\":\"$id\",\"uuid\":\"$id-5\",\"parentUuid\":\"$id-4\",\"cwd\":\"/home/workspace/proj$p\",\"timestamp\":\"${t}.500Z\",\"message\":{\"id\":\"msg_$id-5\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Fixed: the off-by-one in needle-$k was the cause.\"}]}}" \
    >"$dir/$id.jsonl"
  i=$((i + 1))
done
"#;

/// Times `calls` calls of procedure `P` over the shared keep-alive client; each time runs until
/// the whole body has arrived (not parsed). Milliseconds, in call order.
async fn timed_calls<P: Procedure>(
    agent: &Agent,
    http: &reqwest::Client,
    input: &P::Input,
    calls: usize,
) -> anyhow::Result<Vec<f64>> {
    let path = P::PATH;
    let url = format!("{}/rpc/{path}", agent.url);
    let body = json!({ "json": input }).to_string();
    let mut millis = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        let response = http
            .post(&url)
            .bearer_auth(&agent.token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
        if !status.is_success() {
            bail!("{path}: {}", String::from_utf8_lossy(&bytes));
        }
    }
    Ok(millis)
}
