//! What each coding agent's own notification mechanism says about a session, read into one
//! [`StatusReport`]: `perry-worker event <agent>` runs from the hook Perry installs and hands
//! the report to the daemon, which puts it on the session.
//!
//! The payloads are each agent's own (the sources are beside the fixtures, in
//! `tests/fixtures/hooks/SOURCES.md`):
//! - **Claude Code** hooks get one JSON object on stdin: `hook_event_name`, `session_id`, and per
//!   event `tool_name`/`tool_input` (`PermissionRequest`), `notification_type`/`message`
//!   (`Notification`), `error` (`StopFailure`).
//! - **Codex** runs its `notify` program with the JSON as the last argument; the only type it
//!   sends is `agent-turn-complete`, keyed by `thread-id` (the session).
//! - **OpenCode** plugins get bus events `{type, properties}`; Perry's plugin passes each on as
//!   JSON on stdin. Permission asks are `permission.asked` (≥ 1.18) or `permission.updated`
//!   (before); both are read.
//!
//! Anything not about attention (a tool finished, a subagent stopped, an unknown event) is no
//! report at all, so nothing a hook says can raise a false alarm by being new.

use perry_api::sessions::{SessionAgent, SessionState};
use perry_api::worker::StatusReport;
use serde_json::Value;

use crate::text;

/// The longest detail kept, in characters.
const DETAIL_MAX_CHARS: usize = 160;

/// The report in `payload` of a hook of `agent`, if it says anything about attention.
pub fn read(agent: SessionAgent, payload: &Value) -> Option<StatusReport> {
    match agent {
        SessionAgent::ClaudeCode => claude(payload),
        SessionAgent::Codex => codex(payload),
        SessionAgent::Opencode => opencode(payload),
    }
}

fn report(
    agent: SessionAgent,
    session_id: &str,
    state: SessionState,
    detail: Option<String>,
) -> Option<StatusReport> {
    (!session_id.is_empty()).then(|| StatusReport {
        agent,
        session_id: session_id.to_owned(),
        state,
        detail: detail
            .map(|detail| text::single_line(&detail, DETAIL_MAX_CHARS))
            .filter(|detail| !detail.is_empty()),
    })
}

