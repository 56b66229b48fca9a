//! Coding-agent sessions end to end: a session file written inside a real workspace reaches
//! `sessions.*` and `/sessions/:workspace` through the workspace's perry-worker, and the worker
//! serves nothing over the network.

mod common;

use std::time::{Duration, Instant};

use common::{Socket, TestAgent, exec, next_json};
use futures_util::StreamExt;
use perry_api::procedures::{
    SessionsDelete, SessionsMessages, SessionsRecent, SessionsRename, SessionsSearch,
    WorkspacesCreate, WorkspacesGet, WorkspacesStop,
};
use perry_api::sessions::{
    MessagesPage, RecentSession, SessionEvent, SessionInfo, SessionSearchHit, SessionsPage,
};
use perry_api::{Workspace, WorkspaceStatus};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SESSION_ID: &str = "6f1c3a52-9d0e-4b8e-a7a4-2f59d1c0b7e3";
const PROJECT_DIR: &str = "/home/workspace/.claude/projects/-home-workspace-app";

fn claude_line(kind: &str, uuid: &str, parent: Option<&str>, content: Value, at: &str) -> String {
    let message = match kind {
        "user" => json!({"role": "user", "content": content}),
        _ => json!({"id": format!("msg_{uuid}"), "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5", "content": content}),
    };
    json!({
        "parentUuid": parent, "isSidechain": false, "userType": "external",
        "cwd": "/home/workspace/app", "sessionId": SESSION_ID, "version": "2.0.14",
        "gitBranch": "main", "type": kind, "message": message, "uuid": uuid, "timestamp": at,
    })
    .to_string()
}

/// Writes `lines` to the session file as user `workspace`, appending when `append`.
async fn write_session(container: &str, lines: &[String], append: bool) {
    let text = lines.join("\n") + "\n";
    let redirect = if append { ">>" } else { ">" };
    let script = format!(
        "mkdir -p {PROJECT_DIR} && printf '%s' '{}' {redirect} {PROJECT_DIR}/{SESSION_ID}.jsonl",
        text.replace('\'', "'\\''")
    );
    let (code, output) = exec(container, "workspace", &script).await;
    assert_eq!(code, 0, "{output}");
}

