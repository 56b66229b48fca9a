//! `GET /events` → WebSocket of JSON text frames, one [`StatusEvent`] each: a snapshot of every
//! session that has a status (across all running workspaces) on connect, then each change as it
//! happens. A socket that falls too far behind gets a fresh snapshot instead of what it missed.
//! Closes with 1001 when the agent shuts down, 4001 when its token is rotated away.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use perry_api::sessions::StatusEvent;
use tokio::sync::broadcast::error::RecvError;

use crate::Agent;
use crate::auth::{LocalClient, TokenWatch, token_rotated};
use crate::websocket::{self, IncomingUpgrade, OpCode, Sink, WebSocket};

/// The token and Origin were checked in front of every socket route.
pub async fn handle(
    State(agent): State<Arc<Agent>>,
    local: Option<Extension<LocalClient>>,
    upgrade: IncomingUpgrade,
) -> Response {
    let token = agent.auth.watch(local.is_some());
    let serving = agent.clone();
    websocket::accept(&agent, upgrade, move |socket| serve(serving, token, socket))
}

async fn serve(agent: Arc<Agent>, mut token: TokenWatch, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    // Subscribed before the snapshot is taken, so no change falls between the two.
    let mut changes = agent.sessions.status_events();
    let snapshot = StatusEvent::Snapshot {
        sessions: agent.sessions.statuses(),
    };
    if send(&mut sink, &snapshot).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            change = changes.recv() => match change {
                Ok(change) => {
                    if send(&mut sink, &change).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    let sessions = agent.sessions.statuses();
                    if send(&mut sink, &StatusEvent::Snapshot { sessions }).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            () = token.rotated() => {
                let _ = sink.send(token_rotated()).await;
                return;
            }
            () = agent.sessions.shutting_down() => {
                let _ = sink.send(websocket::close(1001, "agent shutting down")).await;
                return;
            }
            frame = stream.next() => match frame {
                Some(frame) if frame.opcode() != OpCode::Close => {}
                _ => return,
            },
        }
    }
}

async fn send(sink: &mut Sink, event: &StatusEvent) -> Result<(), websocket::WebSocketError> {
    sink.send(websocket::json(event)).await
}
