//! `/terminal/:workspace` against a real workspace: echo, resize, reattach with replay and kept
//! shell state, exit codes, 1001 on stop, auth and Origin checks, and bounded memory for a slow
//! reader.

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use perry_api::procedures::{TerminalsList, WorkspacesCreate, WorkspacesStop};
use perry_api::{TerminalControl, TerminalInfo, Workspace, WorkspaceStatus};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use common::TestAgent;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A terminal client: the socket, the id from the first control message, and what it has read.
struct Client {
    socket: Socket,
    id: String,
    replayed_bytes: u32,
    output: String,
}

fn ws_url(agent: &TestAgent, workspace: &str, query: &str) -> String {
    format!(
        "{}/terminal/{workspace}?{query}",
        agent.url.replace("http://", "ws://")
    )
}

async fn connect(agent: &TestAgent, workspace: &str, query: &str) -> Client {
    let url = ws_url(agent, workspace, &format!("token={}&{query}", agent.token));
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the terminal socket opens");
    let first = socket.next().await.unwrap().unwrap();
    let Message::Text(text) = first else {
        panic!("the first frame is a control message, got {first:?}")
    };
    let TerminalControl::Attached {
        id, replayed_bytes, ..
    } = serde_json::from_str(&text).unwrap()
    else {
        panic!("the first control message says which terminal: {text}");
    };
    Client {
        socket,
        id,
        replayed_bytes,
        output: String::new(),
    }
}

/// The HTTP status a refused handshake got.
async fn refused_status(
    request: tokio_tungstenite::tungstenite::handshake::client::Request,
) -> u16 {
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the socket opened but should have been refused"),
    }
}

impl Client {
    async fn send(&mut self, input: &str) {
        self.socket
            .send(Message::Binary(input.as_bytes().to_vec().into()))
            .await
            .unwrap();
    }

    async fn resize(&mut self, cols: u16, rows: u16) {
        let text = serde_json::to_string(&TerminalControl::Resize { cols, rows }).unwrap();
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    /// Reads until the output contains `needle`; returns everything read so far.
    async fn read_until(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !self.output.contains(needle) {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} in terminal output: {:?}", self.output))
                .expect("the socket stays open")
                .unwrap();
            if let Message::Binary(bytes) = frame {
                self.output.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        self.output.clone()
    }

    /// Reads until the agent closes the socket; returns the close code and reason.
    async fn read_until_closed(&mut self) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .expect("the socket closes");
            match frame {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) | None => panic!("closed without a close frame"),
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("socket error before the close frame: {error}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_echoes_resizes_survives_a_dropped_socket_and_reports_its_exit() {
    let agent = TestAgent::start("term").await;
    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "shell"})).await;
    assert_eq!(created.last_used, None);

    let mut client = connect(&agent, "shell", "cols=100&rows=30").await;
    // Opening a terminal marks the workspace used (what lists sort by).
    let opened: Workspace = agent
        .ok::<perry_api::procedures::WorkspacesGet>(json!({"name": "shell"}))
        .await;
    let used = opened
        .last_used
        .expect("lastUsed is set by opening a terminal");
    let ago = std::time::SystemTime::now()
        .duration_since(humantime::parse_rfc3339(&used).unwrap())
        .unwrap_or_default();
    assert!(ago < Duration::from_secs(60), "{used}");
    client.send("echo hi-$((6*7))\n").await;
    client.read_until("hi-42").await;
    client
        .send("stty size; echo \"$TERM $(whoami) $PWD\"\n")
        .await;
    let output = client
        .read_until("xterm-256color workspace /home/workspace")
        .await;
    assert!(
        output.contains("30 100"),
        "the size from the query applies: {output}"
    );
    client.resize(120, 40).await;
    client.send("stty size\n").await;
    client.read_until("40 120").await;
    // A text frame that is not a control message is input.
    client
        .socket
        .send(Message::Text("export PERRY_MARK=kept-$((100+23))\n".into()))
        .await
        .unwrap();
    client.send("echo mark-set\n").await;
    client.read_until("mark-set").await;

    // Drop the socket without a goodbye: the shell lives on.
    let id = client.id.clone();
    drop(client);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let terminals: Vec<TerminalInfo> = agent
        .ok::<TerminalsList>(json!({"workspaceName": "shell"}))
        .await;
    assert_eq!(terminals.len(), 1);
    assert_eq!(
        (terminals[0].id.as_str(), terminals[0].clients),
        (id.as_str(), 0)
    );

