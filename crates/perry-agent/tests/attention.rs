//! Attention end to end with the real coding agents in a real workspace: sync installs each
//! one's hook beside the person's own entries, and what the real Claude Code, OpenCode and Codex
//! then do reaches the sessions' status. None can reach its service here, so each fails its turn
//! the way it fails offline, which is what the status must say.

mod common;

use std::time::{Duration, Instant};

use common::{TestAgent, claude_hook, exec, next_json};
use perry_api::procedures::{SessionsGet, WorkspacesCreate, WorkspacesSync};
use perry_api::sessions::{SessionAgent, SessionInfo, SessionState, SessionsPage, StatusEvent};
use perry_api::{SyncOutput, Workspace};
use serde_json::json;

/// The person's own settings, there before Perry's hooks: a theme, a hook of theirs on
/// SessionEnd that leaves a file, and a Codex notify program that leaves one too.
const PERSON_FILES: &str = r#"
mkdir -p ~/.claude ~/.codex ~/app
cat > ~/.claude/settings.json <<'EOF'
{"theme": "light", "hooks": {"SessionEnd": [{"hooks": [{"type": "command", "command": "touch ~/claude-hook-of-mine"}]}]}}
EOF
cat > ~/.codex/config.toml <<'EOF'
# mine
model = "o3"
notify = ["sh", "-c", "echo \"$1\" > ~/codex-notify-of-mine", "notify"]

[profiles.fast]
model = "o4-mini"
EOF
"#;

