//! `GET /terminal/:workspace` → WebSocket. Binary frames carry raw terminal bytes both ways; text
//! frames carry JSON control messages ([`TerminalControl`]); a text frame that is not a control
//! message is input. Query: `token`, `terminal` (reattach to this id), `cols`, `rows`, `cmd` (a
//! JSON array: run this command instead of the login shell), `since` (an output offset: replay only
//! what came after it).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use perry_api::TerminalControl;

use super::{Output, Terminal, TerminalRequest};
use crate::Agent;
use crate::auth::{LocalClient, TokenWatch, token_rotated};
use crate::error::ApiError;

/// How much one read from a terminal socket takes. Input is keystrokes and pastes; tungstenite
/// zero-fills its whole read buffer before every read (128 KiB by default, twice per keystroke:
/// once for the frame, once to find the socket drained), which was a tenth of a keystroke's time
/// in the agent.
const INPUT_READ_BUFFER: usize = 8 * 1024;

/// Upgrades to a terminal socket after the checks that must answer with an HTTP status.
pub async fn handle(
    State(agent): State<Arc<Agent>>,
    Path(workspace): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    local: Option<Extension<LocalClient>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    match prepare(&agent, &workspace, &query).await {
        Ok(terminal) => {
            agent.workspaces.mark_used(&workspace);
            let agent = agent.clone();
            let since = query.get("since").and_then(|since| since.parse().ok());
            let token = agent.auth.watch(local.is_some());
            upgrade
                .read_buffer_size(INPUT_READ_BUFFER)
                .on_upgrade(move |socket| serve(agent, terminal, since, token, socket))
                .into_response()
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

async fn serve(
    agent: Arc<Agent>,
    terminal: Arc<Terminal>,
    since: Option<u64>,
    mut token: TokenWatch,
    socket: WebSocket,
) {
    let (client, mut cursor) = terminal.attach(since);
    let (mut sink, mut stream) = socket.split();

    let info = terminal.info();
    let attached = TerminalControl::Attached {
        id: terminal.id.clone(),
        cols: info.cols,
        rows: info.rows,
        replayed_bytes: u32::try_from(terminal.output_end().saturating_sub(cursor))
            .unwrap_or(u32::MAX),
        offset: cursor,
    };
    let hello = serde_json::to_string(&attached).unwrap_or_default();

    let output_terminal = terminal.clone();
    let mut send_task = tokio::spawn(async move {
        if sink.send(Message::Text(hello.into())).await.is_err() {
            return;
        }
        loop {
            let output = tokio::select! {
                output = output_terminal.next_output(client, &mut cursor) => output,
                () = token.rotated() => {
                    let _ = sink.send(token_rotated()).await;
                    return;
                }
            };
            match output {
                Output::Bytes { bytes, dropped } => {
                    if dropped > 0 {
                        let notice = TerminalControl::Dropped {
                            bytes: u32::try_from(dropped).unwrap_or(u32::MAX),
                        };
                        let text = serde_json::to_string(&notice).unwrap_or_default();
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                    if sink.send(Message::Binary(bytes.into())).await.is_err() {
                        return;
                    }
                }
                Output::Closed(reason) => {
                    let frame = CloseFrame {
                        code: reason.code,
                        reason: reason.reason.into(),
                    };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    return;
                }
            }
        }
    });

    let input_terminal = terminal.clone();
    let mut receive_task = tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let result = match message {
                Message::Binary(bytes) => input_terminal.write_input(&bytes).await,
                Message::Text(text) => match serde_json::from_str::<TerminalControl>(&text) {
                    Ok(TerminalControl::Resize { cols, rows }) => {
                        if let Err(error) =
                            agent.terminals.resize(&input_terminal, cols, rows).await
                        {
                            tracing::debug!(
                                "resize of terminal {} failed: {error}",
                                input_terminal.id
                            );
                        }
                        Ok(())
                    }
                    Ok(_) => Ok(()),
                    Err(_) => input_terminal.write_input(text.as_bytes()).await,
                },
                Message::Close(_) => break,
                Message::Ping(_) | Message::Pong(_) => Ok(()),
            };
            if result.is_err() {
                break;
            }
        }
    });

    tokio::select! {
        _ = &mut send_task => receive_task.abort(),
        _ = &mut receive_task => send_task.abort(),
    }
    terminal.detach(client);
}