    let mut again = connect(&agent, "shell", &format!("terminal={id}")).await;
    assert_eq!(again.id, id, "reattached to the same terminal");
    assert!(again.replayed_bytes > 0);
    again.read_until("hi-42").await; // the replay
    again.send("echo \"still $PERRY_MARK\"\n").await;
    again.read_until("still kept-123").await;

    // Two clients watch one terminal.
    let mut watcher = connect(&agent, "shell", &format!("terminal={id}")).await;
    again.send("echo both-see-$((2*21))\n").await;
    watcher.read_until("both-see-42").await;
    again.read_until("both-see-42").await;

    // Output that looks like Docker's stream framing (a first byte 0-2) is terminal output too:
    // it arrives at once, byte for byte, and the terminal does not freeze.
    again.send("sleep 0.2; printf 'X\\x02\\x00\\x00\\x00\\x7f\\xff\\xff\\xff' | tail -c 8; sleep 0.2; echo after-$((1+1))\n").await;
    let output = again.read_until("after-2").await;
    assert!(
        output.contains("\u{2}\u{0}\u{0}\u{0}\u{7f}"),
        "the raw bytes arrive: {output:?}"
    );

    again.send("exit 3\n").await;
    assert_eq!(again.read_until_closed().await, (1000, "exit 3".to_owned()));
    assert_eq!(watcher.read_until_closed().await.0, 1000);
    let terminals: Vec<TerminalInfo> = agent
        .ok::<TerminalsList>(json!({"workspaceName": "shell"}))
        .await;
    assert!(terminals.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_a_workspace_closes_its_terminals_with_1001_and_refuses_new_ones() {
    let agent = TestAgent::start("termstop").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "halt"})).await;
    let mut client = connect(&agent, "halt", "").await;
    client.send("echo ready\n").await;
    client.read_until("ready").await;

    let stopped: Workspace = agent.ok::<WorkspacesStop>(json!({"name": "halt"})).await;
    assert_eq!(stopped.status, WorkspaceStatus::Stopped);
    assert_eq!(
        client.read_until_closed().await,
        (1001, "workspace stopped".to_owned())
    );

    let request = ws_url(&agent, "halt", &format!("token={}", agent.token))
        .into_client_request()
        .unwrap();
    assert_eq!(
        refused_status(request).await,
        409,
        "a stopped workspace has no terminals"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_sockets_need_the_token_and_a_trusted_origin() {
    let agent = TestAgent::start("termauth").await;
    let _: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": "guarded"}))
        .await;

    let no_token = ws_url(&agent, "guarded", "").into_client_request().unwrap();
    assert_eq!(refused_status(no_token).await, 401);
    let wrong = ws_url(&agent, "guarded", "token=wrong")
        .into_client_request()
        .unwrap();
    assert_eq!(refused_status(wrong).await, 401);

    let mut foreign = ws_url(&agent, "guarded", &format!("token={}", agent.token))
        .into_client_request()
        .unwrap();
    foreign
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(
        refused_status(foreign).await,
        403,
        "cross-site WebSocket hijacking is refused"
    );

    let unknown = ws_url(&agent, "nobody", &format!("token={}", agent.token))
        .into_client_request()
        .unwrap();
    assert_eq!(refused_status(unknown).await, 404);
    let stale = ws_url(
        &agent,
        "guarded",
        &format!("token={}&terminal=ffff", agent.token),
    )
    .into_client_request()
    .unwrap();
    assert_eq!(refused_status(stale).await, 404);

    // The agent's own origin, with the token in a header, is fine.
    let mut same_origin = ws_url(&agent, "guarded", "").into_client_request().unwrap();
    let host = agent.url.trim_start_matches("http://").to_owned();
    same_origin
        .headers_mut()
        .insert("origin", format!("http://{host}").parse().unwrap());
    same_origin.headers_mut().insert(
        "authorization",
        format!("Bearer {}", agent.token).parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(same_origin)
        .await
        .expect("same origin opens");
    assert!(matches!(socket.next().await, Some(Ok(Message::Text(_)))));
}

fn own_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_reader_keeps_the_agents_memory_bounded() {
    let agent = TestAgent::start("termslow").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "flood"})).await;
    let mut client = connect(&agent, "flood", "").await;
    client.send("echo go\n").await;
    client.read_until("go").await;
    let before = own_rss_kib();

    // 100 MB of output while the client reads nothing for 8 seconds.
    client
        .send("head -c 75000000 /dev/zero | base64 -w 0; echo; echo flood-$((1+1))-done\n")
        .await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let during = own_rss_kib();
    let terminals: Vec<TerminalInfo> = agent
        .ok::<TerminalsList>(json!({"workspaceName": "flood"}))
        .await;
    let buffered = terminals[0].buffered_bytes;

    // Reading again, the client catches up (skipping what was overwritten) and the shell answers.
    let mut dropped_notices = 0;
    let mut received: u64 = 0;
    let mut tail: Vec<u8> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let frame = tokio::time::timeout_at(deadline, client.socket.next())
            .await
            .expect("output keeps coming")
            .unwrap()
            .unwrap();
        match frame {
            Message::Binary(bytes) => {
                received += bytes.len() as u64;
                tail.extend_from_slice(&bytes);
                tail.drain(..tail.len().saturating_sub(512));
                if String::from_utf8_lossy(&tail).contains("flood-2-done") {
                    break;
                }
            }
            Message::Text(text) if text.contains("dropped") => dropped_notices += 1,
            _ => {}
        }
    }
    println!(
        "slow reader: agent-process RSS {before} KiB before, {during} KiB while stalled (+{} KiB); ring held {buffered} bytes; \
         client received {received} bytes after resuming, {dropped_notices} dropped-output notice(s)",
        during.saturating_sub(before)
    );
    assert!(
        buffered as usize <= 1024 * 1024,
        "the ring never exceeds its capacity: {buffered}"
    );
    assert!(
        during.saturating_sub(before) < 48 * 1024,
        "memory grew by {} KiB for a stalled reader",
        during - before
    );
    assert!(
        dropped_notices >= 1,
        "the client learns that output was skipped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_without_clients_is_hung_up_after_its_grace_period() {
    let mut extra = serde_json::Map::new();
    extra.insert("terminalGraceSeconds".into(), json!(1));
    let agent = TestAgent::start_with(
        "termgrace",
        common::TestAgentConfig {
            extra,
            ..Default::default()
        },
    )
    .await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "brief"})).await;
    let mut client = connect(&agent, "brief", "").await;
    client.send("echo here\n").await;
    client.read_until("here").await;
    let id = client.id.clone();
    drop(client);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let terminals: Vec<TerminalInfo> = agent
            .ok::<TerminalsList>(json!({"workspaceName": "brief"}))
            .await;
        if terminals.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the shell outlived its grace period: {terminals:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stale = ws_url(
        &agent,
        "brief",
        &format!("token={}&terminal={id}", agent.token),
    )
    .into_client_request()
    .unwrap();
    assert_eq!(
        refused_status(stale).await,
        404,
        "a reaped terminal cannot be reattached"
    );
    let (code, processes) = common::exec(
        &agent.container("brief"),
        "root",
        "ps -eo uid=,comm= | awk '$1 == 1000 && $2 == \"bash\"' | wc -l",
    )
    .await;
    assert_eq!(
        (code, processes.trim()),
        (0, "0"),
        "no shell of the workspace user is left running"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn terminals_kill_ends_the_shell_and_closes_its_sockets() {
    let agent = TestAgent::start("termkill").await;
    let _: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": "victim"}))
        .await;
    let mut client = connect(&agent, "victim", "").await;
    client.send("echo alive\n").await;
    client.read_until("alive").await;

    let (status, error) = agent
        .call(
            "terminals/kill",
            json!({"workspaceName": "victim", "id": "nope"}),
        )
        .await;
    assert_eq!((status, error["code"].as_str()), (404, Some("NOT_FOUND")));
    let killed = agent
        .call(
            "terminals/kill",
            json!({"workspaceName": "victim", "id": client.id}),
        )
        .await;
    assert_eq!(killed, (200, json!({"success": true})));
    let (code, reason) = client.read_until_closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (1000, "exit 129"),
        "the shell died of SIGHUP (128 + 1)"
    );
    let terminals: Vec<TerminalInfo> = agent
        .ok::<TerminalsList>(json!({"workspaceName": "victim"}))
        .await;
    assert!(terminals.is_empty());
}
