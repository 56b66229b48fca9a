//! `settings.*` against a real agent and real workspaces: what a person sets from any client is
//! saved in config.json beside their own edits, never read back, refused whole when wrong, and
//! put by sync where each real coding agent (and git) reads it.

mod common;

use common::{TestAgent, exec};
use perry_api::Workspace;
use perry_api::procedures::{
    SettingsGet, SettingsRotateToken, SettingsSetAccount, SettingsSetEnv, SettingsToken,
    WorkspacesCreate, WorkspacesSyncAll,
};
use perry_api::settings::{Settings, TokenOutput, WorkspaceSyncResult, fingerprint};
use serde_json::{Value, json};

/// Each call gets its status with a message saying `says`, and not a byte of config.json changes.
async fn assert_refused_whole(agent: &TestAgent, cases: &[(&str, Value, u16, &str)]) {
    let before = std::fs::read(agent.dir.path().join("config.json")).unwrap();
    for (path, input, expected, says) in cases {
        let (status, body) = agent.call(path, input.clone()).await;
        assert_eq!(status, *expected, "{path} {input}: {body}");
        let text = body.to_string();
        assert!(
            text.contains(says),
            "{path} {input}: {says:?} not in {text}"
        );
        assert_eq!(
            std::fs::read(agent.dir.path().join("config.json")).unwrap(),
            before,
            "{path} {input} changed config.json"
        );
    }
}

