//! Claude Code transcripts: `~/.claude/projects/<encoded-cwd>/<session-uuid>.jsonl`.
//!
//! One JSON record per line, told apart by `type`:
//! - `user` / `assistant`: `message.content` is a string or an array of blocks (`text`,
//!   `tool_use {name, input}`, `tool_result {content}`, `thinking`, `image`); every record has
//!   `uuid`, `parentUuid`, `sessionId`, `cwd`, `timestamp`, and may have `isSidechain` (a
//!   sub-agent's turn), `isMeta` (text the CLI injected) or `isCompactSummary`. An assistant reply
//!   is written one content block per line, all with the same `message.id`.
//! - `summary {summary, leafUuid}`, `ai-title {aiTitle}`, `custom-title {customTitle}`: titles.
//! - `system`, `file-history-snapshot`, `queue-operation`, `attachment`, … : not conversation.
//!
//! Sub-agent transcripts (`agent-*.jsonl`, or files in a session's own sub-directory) are not
//! sessions of their own. The session id is the file's name: `claude --resume` looks it up by it.
//! Claude Code names them by UUID; a file named otherwise is still listed, without a resume
//! command (`SessionAgent::resume_command`), so no file name becomes a shell command.

use std::io;
use std::path::Path;

use perry_api::sessions::{Message, MessageRole, SessionState, ToolCall};
use serde_json::Value;

use crate::jsonl::{NotJson, ParsedLine, Piece, Record, TitleKind, Turn};
use crate::text;

/// Whether `path` is a session transcript under the projects directory `root`.
pub fn is_session_file(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let mut components = relative.components();
    let (Some(_project), Some(file), None) =
        (components.next(), components.next(), components.next())
    else {
        return false;
    };
    let name = file.as_os_str().to_string_lossy();
    name.ends_with(".jsonl") && !name.starts_with("agent-") && !name.starts_with('.')
}

/// The session id of a transcript: its file name without `.jsonl`.
pub fn session_id(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    Some(stem.to_owned())
}

/// Removes a session's transcript and the directory beside it named by its id, where Claude Code
/// keeps that session's sub-agent transcripts and large tool results (`<id>/subagents/…`,
/// `<id>/tool-results/…`). The directory goes first: while anything is left the transcript is
/// still there, so the session stays listed and deleting it again finishes the job.
pub fn remove_session(transcript: &Path) -> io::Result<()> {
    crate::removal::remove_directory(&transcript.with_extension(""))?;
    crate::removal::remove_file(transcript)
}

/// Parses one line of a transcript.
pub fn parse_line(line: &[u8], offset: u64) -> ParsedLine {
    let record: Value = serde_json::from_slice(line).map_err(|_| NotJson)?;
    let Some(kind) = record.get("type").and_then(Value::as_str) else {
        return Ok(Record::default());
    };
    let string = |key: &str| record.get(key).and_then(Value::as_str).map(str::to_owned);
    match kind {
        "summary" => Ok(title_record(TitleKind::Summary, string("summary"))),
        "ai-title" => Ok(title_record(TitleKind::Generated, string("aiTitle"))),
        "custom-title" => Ok(title_record(TitleKind::Custom, string("customTitle"))),
        "user" | "assistant" => Ok(conversation_record(&record, kind, offset)),
        "system" => Ok(system_record(&record)),
        _ => Ok(Record::default()),
    }
}

/// A `system` line: an API error Claude Code is retrying is still work under way.
fn system_record(record: &Value) -> Record {
    let retrying = record.get("subtype").and_then(Value::as_str) == Some("api_error")
        && record.get("source").and_then(Value::as_str) == Some("request_retry");
    if !retrying {
        return Record::default();
    }
    let why = record
        .pointer("/error/formatted")
        .or_else(|| record.pointer("/error/message"))
        .and_then(Value::as_str)
        .unwrap_or("the API did not answer");
    Record {
        timestamp_millis: record
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(crate::time::parse_rfc3339_millis),
        turn: Some(Turn {
            state: SessionState::Working,
            detail: Some(text::single_line(
                &format!("retrying: {why}"),
                DETAIL_MAX_CHARS,
            )),
        }),
        ..Record::default()
    }
}

/// The longest turn detail kept, in characters.
const DETAIL_MAX_CHARS: usize = 160;

