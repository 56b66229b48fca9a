//! What coding agents' hooks report reaches the sessions: in the index, and end to end through
//! the real binaries (`perry-worker event` as a hook runs it, the daemon, a client on its
//! socket as the agent is).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use perry_api::sessions::{SessionAgent, SessionEvent, SessionState};
use perry_api::worker::{StatusReport, WorkerOutput};
use serde_json::json;

const WORKER: &str = env!("CARGO_BIN_EXE_perry-worker");

fn report(agent: SessionAgent, session: &str, state: SessionState) -> StatusReport {
    StatusReport {
        agent,
        session_id: session.to_owned(),
        state,
        detail: None,
    }
}

#[test]
fn a_report_changes_the_session_once_and_waits_for_a_session_not_seen_yet() {
    let home = Home::with_fixtures();
    let mut index = home.scanned_index();
    // Its transcript's last turn (a prompt answered in 2025, no stop reason written) is long
    // over: no status until a hook says one.
    assert_eq!(index.get(CLAUDE_CONFIG).unwrap().status, None);

    let events = index.report(
        report(SessionAgent::ClaudeCode, CLAUDE_CONFIG, SessionState::Idle),
        1_000,
    );
    let [SessionEvent::Updated { session }] = events.as_slice() else {
        panic!("one update: {events:?}");
    };
    let status = session.status.clone().unwrap();
    assert_eq!(
        (status.state, status.since.as_str()),
        (SessionState::Idle, "1970-01-01T00:00:01.000Z")
    );
    // The same state again is no change and keeps its time.
    assert!(
        index
            .report(
                report(SessionAgent::ClaudeCode, CLAUDE_CONFIG, SessionState::Idle),
                9_000
            )
            .is_empty()
    );
    assert_eq!(
        index
            .get(CLAUDE_CONFIG)
            .unwrap()
            .status
            .as_ref()
            .unwrap()
            .since,
        "1970-01-01T00:00:01.000Z"
    );

    // A session whose transcript is not there yet gets its status when it appears.
    let later = Home::empty();
    let mut index = later.scanned_index();
    let early = index.report(
        report(
            SessionAgent::ClaudeCode,
            CLAUDE_CONFIG,
            SessionState::Working,
        ),
        2_000,
    );
    assert!(early.is_empty(), "{early:?}");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude");
    copy_tree(&fixtures, &later.path().join(".claude"));
    let added = index.scan();
    let config = added
        .iter()
        .filter_map(session_of)
        .find(|session| session.session_id == CLAUDE_CONFIG)
        .expect("the session appears");
    assert_eq!(
        config.status.as_ref().map(|status| status.state),
        Some(SessionState::Working)
    );
}

/// What the real coding agents sent to the hooks Perry installed, recorded in a workspace where
/// they could not reach their service (how they were recorded is in SOURCES.md): replayed
/// through the reading and the index, each says what the person saw: the turn failed, and for
/// Claude Code the session then ended. Nothing in them asks for the person (0 false alarms).
#[test]
fn recordings_of_the_real_agents_end_in_the_state_they_were_in() {
    for (recording, agent, session, states, last) in [
        (
            "claude-code-2.1.332-offline.jsonl",
            SessionAgent::ClaudeCode,
            "9a79210c-af64-4e82-868f-cf0f1e64afb2",
            vec![
                SessionState::Working,
                SessionState::Error,
                SessionState::Ended,
            ],
            SessionState::Ended,
        ),
        (
            "opencode-1.18.33-offline.jsonl",
            SessionAgent::Opencode,
            "ses_db84062c3ffeP1COiPtrulZDDv",
            vec![SessionState::Working, SessionState::Error],
            SessionState::Error,
        ),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/hooks")
            .join(recording);
        let home = Home::empty();
        let mut index = home.scanned_index();
        let mut seen = Vec::new();
        for (at, line) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
            let payload: serde_json::Value = serde_json::from_str(line).unwrap();
            let Some(report) = perry_worker::attention::read(agent, &payload) else {
                continue;
            };
            assert_eq!(report.session_id, session, "{recording}:{}", at + 1);
            assert_ne!(
                report.state,
                SessionState::NeedsInput,
                "{recording}:{}",
                at + 1
            );
            let state = report.state;
            index.report(report, at as i64);
            if seen.last() != Some(&state) {
                seen.push(state);
            }
        }
        let status = index.status(session).expect("a status");
        assert_eq!(status.state, last, "{recording}");
        // Idle after the error is what OpenCode says; the index keeps the error.
        seen.dedup();
        let kept: Vec<_> = seen
            .iter()
            .copied()
            .filter(|state| *state != SessionState::Idle)
            .collect();
        assert_eq!(kept, states, "{recording}");
    }
}

