//! OpenCode's SQLite store: the database a real OpenCode 1.18.33 wrote, and databases built with
//! its schema while a connection stays open, as OpenCode keeps it.

mod common;

use common::*;
use perry_api::sessions::{MessageRole, SessionAgent, SessionEvent};
use perry_worker::watch::coalesce;
use serde_json::json;

/// The session of the real run, and the sub-agent session its `task` call made.
const REAL_SESSION: &str = "ses_de8c2333fffeT5tDcUCKipmHyM";
const REAL_SUB_AGENT: &str = "ses_de8c226b2ffeQ5ghuXOtA7Ehjc";

const NOON: i64 = 1_767_268_800_000; // 2026-01-01T12:00:00.000Z

#[test]
fn the_real_database_lists_its_session_and_not_the_sub_agents() {
    let home = Home::empty();
    let _opencode = OpencodeDb::real(home.path());
    let index = home.scanned_index();
    let page = index.list(None, 10, 0);
    assert_eq!(page.total, 1);
    let session = &page.sessions[0];
    assert_eq!(session.session_id, REAL_SESSION);
    assert_eq!(session.agent, SessionAgent::Opencode);
    assert_eq!(session.title, "Read hello file");
    assert_eq!(session.message_count, 3);
    assert_eq!(session.project_path, "/tmp/p");
    // The session row's time_updated, later than its last message.
    assert_eq!(session.last_activity, "2026-11-26T09:44:19.511Z");
    assert_eq!(
        session.resume_command,
        format!("opencode --session {REAL_SESSION}")
    );
    assert!(index.get(REAL_SUB_AGENT).is_none());
}

#[test]
fn the_real_database_gives_roles_text_and_tool_calls() {
    let home = Home::empty();
    let _opencode = OpencodeDb::real(home.path());
    let mut index = home.scanned_index();
    let page = index.messages(REAL_SESSION, 50, 0).unwrap();
    let shown: Vec<(MessageRole, &str)> = page
        .messages
        .iter()
        .map(|message| (message.role, message.text.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (MessageRole::User, "\"Read hello.txt please\""),
            (MessageRole::Assistant, "Let me read the file."),
            (MessageRole::Assistant, "The file says hello."),
        ]
    );
    let calls: Vec<(&str, &str)> = page.messages[1]
        .tool_calls
        .iter()
        .map(|call| (call.name.as_str(), call.summary.as_str()))
        .collect();
    assert_eq!(calls, [("read", "/tmp/p/hello.txt"), ("task", "Say hi")]);
    assert_eq!(page.messages[0].id, "msg_2173dcd2f001UYqP8dVambDX2z");
    assert_eq!(page.messages[0].timestamp, "2026-11-26T09:44:15.919Z");
    assert!(matches!(
        index.messages(REAL_SUB_AGENT, 50, 0),
        Err(perry_worker::LookupError::UnknownSession)
    ));
}

#[test]
fn sessions_count_their_messages_and_a_placeholder_title_falls_back_to_the_first_prompt() {
    let home = Home::empty();
    let opencode = OpencodeDb::with_schema(home.path());
    opencode.add_session(
        "ses_a",
        None,
        "New session - 2026-01-01T12:00:00.000Z",
        "/home/workspace/api",
        NOON,
    );
    opencode.add_message(
        "ses_a",
        "msg_a1",
        "user",
        NOON + 1_000,
        &[
            json!({"type": "text", "text": "<file contents>", "synthetic": true}),
            opencode_text("Why does login fail?"),
        ],
    );
    opencode.add_message(
        "ses_a",
        "msg_a2",
        "assistant",
        NOON + 2_000,
        &[opencode_text("Checking.")],
    );
    opencode.add_session(
        "ses_empty",
        None,
        "Nothing yet",
        "/home/workspace/api",
        NOON,
    );
    let index = home.scanned_index();
    let session = index.get("ses_a").expect("listed");
    assert_eq!(session.title, "Why does login fail?");
    assert_eq!(session.message_count, 2);
    assert_eq!(session.project_path, "/home/workspace/api");
    assert_eq!(session.last_activity, "2026-01-01T12:00:02.000Z");
    // A session without messages is not listed, as for the files.
    assert!(index.get("ses_empty").is_none());
    assert_eq!(index.stats().sessions, 1);
}

