//! `GET /sessions/:workspace` → WebSocket of JSON text frames, one [`SessionEvent`] each: a
//! snapshot on connect, then added / updated / removed as the workspace's sessions change. A
//! socket that falls too far behind gets a fresh snapshot instead of the events it missed.
//! Closes with 1001 when the workspace stops or the agent shuts down, 4001 when its token is
//! rotated away.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use perry_api::sessions::SessionEvent;
use tokio::sync::broadcast::error::RecvError;

use super::WorkspaceSessions;
use crate::Agent;
use crate::auth::{LocalClient, TokenWatch, token_rotated};
use crate::error::ApiError;
use crate::websocket::{self, IncomingUpgrade, OpCode, Sink, WebSocket};

/// Upgrades after the checks that must answer with an HTTP status (unknown or stopped
/// workspace); the Origin was checked in front of every route that can act ([`crate::guard`]).
pub async fn handle(
    State(agent): State<Arc<Agent>>,
    Path(workspace): Path<String>,
    local: Option<Extension<LocalClient>>,
    upgrade: IncomingUpgrade,
) -> Response {
    let token = agent.auth.watch(local.is_some());
    match agent.sessions_of(&workspace).await {
        Ok(index) => websocket::accept(&agent, upgrade, move |socket| serve(index, token, socket)),
        Err(error) => error.into_response(),
    }
}

async fn serve(index: Arc<WorkspaceSessions>, mut token: TokenWatch, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let mut events = index.subscribe();
    let mut first = index.sessions_watch();
    // The snapshot comes from the index as it is now; events after it come from `events`,
    // subscribed before, so nothing falls between the two.
    let snapshot = tokio::select! {
        snapshot = async {
            let _ = first.wait_for(Option::is_some).await;
            index.snapshot()
        } => snapshot,
        reason = index.closed() => {
            let _ = sink.send(websocket::close(1001, &reason)).await;
            return;
        }
    };
    let Some(snapshot) = snapshot else { return };
    if send(&mut sink, &SessionEvent::Snapshot { sessions: snapshot })
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    if send(&mut sink, &event).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    let sessions = index.snapshot().unwrap_or_default();
                    if send(&mut sink, &SessionEvent::Snapshot { sessions }).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            reason = index.closed() => {
                let _ = sink.send(websocket::close(1001, &reason)).await;
                return;
            }
            () = token.rotated() => {
                let _ = sink.send(token_rotated()).await;
                return;
            }
            frame = stream.next() => match frame {
                Some(frame) if frame.opcode() != OpCode::Close => {}
                _ => return,
            },
        }
    }
}

async fn send(sink: &mut Sink, event: &SessionEvent) -> Result<(), websocket::WebSocketError> {
    sink.send(websocket::json(event)).await
}

impl Agent {
    /// The session index of a workspace that exists and runs.
    pub async fn sessions_of(&self, workspace: &str) -> Result<Arc<WorkspaceSessions>, ApiError> {
        let record = self.workspaces.get(workspace).await?;
        if record.status != perry_api::WorkspaceStatus::Running {
            return Err(ApiError::Conflict(format!(
                "Workspace {workspace:?} is {}; start it to see its sessions",
                record.status.as_str()
            )));
        }
        let container = self.workspaces.container_name(workspace);
        Ok(self.sessions.index(workspace, &container))
    }
}
