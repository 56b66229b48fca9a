//! Codex rollouts: `~/.codex/sessions/YYYY/MM/DD/rollout-<YYYY-MM-DDThh-mm-ss>-<uuid>.jsonl`.
//!
//! Every line is `{"timestamp", "type", "payload"}` (codex-rs `RolloutLine`: a `timestamp` next to
//! the `RolloutItem` enum tagged `type` with content `payload`):
//! - `session_meta`: `{id, timestamp, cwd, originator, cli_version, …}`, the first line.
//! - `response_item`: the model's history (`ResponseItem`, tagged `type`): `message {role,
//!   content: [{type: input_text|output_text, text}]}`, `function_call {name, arguments (a JSON
//!   string), call_id}`, `function_call_output {call_id, output}`, `custom_tool_call {name, input}`,
//!   `local_shell_call {action: {command: [..]}}`, `web_search_call`, `reasoning`, … Codex also
//!   records the context it injects as user messages (`<environment_context>`, AGENTS.md
//!   instructions) and `developer` messages; those are not the conversation.
//! - `event_msg` (UI events that repeat the messages), `turn_context`, `compacted {message}`.
//!
//! Names the user gives threads live apart, in `~/.codex/session_index.jsonl`:
//! `{id, thread_name, updated_at}` appended per rename, the latest line winning.

use std::path::Path;

use perry_api::sessions::{Message, MessageRole, SessionAgent, SessionState, ToolCall};
use serde_json::Value;

use crate::jsonl::{NotJson, ParsedLine, Piece, Record, Turn};
use crate::text;

/// Whether `path` is a rollout file under the sessions directory `root`.
pub fn is_session_file(root: &Path, path: &Path) -> bool {
    if !path.starts_with(root) {
        return false;
    }
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with("rollout-") && name.ends_with(".jsonl"))
}

/// The session id in a rollout's file name: the UUID after the timestamp.
pub fn session_id_from_file_name(path: &Path) -> Option<String> {
    let stem = path
        .file_name()?
        .to_str()?
        .strip_prefix("rollout-")?
        .strip_suffix(".jsonl")?;
    // The UUID is the last 36 characters: 8-4-4-4-12 hex digits.
    let start = stem.len().checked_sub(36)?;
    let candidate = stem.get(start..)?;
    SessionAgent::Codex
        .is_valid_session_id(candidate)
        .then(|| candidate.to_owned())
}

/// Removes a session's rollout file, all Codex keeps of the conversation. Its name in
/// `session_index.jsonl`, if it was given one, stays: that file is Codex's to rewrite, and a name
/// without its rollout names nothing.
pub fn remove_session(rollout: &Path) -> std::io::Result<()> {
    crate::removal::remove_file(rollout)
}

/// Parses one line of a rollout.
pub fn parse_line(line: &[u8], offset: u64) -> ParsedLine {
    let record: Value = serde_json::from_slice(line).map_err(|_| NotJson)?;
    let payload = record.get("payload").unwrap_or(&Value::Null);
    let timestamp = record
        .get("timestamp")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let string =
        |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut out = Record::default();
    let message = |role, text: String, tool_calls: Vec<ToolCall>| Message {
        id: format!("b{offset}"),
        role,
        text,
        tool_calls,
        timestamp: timestamp.to_owned(),
    };
    let piece = match record.get("type").and_then(Value::as_str) {
        Some("session_meta") => {
            out.session_id = string(payload, "id");
            out.project_path = string(payload, "cwd");
            None
        }
        Some("compacted") => string(payload, "message").map(|summary| Piece {
            message: message(MessageRole::System, summary, Vec::new()),
            group: None,
            title_text: None,
        }),
        Some("response_item") => response_item(payload, &message),
        Some("event_msg") => {
            out.turn = turn_of(payload);
            None
        }
        _ => None,
    };
    if piece.is_some() || out.turn.is_some() {
        out.timestamp_millis = crate::time::parse_rfc3339_millis(timestamp);
    }
    out.piece = piece;
    Ok(out)
}