#[test]
fn sub_agent_sessions_are_not_listed() {
    let home = Home::empty();
    let opencode = OpencodeDb::with_schema(home.path());
    opencode.add_session("ses_parent", None, "Refactor", "/w", NOON);
    opencode.add_message(
        "ses_parent",
        "msg_p1",
        "user",
        NOON,
        &[opencode_text("Refactor it")],
    );
    opencode.add_session(
        "ses_child",
        Some("ses_parent"),
        "Explore (@explore subagent)",
        "/w",
        NOON,
    );
    opencode.add_message(
        "ses_child",
        "msg_c1",
        "user",
        NOON,
        &[opencode_text("Find callers")],
    );
    let index = home.scanned_index();
    let ids: Vec<String> = index
        .list(None, 10, 0)
        .sessions
        .into_iter()
        .map(|session| session.session_id)
        .collect();
    assert_eq!(ids, ["ses_parent"]);
}

#[test]
fn a_database_without_a_part_table_lists_none_of_its_sessions_and_the_files_still_list() {
    let home = Home::with_fixtures();
    let schema = OPENCODE_DB_SCHEMA
        .replace("CREATE TABLE `part`", "CREATE TABLE `part_v9`")
        .replace("ON `part`", "ON `part_v9`");
    let opencode = OpencodeDb::create(home.path(), &schema);
    opencode.add_session("ses_new", None, "Newer OpenCode", "/w", NOON);
    opencode
        .connection
        .execute_batch(&format!(
            "INSERT INTO message VALUES ('msg_n1', 'ses_new', {NOON}, {NOON}, '{{\"role\":\"user\"}}')"
        ))
        .unwrap();
    let mut index = home.scanned_index();
    assert!(index.get("ses_new").is_none());
    assert_eq!(index.list(None, 100, 0).total, 7);
    assert_eq!(index.stats().opencode_db_reads, 1);
    assert!(index.apply(&OpencodeDb::wal(home.path())).is_empty());
}

#[test]
fn a_session_both_in_a_file_and_in_the_database_is_listed_once_from_the_database() {
    let home = Home::with_fixtures();
    // What the upgrade to OpenCode 1.2 does: the same session, copied into the database.
    let opencode = OpencodeDb::with_schema(home.path());
    opencode.add_session(
        OPENCODE_DARK,
        None,
        "Dark mode toggle",
        "/home/workspace/site",
        NOON,
    );
    for (turn, role) in ["user", "assistant", "user", "assistant"]
        .iter()
        .enumerate()
    {
        let id = format!("msg_d{turn}");
        opencode.add_message(
            OPENCODE_DARK,
            &id,
            role,
            NOON + turn as i64,
            &[opencode_text("from the database")],
        );
    }
    let mut index = home.scanned_index();
    let page = index.list(None, 100, 0);
    assert_eq!(page.total, 7);
    let dark: Vec<_> = page
        .sessions
        .iter()
        .filter(|session| session.session_id == OPENCODE_DARK)
        .collect();
    assert_eq!(dark.len(), 1);
    assert_eq!(dark[0].message_count, 4);
    let newest = index.messages(OPENCODE_DARK, 1, 0).unwrap();
    assert_eq!(newest.messages[0].text, "from the database");

    // Once the database no longer has it, the file's copy shows again: one update (as the
    // watcher sends it), not a removal.
    opencode
        .connection
        .execute_batch(&format!(
            "DELETE FROM part WHERE session_id = '{OPENCODE_DARK}';
             DELETE FROM message WHERE session_id = '{OPENCODE_DARK}';
             DELETE FROM session WHERE id = '{OPENCODE_DARK}';"
        ))
        .unwrap();
    let events = coalesce(index.apply(&OpencodeDb::wal(home.path())));
    let [SessionEvent::Updated { session }] = events.as_slice() else {
        panic!("expected one update, got {events:?}");
    };
    assert_eq!(
        (session.session_id.as_str(), session.message_count),
        (OPENCODE_DARK, 3)
    );
}

#[test]
fn a_session_copied_into_the_database_while_watched_replaces_its_file_in_one_update() {
    let home = Home::with_fixtures();
    let opencode = OpencodeDb::with_schema(home.path());
    let mut index = home.scanned_index();
    opencode.add_session(
        OPENCODE_SLOW,
        None,
        "Slow CI builds",
        "/home/workspace/site",
        NOON,
    );
    opencode.add_message(
        OPENCODE_SLOW,
        "msg_s1",
        "user",
        NOON,
        &[opencode_text("Why is CI slow?")],
    );
    let events = coalesce(index.apply(&OpencodeDb::wal(home.path())));
    let [SessionEvent::Updated { session }] = events.as_slice() else {
        panic!("expected one update, got {events:?}");
    };
    assert_eq!(session.title, "Slow CI builds");
    assert_eq!(index.list(None, 100, 0).total, 7);
}

