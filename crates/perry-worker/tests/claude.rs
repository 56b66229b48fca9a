//! Claude Code transcripts read from the fixtures.

mod common;

use common::*;
use perry_api::sessions::{MessageRole, SessionAgent, SessionEvent, ToolCall};

#[test]
fn transcripts_are_listed_with_titles_counts_times_and_resume_commands() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let config = index.get(CLAUDE_CONFIG).expect("listed");
    assert_eq!(config.agent, SessionAgent::ClaudeCode);
    assert_eq!(config.title, "Config file for the worker");
    assert_eq!(config.message_count, 6);
    assert_eq!(config.last_activity, "2025-09-01T10:00:09.500Z");
    assert_eq!(config.project_path, "/home/workspace/app");
    assert_eq!(
        config.resume_command,
        format!("claude --resume {CLAUDE_CONFIG}")
    );
}

#[test]
fn sub_agent_files_and_summary_only_files_are_not_sessions() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let page = index.list(Some(SessionAgent::ClaudeCode), 100, 0);
    let mut ids: Vec<&str> = page
        .sessions
        .iter()
        .map(|s| s.session_id.as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, [CLAUDE_FLAKY, CLAUDE_CONFIG, CLAUDE_CHAT]);
}

#[test]
fn corrupt_lines_are_counted_and_meta_sidechain_and_partial_lines_are_not_messages() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let chat = index.get(CLAUDE_CHAT).unwrap();
    // The /clear echo, the prompt, the reply and "Sounds good": not the caveat (isMeta), not the
    // sub-agent line, not the crashed line, not the line still being written.
    assert_eq!(chat.message_count, 4);
    assert_eq!(index.corrupt_lines(CLAUDE_CHAT), Some(1));
    assert_eq!(index.corrupt_lines(CLAUDE_CONFIG), Some(0));
}

#[test]
fn without_a_title_record_the_first_prompt_is_the_title_on_one_line() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let title = &index.get(CLAUDE_CHAT).unwrap().title;
    assert!(
        title.starts_with("Let's make a basic chat server in Python"),
        "{title}"
    );
    assert!(title.chars().count() <= 80, "{title}");
    assert!(title.ends_with('…') && !title.contains('\n'), "{title}");
}

#[test]
fn a_custom_title_beats_generated_titles_written_after_it() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    assert_eq!(index.get(CLAUDE_FLAKY).unwrap().title, "Flaky watcher test");
}

#[test]
fn blocks_of_one_reply_are_one_message_with_tool_calls_summarised() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let page = index.messages(CLAUDE_CONFIG, 50, 0).unwrap();
    let roles: Vec<MessageRole> = page.messages.iter().map(|m| m.role).collect();
    use MessageRole::*;
    assert_eq!(roles, [User, Assistant, Tool, Assistant, Tool, Assistant]);
    let first_reply = &page.messages[1];
    // The thinking-only line (a1) shows nothing, so the message is named by its first shown line.
    assert_eq!(first_reply.id, "a2");
    assert_eq!(first_reply.text, "I'll look at the project first.");
    assert_eq!(
        first_reply.tool_calls,
        [ToolCall {
            name: "Bash".into(),
            summary: "ls -la /home/workspace/app".into()
        }]
    );
    assert_eq!(
        page.messages[3].tool_calls[0].summary,
        "/home/workspace/app/config.toml"
    );
    assert!(page.messages[2].text.starts_with("total 8"));
    assert_eq!(page.messages[0].timestamp, "2025-09-01T10:00:00.000Z");
    assert_eq!((page.total, page.has_more), (6, false));
}

#[test]
fn the_line_being_written_counts_once_its_newline_arrives() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let path = home.claude_file("-home-workspace-chat-server", CLAUDE_CHAT);
    append(
        &path,
        "ng the server now.\"}]},\"uuid\":\"m7\",\"timestamp\":\"2025-09-02T08:01:05.000Z\"}",
    );
    assert!(
        index.apply(&path).is_empty(),
        "still no newline: nothing changed"
    );
    append(&path, "\n");
    let events = index.apply(&path);
    let [SessionEvent::Updated { session }] = events.as_slice() else {
        panic!("expected one update, got {events:?}");
    };
    assert_eq!(session.message_count, 5);
    assert_eq!(session.last_activity, "2025-09-02T08:01:05.000Z");
    let newest = index.messages(CLAUDE_CHAT, 1, 0).unwrap();
    assert_eq!(newest.messages[0].text, "Writing the server now.");
    assert_eq!(index.corrupt_lines(CLAUDE_CHAT), Some(1));
}

/// A file name is not a command: a transcript, rollout or OpenCode session whose id is not one
/// its tool makes is listed, readable, and offered no resume command.
#[test]
fn sessions_whose_ids_are_not_the_tools_own_get_no_resume_command() {
    let home = Home::empty();
    let hostile = "x; rm -rf ~";
    let claude = home.claude_file("-home-workspace-w", hostile);
    std::fs::create_dir_all(claude.parent().unwrap()).unwrap();
    append(
        &claude,
        &claude_user_line(hostile, "u-1", "hello", "2025-09-01T10:00:00.000Z"),
    );
    let codex = home.codex_file("2025/10/29", "2025-10-29T00-59-38", "$(reboot)");
    std::fs::create_dir_all(codex.parent().unwrap()).unwrap();
    append(
        &codex,
        &format!(
            "{}\n{}\n",
            serde_json::json!({"timestamp": "2025-10-29T00:59:38.000Z", "type": "session_meta",
                "payload": {"id": "`reboot`", "cwd": "/home/workspace/w"}}),
            serde_json::json!({"timestamp": "2025-10-29T00:59:39.000Z", "type": "response_item",
                "payload": {"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": "hello"}]}}),
        ),
    );
    let db = OpencodeDb::with_schema(home.path());
    db.add_session("ses_1; reboot", None, "Hostile", "/home/workspace/w", 1_000);
    db.add_message(
        "ses_1; reboot",
        "msg_1",
        "user",
        1_000,
        &[opencode_text("hello")],
    );
    let trusted = home.claude_file("-home-workspace-w", CLAUDE_CONFIG);
    append(
        &trusted,
        &claude_user_line(CLAUDE_CONFIG, "u-2", "hi", "2025-09-01T10:00:00.000Z"),
    );

    let index = home.scanned_index();
    let page = index.list(None, 100, 0);
    let listed: Vec<(&str, SessionAgent, &str)> = page
        .sessions
        .iter()
        .map(|s| (s.session_id.as_str(), s.agent, s.resume_command.as_str()))
        .collect();
    for (agent, id) in [
        (SessionAgent::ClaudeCode, hostile),
        (SessionAgent::Codex, "`reboot`"),
        (SessionAgent::Opencode, "ses_1; reboot"),
    ] {
        assert!(
            listed.contains(&(id, agent, "")),
            "{agent:?} {id:?} is listed without a resume command: {listed:?}"
        );
    }
    assert!(
        listed.contains(&(
            CLAUDE_CONFIG,
            SessionAgent::ClaudeCode,
            &format!("claude --resume {CLAUDE_CONFIG}")
        )),
        "{listed:?}"
    );
    assert_eq!(listed.len(), 4, "{listed:?}");
}