/// Reads the daemon's lines until one is an event about `session` with a status; panics after 10 s.
fn next_status(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    session: &str,
) -> (SessionState, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let line = lines.next().expect("the daemon stays connected").unwrap();
        if let Ok(WorkerOutput::Event {
            event: SessionEvent::Updated { session: info },
        }) = serde_json::from_str(&line)
            && info.session_id == session
            && let Some(status) = info.status
        {
            return (status.state, status.detail);
        }
    }
    panic!("no status for {session} within 10 s");
}

fn hook(home: &std::path::Path, args: &[&str], stdin: &str) -> std::process::ExitStatus {
    let mut child = Command::new(WORKER)
        .arg("event")
        .args(args)
        .env("HOME", home)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    // A hook that does not read its stdin (an unknown agent, Codex's argument) may have exited.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait().unwrap()
}

#[test]
fn a_hook_run_inside_the_workspace_reaches_the_agents_connection() {
    let home = Home::with_fixtures();
    let mut daemon = Command::new(WORKER)
        .arg("serve")
        .env("HOME", home.path())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let socket = home.path().join(".perry/worker.sock");
    let deadline = Instant::now() + Duration::from_secs(10);
    let stream = loop {
        match UnixStream::connect(&socket) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => panic!("the daemon never listened: {error}"),
        }
    };
    let mut lines = BufReader::new(stream).lines();
    lines.next().unwrap().unwrap(); // hello
    lines.next().unwrap().unwrap(); // snapshot

    // Claude Code's PermissionRequest, on stdin (CC hooks reference, PermissionRequest input).
    let permission = format!(
        r#"{{"session_id":"{CLAUDE_CONFIG}","transcript_path":"/x.jsonl","cwd":"/home/workspace/app","permission_mode":"default","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{{"command":"rm -rf node_modules","description":"Remove node_modules directory"}}}}"#
    );
    assert!(hook(home.path(), &["claude"], &permission).success());
    assert_eq!(
        next_status(&mut lines, CLAUDE_CONFIG),
        (
            SessionState::NeedsInput,
            Some("Bash: rm -rf node_modules".to_owned())
        )
    );
    let stop = format!(
        r#"{{"session_id":"{CLAUDE_CONFIG}","hook_event_name":"Stop","stop_hook_active":false}}"#
    );
    assert!(hook(home.path(), &["claude"], &stop).success());
    assert_eq!(
        next_status(&mut lines, CLAUDE_CONFIG),
        (SessionState::Idle, None)
    );

    // Codex passes its JSON as the last argument (openai/codex legacy_notify.rs).
    let turn = format!(
        r#"{{"type":"agent-turn-complete","thread-id":"{CODEX_HEALTH}","turn-id":"1","cwd":"/w","input-messages":["x"],"last-assistant-message":"done"}}"#
    );
    assert!(hook(home.path(), &["codex", &turn], "").success());
    assert_eq!(
        next_status(&mut lines, CODEX_HEALTH),
        (SessionState::Idle, None)
    );

    // Garbage, an unknown agent, or no daemon at all: the hook still exits 0 at once.
    assert!(hook(home.path(), &["claude"], "not json").success());
    assert!(hook(home.path(), &["emacs"], "{}").success());
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(hook(elsewhere.path(), &["claude"], &stop).success());

    daemon.kill().unwrap();
    daemon.wait().unwrap();
}