fn config_json(agent: &TestAgent) -> Value {
    serde_json::from_slice(&std::fs::read(agent.dir.path().join("config.json")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_are_saved_beside_the_persons_edits_and_never_read_back() {
    let agent = TestAgent::start("settings").await;
    // The person's own edit of config.json, made while the agent runs.
    let mut by_hand = config_json(&agent);
    by_hand["credentials"] = json!({"env": {"BY_HAND": "typed-by-hand"}});
    by_hand["personalNote"] = json!("kept");
    std::fs::write(agent.dir.path().join("config.json"), by_hand.to_string()).unwrap();

    let secret = "sk-env-secret-value-0123";
    let (status, body) = agent
        .call(
            "settings/setEnv",
            json!({"name": "API_KEY", "value": secret}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let account_secret = "sk-ant-api03-account-secret";
    let settings: Settings = agent
        .ok::<SettingsSetAccount>(
            json!({"account": "claudeCode", "key": "apiKey", "value": account_secret}),
        )
        .await;
    let host_file = agent.dir.path().join("npmrc");
    std::fs::write(&host_file, "registry=local\n").unwrap();
    let (status, body) = agent
        .call(
            "settings/setFile",
            json!({"host": host_file.display().to_string(), "workspace": "~/.npmrc"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Replies name the secrets, say when they were set and how they look, never what they are.
    let settings_text = serde_json::to_string(&settings).unwrap() + &body.to_string();
    for value in [secret, account_secret, "typed-by-hand"] {
        assert!(!settings_text.contains(value), "{value} in {settings_text}");
    }
    let settings: Settings = agent.ok::<SettingsGet>(json!({})).await;
    let env: Vec<(&str, Option<&str>, &str)> = settings
        .env
        .iter()
        .map(|info| {
            (
                info.name.as_str(),
                info.set_at.as_deref(),
                info.fingerprint.as_str(),
            )
        })
        .collect();
    assert_eq!(env.len(), 2, "{env:?}");
    assert_eq!(env[0].0, "API_KEY");
    assert!(env[0].1.is_some(), "set by the agent: it knows when");
    assert_eq!(env[0].2, fingerprint(secret));
    assert_eq!(
        env[1],
        ("BY_HAND", None, fingerprint("typed-by-hand").as_str())
    );
    assert_eq!(settings.files.len(), 1);
    assert_eq!(settings.accounts.len(), 1);
    assert_eq!(settings.accounts[0].secret.name, "apiKey");

    // config.json has the values, and the person's edit is whole.
    let on_disk = config_json(&agent);
    assert_eq!(on_disk["credentials"]["env"]["API_KEY"], secret);
    assert_eq!(on_disk["credentials"]["env"]["BY_HAND"], "typed-by-hand");
    assert_eq!(on_disk["personalNote"], "kept");
    assert_eq!(on_disk["accounts"]["claudeCode"]["apiKey"], account_secret);

    // Bad input: a 400 (or 404, 409) that says what is wrong, and not a byte of config.json
    // changed.
    let other_file = agent.dir.path().join("other");
    std::fs::write(&other_file, "x").unwrap();
    let cases = [
        (
            "settings/setEnv",
            json!({"name": "1X", "value": "v"}),
            400,
            "not a variable name",
        ),
        (
            "settings/setEnv",
            json!({"name": "A", "value": "a\nb"}),
            400,
            "newline",
        ),
        (
            "settings/setEnv",
            json!({"name": "A", "value": "x".repeat(70_000)}),
            400,
            "the most is",
        ),
        ("settings/setEnv", json!({"name": "A"}), 400, "value"),
        (
            "settings/unsetEnv",
            json!({"name": "NEVER_SET"}),
            404,
            "NEVER_SET",
        ),
        (
            "settings/setFile",
            json!({"host": "~/x", "workspace": "/etc/passwd"}),
            400,
            "home",
        ),
        (
            "settings/setFile",
            json!({"host": "~/x", "workspace": "~/../../etc/shadow"}),
            400,
            "..",
        ),
        (
            "settings/setFile",
            json!({"host": "/nonexistent/perry", "workspace": "~/x"}),
            400,
            "does not exist",
        ),
        (
            "settings/setFile",
            json!({"host": other_file.display().to_string(), "workspace": "/home/workspace/.npmrc"}),
            409,
            "already copied",
        ),
        (
            "settings/unsetFile",
            json!({"host": "~/never"}),
            404,
            "~/never",
        ),
        (
            "settings/setAccount",
            json!({"account": "codex", "key": "oauthToken", "value": "v"}),
            400,
            "apiKey",
        ),
        (
            "settings/setAccount",
            json!({"account": "codex", "key": "apiKey", "value": "  "}),
            400,
            "empty",
        ),
        (
            "settings/setAccount",
            json!({"account": "gemini", "key": "apiKey", "value": "v"}),
            400,
            "account",
        ),
        (
            "settings/setAccount",
            json!({"account": "github", "key": "ssh://github.com", "value": "v"}),
            400,
            "http or https",
        ),
        (
            "settings/unsetAccount",
            json!({"account": "opencode", "key": "openai"}),
            404,
            "OpenCode has no openai",
        ),
    ];
    assert_refused_whole(&agent, &cases).await;

    // Unset takes it out of config.json and the reply.
    let (status, body) = agent
        .call(
            "settings/unsetAccount",
            json!({"account": "claudeCode", "key": "apiKey"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(config_json(&agent).get("accounts").is_none());
    let (status, _) = agent
        .call("settings/unsetEnv", json!({"name": "API_KEY"}))
        .await;
    assert_eq!(status, 200);
    let settings: Settings = agent.ok::<SettingsGet>(json!({})).await;
    assert_eq!(settings.env.len(), 1);
    assert!(settings.accounts.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_token_refuses_the_old_one_at_once_and_closes_its_sockets() {
    use futures_util::StreamExt;
    let agent = TestAgent::start("token").await;
    let shown: TokenOutput = agent.ok::<SettingsToken>(json!({})).await;
    assert_eq!(shown.token, agent.token);

    let url = format!(
        "ws://127.0.0.1:{}/events?token={}",
        agent.port(),
        agent.token
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let first = socket.next().await.unwrap().unwrap();
    assert!(first.is_text(), "{first:?}");

    let before = config_json(&agent);
    let rotated: TokenOutput = agent.ok::<SettingsRotateToken>(json!({})).await;
    assert_ne!(rotated.token, agent.token);
    assert!(rotated.token.len() >= 32);
    let (status, _) = agent.call("workspaces/list", json!({})).await;
    assert_eq!(status, 401, "the old token is refused at once");
    let (status, _) = agent
        .call_with_token("workspaces/list", json!({}), Some(&rotated.token))
        .await;
    assert_eq!(status, 200);
    let mut expected = before;
    expected["auth"]["token"] = json!(rotated.token);
    assert_eq!(config_json(&agent), expected, "only the token changed");

    // The socket opened with the old token is closed with 4001.
    let closed = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("the socket is closed")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    let frame = closed.expect("a close frame with a code");
    assert_eq!(u16::from(frame.code), 4001, "{frame:?}");
    assert!(frame.reason.contains("rotated"), "{frame:?}");
}

/// A git server in the workspace that answers only with HTTP basic auth whose password is
/// `token` (git's "dumb" HTTP protocol: static files, enough for ls-remote).
const GIT_SERVER: &str = r#"
set -e
rm -rf /tmp/git-served && mkdir -p /tmp/git-served && cd /tmp/git-served
git init -q --bare repo.git
git clone -q repo.git /tmp/work 2>/dev/null
cd /tmp/work && git -c user.email=t@t -c user.name=t commit -q --allow-empty -m first && git push -q origin HEAD:main
cd /tmp/git-served/repo.git && git update-server-info
cat > /tmp/git-server.py <<'EOF'
import base64, http.server, functools, sys
token = sys.argv[1]
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        expected = "Basic " + base64.b64encode(("x-access-token:" + token).encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.end_headers()
            return
        super().do_GET()
http.server.ThreadingHTTPServer(("127.0.0.1", 8418), functools.partial(Handler, directory="/tmp/git-served")).serve_forever()
EOF
nohup python3 /tmp/git-server.py "$1" >/tmp/git-server.log 2>&1 &
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8418/ && exit 0; sleep 0.1; done
exit 1
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_real_coding_agents_and_git_use_what_sync_puts_in_the_workspace() {
    let agent = TestAgent::start("accounts").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "keys"})).await;
    let container = agent.container("keys");
    // The person's own state first: a Claude Code theme, an OpenCode login of theirs.
    let (code, output) = exec(
        &container,
        "workspace",
        r#"echo '{"theme": "light"}' > ~/.claude.json
mkdir -p ~/.local/share/opencode
echo '{"openrouter": {"type": "api", "key": "their-own"}}' > ~/.local/share/opencode/auth.json"#,
    )
    .await;
    assert_eq!(code, 0, "{output}");

    // Before: each coding agent says it has no login.
    let (_, before) = exec(
        &container,
        "workspace",
        "cd ~ && timeout 60 claude -p hello 2>&1; echo; timeout 20 codex login status 2>&1",
    )
    .await;
    assert!(
        before.contains("Please run /login") && before.contains("Not logged in"),
        "without Perry's keys Claude Code and Codex ask for a login: {before}"
    );

    let git_token = "git-token-0123456789";
    let (code, output) = exec(
        &container,
        "workspace",
        &format!(
            "bash -c '{}' git-server {git_token}",
            GIT_SERVER.replace('\'', "'\\''")
        ),
    )
    .await;
    assert_eq!(code, 0, "the git server starts: {output}");
    let (code, output) = exec(
        &container,
        "workspace",
        "GIT_TERMINAL_PROMPT=0 timeout 20 git ls-remote http://127.0.0.1:8418/repo.git",
    )
    .await;
    assert_ne!(code, 0, "no token yet, no access: {output}");

    for (account, key, value) in [
        (
            "claudeCode",
            "apiKey",
            "sk-ant-api03-fake-key-for-perry-tests-0123456789",
        ),
        ("codex", "apiKey", "sk-proj-fake-key-for-perry-tests"),
        ("opencode", "anthropic", "sk-ant-api03-fake-opencode-key"),
        ("github", "http://127.0.0.1:8418", git_token),
    ] {
        let _: Settings = agent
            .ok::<SettingsSetAccount>(json!({"account": account, "key": key, "value": value}))
            .await;
    }
    let _: Settings = agent
        .ok::<SettingsSetEnv>(json!({"name": "PERRY_TEST_VAR", "value": "it's set"}))
        .await;
    let synced: Vec<WorkspaceSyncResult> = agent.ok::<WorkspacesSyncAll>(json!({})).await;
    assert_eq!(synced.len(), 1, "{synced:?}");
    assert_eq!(synced[0].name, "keys");
    let failed: Vec<_> = synced[0]
        .items
        .iter()
        .filter(|item| item.error.is_some())
        .collect();
    assert!(failed.is_empty(), "{failed:?}");

    let (code, output) = exec(
        &container,
        "workspace",
        "echo \"$PERRY_TEST_VAR|$ANTHROPIC_API_KEY|$OPENAI_API_KEY\"; \
         jq -c '{o: .hasCompletedOnboarding, t: .theme, trust: .projects[\"/home/workspace\"].hasTrustDialogAccepted, k: .customApiKeyResponses.approved}' ~/.claude.json; \
         jq -c 'keys' ~/.local/share/opencode/auth.json; stat -c %a ~/.local/share/opencode/auth.json ~/.codex/auth.json",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines[0],
        "it's set|sk-ant-api03-fake-key-for-perry-tests-0123456789|sk-proj-fake-key-for-perry-tests"
    );
    assert_eq!(
        lines[1],
        r#"{"o":true,"t":"light","trust":true,"k":["rry-tests-0123456789"]}"#
    );
    assert_eq!(lines[2], r#"["anthropic","openrouter"]"#);
    assert_eq!(&lines[3..5], ["600", "600"]);

    // git asks Perry's helper, which gives the token for that host only.
    let (code, output) = exec(
        &container,
        "workspace",
        "GIT_TERMINAL_PROMPT=0 timeout 20 git ls-remote http://127.0.0.1:8418/repo.git",
    )
    .await;
    assert_eq!(code, 0, "git uses the token: {output}");
    assert!(output.contains("refs/heads/main"), "{output}");

    // The real coding agents start and get as far as calling their service: no login prompt.
    let (_, claude) = exec(
        &container,
        "workspace",
        "cd ~ && CLAUDE_CODE_MAX_RETRIES=0 timeout 90 claude -p hello 2>&1",
    )
    .await;
    let (_, codex) = exec(
        &container,
        "workspace",
        "timeout 20 codex login status 2>&1",
    )
    .await;
    let (_, opencode) = exec(
        &container,
        "workspace",
        "timeout 30 opencode auth list 2>&1",
    )
    .await;
    println!("claude: {claude}\ncodex: {codex}\nopencode: {opencode}");
    assert!(
        !claude.contains("/login"),
        "Claude Code asks for a login: {claude}"
    );
    assert!(
        claude.to_lowercase().contains("error"),
        "Claude Code called its service, which failed here: {claude}"
    );
    assert!(
        codex.contains("API key"),
        "Codex is logged in with the key: {codex}"
    );
    assert!(
        opencode.contains("Anthropic"),
        "OpenCode has the key: {opencode}"
    );

    // Unset in Perry: the key leaves the workspace at the next sync, the person's own login stays.
    let (status, body) = agent
        .call(
            "settings/unsetAccount",
            json!({"account": "opencode", "key": "anthropic"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = agent
        .call(
            "settings/unsetAccount",
            json!({"account": "codex", "key": "apiKey"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let _: Vec<WorkspaceSyncResult> = agent.ok::<WorkspacesSyncAll>(json!({})).await;
    let (code, output) = exec(
        &container,
        "workspace",
        "jq -c 'keys' ~/.local/share/opencode/auth.json ~/.codex/auth.json; echo \"[$OPENAI_API_KEY]\"",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(output.trim(), "[\"openrouter\"]\n[]\n[]", "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn scripts_mcp_servers_skills_and_ssh_keys_are_kept_in_order_and_checked_whole() {
    let agent = TestAgent::start("lists").await;
    let set = |path: &'static str, input: Value| {
        let agent = &agent;
        async move {
            let (status, body) = agent.call(path, input.clone()).await;
            assert_eq!(status, 200, "{path} {input}: {body}");
            serde_json::from_value::<Settings>(body).unwrap()
        }
    };
    set(
        "settings/setScript",
        json!({"script": {"name": "deps", "script": "npm ci"}}),
    )
    .await;
    set(
        "settings/setScript",
        json!({"script": {"name": "first", "script": "echo hi", "workspaces": ["app"]}, "position": 0}),
    )
    .await;
    let settings = set(
        "settings/setScript",
        json!({"script": {"name": "deps", "script": "npm ci --silent", "timeoutSeconds": 60}, "replace": true}),
    )
    .await;
    let names: Vec<&str> = settings
        .scripts
        .iter()
        .map(|script| script.name.as_str())
        .collect();
    assert_eq!(names, ["first", "deps"], "replaced where it was");
    assert_eq!(settings.scripts[1].timeout_seconds, Some(60));

    let secret = "mcp-env-secret-value";
    set(
        "settings/setMcpServer",
        json!({"server": {"name": "memory", "command": ["npx", "-y", "@modelcontextprotocol/server-memory"],
            "env": {"MEMORY_TOKEN": secret}, "agents": ["claude-code", "codex"]}}),
    )
    .await;
    // Changed without env: the environment it had stays, and is never shown.
    let settings = set(
        "settings/setMcpServer",
        json!({"server": {"name": "memory", "command": ["npx", "-y", "@modelcontextprotocol/server-memory"],
            "enabled": false}, "replace": true}),
    )
    .await;
    assert!(!serde_json::to_string(&settings).unwrap().contains(secret));
    assert_eq!(settings.mcp_servers[0].env_names, ["MEMORY_TOKEN"]);
    assert!(!settings.mcp_servers[0].enabled);
    assert_eq!(
        config_json(&agent)["mcpServers"][0]["env"]["MEMORY_TOKEN"],
        secret
    );
    set(
        "settings/setSkill",
        json!({"skill": {"name": "release-notes", "description": "Write release notes from git log",
            "instructions": "Read `git log` since the last tag."}}),
    )
    .await;
    let public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZ0VEPqHSH/vyzmIzbQ6WSwXw0/DvzGjpJxO1XKxqhW me@laptop";
    let settings = set(
        "settings/setSshKey",
        json!({"kind": "authorized", "key": public_key, "workspaces": ["app"]}),
    )
    .await;
    assert_eq!(settings.skills[0].name, "release-notes");
    assert_eq!(settings.ssh.authorized[0].key, public_key);
    assert_eq!(settings.ssh.authorized[0].workspaces, ["app"]);

    let cases = [
        (
            "settings/setScript",
            json!({"script": {"name": "deps", "script": "x"}}),
            409,
            "exists already",
        ),
        (
            "settings/setScript",
            json!({"script": {"name": "big", "script": "x".repeat(70_000)}}),
            400,
            "the most is",
        ),
        (
            "settings/setScript",
            json!({"script": {"name": "slow", "script": "x", "timeoutSeconds": 0}}),
            400,
            "time limit",
        ),
        (
            "settings/setScript",
            json!({"script": {"name": "../x", "script": "x"}}),
            400,
            "ot a name",
        ),
        (
            "settings/setScript",
            json!({"script": {"name": "s", "script": "x", "workspaces": ["Bad Name"]}}),
            400,
            "workspaces",
        ),
        (
            "settings/setMcpServer",
            json!({"server": {"name": "memory", "url": "https://mcp.example/x"}}),
            409,
            "exists already",
        ),
        (
            "settings/setMcpServer",
            json!({"server": {"name": "s", "command": "npx -y server"}}),
            400,
            "server",
        ),
        (
            "settings/setMcpServer",
            json!({"server": {"name": "s", "command": []}}),
            400,
            "empty",
        ),
        (
            "settings/setMcpServer",
            json!({"server": {"name": "s"}}),
            400,
            "a command (a list of strings) or a url",
        ),
        (
            "settings/setMcpServer",
            json!({"server": {"name": "s", "command": ["x"], "url": "https://x"}}),
            400,
            "not both",
        ),
        (
            "settings/setMcpServer",
            json!({"server": {"name": "s", "url": "ftp://x"}}),
            400,
            "http",
        ),
        (
            "settings/setSkill",
            json!({"skill": {"name": "release-notes", "description": "d", "instructions": "i"}}),
            409,
            "exists already",
        ),
        (
            "settings/setSkill",
            json!({"skill": {"name": "Release Notes", "description": "d", "instructions": "i"}}),
            400,
            "ot a skill name",
        ),
        (
            "settings/setSkill",
            json!({"skill": {"name": "s", "description": "", "instructions": "i"}}),
            400,
            "description",
        ),
        (
            "settings/setSshKey",
            json!({"kind": "authorized", "key": "not a key"}),
            400,
            "ot an SSH public key",
        ),
        (
            "settings/setSshKey",
            json!({"kind": "copy", "key": "../id_rsa"}),
            400,
            "ot the file name",
        ),
        (
            "settings/setSshKey",
            json!({"kind": "copy", "key": "id_perry_test_missing"}),
            400,
            "no private key",
        ),
        (
            "settings/unsetSshKey",
            json!({"kind": "copy", "key": "id_never"}),
            404,
            "not copied",
        ),
        (
            "settings/unsetScript",
            json!({"name": "never"}),
            404,
            "never",
        ),
        (
            "settings/unsetMcpServer",
            json!({"name": "never"}),
            404,
            "never",
        ),
        (
            "settings/unsetSkill",
            json!({"name": "never"}),
            404,
            "never",
        ),
    ];
    assert_refused_whole(&agent, &cases).await;
    for (path, input) in [
        ("settings/unsetScript", json!({"name": "first"})),
        ("settings/unsetMcpServer", json!({"name": "memory"})),
        ("settings/unsetSkill", json!({"name": "release-notes"})),
        (
            "settings/unsetSshKey",
            json!({"kind": "authorized", "key": public_key}),
        ),
    ] {
        set(path, input).await;
    }
    let settings: Settings = agent.ok::<SettingsGet>(json!({})).await;
    assert_eq!(settings.scripts.len(), 1);
    assert!(settings.mcp_servers.is_empty() && settings.skills.is_empty());
    assert!(settings.ssh.authorized.is_empty());
}

/// Waits until every post-start script of `name` has finished; returns the workspace.
async fn after_post_start(agent: &TestAgent, name: &str, count: usize) -> Workspace {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let workspace: Workspace = agent
            .ok::<perry_api::procedures::WorkspacesGet>(json!({"name": name}))
            .await;
        if let Some(runs) = &workspace.post_start
            && runs.len() == count
            && runs.iter().all(|run| run.finished)
        {
            return workspace;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the post-start scripts did not finish: {:?}",
            workspace.post_start
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn post_start_scripts_run_in_order_after_every_start_and_a_failure_is_a_warning() {
    let agent = TestAgent::start("scripts").await;
    for (script, position) in [
        (
            json!({"name": "greet", "script": "echo hello-from-greet; whoami >> ~/script-runs; pwd >> ~/script-runs"}),
            None,
        ),
        (
            json!({"name": "broken", "script": "echo about to fail >&2; exit 3"}),
            None,
        ),
        (
            json!({"name": "slow", "script": "sleep 60", "timeoutSeconds": 2}),
            None,
        ),
        (
            json!({"name": "elsewhere", "script": "touch ~/must-not-exist", "workspaces": ["other"]}),
            None,
        ),
        (
            json!({"name": "first", "script": "echo first >> ~/order"}),
            Some(0),
        ),
    ] {
        let (status, body) = agent
            .call(
                "settings/setScript",
                json!({"script": script, "position": position}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "app"})).await;
    let workspace = after_post_start(&agent, "app", 4).await;
    assert_eq!(
        workspace.status,
        perry_api::WorkspaceStatus::Running,
        "a failed script is a warning"
    );
    let runs = workspace.post_start.unwrap();
    let outcome: Vec<(&str, Option<i32>, bool)> = runs
        .iter()
        .map(|run| (run.name.as_str(), run.exit_code, run.error.is_some()))
        .collect();
    assert_eq!(
        outcome,
        [
            ("first", Some(0), false),
            ("greet", Some(0), false),
            ("broken", Some(3), true),
            ("slow", Some(124), true)
        ]
    );
    assert!(
        runs[3]
            .error
            .as_deref()
            .unwrap()
            .contains("time limit of 2 s"),
        "{runs:?}"
    );
    let container = agent.container("app");
    let (code, output) = exec(
        &container,
        "workspace",
        "cat ~/script-runs; test ! -e ~/must-not-exist",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(output.trim(), "workspace\n/home/workspace");

    // Their output is in the workspace's own log, each line marked with the script's name.
    let logs: perry_api::LogsOutput = agent
        .ok::<perry_api::procedures::WorkspacesLogs>(json!({"name": "app", "tail": 500}))
        .await;
    let text: Vec<&str> = logs.lines.iter().map(|line| line.text.as_str()).collect();
    assert!(
        text.iter()
            .any(|line| line.contains("[post-start greet] hello-from-greet")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|line| line.contains("[post-start broken] about to fail")),
        "{text:?}"
    );

    // Every start runs them again; starting a running workspace does not.
    let _: Workspace = agent
        .ok::<perry_api::procedures::WorkspacesStart>(json!({"name": "app"}))
        .await;
    let _: Workspace = agent
        .ok::<perry_api::procedures::WorkspacesStop>(json!({"name": "app"}))
        .await;
    let _: Workspace = agent
        .ok::<perry_api::procedures::WorkspacesStart>(json!({"name": "app"}))
        .await;
    after_post_start(&agent, "app", 4).await;
    let (_, order) = exec(&container, "workspace", "cat ~/order").await;
    assert_eq!(
        order.trim(),
        "first\nfirst",
        "one run at create, one at the start after the stop"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_servers_and_skills_reach_each_real_coding_agent_and_leave_when_disabled() {
    let agent = TestAgent::start("mcp").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "tools"})).await;
    let container = agent.container("tools");
    // The person's own server, there before Perry's.
    let (code, output) = exec(
        &container,
        "workspace",
        "claude mcp add --scope user mine -- /bin/true >/dev/null 2>&1; jq -c '.mcpServers | keys' ~/.claude.json",
    )
    .await;
    assert_eq!((code, output.trim()), (0, r#"["mine"]"#), "{output}");

    for server in [
        json!({"name": "perry-notes", "command": ["/usr/local/bin/perry-worker", "--version"], "env": {"NOTES_TOKEN": "t0k"}}),
        json!({"name": "perry-docs", "url": "http://127.0.0.1:9/mcp", "agents": ["claude-code", "opencode"]}),
    ] {
        let (status, body) = agent
            .call("settings/setMcpServer", json!({"server": server}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = agent
        .call(
            "settings/setSkill",
            json!({"skill": {"name": "perry-release-notes", "description": "Use when writing release notes",
                "instructions": "Read git log since the last tag.", "agents": ["claude-code", "codex"]}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let synced: Vec<WorkspaceSyncResult> = agent.ok::<WorkspacesSyncAll>(json!({})).await;
    let failed: Vec<_> = synced[0]
        .items
        .iter()
        .filter(|item| item.error.is_some())
        .collect();
    assert!(failed.is_empty(), "{failed:?}");

    let list = "cd ~ && timeout 60 claude mcp list 2>&1; echo ---; timeout 30 codex mcp list 2>&1; echo ---; timeout 60 opencode mcp list 2>&1";
    let (_, listed) = exec(&container, "workspace", list).await;
    println!("{listed}");
    let parts: Vec<&str> = listed.split("---").collect();
    assert_eq!(parts.len(), 3, "{listed}");
    let (claude, codex, opencode) = (parts[0], parts[1], parts[2]);
    for (who, text, expected) in [
        (
            "claude",
            claude,
            ["perry-notes", "perry-docs", "mine"].as_slice(),
        ),
        ("codex", codex, ["perry-notes"].as_slice()),
        (
            "opencode",
            opencode,
            ["perry-notes", "perry-docs"].as_slice(),
        ),
    ] {
        for name in expected {
            assert!(text.contains(name), "{who} lists no {name}: {text}");
        }
    }
    assert!(
        !codex.contains("perry-docs"),
        "perry-docs is not for Codex: {codex}"
    );
    let (code, skills) = exec(
        &container,
        "workspace",
        "cat ~/.claude/skills/perry-release-notes/SKILL.md ~/.codex/skills/perry-release-notes/SKILL.md; test ! -e ~/.config/opencode/skills/perry-release-notes",
    )
    .await;
    assert_eq!(code, 0, "{skills}");
    assert_eq!(
        skills.matches("name: perry-release-notes").count(),
        2,
        "{skills}"
    );

    // Disabled in Perry: gone from all three at the next sync; the person's own server stays.
    let (status, body) = agent
        .call(
            "settings/setMcpServer",
            json!({"server": {"name": "perry-notes", "command": ["/usr/local/bin/perry-worker", "--version"], "enabled": false}, "replace": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = agent
        .call("settings/unsetMcpServer", json!({"name": "perry-docs"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = agent
        .call(
            "settings/unsetSkill",
            json!({"name": "perry-release-notes"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let _: Vec<WorkspaceSyncResult> = agent.ok::<WorkspacesSyncAll>(json!({})).await;
    let (_, listed) = exec(&container, "workspace", list).await;
    assert!(
        !listed.contains("perry-notes") && !listed.contains("perry-docs"),
        "{listed}"
    );
    assert!(listed.contains("mine"), "{listed}");
    let (code, output) = exec(&container, "workspace", "test ! -e ~/.claude/skills/perry-release-notes && test ! -e ~/.codex/skills/perry-release-notes").await;
    assert_eq!(code, 0, "{output}");
}