async fn list_until(
    agent: &TestAgent,
    workspace: &str,
    done: impl Fn(&SessionsPage) -> bool,
) -> SessionsPage {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = agent
            .call("sessions/list", json!({"workspaceName": workspace}))
            .await;
        if status == 200 {
            let page: SessionsPage = serde_json::from_value(body).unwrap();
            if done(&page) || Instant::now() > deadline {
                return page;
            }
        } else {
            assert!(
                status == 503 && Instant::now() < deadline,
                "sessions.list answered {status}: {body}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn next_event(socket: &mut Socket) -> SessionEvent {
    next_json(socket).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_written_in_a_workspace_is_listed_streamed_updated_and_removed() {
    let agent = TestAgent::start("sessions").await;
    let created: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": "agentic"}))
        .await;
    assert_eq!(created.status, WorkspaceStatus::Running);
    let container = agent.container("agentic");

    let empty = list_until(&agent, "agentic", |_| true).await;
    assert_eq!(empty.total, 0, "{empty:?}");

    let url = format!(
        "{}/sessions/agentic?token={}",
        agent.url.replace("http://", "ws://"),
        agent.token
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url.into_client_request().unwrap())
        .await
        .expect("the sessions socket opens");
    assert_eq!(
        next_event(&mut socket).await,
        SessionEvent::Snapshot { sessions: vec![] }
    );

    let first = [
        claude_line(
            "user",
            "u1",
            None,
            json!("Add a README to the app"),
            "2026-11-26T07:00:00.000Z",
        ),
        claude_line(
            "assistant",
            "a1",
            Some("u1"),
            json!([{"type": "text", "text": "I will write README.md."},
                   {"type": "tool_use", "id": "t1", "name": "Write",
                    "input": {"file_path": "/home/workspace/app/README.md", "content": "# App"}}]),
            "2026-11-26T07:00:05.000Z",
        ),
    ];
    write_session(&container, &first, false).await;

    let added = match next_event(&mut socket).await {
        SessionEvent::Added { session } => session,
        other => panic!("expected added, got {other:?}"),
    };
    assert_eq!(added.session_id, SESSION_ID);
    assert_eq!(added.title, "Add a README to the app");
    assert_eq!(
        added.resume_command,
        format!("claude --resume {SESSION_ID}")
    );
    assert_eq!(added.project_path, "/home/workspace/app");
    let first_count = added.message_count;
    assert!(first_count >= 2, "{added:?}");

    let listed = list_until(&agent, "agentic", |page| page.total == 1).await;
    assert_eq!(listed.sessions[0].session_id, SESSION_ID);
    assert!(!listed.has_more);

    let page: MessagesPage = agent
        .ok::<SessionsMessages>(json!({"workspaceName": "agentic", "sessionId": SESSION_ID}))
        .await;
    assert!(
        page.messages
            .iter()
            .any(|message| message.text.contains("README"))
    );
    assert!(
        page.messages
            .iter()
            .flat_map(|message| &message.tool_calls)
            .any(|call| call.name == "Write" && call.summary.contains("README.md")),
        "{page:?}"
    );

    let hits: Vec<SessionSearchHit> = agent
        .ok::<SessionsSearch>(json!({"workspaceName": "agentic", "query": "readme"}))
        .await;
    assert_eq!(hits.len(), 1, "{hits:?}");

    // An appended message updates the count.
    write_session(
        &container,
        &[claude_line(
            "user",
            "u2",
            Some("a1"),
            json!("Now add a license"),
            "2026-11-26T07:01:00.000Z",
        )],
        true,
    )
    .await;
    let updated = loop {
        match next_event(&mut socket).await {
            SessionEvent::Updated { session } if session.message_count > first_count => {
                break session;
            }
            SessionEvent::Updated { .. } => {}
            other => panic!("expected updated, got {other:?}"),
        }
    };
    assert_eq!(updated.message_count, first_count + 1);

    // The coding agent's own hook, run inside the workspace as it runs it (Claude Code's
    // PermissionRequest on stdin), puts the session's status on the socket and the list.
    let permission = json!({"session_id": SESSION_ID, "transcript_path": format!("{PROJECT_DIR}/{SESSION_ID}.jsonl"),
        "cwd": "/home/workspace/app", "permission_mode": "default", "hook_event_name": "PermissionRequest",
        "tool_name": "Bash", "tool_input": {"command": "rm -rf node_modules", "description": "Remove node_modules"}})
    .to_string();
    let (code, output) = exec(
        &container,
        "workspace",
        &format!(
            "printf '%s' '{}' | perry-worker event claude",
            permission.replace('\'', "'\\''")
        ),
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let asked = loop {
        match next_event(&mut socket).await {
            SessionEvent::Updated { session } if session.status.is_some() => break session,
            SessionEvent::Updated { .. } => {}
            other => panic!("expected updated, got {other:?}"),
        }
    };
    let status = asked.status.expect("a status");
    assert_eq!(status.state, perry_api::sessions::SessionState::NeedsInput);
    assert_eq!(status.detail.as_deref(), Some("Bash: rm -rf node_modules"));
    let listed = list_until(&agent, "agentic", |page| {
        page.sessions
            .first()
            .is_some_and(|session| session.status.is_some())
    })
    .await;
    assert_eq!(
        listed.sessions[0]
            .status
            .as_ref()
            .map(|status| status.state),
        Some(perry_api::sessions::SessionState::NeedsInput)
    );

    // Deleting the file removes the session.
    let (code, output) = exec(
        &container,
        "workspace",
        &format!("rm {PROJECT_DIR}/{SESSION_ID}.jsonl"),
    )
    .await;
    assert_eq!(code, 0, "{output}");
    loop {
        match next_event(&mut socket).await {
            SessionEvent::Removed { session_id, .. } => {
                assert_eq!(session_id, SESSION_ID);
                break;
            }
            SessionEvent::Updated { .. } => {}
            other => panic!("expected removed, got {other:?}"),
        }
    }
    let after = list_until(&agent, "agentic", |page| page.total == 0).await;
    assert_eq!(after.total, 0);

    // Stopping the workspace closes its socket with 1001.
    let _: Workspace = agent.ok::<WorkspacesStop>(json!({"name": "agentic"})).await;
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(20), socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(closed.expect("a close frame").code), 1001);
    let (status, body) = agent
        .call("sessions/list", json!({"workspaceName": "agentic"}))
        .await;
    assert_eq!(status, 409, "{body}");
}

/// The worker talks to the agent only through a Docker exec's stdio and a unix socket inside
/// the container: it listens on no TCP port another workspace could reach.
#[tokio::test(flavor = "multi_thread")]
async fn the_worker_listens_on_no_tcp_port() {
    let agent = TestAgent::start("workertcp").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "quiet"})).await;
    let container = agent.container("quiet");
    // The index answers, so the worker is up and attached.
    list_until(&agent, "quiet", |_| true).await;
    let (code, listening) = exec(&container, "root", "ss -Hltnup; ss -Hlxp").await;
    assert_eq!(code, 0, "{listening}");
    let worker_sockets: Vec<&str> = listening
        .lines()
        .filter(|line| line.contains("perry-worker"))
        .collect();
    assert!(
        worker_sockets.iter().all(|line| line.starts_with("u_")),
        "the worker listens on the network: {worker_sockets:?}"
    );
    assert!(
        !worker_sockets.is_empty(),
        "the worker's unix socket is missing: {listening}"
    );
    println!("worker sockets: {worker_sockets:?}");
}