fn string<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// A Claude Code hook's stdin.
fn claude(payload: &Value) -> Option<StatusReport> {
    let session = string(payload, "session_id")?;
    let (state, detail) = match string(payload, "hook_event_name")? {
        "UserPromptSubmit" | "PostToolUse" => (SessionState::Working, None),
        // Asked at once, where the Notification of the same ask comes ≈6 s later.
        "PermissionRequest" => {
            let tool = string(payload, "tool_name").unwrap_or("a tool");
            let input = payload.get("tool_input").unwrap_or(&Value::Null);
            let summary = text::tool_call(tool, input).summary;
            let detail = if summary.is_empty() {
                tool.to_owned()
            } else {
                format!("{tool}: {summary}")
            };
            (SessionState::NeedsInput, Some(detail))
        }
        "Notification" => match string(payload, "notification_type")? {
            "permission_prompt"
            | "elicitation_dialog"
            | "elicitation_url_dialog"
            | "agent_needs_input" => (
                SessionState::NeedsInput,
                string(payload, "message").map(str::to_owned),
            ),
            "idle_prompt" => (SessionState::Idle, None),
            _ => return None,
        },
        "Stop" => (SessionState::Idle, None),
        "StopFailure" => {
            let detail = [string(payload, "error"), string(payload, "error_details")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            (SessionState::Error, Some(detail))
        }
        "SessionEnd" => (SessionState::Ended, None),
        _ => return None,
    };
    report(SessionAgent::ClaudeCode, session, state, detail)
}

/// Codex's `notify` argument.
fn codex(payload: &Value) -> Option<StatusReport> {
    match string(payload, "type")? {
        "agent-turn-complete" => report(
            SessionAgent::Codex,
            string(payload, "thread-id")?,
            SessionState::Idle,
            None,
        ),
        _ => None,
    }
}

/// An OpenCode bus event, as Perry's plugin passes it on.
fn opencode(event: &Value) -> Option<StatusReport> {
    let properties = event.get("properties")?;
    let session = string(properties, "sessionID")?;
    let (state, detail) = match string(event, "type")? {
        "session.status" => match properties.pointer("/status/type").and_then(Value::as_str)? {
            "idle" => (SessionState::Idle, None),
            // busy, retry, and whatever a newer OpenCode adds while it works.
            _ => (SessionState::Working, None),
        },
        "session.idle" => (SessionState::Idle, None),
        "permission.asked" => {
            let permission = string(properties, "permission").unwrap_or("permission");
            let patterns: Vec<&str> = properties
                .get("patterns")
                .and_then(Value::as_array)
                .map(|patterns| patterns.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let detail = if patterns.is_empty() {
                permission.to_owned()
            } else {
                format!("{permission}: {}", patterns.join(", "))
            };
            (SessionState::NeedsInput, Some(detail))
        }
        "permission.updated" | "permission.v2.asked" => (
            SessionState::NeedsInput,
            string(properties, "title")
                .or_else(|| string(properties, "action"))
                .map(str::to_owned),
        ),
        "question.asked" | "question.v2.asked" => (
            SessionState::NeedsInput,
            properties
                .pointer("/questions/0/question")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
        "permission.replied" => (SessionState::Working, None),
        "session.error" => {
            let name = properties.pointer("/error/name").and_then(Value::as_str);
            // The person pressed Esc: the turn ended, nothing failed.
            if name == Some("MessageAbortedError") {
                (SessionState::Idle, None)
            } else {
                let message = properties
                    .pointer("/error/data/message")
                    .and_then(Value::as_str);
                let detail = [name, message].into_iter().flatten().collect::<Vec<_>>();
                (SessionState::Error, Some(detail.join(": ")))
            }
        }
        _ => return None,
    };
    report(SessionAgent::Opencode, session, state, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state_of(agent: SessionAgent, payload: Value) -> Option<(SessionState, Option<String>)> {
        read(agent, &payload).map(|report| (report.state, report.detail))
    }

    #[test]
    fn claude_codes_hooks_are_read_by_event() {
        let claude = |payload| state_of(SessionAgent::ClaudeCode, payload);
        assert_eq!(
            claude(
                json!({"session_id": "s1", "hook_event_name": "PermissionRequest", "tool_name": "Bash",
                "tool_input": {"command": "rm -rf node_modules", "description": "Remove node_modules directory"}})
            ),
            Some((
                SessionState::NeedsInput,
                Some("Bash: rm -rf node_modules".to_owned())
            ))
        );
        assert_eq!(
            claude(
                json!({"session_id": "s1", "hook_event_name": "Notification", "message": "Claude needs your permission",
                "title": "Permission needed", "notification_type": "permission_prompt"})
            ),
            Some((
                SessionState::NeedsInput,
                Some("Claude needs your permission".to_owned())
            ))
        );
        assert_eq!(
            claude(
                json!({"session_id": "s1", "hook_event_name": "Stop", "stop_hook_active": false})
            ),
            Some((SessionState::Idle, None))
        );
        assert_eq!(
            claude(
                json!({"session_id": "s1", "hook_event_name": "StopFailure", "error": "rate_limit",
                "error_details": "429 Too Many Requests"})
            ),
            Some((
                SessionState::Error,
                Some("rate_limit: 429 Too Many Requests".to_owned())
            ))
        );
        // Nothing about attention: no report.
        for event in ["SubagentStop", "PreToolUse", "SessionStart", "SomethingNew"] {
            assert_eq!(
                claude(json!({"session_id": "s1", "hook_event_name": event})),
                None,
                "{event}"
            );
        }
        assert_eq!(
            claude(
                json!({"session_id": "s1", "hook_event_name": "Notification", "notification_type": "auth_success"})
            ),
            None
        );
        assert_eq!(
            claude(json!({"hook_event_name": "Stop"})),
            None,
            "no session"
        );
    }

    #[test]
    fn codex_says_only_that_a_turn_is_complete() {
        assert_eq!(
            read(
                SessionAgent::Codex,
                &json!({"type": "agent-turn-complete", "thread-id": "t1", "turn-id": "12345",
                "cwd": "/w", "input-messages": ["x"], "last-assistant-message": null})
            ),
            Some(StatusReport {
                agent: SessionAgent::Codex,
                session_id: "t1".to_owned(),
                state: SessionState::Idle,
                detail: None
            })
        );
        assert_eq!(
            read(
                SessionAgent::Codex,
                &json!({"type": "approval-requested", "thread-id": "t1"})
            ),
            None
        );
    }

    #[test]
    fn opencode_events_old_and_new_are_read() {
        let opencode = |event| state_of(SessionAgent::Opencode, event);
        assert_eq!(
            opencode(
                json!({"type": "permission.asked", "properties": {"id": "per_1", "sessionID": "ses_1",
                "permission": "bash", "patterns": ["git commit -m x"], "metadata": {}, "always": ["git commit *"]}})
            ),
            Some((
                SessionState::NeedsInput,
                Some("bash: git commit -m x".to_owned())
            ))
        );
        assert_eq!(
            opencode(
                json!({"type": "permission.updated", "properties": {"id": "per_1", "type": "bash",
                "sessionID": "ses_1", "messageID": "m", "title": "Run git push", "metadata": {}, "time": {"created": 1}}})
            ),
            Some((SessionState::NeedsInput, Some("Run git push".to_owned())))
        );
        assert_eq!(
            opencode(
                json!({"type": "session.status", "properties": {"sessionID": "ses_1", "status": {"type": "busy"}}})
            ),
            Some((SessionState::Working, None))
        );
        assert_eq!(
            opencode(json!({"type": "session.idle", "properties": {"sessionID": "ses_1"}})),
            Some((SessionState::Idle, None))
        );
        assert_eq!(
            opencode(
                json!({"type": "session.error", "properties": {"sessionID": "ses_1",
                "error": {"name": "APIError", "data": {"message": "Overloaded", "statusCode": 529, "isRetryable": true}}}})
            ),
            Some((SessionState::Error, Some("APIError: Overloaded".to_owned())))
        );
        assert_eq!(
            opencode(
                json!({"type": "session.error", "properties": {"sessionID": "ses_1",
                "error": {"name": "MessageAbortedError", "data": {"message": "aborted"}}}})
            ),
            Some((SessionState::Idle, None))
        );
        assert_eq!(
            opencode(json!({"type": "message.updated", "properties": {"sessionID": "ses_1"}})),
            None
        );
        assert_eq!(
            opencode(json!({"type": "session.error", "properties": {}})),
            None,
            "no session"
        );
    }
}
