//! A hostile workspace against the real Docker Engine. The workspace's user has passwordless
//! sudo, so everything the agent reads out of a workspace is untrusted. From inside a real
//! workspace this test does what such a user can: replaces the perry-worker so that the agent's
//! connection gets a 200 MB line, opens 5,000 connections to a port forward, makes
//! /etc/environment (which `workspaces.sync` reads back) 2 GB, and prints 600 MB through
//! `workspaces.exec`. The agent must keep answering `/rpc` throughout, recover (the sessions index and
//! exec work afterwards) and keep its memory bounded.
//!
//! The agent runs in this process, so its memory is this process's: the peak resident set is
//! reset (`/proc/self/clear_refs`) before each step and read (`VmHWM`) after it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{TestAgent, TestAgentConfig, exec};
use perry_agent::ports::MAX_CONNECTIONS_PER_FORWARD;
use perry_api::procedures::{PortsForward, WorkspacesCreate, WorkspacesExec, WorkspacesSync};
use perry_api::sessions::SessionsPage;
use perry_api::{PortForwardStatus, Workspace, WorkspaceStatus};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WORKSPACE: &str = "hostile";
/// The hostile worker line: 200 MB without a newline until the end.
const LONG_LINE_BYTES: u64 = 200_000_000;
const CONNECTIONS: usize = 5_000;
const ECHO_PORT: u16 = 7000;
/// The most a step may grow the peak resident set. The goal is under 64 MiB (measured: about 11
/// for the long line, 27 for the exec flood); an agent that holds the 200 MB line whole peaks
/// at about 194 MiB more (measured with the line limit raised past it), so 256 would miss it.
const MAX_GROWTH_BYTES: u64 = 128 * 1024 * 1024;

/// The replacement a root user in the workspace can put where the agent runs
/// `perry-worker attach`: one enormous line, then the real worker.
const HOSTILE_WORKER: &str = r#"#!/bin/sh
if [ "$1" = attach ]; then head -c 200000000 /dev/zero | tr '\0' x; echo; fi
exec /usr/local/bin/perry-worker.real "$@"
"#;

/// An echo server that holds every connection until its client closes it.
const ECHO_SERVER: &str = r#"
import asyncio
async def echo(reader, writer):
    while data := await reader.read(4096):
        writer.write(data)
        await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(echo, "0.0.0.0", 7000, backlog=4096)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"#;

/// Bytes of this process's memory: (resident now, peak resident since the last reset).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        let kilobytes: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"));
        kilobytes * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Measures the peak growth of resident memory over `step`, prints it and checks the bound.
async fn bounded<T>(what: &str, step: impl Future<Output = T>) -> T {
    // Writing 5 resets the peak (VmHWM) to the resident set now (Linux 4.0+).
    std::fs::write("/proc/self/clear_refs", "5").expect("the peak RSS can be reset");
    let (before, _) = memory();
    let result = step.await;
    let (after, peak) = memory();
    let growth = peak.saturating_sub(before);
    println!(
        "{what}: RSS before {} MiB, peak {} MiB (growth {} MiB), after {} MiB",
        before / (1024 * 1024),
        peak / (1024 * 1024),
        growth / (1024 * 1024),
        after / (1024 * 1024),
    );
    assert!(
        growth < MAX_GROWTH_BYTES,
        "{what}: the agent's memory grew by {} MiB",
        growth / (1024 * 1024)
    );
    result
}

/// 5,000 sockets here plus the agent's own: raise the soft limit on open files if needed.
fn allow_open_files(wanted: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft >= wanted {
        return;
    }
    assert!(
        hard >= wanted,
        "this test needs {wanted} open files; the hard limit is {hard}"
    );
    setrlimit(Resource::RLIMIT_NOFILE, wanted, hard).unwrap();
}

/// Calls `workspaces.list` until told to stop; every call must succeed.
fn keep_listing(agent: &TestAgent, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<u64> {
    let (url, token) = (agent.url.clone(), agent.token.clone());
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut calls = 0;
        while !stop.load(Ordering::Relaxed) {
            let response = http
                .post(format!("{url}/rpc/workspaces/list"))
                .bearer_auth(&token)
                .json(&json!({"json": {}}))
                .send()
                .await
                .expect("the agent answers workspaces.list");
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert_eq!(status, 200, "workspaces.list during the attack: {body}");
            assert!(body.contains(WORKSPACE), "{body}");
            calls += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        calls
    })
}