/// A second Claude Code session beside [`SESSION_ID`], for the recent list.
const OTHER_SESSION: &str = "0b6c1e2a-5d3f-4c1b-9e8a-7f6d5c4b3a21";

/// Rename, delete, recent and last used, against a real workspace's worker; every bad input is
/// refused with a clear 4xx and changes nothing, and names outlive an agent restart.
#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_renamed_opened_listed_as_recent_and_deleted() {
    let mut agent = TestAgent::start("sessionmanage").await;
    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "kept"})).await;
    assert!(created.last_used.is_none(), "{created:?}");
    let container = agent.container("kept");
    write_session(
        &container,
        &[claude_line(
            "user",
            "u1",
            None,
            json!("Fix the login bug"),
            "2026-12-01T07:00:00.000Z",
        )],
        false,
    )
    .await;
    common::claude_hook(
        &container,
        OTHER_SESSION,
        "Write the changelog",
        json!({"hook_event_name": "Stop"}),
    )
    .await;
    let listed = list_until(&agent, "kept", |page| page.total == 2).await;
    assert_eq!(listed.total, 2, "{listed:?}");
    let (mut socket, _) = tokio_tungstenite::connect_async(
        format!(
            "{}/sessions/kept?token={}",
            agent.url.replace("http://", "ws://"),
            agent.token
        )
        .into_client_request()
        .unwrap(),
    )
    .await
    .expect("the sessions socket opens");
    let _snapshot = next_event(&mut socket).await;

    // Bad renames change nothing.
    let state_file = agent.dir.path().join("state.json");
    let before = std::fs::read_to_string(&state_file).unwrap();
    let long = "x".repeat(1000);
    for (input, status, said) in [
        (
            json!({"workspaceName": "kept", "sessionId": SESSION_ID, "name": "  "}),
            400,
            "cannot be empty",
        ),
        (
            json!({"workspaceName": "kept", "sessionId": SESSION_ID, "name": long}),
            400,
            "at most 200 characters",
        ),
        (
            json!({"workspaceName": "kept", "sessionId": SESSION_ID, "name": "a\nb"}),
            400,
            "one line",
        ),
        (
            json!({"workspaceName": "kept", "sessionId": "gone", "name": "x"}),
            404,
            "no session",
        ),
        (
            json!({"workspaceName": "nowhere", "sessionId": SESSION_ID, "name": "x"}),
            404,
            "nowhere",
        ),
        (json!({"limit": 0}), 400, "limit"),
    ] {
        let path = if input.get("limit").is_some() {
            "sessions/recent"
        } else {
            "sessions/rename"
        };
        let (got, body) = agent.call(path, input.clone()).await;
        assert_eq!(got, status, "{input}: {body}");
        assert!(
            body.to_string().contains(said),
            "{input}: {body} should say {said:?}"
        );
    }
    assert_eq!(std::fs::read_to_string(&state_file).unwrap(), before);

    // A rename is shown by the list, the socket, search and recent.
    let renamed: SessionInfo = agent
        .ok::<SessionsRename>(
            json!({"workspaceName": "kept", "sessionId": SESSION_ID, "name": " Login fix "}),
        )
        .await;
    assert_eq!(renamed.name.as_deref(), Some("Login fix"));
    assert_eq!(renamed.title, "Fix the login bug");
    match next_event(&mut socket).await {
        SessionEvent::Updated { session } => assert_eq!(session.name.as_deref(), Some("Login fix")),
        other => panic!("expected updated, got {other:?}"),
    }
    let listed = list_until(&agent, "kept", |_| true).await;
    let named = listed
        .sessions
        .iter()
        .find(|s| s.session_id == SESSION_ID)
        .unwrap();
    assert_eq!(named.shown_title(), "Login fix");
    let hits: Vec<SessionSearchHit> = agent
        .ok::<SessionsSearch>(json!({"workspaceName": "kept", "query": "login"}))
        .await;
    assert_eq!(hits[0].session.name.as_deref(), Some("Login fix"));

    // Opening a session (its first page) puts it first in recent and marks the workspace used.
    let _: MessagesPage = agent
        .ok::<SessionsMessages>(json!({"workspaceName": "kept", "sessionId": SESSION_ID}))
        .await;
    let recent: Vec<RecentSession> = agent.ok::<SessionsRecent>(json!({})).await;
    assert_eq!(recent.len(), 2, "{recent:?}");
    assert_eq!(
        (
            recent[0].workspace.as_str(),
            recent[0].session.session_id.as_str()
        ),
        ("kept", SESSION_ID)
    );
    assert!(recent[0].opened_at.is_some());
    assert_eq!(recent[0].session.name.as_deref(), Some("Login fix"));
    assert!(recent[1].opened_at.is_none(), "{recent:?}");
    let limited: Vec<RecentSession> = agent.ok::<SessionsRecent>(json!({"limit": 1})).await;
    assert_eq!(limited.len(), 1);
    let used: Workspace = agent.ok::<WorkspacesGet>(json!({"name": "kept"})).await;
    assert!(used.last_used.is_some(), "{used:?}");

    // The name outlives the agent; a stopped workspace's opened session stays in recent.
    agent.restart_agent().await;
    let listed = list_until(&agent, "kept", |page| page.total == 2).await;
    let named = listed
        .sessions
        .iter()
        .find(|s| s.session_id == SESSION_ID)
        .unwrap();
    assert_eq!(named.name.as_deref(), Some("Login fix"));
    let _: Workspace = agent.ok::<WorkspacesStop>(json!({"name": "kept"})).await;
    let recent: Vec<RecentSession> = agent.ok::<SessionsRecent>(json!({})).await;
    assert_eq!(
        recent.len(),
        1,
        "only the opened one is known while stopped: {recent:?}"
    );
    assert_eq!(recent[0].session.name.as_deref(), Some("Login fix"));
    let _: Workspace = agent
        .ok::<perry_api::procedures::WorkspacesStart>(json!({"name": "kept"}))
        .await;
    list_until(&agent, "kept", |page| page.total == 2).await;

    // A name taken away shows the title again.
    let unnamed: SessionInfo = agent
        .ok::<SessionsRename>(
            json!({"workspaceName": "kept", "sessionId": OTHER_SESSION, "name": "temp"}),
        )
        .await;
    assert_eq!(unnamed.name.as_deref(), Some("temp"));
    let unnamed: SessionInfo = agent
        .ok::<SessionsRename>(json!({"workspaceName": "kept", "sessionId": OTHER_SESSION}))
        .await;
    assert_eq!(unnamed.name, None);

    // Delete removes the transcript inside the workspace, the session everywhere, and what
    // the agent kept; a second delete finds nothing.
    let deleted: perry_api::SuccessOutput = agent
        .ok::<SessionsDelete>(json!({"workspaceName": "kept", "sessionId": SESSION_ID}))
        .await;
    assert!(deleted.success);
    let (code, output) = exec(
        &container,
        "workspace",
        &format!("test ! -e {PROJECT_DIR}/{SESSION_ID}.jsonl && echo gone"),
    )
    .await;
    assert_eq!((code, output.trim()), (0, "gone"));
    let after = list_until(&agent, "kept", |page| page.total == 1).await;
    assert_eq!(after.sessions[0].session_id, OTHER_SESSION);
    let (status, body) = agent
        .call(
            "sessions/delete",
            json!({"workspaceName": "kept", "sessionId": SESSION_ID}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let recent: Vec<RecentSession> = agent.ok::<SessionsRecent>(json!({})).await;
    assert!(
        recent
            .iter()
            .all(|entry| entry.session.session_id != SESSION_ID),
        "{recent:?}"
    );
    let state = std::fs::read_to_string(&state_file).unwrap();
    assert!(!state.contains(SESSION_ID), "{state}");
}