/// What a conversation line says of the turn: a prompt or a tool's result means work; the
/// agent's reply ends the turn unless it calls a tool; an API error the CLI gave up on, or the
/// person interrupting, end it too. A transcript tells only working and idle: whether a turn
/// failed for good or waits on a question is the hook's to say (an old transcript must never
/// ring the person's bell).
fn turn_of(record: &Value, kind: &str, blocks: &Blocks) -> Option<Turn> {
    let message = record.get("message");
    let turn = |state, detail: Option<&str>| Turn {
        state,
        detail: detail
            .map(|detail| text::single_line(detail, DETAIL_MAX_CHARS))
            .filter(|detail| !detail.is_empty()),
    };
    if kind == "user" {
        if blocks
            .text
            .trim_start()
            .starts_with("[Request interrupted by user")
        {
            return Some(turn(SessionState::Idle, None));
        }
        return Some(turn(SessionState::Working, None));
    }
    if record.get("isApiErrorMessage").and_then(Value::as_bool) == Some(true) {
        return Some(turn(SessionState::Idle, Some(&blocks.text)));
    }
    let stop = message
        .and_then(|m| m.get("stop_reason"))
        .and_then(Value::as_str);
    // A line written before the reply's end (no stop reason yet) tells nothing new.
    match stop? {
        "end_turn" | "stop_sequence" if blocks.tool_calls.is_empty() => {
            Some(turn(SessionState::Idle, None))
        }
        _ => Some(turn(SessionState::Working, None)),
    }
}

fn title_record(kind: TitleKind, title: Option<String>) -> Record {
    Record {
        title: title
            .map(|text| text::single_line(&text, text::TITLE_MAX_CHARS))
            .filter(|text| !text.is_empty())
            .map(|text| (kind, text)),
        ..Record::default()
    }
}

fn conversation_record(record: &Value, kind: &str, offset: u64) -> Record {
    let flag = |key: &str| record.get(key).and_then(Value::as_bool).unwrap_or(false);
    let mut out = Record {
        project_path: record.get("cwd").and_then(Value::as_str).map(str::to_owned),
        ..Record::default()
    };
    // Sub-agent turns and text the CLI injected are not part of the conversation people had.
    if flag("isSidechain") || flag("isMeta") {
        return out;
    }
    let timestamp = record
        .get("timestamp")
        .and_then(Value::as_str)
        .unwrap_or_default();
    out.timestamp_millis = crate::time::parse_rfc3339_millis(timestamp);
    let message = record.get("message");
    let content = message.and_then(|m| m.get("content"));
    let id = record
        .get("uuid")
        .and_then(Value::as_str)
        .map_or_else(|| format!("b{offset}"), str::to_owned);
    let mut piece = Piece {
        message: Message {
            id,
            role: MessageRole::User,
            text: String::new(),
            tool_calls: Vec::new(),
            timestamp: timestamp.to_owned(),
        },
        group: None,
        title_text: None,
    };
    let blocks = Blocks::of(content);
    out.turn = turn_of(record, kind, &blocks);
    if kind == "assistant" {
        piece.message.role = MessageRole::Assistant;
        piece.message.text = blocks.text;
        piece.message.tool_calls = blocks.tool_calls;
        piece.group = message
            .and_then(|m| m.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
    } else if flag("isCompactSummary") {
        piece.message.role = MessageRole::System;
        piece.message.text = blocks.text;
    } else if !blocks.text.trim().is_empty() || blocks.tool_results.is_empty() {
        piece.title_text = Some(blocks.text.clone()).filter(|text| is_prompt(text));
        piece.message.text = blocks.text;
    } else {
        piece.message.role = MessageRole::Tool;
        piece.message.text =
            text::truncate_chars(&blocks.tool_results, text::TOOL_OUTPUT_MAX_CHARS);
    }
    if piece.message.text.trim().is_empty() && piece.message.tool_calls.is_empty() {
        // A `thinking` block alone, or an empty record: nothing to show.
        return out;
    }
    out.piece = Some(piece);
    out
}

/// Whether a user message is something the person typed (not a slash command's echo).
fn is_prompt(text: &str) -> bool {
    let trimmed = text.trim_start();
    const NOT_PROMPTS: [&str; 6] = [
        "<command-",
        "<local-command-",
        "<bash-",
        "<user-prompt-submit-hook>",
        "[Request interrupted",
        "Caveat: ",
    ];
    !trimmed.is_empty() && !NOT_PROMPTS.iter().any(|prefix| trimmed.starts_with(prefix))
}

#[derive(Default)]
struct Blocks {
    text: String,
    tool_calls: Vec<ToolCall>,
    tool_results: String,
}

impl Blocks {
    fn of(content: Option<&Value>) -> Blocks {
        let mut blocks = Blocks::default();
        match content {
            Some(Value::String(text)) => blocks.text = text.clone(),
            Some(Value::Array(items)) => {
                for item in items {
                    blocks.add(item);
                }
            }
            _ => {}
        }
        blocks
    }

    fn add(&mut self, block: &Value) {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                push_paragraph(
                    &mut self.text,
                    block
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                );
            }
            Some("image") => push_paragraph(&mut self.text, "[image]"),
            Some("tool_use") | Some("server_tool_use") => {
                let name = block.get("name").and_then(Value::as_str).unwrap_or("tool");
                self.tool_calls.push(text::tool_call(
                    name,
                    block.get("input").unwrap_or(&Value::Null),
                ));
            }
            Some("tool_result") => {
                push_paragraph(&mut self.tool_results, &result_text(block.get("content")));
            }
            _ => {}
        }
    }
}

