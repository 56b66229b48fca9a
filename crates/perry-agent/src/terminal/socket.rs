//! `GET /terminal/:workspace` → WebSocket. Binary frames carry raw terminal bytes both ways; text
//! frames carry JSON control messages ([`TerminalControl`]); a text frame that is not a control
//! message is input. Query: `token`, `terminal` (reattach to this id), `cols`, `rows`, `cmd` (a
//! JSON array: run this command instead of the login shell), `since` (an output offset: replay only
//! what came after it).
//!
//! For slow links: the client measures the round trip with `ping` (answered by `pong` at once);
//! a client that sends `ack`s gets flow control ([`FLOW_WINDOW`]); output under a flood is sent
//! in paced frames ([`FRAME_INTERVAL`]); and an interrupt (Ctrl-C) from a client far behind
//! skips its backlog (`dropped`). Frames are compressed when the client offers permessage-deflate
//! ([`crate::websocket`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use perry_api::TerminalControl;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{KEPT_ON_SKIP, Output, SKIP_BACKLOG_OVER, Terminal, TerminalRequest};
use crate::Agent;
use crate::auth::{LocalClient, TokenWatch, token_rotated};
use crate::error::ApiError;
use crate::websocket::{self, Frame, IncomingUpgrade, OpCode, Sink, WebSocket};

/// The most output a client that acks may have unacknowledged: enough to keep a fast link busy
/// (a quarter of a MiB per round trip), little enough that a keystroke's answer never waits
/// behind seconds of a flood. Counted before compression.
const FLOW_WINDOW: u64 = 256 * 1024;
/// Under a flood, frames go at most this often, each carrying all the output there is (up to a
/// frame's size): fewer, larger messages compress better and cost every client less to draw.
const FRAME_INTERVAL: Duration = Duration::from_millis(8);
/// A frame at least this large is a flood's, and paces the next one; smaller output (echoes,
/// prompts) leaves at once.
const FLOOD_FRAME_BYTES: usize = 4 * 1024;
/// Keystrokes that interrupt a program (Ctrl-C, Ctrl-\\, Ctrl-Z): typed while far behind a
/// flood, they skip its backlog. Other keys do not: holding `j` in vim over a slow link must not
/// cut its redraws.
const INTERRUPTS: [u8; 3] = [0x03, 0x1c, 0x1a];
/// After an interrupt skipped a flood, output is dropped until the terminal is this quiet...
const QUIET_AFTER_INTERRUPT: Duration = Duration::from_millis(50);
/// ...or for at most this long.
const DRAIN_AFTER_INTERRUPT: Duration = Duration::from_secs(1);
/// How long a socket the agent closed waits for the client's close frame.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(2);

/// Upgrades to a terminal socket after the checks that must answer with an HTTP status.
pub async fn handle(
    State(agent): State<Arc<Agent>>,
    Path(workspace): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    local: Option<Extension<LocalClient>>,
    upgrade: IncomingUpgrade,
) -> Response {
    match prepare(&agent, &workspace, &query).await {
        Ok(terminal) => {
            agent.workspaces.mark_used(&workspace);
            let since = query.get("since").and_then(|since| since.parse().ok());
            let token = agent.auth.watch(local.is_some());
            let serving = agent.clone();
            websocket::accept(&agent, upgrade, move |socket| {
                serve(serving, terminal, since, token, socket)
            })
        }
        Err(error) => error.into_response(),
    }
}

async fn prepare(
    agent: &Agent,
    workspace: &str,
    query: &HashMap<String, String>,
) -> Result<Arc<Terminal>, ApiError> {
    let record = agent.workspaces.get(workspace).await?;
    if record.status != perry_api::WorkspaceStatus::Running {
        return Err(ApiError::Conflict(format!(
            "Workspace {workspace:?} is {}; start it first",
            record.status.as_str()
        )));
    }
    if let Some(id) = query.get("terminal").filter(|id| !id.is_empty()) {
        return agent.terminals.get(workspace, id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "Workspace {workspace:?} has no terminal {id:?} (it ended or its grace period passed)"
            ))
        });
    }
    let size = |key: &str| -> Result<Option<u16>, ApiError> {
        query
            .get(key)
            .map(|value| {
                value
                    .parse::<u16>()
                    .ok()
                    .filter(|size| (1..=1000).contains(size))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!("{key} must be a number from 1 to 1000"))
                    })
            })
            .transpose()
    };
    let command = match query.get("cmd") {
        None => None,
        Some(json) => Some(serde_json::from_str::<Vec<String>>(json).map_err(|_| {
            ApiError::BadRequest(
                "cmd must be a JSON array of strings, e.g. [\"ls\",\"-la\"]".to_owned(),
            )
        })?),
    };
    let request = TerminalRequest {
        command,
        cols: size("cols")?,
        rows: size("rows")?,
    };
    let container = agent.workspaces.container_name(workspace);
    agent.terminals.open(workspace, &container, request).await
}

