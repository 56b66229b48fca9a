//! Deleting a session: what each coding agent keeps for it is removed, nothing of another
//! session is touched, and the index says `removed` at once; end to end through the daemon too.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use perry_api::sessions::{SessionAgent, SessionEvent};
use perry_api::worker::{WorkerCall, WorkerOutput, WorkerRequest, WorkerResult};
use perry_worker::DeleteError;
use serde_json::json;

const WORKER: &str = env!("CARGO_BIN_EXE_perry-worker");

/// The session of the real OpenCode run (fixtures/opencode-db), and its sub-agent's.
const REAL_SESSION: &str = "ses_de8c2333fffeT5tDcUCKipmHyM";
const REAL_SUB_AGENT: &str = "ses_de8c226b2ffeQ5ghuXOtA7Ehjc";

fn removed(session_id: &str, agent: SessionAgent) -> Vec<SessionEvent> {
    vec![SessionEvent::Removed {
        session_id: session_id.to_owned(),
        agent,
    }]
}

fn files_under(directory: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(directory).unwrap();
                files.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

#[test]
fn deleting_a_claude_session_removes_its_transcript_and_its_directory_only() {
    let home = Home::with_fixtures();
    let transcript = home.claude_file("-home-workspace-app", CLAUDE_CONFIG);
    // Where Claude Code keeps a session's sub-agent transcripts and large tool results.
    let own_directory = transcript.with_extension("");
    fs::create_dir_all(own_directory.join("subagents")).unwrap();
    fs::write(own_directory.join("subagents/agent-a1.jsonl"), "{}\n").unwrap();
    fs::create_dir_all(own_directory.join("tool-results")).unwrap();
    fs::write(own_directory.join("tool-results/t1.txt"), "out").unwrap();
    let mut index = home.scanned_index();
    let before = index.list(None, 100, 0).total;

    let events = index.delete(CLAUDE_CONFIG).unwrap();

    assert_eq!(events, removed(CLAUDE_CONFIG, SessionAgent::ClaudeCode));
    assert!(!transcript.exists());
    assert!(!own_directory.exists());
    assert!(index.get(CLAUDE_CONFIG).is_none());
    assert_eq!(index.list(None, 100, 0).total, before - 1);
    // The other sessions of the same project, and the loose sub-agent file, are untouched.
    assert!(
        home.claude_file("-home-workspace-app", CLAUDE_FLAKY)
            .is_file()
    );
    assert!(index.get(CLAUDE_FLAKY).is_some());
    assert!(
        home.path()
            .join(".claude/projects/-home-workspace-app/agent-1a2b3c4d.jsonl")
            .is_file()
    );
    // A session already gone is not found; so is it after a scan.
    assert!(matches!(
        index.delete(CLAUDE_CONFIG),
        Err(DeleteError::UnknownSession)
    ));
    assert!(index.scan().is_empty());
}

#[test]
fn deleting_a_codex_session_removes_its_rollout_only() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    let rollout = home.codex_file("2025/10/29", "2025-10-29T00-59-38", CODEX_HEALTH);
    let other = home.codex_file("2025/10/30", "2025-10-30T09-15-00", CODEX_VITE);

    let events = index.delete(CODEX_HEALTH).unwrap();

    assert_eq!(events, removed(CODEX_HEALTH, SessionAgent::Codex));
    assert!(!rollout.exists());
    assert!(other.is_file());
    assert!(index.get(CODEX_HEALTH).is_none());
    assert!(index.get(CODEX_VITE).is_some());
    assert!(matches!(
        index.delete(CODEX_HEALTH),
        Err(DeleteError::UnknownSession)
    ));
}