/// Transcript lines of each state, as Claude Code and Codex write them: with no hook reporting,
/// the session's status is what its transcript's last turn line says. Only working and idle are
/// ever told this way (a question or a failure is the hook's to say), so no transcript can ring
/// the person's bell: 0 false alarms on the set.
#[test]
fn with_no_hook_the_transcript_tells_working_and_idle_and_never_an_alarm() {
    let now = perry_worker::time::format_rfc3339_millis(perry_worker::time::now_millis());
    let claude = |record: serde_json::Value| {
        let mut record = record;
        record["sessionId"] = json!("0d5e3a1b-7c2f-4e8a-9b6d-1f2e3d4c5b6a");
        record["cwd"] = json!("/home/workspace/app");
        record["timestamp"] = json!(now);
        record.to_string()
    };
    let prompt = claude(
        json!({"type": "user", "uuid": "u1", "message": {"role": "user", "content": "Fix the build"}}),
    );
    let calling = claude(
        json!({"type": "assistant", "uuid": "a1", "message": {"id": "m1", "role": "assistant",
        "stop_reason": "tool_use", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "cargo build"}}]}}),
    );
    let result = claude(
        json!({"type": "user", "uuid": "u2", "message": {"role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}}),
    );
    let streaming = claude(
        json!({"type": "assistant", "uuid": "a2", "message": {"id": "m2", "role": "assistant",
        "stop_reason": null, "content": [{"type": "text", "text": "It builds"}]}}),
    );
    let answered = claude(
        json!({"type": "assistant", "uuid": "a3", "message": {"id": "m2", "role": "assistant",
        "stop_reason": "end_turn", "content": [{"type": "text", "text": "It builds now."}]}}),
    );
    let retrying = claude(
        json!({"type": "system", "subtype": "api_error", "source": "request_retry",
        "retryAttempt": 1, "maxRetries": 10, "error": {"formatted": "Overloaded"}}),
    );
    // What Claude Code 2.1.332 wrote when it gave up (the offline recording's session).
    let gave_up = claude(
        json!({"type": "assistant", "uuid": "a4", "isApiErrorMessage": true, "error": "server_error",
        "message": {"id": "m4", "role": "assistant", "model": "<synthetic>", "stop_reason": "stop_sequence",
        "content": [{"type": "text", "text": "API Error: Can't reach the API server"}]}}),
    );
    let interrupted = claude(
        json!({"type": "user", "uuid": "u3", "message": {"role": "user",
        "content": [{"type": "text", "text": "[Request interrupted by user for tool use]"}]}}),
    );

    let home = Home::empty();
    let dir = home.path().join(".claude/projects/-home-workspace-app");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("0d5e3a1b-7c2f-4e8a-9b6d-1f2e3d4c5b6a.jsonl");
    let mut index = home.scanned_index();
    let mut lines = String::new();
    for (line, state, detail) in [
        (&prompt, SessionState::Working, None),
        (&calling, SessionState::Working, None),
        (&result, SessionState::Working, None),
        // No stop reason yet: nothing new, still working.
        (&streaming, SessionState::Working, None),
        (&answered, SessionState::Idle, None),
        (&prompt, SessionState::Working, None),
        (
            &retrying,
            SessionState::Working,
            Some("retrying: Overloaded"),
        ),
        (
            &gave_up,
            SessionState::Idle,
            Some("API Error: Can't reach the API server"),
        ),
        (&prompt, SessionState::Working, None),
        (&interrupted, SessionState::Idle, None),
    ] {
        lines.push_str(line);
        lines.push('\n');
        std::fs::write(&file, &lines).unwrap();
        index.apply(&file);
        let status = index
            .get("0d5e3a1b-7c2f-4e8a-9b6d-1f2e3d4c5b6a")
            .and_then(|session| session.status.clone())
            .unwrap_or_else(|| panic!("a status after {line}"));
        assert_eq!(
            (status.state, status.detail.as_deref()),
            (state, detail),
            "after {line}"
        );
        assert!(!status.state.needs_the_person(), "{line}");
    }
    // A hook's word wins over the transcript's.
    index.report(
        report(
            SessionAgent::ClaudeCode,
            "0d5e3a1b-7c2f-4e8a-9b6d-1f2e3d4c5b6a",
            SessionState::NeedsInput,
        ),
        perry_worker::time::now_millis(),
    );
    assert_eq!(
        index
            .get("0d5e3a1b-7c2f-4e8a-9b6d-1f2e3d4c5b6a")
            .unwrap()
            .status
            .as_ref()
            .map(|status| status.state),
        Some(SessionState::NeedsInput)
    );

    // Codex: a turn starts and completes (its rollout's event_msg lines).
    let thread = "01a247be-0c10-79b0-8cfe-4664846e790a";
    let codex_dir = home.path().join(".codex/sessions/2026/12/05");
    std::fs::create_dir_all(&codex_dir).unwrap();
    let rollout = codex_dir.join(format!("rollout-2026-12-05T19-46-07-{thread}.jsonl"));
    let event = |kind: &str| {
        json!({"timestamp": now, "type": "event_msg", "payload": {"type": kind}}).to_string()
    };
    let meta = json!({"timestamp": now, "type": "session_meta", "payload": {"id": thread, "cwd": "/home/workspace/app"}}).to_string();
    let user = json!({"timestamp": now, "type": "response_item", "payload": {"type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "say hello"}]}}).to_string();
    let mut rollout_lines = format!("{meta}\n{user}\n");
    for (kind, state) in [
        ("task_started", SessionState::Working),
        ("agent_message", SessionState::Working),
        ("task_complete", SessionState::Idle),
        ("task_started", SessionState::Working),
        ("turn_aborted", SessionState::Idle),
    ] {
        rollout_lines.push_str(&event(kind));
        rollout_lines.push('\n');
        std::fs::write(&rollout, &rollout_lines).unwrap();
        index.scan();
        let status = index.get(thread).and_then(|session| session.status.clone());
        assert_eq!(
            status.map(|status| status.state),
            Some(state),
            "after {kind}"
        );
    }
}
