//! The session index across tools: listing, paging, search, incremental updates.

mod common;

use std::fs;

use common::*;
use perry_api::sessions::{SessionAgent, SessionEvent};
use perry_worker::{LookupError, SessionIndex};

#[test]
fn the_first_scan_adds_every_session_and_a_second_scan_changes_nothing() {
    let home = Home::with_fixtures();
    let mut index = SessionIndex::new(home.roots());
    let events = index.scan();
    assert_eq!(events.len(), 7);
    assert!(
        events
            .iter()
            .all(|event| matches!(event, SessionEvent::Added { .. }))
    );
    assert!(index.scan().is_empty());
    assert_eq!(index.stats().sessions, 7);
}

#[test]
fn the_list_is_newest_first_across_tools_and_filters_by_agent() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let page = index.list(None, 100, 0);
    let ids: Vec<&str> = page
        .sessions
        .iter()
        .map(|s| s.session_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            OPENCODE_SLOW,
            OPENCODE_DARK,
            CODEX_VITE,
            CODEX_HEALTH,
            CLAUDE_FLAKY,
            CLAUDE_CHAT,
            CLAUDE_CONFIG
        ]
    );
    assert_eq!((page.total, page.has_more), (7, false));
    let codex = index.list(Some(SessionAgent::Codex), 100, 0);
    assert_eq!(codex.total, 2);
    assert!(
        codex
            .sessions
            .iter()
            .all(|s| s.agent == SessionAgent::Codex)
    );
}

#[test]
fn list_pages_by_limit_and_offset() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let first = index.list(None, 3, 0);
    assert_eq!(
        (first.sessions.len(), first.total, first.has_more),
        (3, 7, true)
    );
    let last = index.list(None, 3, 6);
    assert_eq!((last.sessions.len(), last.has_more), (1, false));
    assert_eq!(last.sessions[0].session_id, CLAUDE_CONFIG);
    let beyond = index.list(None, 3, 50);
    assert!(beyond.sessions.is_empty() && !beyond.has_more);
}

#[test]
fn messages_page_from_the_newest_in_conversation_order() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let newest = index.messages(CLAUDE_CONFIG, 2, 0).unwrap();
    let ids: Vec<&str> = newest.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["u3", "a5"]);
    assert_eq!((newest.total, newest.has_more), (6, true));
    let oldest = index.messages(CLAUDE_CONFIG, 2, 4).unwrap();
    let ids: Vec<&str> = oldest.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["u1", "a2"]);
    assert!(!oldest.has_more);
    let short = index.messages(CLAUDE_CONFIG, 10, 5).unwrap();
    assert_eq!(short.messages.len(), 1);
    assert!(
        index
            .messages(CLAUDE_CONFIG, 10, 6)
            .unwrap()
            .messages
            .is_empty()
    );
    let opencode = index.messages(OPENCODE_DARK, 1, 0).unwrap();
    assert_eq!(
        opencode.messages[0].text,
        "Thanks! Also persist the choice in localStorage."
    );
    assert!(opencode.has_more);
}

#[test]
fn a_page_of_messages_reads_only_its_own_lines() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let path = home.claude_file("-home-workspace-app", CLAUDE_CONFIG);
    let file_size = fs::metadata(&path).unwrap().len();
    let before = index.stats().bytes_read;
    index.messages(CLAUDE_CONFIG, 1, 0).unwrap();
    let read = index.stats().bytes_read - before;
    let last_message_line = fs::read_to_string(&path)
        .unwrap()
        .lines()
        .find(|line| line.contains("\"uuid\":\"a5\""))
        .unwrap()
        .len() as u64
        + 1;
    assert_eq!(read, last_message_line);
    assert!(read < file_size / 4);
}

#[test]
fn a_file_growing_line_by_line_is_read_one_line_at_a_time() {
    let home = Home::empty();
    let project = home.path().join(".claude/projects/-home-workspace-w");
    fs::create_dir_all(&project).unwrap();
    let session = "11111111-2222-4333-8444-555555555555";
    let path = project.join(format!("{session}.jsonl"));
    append(
        &path,
        &claude_user_line(session, "u0", "Write a parser", "2025-09-05T10:00:00.000Z"),
    );
    let mut index = home.scanned_index();
    let mut read_so_far = index.stats().bytes_read;
    for turn in 1..=20 {
        let line = claude_assistant_line(
            session,
            &format!("a{turn}"),
            &format!("msg_{turn}"),
            &format!("step {turn}"),
            &format!("2025-09-05T10:00:{turn:02}.000Z"),
        );
        append(&path, &line);
        let events = index.apply(&path);
        let [SessionEvent::Updated { session: info }] = events.as_slice() else {
            panic!("expected one update, got {events:?}");
        };
        assert_eq!(info.message_count, 1 + turn);
        let read = index.stats().bytes_read - read_so_far;
        assert_eq!(
            read,
            line.len() as u64,
            "turn {turn} read more than the new line"
        );
        read_so_far += read;
    }
    assert!(
        index.apply(&path).is_empty(),
        "an unchanged file is an empty update"
    );
    assert_eq!(index.stats().bytes_read, read_so_far);
}