#[test]
fn new_rows_renames_and_deletions_are_seen_at_the_next_change_of_the_wal() {
    let home = Home::empty();
    let opencode = OpencodeDb::with_schema(home.path());
    opencode.add_session("ses_w", None, "Watch me", "/w", NOON);
    opencode.add_message("ses_w", "msg_w1", "user", NOON, &[opencode_text("Start")]);
    let mut index = home.scanned_index();
    let wal = OpencodeDb::wal(home.path());

    // A message whose session row is left as it was is still counted: new message rows are
    // found by rowid, not only through the session's time_updated.
    opencode.add_message_rows(
        "ses_w",
        "msg_w2",
        "assistant",
        NOON + 5_000,
        &[opencode_text("Done")],
    );
    let events = index.apply(&wal);
    let [SessionEvent::Updated { session }] = events.as_slice() else {
        panic!("expected one update, got {events:?}");
    };
    assert_eq!(session.message_count, 2);
    assert_eq!(session.last_activity, "2026-01-01T12:00:05.000Z");

    opencode
        .connection
        .execute(
            "UPDATE session SET title = 'Watched' WHERE id = 'ses_w'",
            [],
        )
        .unwrap();
    let events = index.apply(&wal);
    assert!(
        matches!(events.as_slice(), [SessionEvent::Updated { session }] if session.title == "Watched")
    );
    assert!(index.apply(&wal).is_empty(), "nothing changed since");

    opencode
        .connection
        .execute_batch(
            "DELETE FROM part WHERE session_id = 'ses_w';
             DELETE FROM message WHERE session_id = 'ses_w';
             DELETE FROM session WHERE id = 'ses_w';",
        )
        .unwrap();
    assert_eq!(
        index.apply(&wal),
        [SessionEvent::Removed {
            session_id: "ses_w".into(),
            agent: SessionAgent::Opencode
        }]
    );

    // The database deleted (OpenCode uninstalled): nothing left, nothing failing.
    drop(opencode);
    std::fs::remove_dir_all(home.path().join(".local/share/opencode")).unwrap();
    assert!(index.apply(&OpencodeDb::path(home.path())).is_empty());
}

#[test]
fn pages_of_messages_and_search_read_the_database() {
    let home = Home::empty();
    let opencode = OpencodeDb::with_schema(home.path());
    opencode.add_session("ses_p", None, "Paging", "/w", NOON);
    for turn in 0..5 {
        opencode.add_message(
            "ses_p",
            &format!("msg_p{turn}"),
            if turn % 2 == 0 { "user" } else { "assistant" },
            NOON + turn * 1_000,
            &[opencode_text(&format!("turn {turn}"))],
        );
    }
    opencode.add_message(
        "ses_p",
        "msg_p5",
        "assistant",
        NOON + 5_000,
        &[opencode_tool(
            "bash",
            json!({"command": "cargo test -p flaky_crate"}),
        )],
    );
    let mut index = home.scanned_index();
    let newest = index.messages("ses_p", 2, 0).unwrap();
    let ids: Vec<&str> = newest.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["msg_p4", "msg_p5"]);
    assert_eq!((newest.total, newest.has_more), (6, true));
    let oldest = index.messages("ses_p", 2, 4).unwrap();
    let texts: Vec<&str> = oldest.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["turn 0", "turn 1"]);
    assert!(!oldest.has_more);

    let hits = index.search("FLAKY_CRATE", 10);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].message_id.as_deref(), Some("msg_p5"));
    assert_eq!(
        index.search("turn 3", 10)[0].message_id.as_deref(),
        Some("msg_p3")
    );
}

#[test]
fn a_database_locked_by_its_writer_keeps_the_listing_until_the_next_change() {
    let home = Home::empty();
    let opencode = OpencodeDb::with_schema(home.path());
    opencode.add_session("ses_l", None, "Locked", "/w", NOON);
    opencode.add_message("ses_l", "msg_l1", "user", NOON, &[opencode_text("Hello")]);
    let mut index = home.scanned_index();
    // An exclusive locking mode keeps even WAL readers out, past the worker's busy timeout.
    opencode
        .connection
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             BEGIN EXCLUSIVE;
             UPDATE session SET title = 'Renamed' WHERE id = 'ses_l';",
        )
        .unwrap();
    let wal = OpencodeDb::wal(home.path());
    assert!(index.apply(&wal).is_empty());
    assert_eq!(index.get("ses_l").unwrap().title, "Locked");
    assert!(index.messages("ses_l", 10, 0).is_err());

    opencode.connection.execute_batch("COMMIT").unwrap();
    drop(opencode);
    let events = index.apply(&wal);
    assert!(
        matches!(events.as_slice(), [SessionEvent::Updated { session }] if session.title == "Renamed")
    );
}
