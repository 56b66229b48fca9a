//! The line protocol between the agent and the perry-worker of a workspace.
//!
//! The worker daemon (`perry-worker serve`, kept running by the workspace's entrypoint) indexes
//! the coding-agent sessions of user `workspace` and listens on a unix socket inside the
//! container. The agent reaches it by running `perry-worker attach` through a Docker exec with
//! stdio attached, which relays the exec's stdin and stdout to that socket. So the worker opens
//! no TCP port: nothing on the network, not even another workspace, can reach the sessions.
//!
//! Both directions carry one JSON value per line: [`WorkerRequest`] from the agent,
//! [`WorkerOutput`] from the worker (a hello, then index events, interleaved with replies).

use serde::{Deserialize, Serialize};

use crate::sessions::{MessagesPage, SessionAgent, SessionEvent, SessionSearchHit, SessionState};

/// The directory the agent copies the worker into, inside every workspace (on every user's
/// PATH; image/entrypoint.sh starts it from there).
pub const WORKER_DIR: &str = "/usr/local/bin";
/// The worker's file name in [`WORKER_DIR`].
pub const WORKER_FILE: &str = "perry-worker";
/// The worker's whole path inside a workspace.
pub const WORKER_PATH: &str = "/usr/local/bin/perry-worker";

/// A call from the agent, one line on the worker's stdin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerRequest {
    /// Echoed in the reply, so replies may come in any order.
    pub id: u64,
    pub call: WorkerCall,
}

/// What the agent asks the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "camelCase")]
pub enum WorkerCall {
    /// A page of one session's messages, counted from the newest.
    #[serde(rename_all = "camelCase")]
    Messages {
        session_id: String,
        limit: u32,
        offset: u32,
    },
    /// Sessions whose title or messages contain `query`.
    #[serde(rename_all = "camelCase")]
    Search { query: String, limit: u32 },
    /// Removes one session for good: everything its coding agent keeps for it (the transcript
    /// and what lies beside it, or OpenCode's files or database rows, sub-agents' sessions
    /// included), so that no listing shows it again. Answered [`WorkerResult::Deleted`] after
    /// the index dropped it (its `removed` event is sent before the reply), `NotFound` for an
    /// id no indexed session has (one already gone, or not of its agent's shape).
    #[serde(rename_all = "camelCase")]
    Delete { session_id: String },
}

/// One session's new state, as its coding agent's hook told it: one JSON line on the daemon's
/// report socket, written by `perry-worker event` (which the hook runs inside the workspace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub agent: SessionAgent,
    pub session_id: String,
    pub state: SessionState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One line from the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum WorkerOutput {
    /// The first line: which worker answers.
    Hello { version: String },
    /// A change of the session index; the first one after the hello is a snapshot.
    Event { event: SessionEvent },
    /// The answer to request `id`.
    Reply { id: u64, result: WorkerResult },
}

/// The outcome of a [`WorkerCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum WorkerResult {
    Messages {
        page: MessagesPage,
    },
    Search {
        hits: Vec<SessionSearchHit>,
    },
    /// The session asked to [`WorkerCall::Delete`] is removed, from disk and from the index.
    Deleted {},
    /// No session with that id.
    NotFound {
        message: String,
    },
    /// The call failed; `reason` says which way, so the agent can answer accordingly.
    Failed {
        #[serde(default)]
        reason: WorkerFailure,
        message: String,
    },
}

/// Why a [`WorkerCall`] failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WorkerFailure {
    /// A transcript file could not be read (it vanished or changed mid-read, or is unreadable),
    /// or, to delete it, removed.
    Transcript,
    /// OpenCode's session database could not be read, or, to delete a session, written.
    Database,
    /// The connection to the worker broke before it answered: asking again may work.
    Disconnected,
    /// Anything else, including a reason this agent does not know yet.
    #[default]
    #[serde(other)]
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_outputs_are_one_tagged_json_value_each() {
        let request = WorkerRequest {
            id: 7,
            call: WorkerCall::Messages {
                session_id: "s1".to_owned(),
                limit: 50,
                offset: 0,
            },
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"id": 7, "call": {"method": "messages", "sessionId": "s1", "limit": 50, "offset": 0}})
        );
        let reply: WorkerOutput = serde_json::from_value(serde_json::json!({
            "type": "reply", "id": 7, "result": {"kind": "notFound", "message": "no session s1"}
        }))
        .unwrap();
        assert_eq!(
            reply,
            WorkerOutput::Reply {
                id: 7,
                result: WorkerResult::NotFound {
                    message: "no session s1".to_owned()
                }
            }
        );
        let failed: WorkerResult = serde_json::from_value(serde_json::json!({
            "kind": "failed", "reason": "disconnected", "message": "gone"
        }))
        .unwrap();
        assert!(matches!(
            failed,
            WorkerResult::Failed {
                reason: WorkerFailure::Disconnected,
                ..
            }
        ));
        // A worker of another version: an unknown reason, or none at all, is Other.
        for result in [
            serde_json::json!({"kind": "failed", "reason": "cosmicRays", "message": "x"}),
            serde_json::json!({"kind": "failed", "message": "x"}),
        ] {
            let failed: WorkerResult = serde_json::from_value(result).unwrap();
            assert!(matches!(
                failed,
                WorkerResult::Failed {
                    reason: WorkerFailure::Other,
                    ..
                }
            ));
        }
        let delete = WorkerRequest {
            id: 8,
            call: WorkerCall::Delete {
                session_id: "s1".to_owned(),
            },
        };
        assert_eq!(
            serde_json::to_value(&delete).unwrap(),
            serde_json::json!({"id": 8, "call": {"method": "delete", "sessionId": "s1"}})
        );
        assert_eq!(
            serde_json::to_value(WorkerOutput::Reply {
                id: 8,
                result: WorkerResult::Deleted {}
            })
            .unwrap(),
            serde_json::json!({"type": "reply", "id": 8, "result": {"kind": "deleted"}})
        );
        let line = serde_json::to_string(&WorkerOutput::Hello {
            version: "0.1.0".to_owned(),
        })
        .unwrap();
        assert!(!line.contains('\n'));
    }
}