/// What a socket's receiving half tells its sending half.
#[derive(Debug, Default)]
struct Feedback {
    /// Output bytes the client has acknowledged, in all.
    acked: AtomicU64,
    /// Whether the client acks at all: then it gets flow control.
    acks: AtomicBool,
    /// The client interrupted (Ctrl-C, Ctrl-\\, Ctrl-Z) since the sender last looked.
    interrupted: AtomicBool,
    /// The latest ping to answer.
    ping: Mutex<Option<u32>>,
    wake: Notify,
}

impl Feedback {
    /// The client typed `input`: an interrupt in it wakes the sender to skip a flood.
    fn typed(&self, input: &[u8]) {
        if input.iter().any(|byte| INTERRUPTS.contains(byte)) {
            self.interrupted.store(true, Ordering::Release);
            self.wake.notify_one();
        }
    }

    /// The client pinged: the sender answers the latest ping.
    fn pinged(&self, id: u32) {
        *super::lock(&self.ping) = Some(id);
        self.wake.notify_one();
    }

    /// The client acked `bytes` more output: from now on it gets flow control.
    fn ack(&self, bytes: u32) {
        self.acked.fetch_add(u64::from(bytes), Ordering::AcqRel);
        self.acks.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    fn take_ping(&self) -> Option<u32> {
        super::lock(&self.ping).take()
    }

    /// Whether more output may go to a client that has been sent `sent` bytes.
    fn window_open(&self, sent: u64) -> bool {
        !self.acks.load(Ordering::Acquire)
            || sent.saturating_sub(self.acked.load(Ordering::Acquire)) < FLOW_WINDOW
    }
}

async fn serve(
    agent: Arc<Agent>,
    terminal: Arc<Terminal>,
    since: Option<u64>,
    token: TokenWatch,
    socket: WebSocket,
) {
    let (client, cursor) = terminal.attach(since);
    let (sink, stream) = socket.split();
    let feedback = Arc::new(Feedback::default());

    let mut send_task = tokio::spawn(send_output(
        terminal.clone(),
        client,
        cursor,
        token,
        sink,
        feedback.clone(),
    ));
    let mut receive_task = tokio::spawn(receive_input(agent, terminal.clone(), stream, feedback));

    tokio::select! {
        _ = &mut send_task => {
            // The agent closed (the shell ended): the client answers with its own close frame,
            // and the connection ends after it. Dropped at once, the client's last ack or
            // keystroke would meet a closed socket, whose reset can take the close frame with
            // it.
            if tokio::time::timeout(CLOSE_HANDSHAKE, &mut receive_task).await.is_err() {
                receive_task.abort();
            }
        }
        _ = &mut receive_task => send_task.abort(),
    }
    terminal.detach(client);
}

/// Sends the terminal's output from `cursor` on: the `attached` hello first, then output as it
/// comes, paced under a flood, within the flow window of a client that acks; answers pings; and
/// when the client interrupts while far behind, skips to the present (`dropped`).
async fn send_output(
    terminal: Arc<Terminal>,
    client: u64,
    mut cursor: u64,
    mut token: TokenWatch,
    mut sink: Sink,
    feedback: Arc<Feedback>,
) {
    let info = terminal.info();
    let attached = TerminalControl::Attached {
        id: terminal.id.clone(),
        cols: info.cols,
        rows: info.rows,
        replayed_bytes: u32::try_from(terminal.output_end().saturating_sub(cursor))
            .unwrap_or(u32::MAX),
        offset: cursor,
        pings: true,
    };
    if sink.send(websocket::json(&attached)).await.is_err() {
        return;
    }
    let dropped_notice = |bytes: u64| {
        websocket::json(&TerminalControl::Dropped {
            bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
        })
    };
    let mut sent: u64 = 0;
    let mut next_frame_at = Instant::now();
    loop {
        if let Some(id) = feedback.take_ping()
            && sink
                .send(websocket::json(&TerminalControl::Pong { id }))
                .await
                .is_err()
        {
            return;
        }
        if feedback.interrupted.swap(false, Ordering::AcqRel) {
            let skipped = terminal.skip_backlog(client, &mut cursor, SKIP_BACKLOG_OVER);
            if skipped > 0 {
                let skipped =
                    skipped + drain_interrupted_flood(&terminal, client, &mut cursor).await;
                if sink.send(dropped_notice(skipped)).await.is_err() {
                    return;
                }
            }
        }
        let window_open = feedback.window_open(sent);
        let paced = Instant::now() < next_frame_at;
        let output = tokio::select! {
            biased;
            () = feedback.wake.notified() => continue,
            () = token.rotated() => {
                let _ = sink.send(token_rotated()).await;
                return;
            }
            () = tokio::time::sleep_until(next_frame_at), if window_open && paced => continue,
            output = terminal.next_output(client, &mut cursor), if window_open && !paced => output,
        };
        match output {
            Output::Bytes { bytes, dropped } => {
                if dropped > 0 && sink.send(dropped_notice(dropped)).await.is_err() {
                    return;
                }
                sent += bytes.len() as u64;
                if bytes.len() >= FLOOD_FRAME_BYTES {
                    next_frame_at = Instant::now() + FRAME_INTERVAL;
                }
                if sink.send(Frame::binary(bytes)).await.is_err() {
                    return;
                }
            }
            Output::Closed(reason) => {
                let _ = sink
                    .send(websocket::close(reason.code, &reason.reason))
                    .await;
                return;
            }
        }
    }
}

/// After an interrupt far behind a flood, the flood's output still drains from the program's
/// pipeline for a while (the pty, the engine's stream: megabytes the program wrote before it
/// died). Drops that too, keeping only the newest lines, until the terminal has been quiet for
/// [`QUIET_AFTER_INTERRUPT`] (the prompt is out) or for at most [`DRAIN_AFTER_INTERRUPT`] (a
/// program that goes on); returns the bytes dropped.
async fn drain_interrupted_flood(terminal: &Terminal, client: u64, cursor: &mut u64) -> u64 {
    let deadline = Instant::now() + DRAIN_AFTER_INTERRUPT;
    let mut dropped = 0;
    loop {
        dropped += terminal.skip_backlog(client, cursor, KEPT_ON_SKIP);
        let more = tokio::time::timeout(
            QUIET_AFTER_INTERRUPT,
            terminal.output_after(terminal.output_end()),
        );
        match tokio::time::timeout_at(deadline, more).await {
            Ok(Ok(true)) => {}
            _ => return dropped,
        }
    }
}

/// Writes what the client types to the terminal and handles its control messages; a text frame
/// that is not one is input.
async fn receive_input(
    agent: Arc<Agent>,
    terminal: Arc<Terminal>,
    mut stream: futures_util::stream::SplitStream<WebSocket>,
    feedback: Arc<Feedback>,
) {
    while let Some(frame) = stream.next().await {
        let result = match frame.opcode() {
            OpCode::Binary => {
                feedback.typed(frame.payload());
                terminal.write_input(frame.payload()).await
            }
            OpCode::Text => {
                let text = websocket::text(&frame);
                match serde_json::from_str::<TerminalControl>(text) {
                    Ok(TerminalControl::Resize { cols, rows }) => {
                        if let Err(error) = agent.terminals.resize(&terminal, cols, rows).await {
                            tracing::debug!("resize of terminal {} failed: {error}", terminal.id);
                        }
                        Ok(())
                    }
                    Ok(TerminalControl::Ping { id }) => {
                        feedback.pinged(id);
                        Ok(())
                    }
                    Ok(TerminalControl::Ack { bytes }) => {
                        feedback.ack(bytes);
                        Ok(())
                    }
                    Ok(_) => Ok(()),
                    Err(_) => {
                        feedback.typed(text.as_bytes());
                        terminal.write_input(text.as_bytes()).await
                    }
                }
            }
            OpCode::Close => break,
            _ => Ok(()),
        };
        if result.is_err() {
            break;
        }
    }
}