async fn sessions(agent: &TestAgent, workspace: &str) -> SessionsPage {
    let (status, body) = agent
        .call("sessions/list", json!({"workspaceName": workspace}))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Waits until `agent`'s session (the only one of that coding agent) is in `state`.
async fn wait_for_state(
    agent: &TestAgent,
    workspace: &str,
    coding_agent: SessionAgent,
    state: SessionState,
    patience: Duration,
) -> String {
    let deadline = Instant::now() + patience;
    loop {
        let page = sessions(agent, workspace).await;
        let session = page
            .sessions
            .iter()
            .find(|session| session.agent == coding_agent);
        if let Some(session) = session
            && session.status.as_ref().map(|status| status.state) == Some(state)
        {
            return session.session_id.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no {coding_agent:?} session in {state:?} within {patience:?}: {page:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_coding_agents_report_through_the_hooks_sync_installs() {
    let agent = TestAgent::start("attention").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "heed"})).await;
    let container = agent.container("heed");
    let (code, output) = exec(&container, "workspace", PERSON_FILES).await;
    assert_eq!(code, 0, "{output}");

    // Sync puts Perry's hooks beside the person's entries; a second sync changes nothing.
    let synced: SyncOutput = agent.ok::<WorkspacesSync>(json!({"name": "heed"})).await;
    for what in ["Claude Code hooks", "Codex notify", "OpenCode plugin"] {
        let item = synced
            .items
            .iter()
            .find(|item| item.what.starts_with(what))
            .unwrap_or_else(|| panic!("no {what} item: {synced:?}"));
        assert_eq!(item.error, None, "{item:?}");
    }
    let files =
        "cat ~/.claude/settings.json ~/.codex/config.toml ~/.config/opencode/plugins/perry.js";
    let (_, first) = exec(&container, "workspace", files).await;
    let _: SyncOutput = agent.ok::<WorkspacesSync>(json!({"name": "heed"})).await;
    let (_, second) = exec(&container, "workspace", files).await;
    assert_eq!(first, second, "a second sync rewrites nothing");
    assert!(first.contains(r#""theme": "light""#), "{first}");
    assert!(first.contains("touch ~/claude-hook-of-mine"), "{first}");
    assert!(first.contains("# mine\nmodel = \"o3\""), "{first}");
    assert!(first.contains("[profiles.fast]"), "{first}");

    // The real Claude Code and OpenCode, each with a key that cannot work and no network: the
    // turn starts (working), fails (error), and Claude Code's session ends.
    let claude = exec(
        &container,
        "workspace",
        "cd ~/app && CLAUDE_CODE_MAX_RETRIES=0 ANTHROPIC_API_KEY=sk-ant-api03-not-a-key \
         timeout 120 claude -p 'say hello'",
    );
    let opencode = exec(
        &container,
        "workspace",
        "cd ~/app && ANTHROPIC_API_KEY=sk-ant-api03-not-a-key timeout 170 opencode run 'say hello'",
    );
    // Codex writes its transcript, then waits for a network that never comes; its notify fires
    // only when a turn completes, so the installed program is run as Codex runs it: the
    // configured argv and the documented agent-turn-complete JSON as the last argument.
    let codex = exec(
        &container,
        "workspace",
        "cd ~/app && OPENAI_API_KEY=sk-not-a-key timeout 15 codex exec --skip-git-repo-check 'say hello'; true",
    );
    let (claude, opencode, codex) = tokio::join!(claude, opencode, codex);
    println!("claude: {claude:?}\nopencode: {opencode:?}\ncodex: {codex:?}");

    wait_for_state(
        &agent,
        "heed",
        SessionAgent::ClaudeCode,
        SessionState::Ended,
        Duration::from_secs(20),
    )
    .await;
    let (code, output) = exec(&container, "workspace", "test -f ~/claude-hook-of-mine").await;
    assert_eq!(
        code, 0,
        "the person's own Claude Code hook ran too: {output}"
    );
    wait_for_state(
        &agent,
        "heed",
        SessionAgent::Opencode,
        SessionState::Error,
        Duration::from_secs(20),
    )
    .await;

    let page = sessions(&agent, "heed").await;
    let thread = page
        .sessions
        .iter()
        .find(|session| session.agent == SessionAgent::Codex)
        .unwrap_or_else(|| panic!("Codex's transcript is listed: {page:?}"))
        .session_id
        .clone();
    let payload = json!({"type": "agent-turn-complete", "thread-id": thread, "turn-id": "1",
        "cwd": "/home/workspace/app", "input-messages": ["say hello"],
        "last-assistant-message": "Hello!", "client": "codex-tui"})
    .to_string();
    let notify = format!(
        "python3 -c 'import json, subprocess, sys, tomllib; \
         argv = tomllib.load(open(sys.argv[1], \"rb\"))[\"notify\"]; \
         subprocess.run(argv + [sys.argv[2]], check=True)' ~/.codex/config.toml '{}'",
        payload.replace('\'', "'\\''")
    );
    let (code, output) = exec(&container, "workspace", &notify).await;
    assert_eq!(code, 0, "{output}");
    wait_for_state(
        &agent,
        "heed",
        SessionAgent::Codex,
        SessionState::Idle,
        Duration::from_secs(10),
    )
    .await;
    // The person's own notify program ran after Perry's, with the same payload.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, mine) = exec(&container, "workspace", "cat ~/codex-notify-of-mine").await;
        if code == 0 {
            assert_eq!(mine.trim(), payload);
            break;
        }
        assert!(Instant::now() < deadline, "the person's notify never ran");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_events_socket_hears_every_workspace_and_sessions_get_has_the_status() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let agent = TestAgent::start("events").await;
    for name in ["north", "south"] {
        let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": name})).await;
    }
    let socket_url = format!("{}/events", agent.url.replace("http://", "ws://"));
    // Like every socket, it wants the token.
    let refused = tokio_tungstenite::connect_async(socket_url.clone()).await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(response)) if response.status() == 401),
        "{refused:?}"
    );
    let request = format!("{socket_url}?token={}", agent.token)
        .into_client_request()
        .unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        next_json::<StatusEvent>(&mut socket).await,
        StatusEvent::Snapshot { sessions: vec![] }
    );

    // Nobody asked for either workspace's sessions: the agent listens to all of them anyway.
    let asking = "0b4f5d8e-7a61-4c1e-9d35-1f2e3a4b5c6d";
    claude_hook(
        &agent.container("north"),
        asking,
        "fix the build",
        json!({"hook_event_name": "PermissionRequest", "tool_name": "Bash",
               "tool_input": {"command": "npm publish"}}),
    )
    .await;
    let StatusEvent::Changed {
        workspace,
        session,
        previous,
    } = next_json::<StatusEvent>(&mut socket).await
    else {
        panic!("expected a change");
    };
    assert_eq!((workspace.as_str(), previous), ("north", None));
    assert_eq!(session.session_id, asking);
    let status = session.status.unwrap();
    assert_eq!(status.state, SessionState::NeedsInput);
    assert_eq!(status.detail.as_deref(), Some("Bash: npm publish"));

    let done = "7c9e2a10-3b4d-4e5f-8a6b-7c8d9e0f1a2b";
    claude_hook(
        &agent.container("south"),
        done,
        "fix the build",
        json!({"hook_event_name": "Stop", "stop_hook_active": false}),
    )
    .await;
    let StatusEvent::Changed {
        workspace, session, ..
    } = next_json::<StatusEvent>(&mut socket).await
    else {
        panic!("expected a change");
    };
    assert_eq!(workspace, "south");
    assert_eq!(
        session.status.map(|status| status.state),
        Some(SessionState::Idle)
    );

    // sessions.get has it too; an id that is not there is a 404 that says so.
    let got: SessionInfo = agent
        .ok::<SessionsGet>(json!({"workspaceName": "north", "sessionId": asking}))
        .await;
    assert_eq!(
        got.status.map(|status| status.state),
        Some(SessionState::NeedsInput)
    );
    let (status, body) = agent
        .call(
            "sessions/get",
            json!({"workspaceName": "north", "sessionId": "no-such-session"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no-such-session"),
        "{body}"
    );

    // A second socket's snapshot has both, newest change first.
    let request = format!("{socket_url}?token={}", agent.token)
        .into_client_request()
        .unwrap();
    let (mut second, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let StatusEvent::Snapshot { sessions } = next_json::<StatusEvent>(&mut second).await else {
        panic!("a snapshot first");
    };
    let listed: Vec<(&str, &str)> = sessions
        .iter()
        .map(|entry| (entry.workspace.as_str(), entry.session.session_id.as_str()))
        .collect();
    assert_eq!(listed, [("south", done), ("north", asking)]);

    // A workspace that stops takes its sessions' statuses with it.
    let _: Workspace = agent
        .ok::<perry_api::procedures::WorkspacesStop>(json!({"name": "north"}))
        .await;
    assert_eq!(
        next_json::<StatusEvent>(&mut socket).await,
        StatusEvent::Gone {
            workspace: "north".to_owned(),
            session_id: None
        }
    );
}