#[test]
fn deleting_an_opencode_file_session_removes_its_messages_parts_and_sub_agents() {
    let home = Home::with_fixtures();
    let storage = home.opencode_storage();
    fs::create_dir_all(storage.join("todo")).unwrap();
    fs::write(storage.join(format!("todo/{OPENCODE_DARK}.json")), "[]").unwrap();
    fs::write(storage.join(format!("todo/{OPENCODE_SLOW}.json")), "[]").unwrap();
    let mut index = home.scanned_index();

    let events = index.delete(OPENCODE_DARK).unwrap();

    assert_eq!(events, removed(OPENCODE_DARK, SessionAgent::Opencode));
    assert!(index.get(OPENCODE_DARK).is_none());
    // What is left is the other session's (and the project's), every file of it.
    let project = "4b0ea68d7af9a6031a7ffda7ad66e0cb83315750";
    assert_eq!(
        files_under(&storage),
        [
            "message/ses_5f1e2d3c4b5a6ffdKLMNOPQRST/msg_a1b2c3d50001DDDDDDDDDDDDDD.json".to_owned(),
            "part/msg_a1b2c3d50001DDDDDDDDDDDDDD/prt_a1b2c3d50001SSSSSSSSSSSSSS.json".to_owned(),
            format!("project/{project}.json"),
            format!("session/{project}/{OPENCODE_SLOW}.json"),
            format!("todo/{OPENCODE_SLOW}.json"),
        ]
    );
    assert!(index.get(OPENCODE_SLOW).is_some());
    // Its sub-agent's session went with it (it was never listed).
    assert!(!storage.join("message").join(OPENCODE_CHILD).exists());
    assert!(matches!(
        index.delete(OPENCODE_DARK),
        Err(DeleteError::UnknownSession)
    ));
    assert!(index.scan().is_empty());
}

#[test]
fn deleting_an_opencode_database_session_removes_its_rows_sub_agents_and_event_log() {
    let home = Home::empty();
    let opencode = OpencodeDb::real(home.path());
    // Another session, which must keep every row.
    opencode.add_session("ses_other", None, "Other", "/w", 1);
    opencode.add_message(
        "ses_other",
        "msg_other",
        "user",
        2,
        &[opencode_text("keep me")],
    );
    let mut index = home.scanned_index();
    assert!(index.get("ses_other").is_some());

    let events = index.delete(REAL_SESSION).unwrap();

    assert_eq!(events, removed(REAL_SESSION, SessionAgent::Opencode));
    assert!(index.get(REAL_SESSION).is_none());
    let count = |sql: &str| -> i64 {
        opencode
            .connection
            .query_row(sql, [], |row| row.get(0))
            .unwrap()
    };
    for id in [REAL_SESSION, REAL_SUB_AGENT] {
        for sql in [
            format!("SELECT count(*) FROM session WHERE id = '{id}'"),
            format!("SELECT count(*) FROM message WHERE session_id = '{id}'"),
            format!("SELECT count(*) FROM part WHERE session_id = '{id}'"),
            format!("SELECT count(*) FROM event WHERE aggregate_id = '{id}'"),
            format!("SELECT count(*) FROM event_sequence WHERE aggregate_id = '{id}'"),
        ] {
            assert_eq!(count(&sql), 0, "{sql}");
        }
    }
    assert_eq!(count("SELECT count(*) FROM session"), 1);
    assert_eq!(count("SELECT count(*) FROM message"), 1);
    assert_eq!(count("SELECT count(*) FROM part"), 1);
    assert_eq!(count("SELECT count(*) FROM project"), 1);
    assert_eq!(index.list(None, 10, 0).total, 1);
    assert!(matches!(
        index.delete(REAL_SESSION),
        Err(DeleteError::UnknownSession)
    ));
}

#[test]
fn a_database_session_deleted_takes_its_copy_in_the_files_with_it() {
    let home = Home::with_fixtures();
    // What the upgrade to OpenCode 1.2 does: the same session, copied into the database.
    let opencode = OpencodeDb::with_schema(home.path());
    opencode.add_session(OPENCODE_DARK, None, "Dark mode toggle", "/w", 1);
    opencode.add_message(OPENCODE_DARK, "msg_d1", "user", 2, &[opencode_text("hi")]);
    let mut index = home.scanned_index();
    let total = index.list(None, 100, 0).total;

    let events = index.delete(OPENCODE_DARK).unwrap();

    // Removed once, not shown again from the file it was copied from.
    assert_eq!(events, removed(OPENCODE_DARK, SessionAgent::Opencode));
    assert_eq!(index.list(None, 100, 0).total, total - 1);
    assert!(
        !home
            .opencode_storage()
            .join("message")
            .join(OPENCODE_DARK)
            .exists()
    );
    assert!(index.scan().is_empty());
    assert!(index.get(OPENCODE_SLOW).is_some());
}