/// What an `event_msg` says of the turn: started, or over (complete or aborted). Like every
/// transcript, only working and idle: a failure is the notify hook's to say.
fn turn_of(event: &Value) -> Option<Turn> {
    let state = match event.get("type").and_then(Value::as_str)? {
        "task_started" | "user_message" | "stream_error" => SessionState::Working,
        "task_complete" | "turn_aborted" => SessionState::Idle,
        _ => return None,
    };
    Some(Turn {
        state,
        detail: None,
    })
}

/// Assistant text and the tool calls that follow it are one message, until a tool's output or a
/// user message.
const ASSISTANT_GROUP: &str = "assistant";

fn response_item(
    item: &Value,
    message: &dyn Fn(MessageRole, String, Vec<ToolCall>) -> Message,
) -> Option<Piece> {
    let assistant = |text: String, tool_calls: Vec<ToolCall>| Piece {
        message: message(MessageRole::Assistant, text, tool_calls),
        group: Some(ASSISTANT_GROUP.to_owned()),
        title_text: None,
    };
    let name = || item.get("name").and_then(Value::as_str).unwrap_or("tool");
    match item.get("type").and_then(Value::as_str)? {
        "message" => {
            let text = content_text(item.get("content"));
            match item.get("role").and_then(Value::as_str)? {
                "assistant" if !text.trim().is_empty() => Some(assistant(text, Vec::new())),
                "user" if !text.trim().is_empty() && !is_injected_context(&text) => Some(Piece {
                    title_text: Some(text.clone()),
                    message: message(MessageRole::User, text, Vec::new()),
                    group: None,
                }),
                _ => None,
            }
        }
        "function_call" => {
            let arguments = item
                .get("arguments")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let input =
                serde_json::from_str(arguments).unwrap_or(Value::String(arguments.to_owned()));
            Some(assistant(
                String::new(),
                vec![text::tool_call(name(), &input)],
            ))
        }
        "custom_tool_call" => {
            let input = item
                .get("input")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some(assistant(
                String::new(),
                vec![text::tool_call_with_text_input(name(), input)],
            ))
        }
        "local_shell_call" => {
            let action = item.get("action").unwrap_or(&Value::Null);
            Some(assistant(
                String::new(),
                vec![text::tool_call("local_shell", action)],
            ))
        }
        "web_search_call" => {
            let action = item.get("action").unwrap_or(&Value::Null);
            Some(assistant(
                String::new(),
                vec![text::tool_call("web_search", action)],
            ))
        }
        "function_call_output" | "custom_tool_call_output" => {
            let output = output_text(item.get("output"));
            Some(Piece {
                message: message(
                    MessageRole::Tool,
                    text::truncate_chars(&output, text::TOOL_OUTPUT_MAX_CHARS),
                    Vec::new(),
                ),
                group: None,
                title_text: None,
            })
        }
        _ => None,
    }
}

/// Context Codex sends as user messages on its own: environment, instructions, aborted turns.
fn is_injected_context(text: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "<environment_context>",
        "<user_instructions>",
        "# AGENTS.md instructions",
        "<permissions instructions>",
        "<turn_aborted>",
        "<INSTRUCTIONS>",
    ];
    let trimmed = text.trim_start();
    PREFIXES.iter().any(|prefix| trimmed.starts_with(prefix))
}

fn content_text(content: Option<&Value>) -> String {
    let Some(Value::Array(items)) = content else {
        return content
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
    };
    let parts: Vec<&str> = items
        .iter()
        .filter_map(|item| match item.get("type").and_then(Value::as_str) {
            Some("input_image") => Some("[image]"),
            _ => item.get("text").and_then(Value::as_str),
        })
        .collect();
    parts.join("\n\n")
}

/// A tool output: a plain string, `{content}` (older rollouts), or content items.
fn output_text(output: Option<&Value>) -> String {
    match output {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Object(fields)) => fields
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        Some(Value::Array(items)) => content_text(Some(&Value::Array(items.clone()))),
        _ => String::new(),
    }
}

