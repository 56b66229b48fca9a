//! Coding-agent session types. The procedures answer NOT_IMPLEMENTED until the sessions issue.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One coding-agent session found in a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub session_id: String,
    pub title: String,
    pub agent: String,
    pub message_count: u32,
    /// RFC 3339 time of the last message.
    pub last_activity: String,
}

/// Input of `sessions.list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionsListInput {
    pub workspace_name: String,
}