#[test]
fn an_id_no_session_has_or_not_of_its_agents_shape_is_not_found_and_removes_nothing() {
    let home = Home::with_fixtures();
    // A transcript named otherwise than Claude Code names them: listed, never deleted by name.
    let odd = home.claude_file("-home-workspace-app", "notes");
    append(
        &odd,
        &claude_user_line("notes", "u-1", "hello", "2025-09-01T10:00:00.000Z"),
    );
    let mut index = home.scanned_index();
    assert!(index.get("notes").is_some());
    let before = files_under(home.path());
    for id in [
        "notes",
        "../../.bashrc",
        "-home-workspace-app",
        "00000000-0000-4000-8000-000000000000",
        "ses_nothing",
        "",
    ] {
        assert!(
            matches!(index.delete(id), Err(DeleteError::UnknownSession)),
            "{id:?}"
        );
    }
    assert_eq!(files_under(home.path()), before);
}

fn connect(home: &Path) -> UnixStream {
    let socket = home.join(".perry/worker.sock");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match UnixStream::connect(&socket) {
            Ok(stream) => return stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => panic!("the daemon never listened: {error}"),
        }
    }
}

#[test]
fn a_delete_call_to_the_daemon_sends_removed_then_deleted_and_again_not_found() {
    let home = Home::with_fixtures();
    let mut daemon = Command::new(WORKER)
        .arg("serve")
        .env("HOME", home.path())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stream = connect(home.path());
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut lines = BufReader::new(stream).lines();
    lines.next().unwrap().unwrap(); // hello
    lines.next().unwrap().unwrap(); // snapshot

    let mut call = |id: u64, session_id: &str| -> Vec<WorkerOutput> {
        let request = WorkerRequest {
            id,
            call: WorkerCall::Delete {
                session_id: session_id.to_owned(),
            },
        };
        writeln!(writer, "{}", serde_json::to_string(&request).unwrap()).unwrap();
        let mut outputs = Vec::new();
        loop {
            let line = lines.next().unwrap().unwrap();
            let output: WorkerOutput = serde_json::from_str(&line).unwrap();
            let is_reply = matches!(output, WorkerOutput::Reply { id: reply, .. } if reply == id);
            outputs.push(output);
            if is_reply {
                return outputs;
            }
        }
    };

    // On the wire as the agent writes it.
    assert_eq!(
        serde_json::to_value(WorkerRequest {
            id: 1,
            call: WorkerCall::Delete {
                session_id: CLAUDE_CHAT.to_owned()
            }
        })
        .unwrap(),
        json!({"id": 1, "call": {"method": "delete", "sessionId": CLAUDE_CHAT}})
    );
    assert_eq!(
        serde_json::to_value(WorkerResult::Deleted {}).unwrap(),
        json!({"kind": "deleted"})
    );
    assert_eq!(
        call(1, CLAUDE_CHAT),
        [
            WorkerOutput::Event {
                event: SessionEvent::Removed {
                    session_id: CLAUDE_CHAT.to_owned(),
                    agent: SessionAgent::ClaudeCode
                }
            },
            WorkerOutput::Reply {
                id: 1,
                result: WorkerResult::Deleted {}
            },
        ]
    );
    assert!(
        !home
            .claude_file("-home-workspace-chat-server", CLAUDE_CHAT)
            .exists()
    );
    let again = call(2, CLAUDE_CHAT);
    assert!(
        matches!(
            again.as_slice(),
            [WorkerOutput::Reply {
                id: 2,
                result: WorkerResult::NotFound { .. }
            }]
        ),
        "{again:?}"
    );

    daemon.kill().unwrap();
    daemon.wait().unwrap();
}

#[test]
fn a_database_opencode_keeps_locked_fails_the_delete_and_keeps_the_session() {
    let home = Home::empty();
    let opencode = OpencodeDb::real(home.path());
    let mut index = home.scanned_index();
    // OpenCode in the middle of a long write.
    opencode
        .connection
        .execute_batch("BEGIN IMMEDIATE")
        .unwrap();

    let error = index.delete(REAL_SESSION).unwrap_err();

    assert!(
        matches!(
            error,
            DeleteError::Database(perry_worker::opencode_db::StoreError::Busy)
        ),
        "{error:?}"
    );
    opencode.connection.execute_batch("COMMIT").unwrap();
    assert!(index.get(REAL_SESSION).is_some());
    assert_eq!(index.messages(REAL_SESSION, 10, 0).unwrap().total, 3);
}