#[test]
fn a_truncated_or_replaced_file_is_read_again_from_the_start() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let path = home.claude_file("-home-workspace-app", CLAUDE_CONFIG);
    fs::write(
        &path,
        claude_user_line(
            CLAUDE_CONFIG,
            "n1",
            "Start over",
            "2025-09-06T00:00:00.000Z",
        ),
    )
    .unwrap();
    let events = index.apply(&path);
    let [SessionEvent::Updated { session }] = events.as_slice() else {
        panic!("expected one update, got {events:?}");
    };
    assert_eq!(session.message_count, 1);
    // The summary record went with the old content: the title falls back to the prompt.
    assert_eq!(session.title, "Start over");

    let replacement = path.with_extension("tmp");
    let two_lines = claude_user_line(CLAUDE_CONFIG, "r1", "Replaced", "2025-09-07T00:00:00.000Z")
        + &claude_user_line(CLAUDE_CONFIG, "r2", "twice", "2025-09-07T00:00:01.000Z");
    fs::write(&replacement, two_lines).unwrap();
    fs::rename(&replacement, &path).unwrap();
    let events = index.apply(&path);
    let session = session_of(&events[0]).unwrap();
    assert_eq!(
        (session.message_count, session.title.as_str()),
        (2, "Replaced")
    );
}

#[test]
fn deleting_a_transcript_removes_its_session_and_a_new_project_directory_adds_its_sessions() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let path = home.claude_file("-home-workspace-app", CLAUDE_FLAKY);
    fs::remove_file(&path).unwrap();
    assert_eq!(
        index.apply(&path),
        [SessionEvent::Removed {
            session_id: CLAUDE_FLAKY.into(),
            agent: SessionAgent::ClaudeCode
        }]
    );
    assert!(index.get(CLAUDE_FLAKY).is_none());

    let project = home.path().join(".claude/projects/-home-workspace-new");
    fs::create_dir_all(&project).unwrap();
    let session = "22222222-3333-4444-8555-666666666666";
    append(
        &project.join(format!("{session}.jsonl")),
        &claude_user_line(session, "u", "Hello", "2025-09-08T00:00:00.000Z"),
    );
    let events = index.apply(&project);
    assert!(
        matches!(events.as_slice(), [SessionEvent::Added { session: info }] if info.session_id == session)
    );

    fs::remove_dir_all(&project).unwrap();
    assert_eq!(
        index.apply(&project),
        [SessionEvent::Removed {
            session_id: session.into(),
            agent: SessionAgent::ClaudeCode
        }]
    );
}

#[test]
fn a_tool_directory_created_later_is_found_by_applying_it() {
    let home = Home::empty();
    let mut index = home.scanned_index();
    assert_eq!(index.list(None, 10, 0).total, 0);
    copy_tree(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codex"),
        &home.path().join(".codex"),
    );
    let events = index.apply(&home.path().join(".codex"));
    assert_eq!(events.len(), 2);
    assert_eq!(index.get(CODEX_VITE).unwrap().title, "Upgrade vite");
}

#[test]
fn search_matches_titles_message_text_and_tool_calls_case_insensitively() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let by_title = index.search("DARK MODE", 10);
    assert_eq!(by_title.len(), 1);
    assert_eq!(by_title[0].session.session_id, OPENCODE_DARK);
    assert_eq!(by_title[0].message_id, None);

    let by_text = index.search("health_ok", 10);
    assert_eq!(by_text.len(), 1);
    assert_eq!(by_text[0].session.session_id, CODEX_HEALTH);
    assert!(by_text[0].message_id.is_some());
    assert!(
        by_text[0].snippet.to_lowercase().contains("health_ok"),
        "{}",
        by_text[0].snippet
    );

    let by_tool = index.search("rfc1459", 10);
    assert_eq!(by_tool.len(), 1);
    assert_eq!(by_tool[0].session.session_id, CLAUDE_CHAT);
    assert_eq!(by_tool[0].message_id.as_deref(), Some("m5"));

    assert!(index.search("no such words anywhere", 10).is_empty());
    assert!(index.search("   ", 10).is_empty());
    assert_eq!(index.search("e", 2).len(), 2);
}

#[test]
fn an_unknown_session_is_a_lookup_error() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    assert!(matches!(
        index.messages("nope", 10, 0),
        Err(LookupError::UnknownSession)
    ));
    assert!(matches!(
        index.messages(OPENCODE_CHILD, 10, 0),
        Err(LookupError::UnknownSession)
    ));
}

#[test]
fn the_snapshot_serializes_as_a_tagged_event_with_camel_case_sessions() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let value = serde_json::to_value(index.snapshot()).unwrap();
    assert_eq!(value["type"], "snapshot");
    assert_eq!(value["sessions"].as_array().unwrap().len(), 7);
    assert_eq!(value["sessions"][0]["agent"], "opencode");
    assert!(
        value["sessions"][0]["resumeCommand"]
            .as_str()
            .unwrap()
            .starts_with("opencode --session ")
    );
}
