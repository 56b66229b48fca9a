//! The watcher on a real temp directory: inotify events reach the index and come out as events.

mod common;

use std::fs;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use perry_api::sessions::{SessionAgent, SessionEvent};
use perry_worker::{SessionIndex, Watch, WatchConfig};

const WAIT: Duration = Duration::from_secs(5);

fn start(
    home: &Home,
) -> (
    Watch,
    mpsc::Receiver<SessionEvent>,
    Arc<Mutex<SessionIndex>>,
) {
    let mut index = SessionIndex::new(home.roots());
    index.scan();
    let index = Arc::new(Mutex::new(index));
    let (sender, receiver) = mpsc::channel();
    let watch = Watch::spawn(index.clone(), WatchConfig::default(), move |events| {
        for event in events {
            let _ = sender.send(event);
        }
    })
    .unwrap();
    (watch, receiver, index)
}

fn next_event(receiver: &mpsc::Receiver<SessionEvent>) -> SessionEvent {
    receiver.recv_timeout(WAIT).expect("an event within 5 s")
}

#[test]
fn a_session_created_appended_to_and_deleted_under_a_new_claude_directory_is_followed() {
    let home = Home::empty();
    let (watch, events, _index) = start(&home);
    // ~/.claude does not exist yet: the watcher must notice it appear.
    let project = home.path().join(".claude/projects/-home-workspace-w");
    fs::create_dir_all(&project).unwrap();
    let session = "33333333-4444-4555-8666-777777777777";
    let path = project.join(format!("{session}.jsonl"));
    append(
        &path,
        &claude_user_line(session, "u1", "Watch me", "2025-09-09T00:00:00.000Z"),
    );

    let SessionEvent::Added { session: added } = next_event(&events) else {
        panic!("expected added");
    };
    assert_eq!(
        (added.session_id.as_str(), added.message_count),
        (session, 1)
    );

    append(
        &path,
        &claude_assistant_line(
            session,
            "a1",
            "msg_1",
            "Watching",
            "2025-09-09T00:00:01.000Z",
        ),
    );
    let SessionEvent::Updated { session: updated } = next_event(&events) else {
        panic!("expected updated");
    };
    assert_eq!(updated.message_count, 2);
    assert_eq!(updated.last_activity, "2025-09-09T00:00:01.000Z");

    fs::remove_file(&path).unwrap();
    assert_eq!(
        next_event(&events),
        SessionEvent::Removed {
            session_id: session.into(),
            agent: SessionAgent::ClaudeCode
        }
    );
    watch.stop();
}

#[test]
fn a_burst_of_appends_becomes_few_updates_ending_at_the_final_count() {
    let home = Home::with_fixtures();
    let (watch, events, index) = start(&home);
    let path = home.claude_file("-home-workspace-app", CLAUDE_CONFIG);
    for turn in 0..30 {
        append(
            &path,
            &claude_user_line(
                CLAUDE_CONFIG,
                &format!("b{turn}"),
                "more",
                "2025-09-10T00:00:00.000Z",
            ),
        );
    }
    let deadline = Instant::now() + WAIT;
    let mut updates = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(event) = events.recv_timeout(left) else {
            panic!("the final count never arrived ({updates} updates)");
        };
        updates += 1;
        if session_of(&event).is_some_and(|s| s.message_count == 36) {
            break;
        }
    }
    assert!(updates <= 3, "30 appends in a burst gave {updates} updates");
    assert_eq!(
        index
            .lock()
            .unwrap()
            .get(CLAUDE_CONFIG)
            .unwrap()
            .message_count,
        36
    );
    watch.stop();
}

#[test]
fn codex_and_opencode_sessions_created_after_start_are_added() {
    let home = Home::empty();
    let (watch, events, _index) = start(&home);
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    copy_tree(&fixtures.join("codex"), &home.path().join(".codex"));
    copy_tree(
        &fixtures.join("opencode"),
        &home.path().join(".local/share/opencode"),
    );
    let mut added = std::collections::BTreeSet::new();
    let deadline = Instant::now() + WAIT;
    while added.len() < 4 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(event) = events.recv_timeout(left) else {
            panic!("only {added:?} were added");
        };
        if let Some(session) = session_of(&event) {
            added.insert(session.session_id.clone());
        }
    }
    let expected: std::collections::BTreeSet<String> =
        [CODEX_HEALTH, CODEX_VITE, OPENCODE_DARK, OPENCODE_SLOW]
            .iter()
            .map(|s| s.to_string())
            .collect();
    assert_eq!(added, expected);
    watch.stop();
}

#[test]
fn an_opencode_database_created_after_start_is_followed_through_its_wal() {
    let home = Home::empty();
    let (watch, events, index) = start(&home);
    // ~/.local/share/opencode does not exist yet: OpenCode's first run makes it and the database.
    let opencode = OpencodeDb::with_schema(home.path());
    let noon = 1_767_268_800_000;
    opencode.add_session("ses_live", None, "Live session", "/home/workspace/w", noon);
    opencode.add_message("ses_live", "msg_1", "user", noon, &[opencode_text("Hello")]);
    let SessionEvent::Added { session: added } = next_event(&events) else {
        panic!("expected added");
    };
    assert_eq!(
        (added.session_id.as_str(), added.message_count),
        ("ses_live", 1)
    );

    opencode.add_message(
        "ses_live",
        "msg_2",
        "assistant",
        noon + 1_000,
        &[opencode_text("Hi")],
    );
    let SessionEvent::Updated { session: updated } = next_event(&events) else {
        panic!("expected updated");
    };
    assert_eq!(updated.message_count, 2);

    opencode
        .connection
        .execute_batch(
            "DELETE FROM part WHERE session_id = 'ses_live';
             DELETE FROM message WHERE session_id = 'ses_live';
             DELETE FROM session WHERE id = 'ses_live';",
        )
        .unwrap();
    assert_eq!(
        next_event(&events),
        SessionEvent::Removed {
            session_id: "ses_live".into(),
            agent: SessionAgent::Opencode
        }
    );

    // The worker's own reads (read-only, nothing written) must not wake the watcher again.
    std::thread::sleep(Duration::from_millis(500));
    let reads = index.lock().unwrap().stats().opencode_db_reads;
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(index.lock().unwrap().stats().opencode_db_reads, reads);
    watch.stop();
}