fn result_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn push_paragraph(into: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !into.is_empty() {
        into.push_str("\n\n");
    }
    into.push_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse(line: &str) -> Record {
        parse_line(line.as_bytes(), 0).expect("valid JSON")
    }

    #[test]
    fn only_top_level_transcripts_are_sessions() {
        let root = PathBuf::from("/h/.claude/projects");
        assert!(is_session_file(
            &root,
            &root.join("-app/4f35e220-c435-4cf7-b9b9-f40426042847.jsonl")
        ));
        assert!(!is_session_file(
            &root,
            &root.join("-app/agent-1a2b3c4d.jsonl")
        ));
        assert!(!is_session_file(
            &root,
            &root.join("-app/4f35e220/subagents/agent-1.jsonl")
        ));
        assert!(!is_session_file(
            &root,
            &root.join("-app/sessions-index.json")
        ));
        assert!(!is_session_file(&root, &root.join("x.jsonl")));
    }

    #[test]
    fn a_string_prompt_is_a_user_message_and_a_title_candidate() {
        let record = parse(
            r#"{"type":"user","cwd":"/app","uuid":"u1","timestamp":"2025-05-26T07:27:40.079Z","message":{"role":"user","content":"Add a config file"}}"#,
        );
        let piece = record.piece.unwrap();
        assert_eq!(piece.message.role, MessageRole::User);
        assert_eq!(piece.message.id, "u1");
        assert_eq!(piece.title_text.as_deref(), Some("Add a config file"));
        assert_eq!(record.project_path.as_deref(), Some("/app"));
        assert!(record.timestamp_millis.is_some());
    }

    #[test]
    fn tool_use_blocks_become_tool_calls_grouped_by_message_id() {
        let record = parse(
            r#"{"type":"assistant","uuid":"a1","message":{"id":"msg_1","role":"assistant","content":[{"type":"thinking","thinking":"hm"},{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls -la","description":"List"}}]}}"#,
        );
        let piece = record.piece.unwrap();
        assert_eq!(piece.group.as_deref(), Some("msg_1"));
        assert_eq!(
            piece.message.tool_calls,
            vec![ToolCall {
                name: "Bash".into(),
                summary: "ls -la".into()
            }]
        );
        assert_eq!(piece.message.text, "");
    }

    #[test]
    fn tool_results_are_tool_messages_and_not_titles() {
        let record = parse(
            r#"{"type":"user","uuid":"r1","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"total 0"}]}]}}"#,
        );
        let piece = record.piece.unwrap();
        assert_eq!(piece.message.role, MessageRole::Tool);
        assert_eq!(piece.message.text, "total 0");
        assert_eq!(piece.title_text, None);
    }

    #[test]
    fn sidechain_meta_and_thinking_only_records_are_not_messages() {
        assert!(parse(r#"{"type":"user","isSidechain":true,"message":{"role":"user","content":"sub-agent prompt"}}"#).piece.is_none());
        assert!(parse(r#"{"type":"user","isMeta":true,"message":{"role":"user","content":"Caveat: injected"}}"#).piece.is_none());
        assert!(parse(r#"{"type":"assistant","message":{"id":"m","content":[{"type":"thinking","thinking":"x"}]}}"#).piece.is_none());
    }

    #[test]
    fn slash_command_echoes_are_messages_but_not_titles() {
        let record = parse(
            r#"{"type":"user","message":{"role":"user","content":"<command-name>/clear</command-name>"}}"#,
        );
        let piece = record.piece.unwrap();
        assert_eq!(piece.title_text, None);
    }

    #[test]
    fn title_records_carry_their_kind() {
        assert_eq!(
            parse(r#"{"type":"summary","summary":"Config work","leafUuid":"x"}"#).title,
            Some((TitleKind::Summary, "Config work".into()))
        );
        assert_eq!(
            parse(r#"{"type":"ai-title","aiTitle":"Generated"}"#).title,
            Some((TitleKind::Generated, "Generated".into()))
        );
        assert_eq!(
            parse(r#"{"type":"custom-title","customTitle":"Mine","sessionId":"s"}"#).title,
            Some((TitleKind::Custom, "Mine".into()))
        );
    }

    #[test]
    fn unknown_types_and_missing_fields_are_ignored_but_garbage_is_an_error() {
        let unknown = parse(r#"{"type":"file-history-snapshot","messageId":"m","snapshot":{}}"#);
        assert!(unknown.piece.is_none() && unknown.title.is_none());
        assert!(parse(r#"{"type":"user"}"#).piece.is_none());
        assert!(parse("[1,2]").piece.is_none());
        assert!(parse_line(b"{\"type\":\"user\",", 0).is_err());
    }
}