/// Thread names from `session_index.jsonl`, one `{id, thread_name, updated_at}` per line.
pub fn parse_thread_name(line: &[u8]) -> Option<(String, String)> {
    let entry: Value = serde_json::from_slice(line).ok()?;
    let id = entry.get("id")?.as_str()?.to_owned();
    let name = entry.get("thread_name")?.as_str()?;
    Some((id, text::single_line(name, text::TITLE_MAX_CHARS)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse(line: &str) -> Record {
        parse_line(line.as_bytes(), 42).expect("valid JSON")
    }

    #[test]
    fn the_session_id_is_the_uuid_at_the_end_of_the_file_name() {
        let path = PathBuf::from(
            "/h/.codex/sessions/2025/10/29/rollout-2025-10-29T00-59-38-019a2d7a-41c4-78b1-b7cc-a45d62a89cd5.jsonl",
        );
        assert_eq!(
            session_id_from_file_name(&path).as_deref(),
            Some("019a2d7a-41c4-78b1-b7cc-a45d62a89cd5")
        );
        assert!(is_session_file(&PathBuf::from("/h/.codex/sessions"), &path));
        assert_eq!(
            session_id_from_file_name(&PathBuf::from("rollout-x.jsonl")),
            None
        );
    }

    #[test]
    fn session_meta_names_the_session_and_its_directory() {
        let record = parse(
            r#"{"timestamp":"2025-10-29T00:59:38.317Z","type":"session_meta","payload":{"id":"019a2d7a-41c4-78b1-b7cc-a45d62a89cd5","cwd":"/work/app","cli_version":"0.46.0"}}"#,
        );
        assert_eq!(
            record.session_id.as_deref(),
            Some("019a2d7a-41c4-78b1-b7cc-a45d62a89cd5")
        );
        assert_eq!(record.project_path.as_deref(), Some("/work/app"));
        assert!(record.piece.is_none());
    }

    #[test]
    fn injected_context_is_not_a_user_message() {
        let record = parse(
            r#"{"timestamp":"2025-10-29T00:59:38.317Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"}]}}"#,
        );
        assert!(record.piece.is_none());
        let developer = parse(
            r#"{"timestamp":"t","type":"response_item","payload":{"type":"message","role":"developer","content":[{"type":"input_text","text":"<permissions instructions>"}]}}"#,
        );
        assert!(developer.piece.is_none());
    }

    #[test]
    fn function_calls_are_summarised_from_their_json_arguments() {
        let record = parse(
            r#"{"timestamp":"2025-10-29T00:59:40.000Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"cargo test\"],\"workdir\":\"/w\"}","call_id":"call_1"}}"#,
        );
        let piece = record.piece.unwrap();
        assert_eq!(piece.message.role, MessageRole::Assistant);
        assert_eq!(piece.message.tool_calls[0].summary, "cargo test");
        assert_eq!(piece.message.id, "b42");
        assert_eq!(piece.group.as_deref(), Some(ASSISTANT_GROUP));
    }

    #[test]
    fn tool_outputs_in_any_shape_are_tool_messages() {
        for output in [
            r#""ok""#,
            r#"{"content":"ok","success":true}"#,
            r#"[{"type":"input_text","text":"ok"}]"#,
        ] {
            let line = format!(
                r#"{{"timestamp":"t","type":"response_item","payload":{{"type":"function_call_output","call_id":"c","output":{output}}}}}"#
            );
            let piece = parse(&line).piece.unwrap();
            assert_eq!(
                (piece.message.role, piece.message.text.as_str()),
                (MessageRole::Tool, "ok")
            );
        }
    }

    #[test]
    fn event_messages_reasoning_and_unknown_items_are_ignored() {
        for line in [
            r#"{"timestamp":"t","type":"event_msg","payload":{"type":"user_message","message":"dup"}}"#,
            r#"{"timestamp":"t","type":"response_item","payload":{"type":"reasoning","summary":[]}}"#,
            r#"{"timestamp":"t","type":"response_item","payload":{"type":"ghost_snapshot"}}"#,
            r#"{"timestamp":"t","type":"turn_context","payload":{"cwd":"/w","model":"gpt-5-codex"}}"#,
            r#"{"type":"something_new"}"#,
        ] {
            assert!(parse(line).piece.is_none(), "{line}");
        }
    }

    #[test]
    fn thread_names_come_from_the_session_index() {
        assert_eq!(
            parse_thread_name(br#"{"id":"u1","thread_name":"Fix the login flow","updated_at":"2025-01-01T00:00:00Z"}"#),
            Some(("u1".to_owned(), "Fix the login flow".to_owned()))
        );
        assert_eq!(parse_thread_name(b"{broken"), None);
    }
}
