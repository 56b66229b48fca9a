//! OpenCode storage read from the fixtures.

mod common;

use std::fs;

use common::*;
use perry_api::sessions::{MessageRole, SessionAgent, SessionEvent};

#[test]
fn sessions_are_listed_with_their_own_title_count_and_directory() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let dark = index.get(OPENCODE_DARK).expect("listed");
    assert_eq!(dark.agent, SessionAgent::Opencode);
    assert_eq!(dark.title, "Dark mode toggle");
    assert_eq!(dark.message_count, 3);
    assert_eq!(dark.project_path, "/home/workspace/site");
    // time.updated of the session (1762100065000 ms) is later than its last message.
    assert_eq!(dark.last_activity, "2025-11-02T16:14:25.000Z");
    assert_eq!(
        dark.resume_command,
        format!("opencode --session {OPENCODE_DARK}")
    );
}

#[test]
fn a_placeholder_title_falls_back_to_the_first_prompt_and_sub_agent_sessions_are_hidden() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    assert_eq!(
        index.get(OPENCODE_SLOW).unwrap().title,
        "Why is the build so slow on CI?"
    );
    assert!(index.get(OPENCODE_CHILD).is_none());
}

#[test]
fn messages_join_text_parts_and_summarise_tool_parts() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let page = index.messages(OPENCODE_DARK, 50, 0).unwrap();
    let roles: Vec<MessageRole> = page.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [MessageRole::User, MessageRole::Assistant, MessageRole::User]
    );
    // The synthetic part (a file the CLI attached) is not what the person wrote.
    assert_eq!(
        page.messages[0].text,
        "Add a dark mode toggle to the header"
    );
    let reply = &page.messages[1];
    assert_eq!(
        reply.text,
        "Added a toggle that flips the `dark` class on <html>."
    );
    let calls: Vec<(&str, &str)> = reply
        .tool_calls
        .iter()
        .map(|c| (c.name.as_str(), c.summary.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("read", "/home/workspace/site/src/header.tsx"),
            ("bash", "npm test -- header")
        ]
    );
    assert_eq!(reply.timestamp, "2025-11-02T16:13:22.000Z");
}

#[test]
fn a_new_message_file_updates_its_session_and_a_removed_session_file_removes_it() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let message = home.opencode_storage().join(format!(
        "message/{OPENCODE_SLOW}/msg_a1b2c3d50002FFFFFFFFFFFFFF.json"
    ));
    fs::write(&message, r#"{"id":"msg_a1b2c3d50002FFFFFFFFFFFFFF","sessionID":"ses_5f1e2d3c4b5a6ffdKLMNOPQRST","role":"assistant","time":{"created":1762156900000}}"#).unwrap();
    let events = index.apply(&message);
    let [SessionEvent::Updated { session }] = events.as_slice() else {
        panic!("expected one update, got {events:?}");
    };
    assert_eq!(session.message_count, 2);
    assert_eq!(session.last_activity, "2025-11-03T08:01:40.000Z");

    let session_file = home.opencode_storage().join(format!(
        "session/4b0ea68d7af9a6031a7ffda7ad66e0cb83315750/{OPENCODE_SLOW}.json"
    ));
    fs::remove_file(&session_file).unwrap();
    assert_eq!(
        index.apply(&session_file),
        [SessionEvent::Removed {
            session_id: OPENCODE_SLOW.into(),
            agent: SessionAgent::Opencode
        }]
    );
}

#[test]
fn a_session_file_caught_half_written_keeps_the_last_good_state() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let session_file = home.opencode_storage().join(format!(
        "session/4b0ea68d7af9a6031a7ffda7ad66e0cb83315750/{OPENCODE_DARK}.json"
    ));
    fs::write(&session_file, "{\n  \"id\": \"ses_5f1e").unwrap();
    assert!(index.apply(&session_file).is_empty());
    assert_eq!(index.get(OPENCODE_DARK).unwrap().title, "Dark mode toggle");
    assert_eq!(index.corrupt_lines(OPENCODE_DARK), Some(1));
}