async fn sessions_page(agent: &TestAgent) -> Option<SessionsPage> {
    let (status, body) = agent
        .call("sessions/list", json!({"workspaceName": WORKSPACE}))
        .await;
    match status {
        200 => Some(serde_json::from_value(body).unwrap()),
        503 => None,
        _ => panic!("sessions.list answered {status}: {body}"),
    }
}

/// `text` as one single-quoted shell word.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Waits until `done` holds, checking every 200 ms, for at most `seconds`.
async fn eventually(what: &str, seconds: u64, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done().await {
        assert!(Instant::now() < deadline, "{what}: not within {seconds} s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One round trip through a forwarded connection: `true` when the byte came back, `false`
/// when the connection was closed instead.
async fn echoes(stream: &mut TcpStream) -> bool {
    if stream.write_all(b"x").await.is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut byte))
        .await
        .expect("a forwarded connection either echoes or is closed");
    matches!(read, Ok(1))
}

/// Connects to the forward until a connection echoes (the server inside may be starting).
async fn echoing_connection(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await
            && echoes(&mut stream).await
        {
            return stream;
        }
        assert!(
            Instant::now() < deadline,
            "nothing echoes through port {port}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_workspace_cannot_run_the_agent_out_of_memory() {
    allow_open_files(CONNECTIONS as u64 + 4096);
    // With a variable to sync, `workspaces.sync` reads /etc/environment back from the workspace.
    let mut extra = serde_json::Map::new();
    extra.insert(
        "credentials".to_owned(),
        json!({"env": {"HOSTILE_TEST": "1"}}),
    );
    let options = TestAgentConfig {
        extra,
        ..Default::default()
    };
    let agent = TestAgent::start_with("hostile", options).await;
    let created: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": WORKSPACE}))
        .await;
    assert_eq!(created.status, WorkspaceStatus::Running);
    let container = agent.container(WORKSPACE);
    eventually("the sessions index", 30, async || {
        sessions_page(&agent).await.is_some()
    })
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let listing = keep_listing(&agent, stop.clone());

    // 1. A 200 MB line on the worker protocol: the user swaps the worker binary (sudo) and ends
    // the running `perry-worker attach`, so the agent connects again and reads the line.
    let install = format!(
        "printf '%s' {} > /tmp/hostile-worker && \
         sudo mv /usr/local/bin/perry-worker /usr/local/bin/perry-worker.real && \
         sudo install -m 0755 /tmp/hostile-worker /usr/local/bin/perry-worker && \
         pkill -f 'perry-worke[r] attach'",
        quoted(HOSTILE_WORKER)
    );
    let index = agent.agent.sessions_of(WORKSPACE).await.unwrap();
    assert_eq!(index.dropped_lines(), 0);
    bounded("a 200 MB worker line", async {
        let (code, output) = exec(&container, "workspace", &install).await;
        assert_eq!(code, 0, "{output}");
        eventually("the long line dropped", 300, async || {
            index.dropped_lines() >= 1
        })
        .await;
    })
    .await;
    println!(
        "worker lines dropped: {} (the line was {LONG_LINE_BYTES} bytes)",
        index.dropped_lines()
    );
    // The same connection goes on with the real worker: a session written now shows up.
    let session_dir = "/home/workspace/.claude/projects/-home-workspace-app";
    let session_id = "0c4d2e1f-5a6b-4c7d-8e9f-a0b1c2d3e4f5";
    let line = json!({
        "type": "user", "sessionId": session_id, "uuid": "u1", "parentUuid": null,
        "cwd": "/home/workspace/app", "timestamp": "2026-12-01T10:00:00.000Z",
        "message": {"role": "user", "content": "still here after the long line"},
    });
    let (code, output) = exec(
        &container,
        "workspace",
        &format!("mkdir -p {session_dir} && echo '{line}' > {session_dir}/{session_id}.jsonl"),
    )
    .await;
    assert_eq!(code, 0, "{output}");
    eventually("the new session listed", 60, async || {
        sessions_page(&agent)
            .await
            .is_some_and(|page| page.sessions.iter().any(|s| s.session_id == session_id))
    })
    .await;

    // 2. 5,000 connections to one forward: it relays its cap, closes the rest at once, and
    // works again when they are gone.
    let (code, output) = exec(
        &container,
        "workspace",
        &format!(
            "printf '%s' {} > /tmp/echo.py && \
             setsid nohup python3 /tmp/echo.py > /tmp/echo.log 2>&1 < /dev/null &",
            quoted(ECHO_SERVER)
        ),
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let host_port = agent.free_host_port();
    let forwarded: Vec<PortForwardStatus> = agent
        .ok::<PortsForward>(json!({"workspaceName": WORKSPACE,
                   "forwards": [{"hostPort": host_port, "workspacePort": ECHO_PORT}]}))
        .await;
    assert!(forwarded[0].active, "{forwarded:?}");
    let (relayed, closed) = bounded("5,000 connections to a forward", async {
        // The first connection stays open through the flood and counts as one of the cap.
        let mut open = vec![echoing_connection(host_port).await];
        // In batches: the machine has two cores, and this is about the agent, not the loopback.
        while open.len() < CONNECTIONS {
            let batch = (CONNECTIONS - open.len()).min(250);
            let mut connecting = tokio::task::JoinSet::new();
            for _ in 0..batch {
                connecting.spawn(TcpStream::connect(("127.0.0.1", host_port)));
            }
            while let Some(connected) = connecting.join_next().await {
                open.push(
                    connected
                        .unwrap()
                        .expect("the forward accepts the connection"),
                );
            }
        }
        let relayed = Arc::new(AtomicU64::new(0));
        let mut checking = tokio::task::JoinSet::new();
        for mut stream in open {
            let relayed = relayed.clone();
            checking.spawn(async move {
                if echoes(&mut stream).await {
                    relayed.fetch_add(1, Ordering::Relaxed);
                }
                stream
            });
        }
        let mut held = Vec::new();
        while let Some(stream) = checking.join_next().await {
            held.push(stream.unwrap());
        }
        let relayed = relayed.load(Ordering::Relaxed) as usize;
        drop(held);
        (relayed, CONNECTIONS - relayed)
    })
    .await;
    println!("of {CONNECTIONS} connections: {relayed} relayed, {closed} closed at once");
    assert_eq!(relayed, MAX_CONNECTIONS_PER_FORWARD);
    let mut again = echoing_connection(host_port).await;
    assert!(echoes(&mut again).await);
    drop(again);

    // 3. A 2 GB /etc/environment (sparse, but Docker's archive of it is not): the agent stops
    // reading at its cap and the sync says why.
    let (code, output) = exec(
        &container,
        "workspace",
        "sudo cp /etc/environment /etc/environment.kept && sudo truncate -s 2G /etc/environment",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let synced = bounded("a 2 GB /etc/environment", async {
        agent.ok::<WorkspacesSync>(json!({"name": WORKSPACE})).await
    })
    .await;
    let environment = synced
        .items
        .iter()
        .find(|item| item.what.contains("environment variable"))
        .unwrap_or_else(|| panic!("no environment item in {synced:?}"));
    let error = environment.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("/etc/environment") && error.contains("larger than 1048576 bytes"),
        "{synced:?}"
    );
    // pam_env (sudo) reads /etc/environment: put it back as root without sudo.
    let (code, output) = exec(
        &container,
        "root",
        "mv /etc/environment.kept /etc/environment",
    )
    .await;
    assert_eq!(code, 0, "{output}");

    // 4. 600 MB of output from one exec: kept to the cap per stream, and marked truncated.
    let flooded = bounded("600 MB of exec output", async {
        agent
            .ok::<WorkspacesExec>(
                json!({"name": WORKSPACE, "timeoutSeconds": 600, "command": [
                    "sh", "-c", "head -c 500000000 /dev/zero; head -c 100000000 /dev/zero >&2"
                ]}),
            )
            .await
    })
    .await;
    assert_eq!(flooded.exit_code, 0);
    assert!(flooded.truncated);
    assert_eq!(flooded.stdout.len(), 1024 * 1024);
    assert_eq!(flooded.stderr.len(), 1024 * 1024);
    let after = agent
        .ok::<WorkspacesExec>(json!({"name": WORKSPACE, "command": ["echo", "exec still works"]}))
        .await;
    assert_eq!(
        (
            after.exit_code,
            after.stdout.as_str(),
            after.stderr.as_str()
        ),
        (0, "exec still works\n", "")
    );
    assert!(!after.truncated);

    stop.store(true, Ordering::Relaxed);
    let calls = listing.await.expect("workspaces.list always answered");
    println!("workspaces.list answered {calls} times during the attack");
    assert!(calls > 0);
    let (status, body) = agent.call("workspaces/list", json!({})).await;
    assert_eq!(status, 200, "{body}");
}
