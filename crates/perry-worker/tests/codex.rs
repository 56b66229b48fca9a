//! Codex rollouts read from the fixtures.

mod common;

use common::*;
use perry_api::sessions::{MessageRole, SessionAgent, SessionEvent};

#[test]
fn rollouts_are_listed_with_the_first_real_prompt_as_title() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    let health = index.get(CODEX_HEALTH).expect("listed");
    assert_eq!(health.agent, SessionAgent::Codex);
    assert_eq!(health.title, "Why does the health endpoint return 500?");
    assert_eq!(health.project_path, "/home/workspace/api");
    assert_eq!(health.last_activity, "2025-10-29T00:59:47.000Z");
    assert_eq!(
        health.resume_command,
        format!("codex resume {CODEX_HEALTH}")
    );
    // The prompt, the reply with its shell call, the output, the patch, its output, the answer.
    assert_eq!(health.message_count, 6);
    assert_eq!(index.corrupt_lines(CODEX_HEALTH), Some(1));
}

#[test]
fn a_thread_name_from_the_session_index_is_the_title_and_the_latest_wins() {
    let home = Home::with_fixtures();
    let index = home.scanned_index();
    assert_eq!(index.get(CODEX_VITE).unwrap().title, "Upgrade vite");
}

#[test]
fn renaming_a_thread_updates_its_session() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let session_index = home.path().join(".codex/session_index.jsonl");
    append(
        &session_index,
        &format!(
            "{{\"id\":\"{CODEX_HEALTH}\",\"thread_name\":\"Health 500\",\"updated_at\":\"2025-10-31T00:00:00Z\"}}\n"
        ),
    );
    let events = index.apply(&session_index);
    let [SessionEvent::Updated { session }] = events.as_slice() else {
        panic!("expected one update, got {events:?}");
    };
    assert_eq!(
        (session.session_id.as_str(), session.title.as_str()),
        (CODEX_HEALTH, "Health 500")
    );
}

#[test]
fn messages_skip_injected_context_and_carry_tool_calls() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let page = index.messages(CODEX_HEALTH, 50, 0).unwrap();
    use MessageRole::*;
    let roles: Vec<MessageRole> = page.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [User, Assistant, Tool, Assistant, Tool, Assistant]);
    assert_eq!(
        page.messages[0].text,
        "Why does the health endpoint return 500?"
    );
    assert_eq!(page.messages[1].text, "Let me look at the handler.");
    assert_eq!(page.messages[1].tool_calls[0].name, "shell");
    assert_eq!(page.messages[1].tool_calls[0].summary, "rg -n health src");
    assert_eq!(page.messages[3].tool_calls[0].name, "apply_patch");
    assert_eq!(page.messages[3].tool_calls[0].summary, "src/routes.rs");
    assert!(
        page.messages
            .iter()
            .all(|m| !m.text.contains("environment_context"))
    );
    let vite = index.messages(CODEX_VITE, 50, 0).unwrap();
    let roles: Vec<MessageRole> = vite.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [User, Assistant, Tool, System, Assistant]);
    assert_eq!(
        vite.messages[1].tool_calls[0].summary,
        "npm install vite@^5"
    );
}
