//! The `perry` binary as a person uses it: the agent as a real process, the CLI talking to it
//! over HTTP, real workspaces on the real Docker Engine.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use common::{AgentProcess, PERRY, assert_success, free_port, listed, ssh, text};
use perry_test_support::git::GitServer;

#[test]
fn the_core_flow_works_from_the_cli_and_survives_sigkill_of_the_agent() {
    let mut agent = AgentProcess::start("flow");

    let stdout = assert_success(&agent.perry(&["start", "demo"]), "perry start demo");
    assert!(stdout.contains("demo is running"), "{stdout}");
    assert!(
        stdout.contains("ssh -p "),
        "the summary says how to get in: {stdout}"
    );

    let table = assert_success(&agent.perry(&["list"]), "perry list");
    let row = table
        .lines()
        .find(|line| line.contains("demo"))
        .unwrap_or_default();
    assert!(row.contains("running"), "{table}");
    assert_eq!(listed(&agent), [("demo".to_owned(), "running".to_owned())]);

    // The host user's key gets in over SSH; passwords do not.
    let workspaces: Vec<Value> =
        serde_json::from_str(&assert_success(&agent.perry(&["list", "--json"]), "list")).unwrap();
    let port = workspaces[0]["ports"]["ssh"].as_u64().unwrap() as u16;
    let login = ssh(
        &agent,
        port,
        &[],
        "whoami && docker info --format '{{.Driver}}'",
    );
    assert_eq!(
        text(&login.stdout),
        "workspace\noverlay2\n",
        "ssh with the key: {}",
        text(&login.stderr)
    );
    let password = ssh(
        &agent,
        port,
        &[
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
        ],
        "true",
    );
    assert!(!password.status.success());
    assert!(
        text(&password.stderr).contains("Permission denied (publickey)"),
        "{}",
        text(&password.stderr)
    );

    // SIGKILL and restart: every workspace is still there, still running.
    agent.sigkill();
    agent.spawn();
    assert_eq!(listed(&agent), [("demo".to_owned(), "running".to_owned())]);

    // `perry start` on an existing workspace starts it rather than creating another.
    let stdout = assert_success(&agent.perry(&["stop", "demo"]), "perry stop demo");
    assert!(stdout.contains("demo is stopped"), "{stdout}");
    assert_success(
        &agent.perry(&["start", "demo"]),
        "perry start demo (existing)",
    );
    assert_eq!(listed(&agent), [("demo".to_owned(), "running".to_owned())]);

    let info = assert_success(&agent.perry(&["info"]), "perry info");
    assert!(
        info.contains("Engine:      docker ") && info.contains("DinD mode:"),
        "{info}"
    );

    assert_success(&agent.perry(&["delete", "demo"]), "perry delete demo");
    assert!(listed(&agent).is_empty());
    let again = agent.perry(&["delete", "demo"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("does not exist"),
        "the server's message is shown: {}",
        text(&again.stderr)
    );
}

#[test]
fn first_run_writes_a_private_config_prints_the_token_and_stops_on_sigterm() {
    let mut agent = AgentProcess::start("firstrun");
    let config: Value =
        serde_json::from_slice(&std::fs::read(agent.dir.path().join("config.json")).unwrap())
            .unwrap();
    let token = config["auth"]["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 32, "token has at least 128 bits: {token}");
    let mode = std::fs::metadata(agent.dir.path().join("config.json"))
        .unwrap()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let banner = agent.stdout.join("\n");
    assert!(
        banner.contains(&format!("?token={token}")),
        "the URL carries the token: {banner}"
    );

    let bad_name = agent.perry(&["start", "Not_Valid"]);
    assert!(!bad_name.status.success());
    assert!(
        text(&bad_name.stderr).contains("lowercase letters"),
        "{}",
        text(&bad_name.stderr)
    );

    let status = agent.sigterm();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[test]
fn an_unreachable_agent_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(PERRY)
        .args(["list"])
        .env("PERRY_CONFIG_DIR", dir.path())
        .env("PERRY_WORKER", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot reach the Perry agent"), "{stderr}");
}

/// `perry` against the config dir `dir` with exactly the worker settings given (none inherited
/// from the test's environment).
fn perry_in(dir: &Path, worker_env: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(PERRY);
    command
        .args(args)
        .env("PERRY_CONFIG_DIR", dir)
        .env_remove("PERRY_WORKER")
        .env("NO_COLOR", "1");
    if let Some(worker) = worker_env {
        command.env("PERRY_WORKER", worker);
    }
    command.output().unwrap()
}

#[test]
fn the_unreachable_error_names_the_address_where_it_came_from_and_how_to_change_it() {
    let dir = tempfile::tempdir().unwrap();
    let dead = format!("127.0.0.1:{}", free_port());
    for (worker_env, args, source) in [
        (Some(dead.as_str()), vec!["list"], "(from PERRY_WORKER)"),
        (
            None,
            vec!["--worker", dead.as_str(), "info"],
            "(from --worker)",
        ),
        (
            Some(dead.as_str()),
            vec!["stop", "x", "--json"],
            "(from PERRY_WORKER)",
        ),
        (
            Some(dead.as_str()),
            vec!["shell", "x"],
            "(from PERRY_WORKER)",
        ),
    ] {
        let output = perry_in(dir.path(), worker_env, &args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = text(&output.stderr);
        for needle in [
            &format!("cannot reach the Perry agent at http://{dead} {source}"),
            "Connection refused",
            "perry config worker",
            "--worker",
        ] {
            assert!(stderr.contains(needle), "{args:?}: {needle:?} in {stderr}");
        }
        assert!(
            text(&output.stdout).is_empty(),
            "{args:?}: nothing on stdout"
        );
    }

    assert_success(
        &perry_in(dir.path(), None, &["config", "worker", &dead]),
        "config worker",
    );
    let from_file = perry_in(dir.path(), None, &["list"]);
    assert!(
        text(&from_file.stderr).contains(&format!("at http://{dead} (from client.json)")),
        "{}",
        text(&from_file.stderr)
    );
}

#[test]
fn the_cli_on_the_agents_machine_goes_through_its_private_socket() {
    use std::os::unix::fs::FileTypeExt;
    let mut agent = AgentProcess::start("localsock");
    let socket = agent.dir.path().join("agent.sock");
    let metadata = std::fs::metadata(&socket).expect("the agent made its socket");
    assert!(metadata.file_type().is_socket());
    assert_eq!(metadata.mode() & 0o777, 0o600, "the owner's alone");

    // config.json's port is not the one this agent listens on (--port): only the socket answers.
    let through = format!("Through:     {}", socket.display());
    let info = assert_success(
        &agent.perry_local(&["info"]),
        "perry info, no address given",
    );
    assert!(info.contains(&through), "{info}");
    assert_success(
        &agent.perry_local(&["list"]),
        "perry list through the socket",
    );
    // An address given explicitly is taken at its word, over TCP.
    let explicit = assert_success(&agent.perry(&["info"]), "perry info with PERRY_WORKER");
    assert!(!explicit.contains("Through:"), "{explicit}");

    // The socket's permissions are its authentication (as docker.sock's are): a stale token
    // does not matter there, so the CLI here outlives a token rotated from elsewhere.
    let old_token = agent.token();
    let stale_token = Command::new(PERRY)
        .args(["list"])
        .env("PERRY_CONFIG_DIR", agent.dir.path())
        .env_remove("PERRY_WORKER")
        .env("PERRY_TOKEN", "not-the-token")
        .output()
        .unwrap();
    assert_success(
        &stale_token,
        "perry list through the socket with a stale token",
    );
    let rotated = assert_success(
        &agent.perry_local(&["config", "token", "--rotate"]),
        "perry config token --rotate",
    );
    assert!(rotated.contains("rotated"), "{rotated}");
    let new_token = agent.token();
    assert_ne!(new_token, old_token);
    let shown = assert_success(
        &agent.perry_local(&["config", "token", "--show"]),
        "perry config token --show",
    );
    assert_eq!(shown.trim(), new_token);
    // Over TCP the old token is refused at once, the new one taken.
    let over_tcp = |token: &str| {
        Command::new(PERRY)
            .args(["list"])
            .env("PERRY_CONFIG_DIR", agent.dir.path())
            .env("PERRY_WORKER", format!("127.0.0.1:{}", agent.port))
            .env("PERRY_TOKEN", token)
            .output()
            .unwrap()
    };
    let refused = over_tcp(&old_token);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("token"),
        "{}",
        text(&refused.stderr)
    );
    assert_success(
        &over_tcp(&new_token),
        "perry list over TCP with the new token",
    );

    assert!(agent.sigterm().success());
    assert!(!socket.exists(), "a stopped agent removes its socket");

    // A socket left by a killed agent is not used: the CLI goes to the config's port and says so.
    let config_path = agent.dir.path().join("config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    let config_port = free_port();
    config["port"] = json!(config_port);
    std::fs::write(&config_path, config.to_string()).unwrap();
    agent.spawn();
    agent.sigkill();
    assert!(socket.exists(), "SIGKILL leaves the socket file behind");
    let stale = agent.perry_local(&["list"]);
    assert!(!stale.status.success());
    assert!(
        text(&stale.stderr).contains(&format!(
            "cannot reach the Perry agent at http://localhost:{config_port} (the default: this machine)"
        )),
        "{}",
        text(&stale.stderr)
    );
    // The next agent replaces the stale file.
    agent.spawn();
    let info = assert_success(&agent.perry_local(&["info"]), "perry info after a restart");
    assert!(info.contains(&through), "{info}");
}

#[test]
fn worker_flag_wins_over_perry_worker_and_client_json_for_one_command() {
    let agent = AgentProcess::start("workerflag");
    let live = format!("127.0.0.1:{}", agent.port);
    let dead = format!("127.0.0.1:{}", free_port());
    let dir = agent.dir.path();
    assert_success(
        &perry_in(dir, None, &["config", "worker", &dead]),
        "config worker",
    );

    let listed = perry_in(dir, Some(&dead), &["--worker", &live, "list", "--json"]);
    let stdout = assert_success(&listed, "list with --worker over a dead PERRY_WORKER");
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), json!([]));
    // The flag goes after the subcommand too, and `config show` reports it.
    let shown = perry_in(dir, None, &["config", "show", "--json", "--worker", &live]);
    let shown: Value = serde_json::from_str(&assert_success(&shown, "config show")).unwrap();
    assert_eq!(shown["agent"], format!("http://{live}"));

    // Only for that command: client.json still says where it said.
    let client: Value =
        serde_json::from_slice(&std::fs::read(dir.join("client.json")).unwrap()).unwrap();
    assert_eq!(client["worker"], dead.as_str());
    let refused = perry_in(dir, Some(&live), &["--worker", &dead, "list"]);
    assert!(!refused.status.success());
}

#[test]
fn every_command_answers_json_and_fails_with_the_servers_message_on_unknown_names() {
    let agent = AgentProcess::start("json");
    let json_of = |args: &[&str]| -> Value {
        let stdout = assert_success(&agent.perry(args), &args.join(" "));
        serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{args:?}: {error}: {stdout}"))
    };

    let started = json_of(&["start", "jay", "--json"]);
    assert_eq!(started["name"], "jay");
    assert_eq!(started["status"], "running");
    assert!(started["ports"]["ssh"].as_u64().is_some(), "{started}");
    let listed = json_of(&["list", "--json"]);
    assert_eq!(listed[0]["name"], "jay");
    let info = json_of(&["info", "--json"]);
    assert_eq!(info["workspacesCount"], 1);
    assert!(
        info["version"].is_string() && info["hostname"].is_string(),
        "{info}"
    );
    let stopped = json_of(&["stop", "jay", "--json"]);
    assert_eq!(stopped["status"], "stopped");
    let started_again = json_of(&["start", "jay", "--json"]);
    assert_eq!(started_again["status"], "running");
    assert_eq!(
        json_of(&["delete", "jay", "--json"]),
        json!({"success": true})
    );

    for args in [["stop", "ghost", "--json"], ["delete", "ghost", "--json"]] {
        let output = agent.perry(&args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("Workspace \"ghost\" does not exist") && stderr.contains("NOT_FOUND"),
            "{args:?}: {stderr}"
        );
        assert!(
            text(&output.stdout).is_empty(),
            "{args:?}: no JSON for a failure"
        );
    }
}

#[test]
fn completions_come_for_bash_zsh_and_fish_and_bash_completes_subcommands() {
    let script = |shell: &str| {
        let output = Command::new(PERRY)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_success(&output, &format!("completions {shell}"))
    };
    assert!(script("zsh").starts_with("#compdef perry"));
    assert!(script("fish").contains("complete -c perry"));

    let dir = tempfile::tempdir().unwrap();
    let bash_script = dir.path().join("perry.bash");
    std::fs::write(&bash_script, script("bash")).unwrap();
    let completed = |words: &str| {
        let line = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _perry perry \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             echo \"${{COMPREPLY[@]}}\"",
            bash_script.display()
        );
        let output = Command::new("bash").args(["-c", &line]).output().unwrap();
        assert_success(&output, "bash completion")
    };
    assert_eq!(completed("perry st").trim(), "start stop");
    let agent_words = completed("perry agent ''");
    for word in ["run", "install", "uninstall"] {
        assert!(
            agent_words.split_whitespace().any(|w| w == word),
            "{agent_words}"
        );
    }
    assert!(completed("perry --wo").contains("--worker"));
}

#[test]
fn perry_alone_outside_a_terminal_is_a_usage_error_and_the_tui_needs_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let alone = perry_in(dir.path(), None, &[]);
    assert_eq!(alone.status.code(), Some(2));
    assert!(
        text(&alone.stderr).contains("Usage: perry"),
        "{}",
        text(&alone.stderr)
    );
    let tui = perry_in(dir.path(), None, &["tui"]);
    assert!(!tui.status.success());
    assert!(
        text(&tui.stderr).contains("the TUI needs a terminal"),
        "{}",
        text(&tui.stderr)
    );
}

#[test]
fn status_is_coloured_in_a_terminal_unless_no_color_is_set() {
    let agent = AgentProcess::start("colour");
    assert_success(&agent.perry(&["start", "hue"]), "perry start hue");
    // `script` gives perry a terminal as stdout, as a person's shell would.
    let in_terminal = |no_color: Option<&str>| {
        let mut command = Command::new("script");
        command
            .args(["-qec", &format!("{PERRY} list"), "/dev/null"])
            .env("PERRY_CONFIG_DIR", agent.dir.path())
            .env("PERRY_WORKER", format!("127.0.0.1:{}", agent.port))
            .env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        assert_success(&command.output().unwrap(), "perry list in a terminal")
    };
    assert!(in_terminal(None).contains("\x1b[32mrunning"));
    // https://no-color.org: set and not empty turns colour off; empty does not.
    assert!(!in_terminal(Some("1")).contains('\x1b'));
    assert!(in_terminal(Some("")).contains("\x1b[32mrunning"));
}

#[test]
fn config_worker_and_token_go_to_a_private_client_json() {
    let dir = tempfile::tempdir().unwrap();
    let perry = |args: &[&str]| {
        Command::new(PERRY)
            .args(args)
            .env("PERRY_CONFIG_DIR", dir.path())
            .env_remove("PERRY_WORKER")
            .output()
            .unwrap()
    };
    assert_success(
        &perry(&["config", "worker", "box.tailnet:7391"]),
        "config worker",
    );
    assert_success(&perry(&["config", "token", "abc123"]), "config token");
    let path: &Path = &dir.path().join("client.json");
    let client: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(
        client,
        json!({"worker": "box.tailnet:7391", "token": "abc123"})
    );
    assert_eq!(std::fs::metadata(path).unwrap().mode() & 0o777, 0o600);
    let shown: Value = serde_json::from_str(&assert_success(
        &perry(&["config", "show", "--json"]),
        "config show",
    ))
    .unwrap();
    assert_eq!(shown["agent"], "http://box.tailnet:7391");
    assert!(
        !shown.to_string().contains("abc123"),
        "show never prints the token"
    );
    let refused = perry(&["config", "worker", "two words"]);
    assert!(!refused.status.success());
}

#[test]
fn without_docker_calls_answer_503_and_the_agent_stays_up() {
    let socket_dir = tempfile::tempdir().unwrap();
    let nowhere = format!("unix://{}", socket_dir.path().join("docker.sock").display());
    let agent = AgentProcess::start_with_docker_host("nodocker", Some(&nowhere));

    let list = agent.perry(&["list"]);
    assert!(!list.status.success());
    let stderr = text(&list.stderr);
    assert!(
        stderr.contains("Docker is not answering") && stderr.contains("SERVICE_UNAVAILABLE"),
        "{stderr}"
    );
    let start = agent.perry(&["start", "nothing"]);
    assert!(
        text(&start.stderr).contains("SERVICE_UNAVAILABLE"),
        "{}",
        text(&start.stderr)
    );

    // The agent itself is fine: it answers what does not need Docker.
    let info = assert_success(&agent.perry(&["info", "--json"]), "perry info");
    let info: Value = serde_json::from_str(&info).unwrap();
    assert!(info.get("dockerVersion").is_none(), "{info}");
    assert_success(&agent.perry(&["config", "show"]), "perry config show");
}

/// `perry sessions`: the table, one conversation, search and JSON, from a Claude Code transcript
/// written inside the workspace over SSH.
#[test]
fn perry_sessions_lists_shows_and_searches_a_workspaces_sessions() {
    let agent = AgentProcess::start("sessions");
    let started = assert_success(&agent.perry(&["start", "chat", "--json"]), "perry start");
    let workspace: Value = serde_json::from_str(&started).unwrap();
    let port = workspace["ports"]["ssh"].as_u64().unwrap() as u16;

    let empty = assert_success(&agent.perry(&["sessions", "chat"]), "perry sessions");
    assert!(empty.contains("No coding-agent sessions"), "{empty}");

    let id = "0b9f4a3e-5c8d-4e2f-9a1b-7c6d5e4f3a2b";
    let lines = [
        json!({"type": "user", "sessionId": id, "uuid": "u1", "parentUuid": null,
               "cwd": "/home/workspace/site", "timestamp": "2026-11-26T08:00:00.000Z",
               "message": {"role": "user", "content": "Fix the broken footer links"}}),
        json!({"type": "assistant", "sessionId": id, "uuid": "a1", "parentUuid": "u1",
               "cwd": "/home/workspace/site", "timestamp": "2026-11-26T08:00:04.000Z",
               "message": {"id": "msg_a1", "role": "assistant", "type": "message",
                           "content": [{"type": "text", "text": "Looking at footer.html."},
                                       {"type": "tool_use", "id": "t1", "name": "Bash",
                                        "input": {"command": "grep -n href footer.html"}}]}}),
    ];
    let body: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let dir = "~/.claude/projects/-home-workspace-site";
    let write = ssh(
        &agent,
        port,
        &[],
        &format!(
            "mkdir -p {dir} && printf '%s' '{}' > {dir}/{id}.jsonl",
            body.replace('\'', "'\\''")
        ),
    );
    assert!(write.status.success(), "{}", text(&write.stderr));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let table = loop {
        let table = assert_success(&agent.perry(&["sessions", "chat"]), "perry sessions");
        if table.contains(id) || std::time::Instant::now() > deadline {
            break table;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let row = table
        .lines()
        .find(|line| line.contains(id))
        .unwrap_or_default();
    assert!(row.contains("claude-code"), "{table}");
    assert!(row.contains("Fix the broken footer links"), "{table}");

    // `perry watch` hears the session's coding agent ask for permission (its hook, run in the
    // workspace as Claude Code runs it): a JSON line, the --exec command with the change, and
    // the STATUS column of `perry sessions`.
    let exec_out = tempfile::tempdir().unwrap();
    let mut watch = KillOnDrop(
        agent
            .perry_command(&[
                "watch",
                "--json",
                "--state",
                "needs_input,error",
                "--exec",
                &format!(
                    "cat > {}/\"$PERRY_WORKSPACE-$PERRY_STATE\".json",
                    exec_out.path().display()
                ),
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut watched =
        std::io::BufRead::lines(std::io::BufReader::new(watch.0.stdout.take().unwrap()));
    // The socket is open once the CLI says so on stderr; give it a moment to subscribe.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let hook = json!({"session_id": id, "hook_event_name": "PermissionRequest",
        "tool_name": "Bash", "tool_input": {"command": "rm -rf dist"}});
    let asked = ssh(
        &agent,
        port,
        &[],
        &format!(
            "printf '%s' '{hook}' | /usr/local/bin/perry-worker event claude; \
             printf '%s' '{}' | /usr/local/bin/perry-worker event claude",
            json!({"session_id": id, "hook_event_name": "PostToolUse", "tool_name": "Bash"})
        ),
    );
    assert!(asked.status.success(), "{}", text(&asked.stderr));
    let line = watched.next().expect("a change").unwrap();
    let change: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(change["workspace"], "chat", "{change}");
    assert_eq!(change["state"], "needs_input", "{change}");
    assert_eq!(change["session"]["sessionId"], id, "{change}");
    assert_eq!(change["session"]["status"]["detail"], "Bash: rm -rf dist");
    let exec_file = exec_out.path().join("chat-needs_input.json");
    // The shell makes the file before `cat` has written it: wait for the whole change.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let exec_change: Value = loop {
        let written = std::fs::read_to_string(&exec_file).unwrap_or_default();
        match serde_json::from_str(&written) {
            Ok(change) => break change,
            Err(error) => assert!(
                std::time::Instant::now() < deadline,
                "--exec wrote {written:?}: {error}"
            ),
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(exec_change, change, "--exec gets the change on stdin");
    // The PostToolUse after it made the session work again: in the STATUS column, and not
    // printed by a watch asked for needs_input and error only.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let table = loop {
        let table = assert_success(&agent.perry(&["sessions", "chat"]), "perry sessions");
        let working = table
            .lines()
            .any(|row| row.contains(id) && row.contains("working"));
        if working || std::time::Instant::now() > deadline {
            break table;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(table.contains("STATUS"), "{table}");
    assert!(
        table
            .lines()
            .any(|row| row.contains(id) && row.contains("working")),
        "{table}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(watch);
    assert!(
        watched.next().is_none(),
        "only needs_input and error were asked for"
    );

    let conversation = assert_success(
        &agent.perry(&["sessions", "chat", id]),
        "perry sessions chat <id>",
    );
    assert!(conversation.contains("── user"), "{conversation}");
    assert!(
        conversation.contains("Fix the broken footer links"),
        "{conversation}"
    );
    assert!(
        conversation.contains("↳ Bash: grep -n href footer.html"),
        "{conversation}"
    );

    let found = assert_success(
        &agent.perry(&["sessions", "chat", "--search", "FOOTER.HTML"]),
        "perry sessions --search",
    );
    assert!(found.contains(id), "{found}");

    let page: Value = serde_json::from_str(&assert_success(
        &agent.perry(&["sessions", "chat", "--json", "--agent", "claude-code"]),
        "perry sessions --json",
    ))
    .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(
        page["sessions"][0]["resumeCommand"],
        format!("claude --resume {id}")
    );

    let none: Value = serde_json::from_str(&assert_success(
        &agent.perry(&["sessions", "chat", "--json", "--agent", "codex"]),
        "perry sessions --agent codex",
    ))
    .unwrap();
    assert_eq!(none["total"], 0, "{none}");

    let unknown = agent.perry(&["sessions", "chat", "no-such-session"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no-such-session"),
        "{}",
        text(&unknown.stderr)
    );
}

/// A session named, opened, listed first among the recent ones and deleted; the workspace's
/// LAST USED and `perry list --sort last-used`; `perry clone` of it: a running copy with the
/// same files, its progress on stderr, and a taken name refused with the agent's message.
#[test]
fn perry_sessions_rename_recent_delete_and_perry_clone_work_on_a_real_workspace() {
    let agent = AgentProcess::start("clonecli");
    let started: Value = serde_json::from_str(&assert_success(
        &agent.perry(&["start", "orig", "--json"]),
        "perry start orig",
    ))
    .unwrap();
    let orig_ssh = started["ports"]["ssh"].as_u64().unwrap();
    let never = assert_success(&agent.perry(&["list"]), "perry list");
    assert!(
        never.lines().next().unwrap().contains("LAST USED"),
        "{never}"
    );
    let orig_row = |table: &str| {
        table
            .lines()
            .find(|line| line.split_whitespace().next() == Some("orig"))
            .unwrap_or_else(|| panic!("no orig in {table}"))
            .trim_end()
            .to_owned()
    };
    assert!(orig_row(&never).ends_with(" -"), "never used yet: {never}");

    // A Claude Code transcript, written as the workspace's user.
    let id = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140";
    let dir = "/home/workspace/.claude/projects/-home-workspace-app";
    let transcript = format!("{dir}/{id}.jsonl");
    let body: String = [
        json!({"type": "user", "sessionId": id, "uuid": "u1", "parentUuid": null,
               "cwd": "/home/workspace/app", "timestamp": "2026-11-26T08:00:00.000Z",
               "message": {"role": "user", "content": "Fix the broken footer links"}}),
        json!({"type": "assistant", "sessionId": id, "uuid": "a1", "parentUuid": "u1",
               "cwd": "/home/workspace/app", "timestamp": "2026-11-26T08:00:04.000Z",
               "message": {"id": "msg_a1", "role": "assistant", "type": "message",
                           "content": [{"type": "text", "text": "Looking at footer.html."}]}}),
    ]
    .iter()
    .map(|line| format!("{line}\n"))
    .collect();
    assert_success(
        &agent.perry(&[
            "exec",
            "orig",
            "--",
            "sh",
            "-c",
            "mkdir -p \"$1\" && printf '%s' \"$2\" > \"$3\"",
            "sh",
            dir,
            &body,
            &transcript,
        ]),
        "writing the transcript",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let table = assert_success(&agent.perry(&["sessions", "orig"]), "perry sessions");
        if table.contains(id) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the session never showed: {table}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // Named: the list shows the name, in quotes, and the title after it.
    let renamed = assert_success(
        &agent.perry(&["sessions", "rename", "orig", id, "Footer fix"]),
        "perry sessions rename",
    );
    assert!(
        renamed.contains("is now called \"Footer fix\""),
        "{renamed}"
    );
    let table = assert_success(&agent.perry(&["sessions", "orig"]), "perry sessions");
    let row = table
        .lines()
        .find(|line| line.contains(id))
        .unwrap_or_default();
    assert!(
        row.contains("\"Footer fix\" (Fix the broken footer links)"),
        "{table}"
    );
    let empty = agent.perry(&["sessions", "rename", "orig", id, " "]);
    assert!(!empty.status.success());
    assert!(
        text(&empty.stderr).contains("cannot be empty") && text(&empty.stderr).contains("--clear"),
        "{}",
        text(&empty.stderr)
    );
    let long = "x".repeat(201);
    let too_long = agent.perry(&["sessions", "rename", "orig", id, &long]);
    assert!(!too_long.status.success());
    assert!(
        text(&too_long.stderr).contains("at most 200 characters"),
        "the agent's message: {}",
        text(&too_long.stderr)
    );

    // Opened: first among the recent sessions, and the workspace counts as used.
    let conversation = assert_success(
        &agent.perry(&["sessions", "orig", id]),
        "perry sessions orig <id>",
    );
    assert!(
        conversation.contains("Looking at footer.html."),
        "{conversation}"
    );
    let recent = assert_success(
        &agent.perry(&["sessions", "--recent"]),
        "perry sessions --recent",
    );
    let first = recent.lines().nth(1).unwrap_or_default();
    assert!(
        recent
            .lines()
            .next()
            .unwrap_or_default()
            .contains("WORKSPACE")
            && first.contains(id)
            && first.contains("orig")
            && first.contains("\"Footer fix\"")
            && first.contains("just now"),
        "{recent}"
    );
    let recent: Value = serde_json::from_str(&assert_success(
        &agent.perry(&["sessions", "--recent", "--limit", "1", "--json"]),
        "perry sessions --recent --json",
    ))
    .unwrap();
    assert_eq!(recent.as_array().unwrap().len(), 1, "{recent}");
    assert_eq!(recent[0]["session"]["sessionId"], id, "{recent}");
    assert_eq!(recent[0]["session"]["name"], "Footer fix", "{recent}");
    assert!(recent[0]["openedAt"].is_string(), "{recent}");
    let used = assert_success(&agent.perry(&["list"]), "perry list");
    assert!(orig_row(&used).ends_with(" just now"), "{used}");

    // Cloned: a running copy with the same files and its own SSH port; the progress is told on
    // stderr as it goes (plain lines, as stderr is no terminal here).
    let cloned = agent.perry(&["clone", "orig", "copy"]);
    let (stdout, stderr) = (text(&cloned.stdout), text(&cloned.stderr));
    assert!(cloned.status.success(), "perry clone: {stdout}{stderr}");
    assert!(stderr.contains("Cloning orig into copy on "), "{stderr}");
    assert!(
        ["pausing orig", "copying", "starting"]
            .iter()
            .any(|step| stderr.lines().any(|line| line.starts_with(step))),
        "a step of the clone shows: {stderr}"
    );
    assert!(stdout.starts_with("copy is running (ssh -p "), "{stdout}");
    let copy_ssh: u64 = stdout["copy is running (ssh -p ".len()..]
        .split_whitespace()
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {stdout}"));
    assert_ne!(copy_ssh, orig_ssh, "{stdout}");
    let copied = assert_success(
        &agent.perry(&["exec", "copy", "--", "cat", &transcript]),
        "the transcript in the copy",
    );
    assert_eq!(copied, body);
    assert_eq!(
        listed(&agent),
        [
            ("copy".to_owned(), "running".to_owned()),
            ("orig".to_owned(), "running".to_owned())
        ]
    );
    // Used first, the never-used copy last; by name the other way round.
    let by_use = assert_success(
        &agent.perry(&["list", "--sort", "last-used"]),
        "perry list --sort last-used",
    );
    let names = |table: &str| -> Vec<String> {
        table
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
            .collect()
    };
    assert_eq!(names(&by_use), ["orig", "copy"], "{by_use}");
    let by_name = assert_success(&agent.perry(&["list"]), "perry list");
    assert_eq!(names(&by_name), ["copy", "orig"], "{by_name}");

    let taken = agent.perry(&["clone", "orig", "copy"]);
    assert!(!taken.status.success());
    assert!(
        text(&taken.stderr).contains("Workspace \"copy\" already exists"),
        "the agent's message: {}",
        text(&taken.stderr)
    );

    // Deleted from orig, once: the copy keeps its own.
    let deleted = assert_success(
        &agent.perry(&["sessions", "delete", "orig", id]),
        "perry sessions delete",
    );
    assert!(
        deleted.contains(&format!("Deleted session {id} of orig")),
        "{deleted}"
    );
    let gone = agent.perry(&["exec", "orig", "--", "test", "-e", &transcript]);
    assert_eq!(
        gone.status.code(),
        Some(1),
        "the transcript is gone from orig"
    );
    let again = agent.perry(&["sessions", "delete", "orig", id]);
    assert!(!again.status.success(), "a second delete fails");
    assert!(
        text(&again.stderr).contains(id) && text(&again.stderr).contains("NOT_FOUND"),
        "{}",
        text(&again.stderr)
    );
    assert_success(
        &agent.perry(&["exec", "copy", "--", "test", "-f", &transcript]),
        "the copy's transcript stays",
    );
}

/// `perry exec`: stdout and stderr apart, the exit code as perry's, a timeout that kills the
/// command (exit 124), another user and directory; `perry logs` with --tail and --json.
#[test]
fn perry_exec_and_logs_work_on_a_real_workspace() {
    let agent = AgentProcess::start("exec");
    assert_success(&agent.perry(&["start", "runner"]), "perry start");

    let run = agent.perry(&[
        "exec",
        "runner",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(run.status.code(), Some(3));
    assert_eq!(text(&run.stdout), "out\n");
    assert_eq!(text(&run.stderr), "err\n");

    let root = agent.perry(&[
        "exec",
        "runner",
        "--user",
        "root",
        "--workdir",
        "/tmp",
        "--",
        "sh",
        "-c",
        "whoami; pwd",
    ]);
    assert_eq!(text(&root.stdout), "root\n/tmp\n", "{}", text(&root.stderr));
    let home = agent.perry(&["exec", "runner", "--", "pwd"]);
    assert_eq!(
        text(&home.stdout),
        "/home/workspace\n",
        "commands start in the user's home"
    );

    let json: Value = serde_json::from_str(&assert_success(
        &agent.perry(&["exec", "runner", "--json", "--", "id", "-un"]),
        "perry exec --json",
    ))
    .unwrap();
    assert_eq!(json["exitCode"], 0);
    assert_eq!(json["stdout"], "workspace\n");

    let started = std::time::Instant::now();
    let slow = agent.perry(&[
        "exec",
        "runner",
        "--timeout",
        "1",
        "--",
        "bash",
        "-c",
        "sleep 300; echo never",
    ]);
    assert_eq!(slow.status.code(), Some(124), "{}", text(&slow.stderr));
    assert!(
        text(&slow.stderr).contains("did not finish within 1 s"),
        "{}",
        text(&slow.stderr)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let leftovers = agent.perry(&[
        "exec",
        "runner",
        "--",
        "pgrep",
        "-u",
        "workspace",
        "-x",
        "sleep",
    ]);
    assert_eq!(
        leftovers.status.code(),
        Some(1),
        "the sleep survived: {}",
        text(&leftovers.stdout)
    );

    for (bad, says) in [
        (vec!["--user", "a;b"], "Invalid user"),
        (vec!["--timeout", "0"], "timeoutSeconds must be"),
    ] {
        let mut args = vec!["exec", "runner"];
        args.extend(bad);
        args.extend(["--", "true"]);
        let refused = agent.perry(&args);
        assert!(!refused.status.success());
        assert!(
            text(&refused.stderr).contains(says),
            "{}",
            text(&refused.stderr)
        );
    }

    let unknown = agent.perry(&["exec", "ghost", "--", "true"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("does not exist"),
        "{}",
        text(&unknown.stderr)
    );

    // The entrypoint writes to stderr, and `perry logs` keeps the streams apart as well.
    let logs = agent.perry(&["logs", "runner", "--tail", "3"]);
    assert!(logs.status.success(), "{}", text(&logs.stderr));
    let count = text(&logs.stdout).lines().count() + text(&logs.stderr).lines().count();
    assert!(
        (1..=3).contains(&count),
        "{}{}",
        text(&logs.stdout),
        text(&logs.stderr)
    );
    let json_lines = assert_success(
        &agent.perry(&["logs", "runner", "--json"]),
        "perry logs --json",
    );
    for line in json_lines.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        assert!(line["time"].as_str().unwrap().starts_with("20"), "{line}");
    }

    assert_success(&agent.perry(&["stop", "runner"]), "perry stop");
    let stopped = agent.perry(&["exec", "runner", "--", "true"]);
    assert!(!stopped.status.success());
    assert!(
        text(&stopped.stderr).contains("not running"),
        "{}",
        text(&stopped.stderr)
    );
}

/// Writes config.json's `credentials`, keeping the rest; the agent reads them at every sync.
fn set_credentials(agent: &AgentProcess, credentials: Value) {
    let path = agent.dir.path().join("config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    config["credentials"] = credentials;
    std::fs::write(&path, config.to_string()).unwrap();
}

#[test]
fn sync_and_clone_bring_credentials_keys_git_config_and_a_repository_into_workspaces() {
    let agent = AgentProcess::start("sync");
    let git = GitServer::with_files("demo", &[("README", "cloned by perry\n")]);
    let home = agent.home.path();
    std::fs::write(home.join(".gitconfig"), "[user]\n\tname = Perry Tester\n").unwrap();
    std::fs::create_dir_all(home.join("keys")).unwrap();
    std::fs::write(
        home.join("keys/deploy"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n",
    )
    .unwrap();
    std::fs::create_dir_all(home.join("tool/sub")).unwrap();
    std::fs::write(home.join("tool/sub/settings.toml"), "a = 1\n").unwrap();
    set_credentials(
        &agent,
        json!({
            "env": {"PERRY_TEST_SECRET": "s3cret value", "QUOTED": "it's"},
            "files": {"~/keys/deploy": "~/.ssh/deploy_key", "~/tool": "~/.config/tool"},
        }),
    );

    // A bad URL is refused before anything is made.
    let bad = agent.perry(&["start", "nope", "--clone=--upload-pack=touch /tmp/x"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("Cannot clone"),
        "{}",
        text(&bad.stderr)
    );
    assert!(listed(&agent).is_empty());

    let started = assert_success(
        &agent.perry(&["start", "box", "--clone", &git.url("demo")]),
        "perry start --clone",
    );
    assert!(
        started.contains(&format!(
            "Cloned {} into /home/workspace/demo",
            git.url("demo")
        )),
        "{started}"
    );
    let inside = |script: &str| {
        assert_success(
            &agent.perry(&["exec", "box", "--", "bash", "-lc", script]),
            script,
        )
    };
    assert_eq!(
        inside("stat -c '%U %a' ~/.ssh/deploy_key ~/.ssh ~/.config/tool/sub/settings.toml"),
        "workspace 600\nworkspace 700\nworkspace 644\n"
    );
    assert_eq!(inside("git config user.name"), "Perry Tester\n");
    assert_eq!(
        inside("ls ~/.ssh/*.pub"),
        "/home/workspace/.ssh/id_ed25519.pub\n"
    );
    assert_eq!(
        inside("echo \"$PERRY_TEST_SECRET|$QUOTED\""),
        "s3cret value|it's\n"
    );
    assert_eq!(
        inside("cat ~/demo/README; stat -c %U ~/demo; git -C ~/demo log --format=%s"),
        "cloned by perry\nworkspace\nfirst\n"
    );
    // SSH sessions get the variables through pam_env, from /etc/environment.
    let workspaces: Vec<Value> =
        serde_json::from_str(&assert_success(&agent.perry(&["list", "--json"]), "list")).unwrap();
    let port = workspaces[0]["ports"]["ssh"].as_u64().unwrap() as u16;
    let login = ssh(&agent, port, &[], "echo \"$PERRY_TEST_SECRET\"");
    assert_eq!(
        text(&login.stdout),
        "s3cret value\n",
        "{}",
        text(&login.stderr)
    );

    // A clone that fails leaves a running workspace and shows git's error.
    let refused_url = git.url("demo").replace("/demo.git", "/missing.git");
    let failed = agent.perry(&["start", "other", "--clone", &refused_url]);
    assert!(!failed.status.success());
    let stderr = text(&failed.stderr);
    assert!(
        stderr.contains("cloning") && stderr.contains("missing.git"),
        "{stderr}"
    );
    assert!(listed(&agent).contains(&("other".to_owned(), "running".to_owned())));
    let restarted = assert_success(&agent.perry(&["start", "box"]), "perry start (existing)");
    assert!(
        !restarted.contains("Cloned"),
        "a clone happens once: {restarted}"
    );

    // A variable removed from config.json leaves at the next sync; a missing file is reported.
    set_credentials(
        &agent,
        json!({
            "env": {"QUOTED": "changed"},
            "files": {"~/keys/absent": "~/.ssh/absent"},
        }),
    );
    let partial = agent.perry(&["sync", "box"]);
    assert!(!partial.status.success());
    let report = text(&partial.stdout);
    assert!(
        report.contains("✗ ~/keys/absent → /home/workspace/.ssh/absent")
            && report.contains("does not exist"),
        "{report}"
    );
    assert!(report.contains("✓ ~/.gitconfig"), "{report}");
    assert_eq!(
        inside("echo \"[$PERRY_TEST_SECRET]$QUOTED\""),
        "[]changed\n"
    );
    assert_eq!(
        inside("grep -c PERRY_TEST_SECRET /etc/environment || true"),
        "0\n"
    );

    set_credentials(&agent, json!({"env": {"QUOTED": "again"}}));
    let all = assert_success(&agent.perry(&["sync", "--all"]), "perry sync --all");
    assert!(all.contains("Synced 2 of 2 workspaces"), "{all}");
    let json: Value = serde_json::from_str(&assert_success(
        &agent.perry(&["sync", "other", "--json"]),
        "perry sync --json",
    ))
    .unwrap();
    assert_eq!(json[0]["name"], "other");
    assert!(json[0]["items"].as_array().unwrap().len() >= 3, "{json}");
    let unknown = agent.perry(&["sync", "ghost"]);
    assert!(text(&unknown.stderr).contains("does not exist"));
}

/// A free port on 127.0.0.1 outside the agent's SSH port range.
fn free_forward_port(agent: &AgentProcess) -> u16 {
    let config: Value =
        serde_json::from_slice(&std::fs::read(agent.dir.path().join("config.json")).unwrap())
            .unwrap();
    let range = &config["sshPortRange"];
    let (start, end) = (
        range["start"].as_u64().unwrap(),
        range["end"].as_u64().unwrap(),
    );
    loop {
        let port = free_port();
        if !(start..=end).contains(&u64::from(port)) {
            return port;
        }
    }
}

/// One HTTP/1.0 GET through 127.0.0.1:`port`, retried until `page` comes back.
fn fetch_through(port: u16, page: &str) -> String {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let reply = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut stream| {
            stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
            stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
            let mut reply = String::new();
            stream.read_to_string(&mut reply)?;
            Ok(reply)
        });
        match reply {
            Ok(reply) if reply.contains(page) => return reply,
            other => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no {page:?} through port {port}: {other:?}"
                );
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
    }
}

/// `perry ports`: add (`PORT`, `HOST:PORT`) and say where each is reachable, list as a table
/// and as JSON, remove by host port; bad specs are usage errors, a taken port the server's
/// conflict.
#[test]
fn perry_ports_adds_lists_and_removes_forwards() {
    let agent = AgentProcess::start("ports");
    assert_success(&agent.perry(&["start", "bench"]), "perry start");
    let empty = assert_success(&agent.perry(&["ports", "bench"]), "perry ports (none)");
    assert!(empty.contains("bench forwards no ports"), "{empty}");

    assert_success(
        &agent.perry(&[
            "exec",
            "bench",
            "--",
            "bash",
            "-c",
            "mkdir -p /tmp/site && echo cli-page > /tmp/site/index.html && cd /tmp/site && \
             setsid nohup python3 -m http.server 5173 --bind 0.0.0.0 > /tmp/http.log 2>&1 < /dev/null &",
        ]),
        "start a server inside",
    );
    let host_port = free_forward_port(&agent);
    let same_port = free_forward_port(&agent);
    let spec = format!("{host_port}:5173");
    let added = agent.perry(&["ports", "bench", &spec, &same_port.to_string()]);
    let stdout = assert_success(&added, "perry ports add");
    assert_eq!(
        stdout,
        format!("127.0.0.1:{host_port} → bench:5173\n127.0.0.1:{same_port} → bench:{same_port}\n")
    );
    assert!(
        text(&added.stderr).contains("0.0.0.0"),
        "the hint about listening on 0.0.0.0: {}",
        text(&added.stderr)
    );
    assert!(fetch_through(host_port, "cli-page").starts_with("HTTP/1.0 200"));

    let table = assert_success(&agent.perry(&["ports", "bench"]), "perry ports");
    let lines: Vec<Vec<&str>> = table
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    let mut expected = vec![
        vec![
            host_port.to_string(),
            "5173".to_owned(),
            "active".to_owned(),
        ],
        vec![
            same_port.to_string(),
            same_port.to_string(),
            "active".to_owned(),
        ],
    ];
    expected.sort_by_key(|row| row[0].parse::<u16>().unwrap());
    assert_eq!(lines[0], ["HOST", "WORKSPACE", "STATUS"], "{table}");
    assert_eq!(lines[1..], expected, "{table}");

    let removed = assert_success(
        &agent.perry(&["ports", "bench", "--remove", &same_port.to_string()]),
        "perry ports --remove",
    );
    assert_eq!(
        removed,
        format!("bench no longer forwards host port(s) {same_port}.\n")
    );
    let listed: Value = serde_json::from_str(&assert_success(
        &agent.perry(&["ports", "bench", "--json"]),
        "perry ports --json",
    ))
    .unwrap();
    assert_eq!(
        listed,
        json!([{"hostPort": host_port, "workspacePort": 5173, "active": true}])
    );

    for (spec, says) in [
        ("80:abc", "\"abc\" is not a port number"),
        ("70000", "70000 is not a port (ports go from 1 to 65535)"),
        ("0", "port 0 cannot be forwarded"),
    ] {
        let bad = agent.perry(&["ports", "bench", spec]);
        assert_eq!(bad.status.code(), Some(2), "a usage error for {spec}");
        let stderr = text(&bad.stderr);
        assert!(
            stderr.contains(&format!("invalid value '{spec}'")) && stderr.contains(says),
            "{spec}: {stderr}"
        );
    }
    let held = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let held_port = held.local_addr().unwrap().port();
    let taken = agent.perry(&["ports", "bench", &format!("{held_port}:5173")]);
    assert!(!taken.status.success());
    assert!(
        text(&taken.stderr).contains(&format!(
            "Host port {held_port} is in use by another process; pick another with "
        )),
        "{}",
        text(&taken.stderr)
    );
    let unknown = agent.perry(&["ports", "ghost"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("does not exist"),
        "{}",
        text(&unknown.stderr)
    );

    assert_success(&agent.perry(&["stop", "bench"]), "perry stop");
    let table = assert_success(&agent.perry(&["ports", "bench"]), "perry ports (stopped)");
    assert!(
        table.contains("inactive (the workspace is not running)"),
        "{table}"
    );
}

#[test]
fn perry_start_limits_cpus_memory_and_pids_of_a_new_workspace() {
    let agent = AgentProcess::start("limits");

    // A size without a unit is refused by the CLI, a value below the minimum by the agent; in
    // both cases nothing is made.
    let no_unit = agent.perry(&["start", "capped", "--memory", "4096"]);
    assert!(!no_unit.status.success());
    assert!(
        text(&no_unit.stderr).contains("no unit: write e.g. 512m or 4g"),
        "{}",
        text(&no_unit.stderr)
    );
    let too_few = agent.perry(&["start", "capped", "--pids", "10"]);
    assert!(!too_few.status.success());
    assert!(
        text(&too_few.stderr).contains("pids must be at least 256"),
        "{}",
        text(&too_few.stderr)
    );
    assert!(listed(&agent).is_empty());

    let stdout = assert_success(
        &agent.perry(&[
            "start", "capped", "--cpus", "1.5", "--memory", "1g", "--pids", "1024",
        ]),
        "perry start with limits",
    );
    assert!(
        stdout.contains("Limits: 1.5 CPUs, 1024 MiB memory, 1024 processes"),
        "{stdout}"
    );
    let workspaces: Vec<Value> = serde_json::from_str(&assert_success(
        &agent.perry(&["list", "--json"]),
        "perry list --json",
    ))
    .unwrap();
    assert_eq!(
        workspaces[0]["limits"],
        json!({"cpus": 1.5, "memoryMb": 1024, "pids": 1024})
    );

    // What the workspace's processes are held to (cgroup v1, else v2).
    let cgroup = assert_success(
        &agent.perry(&[
            "exec",
            "capped",
            "--",
            "sh",
            "-c",
            "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null \
             || cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max",
        ]),
        "perry exec cat cgroup limits",
    );
    assert_eq!(cgroup, "1024\n1073741824\n");

    // The flags only apply when a workspace is made; an existing one says so and keeps its own.
    let again = agent.perry(&["start", "capped", "--pids", "2048"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("only apply when a workspace is created"),
        "{}",
        text(&again.stderr)
    );
    assert!(
        text(&again.stdout).contains("1024 processes"),
        "{}",
        text(&again.stdout)
    );
}

/// A child process killed and reaped when the test lets go of it, or panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A one-thread HTTP endpoint that answers every request 200 and hands over each body.
fn http_endpoint() -> (u16, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = sender.send(String::from_utf8_lossy(&body).into_owned());
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (port, receiver)
}

/// `perry config notifications`: a bad URL is refused with the agent's words; a webhook is added,
/// tested (the endpoint gets the sample), listed with its last delivery, and removed.
#[test]
fn perry_config_notifications_adds_tests_lists_and_removes_channels() {
    let agent = AgentProcess::start("notifycli");
    let empty = assert_success(
        &agent.perry(&["config", "notifications"]),
        "perry config notifications",
    );
    assert!(empty.contains("No notification channels yet"), "{empty}");

    let refused = agent.perry(&["config", "notifications", "add", "hook", "ftp://x/y"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("is not an http:// or https:// URL"),
        "{}",
        text(&refused.stderr)
    );

    let (port, received) = http_endpoint();
    let url = format!("http://127.0.0.1:{port}/perry");
    let added = assert_success(
        &agent.perry(&[
            "config",
            "notifications",
            "add",
            "hook",
            &url,
            "--secret",
            "cli-s3cret",
            "--states",
            "needs_input,idle",
        ]),
        "perry config notifications add",
    );
    assert!(
        added.contains("Added hook: idle,needs_input changes"),
        "{added}"
    );
    let tested = assert_success(
        &agent.perry(&["config", "notifications", "test", "hook"]),
        "perry config notifications test",
    );
    assert!(
        tested.contains("hook took the test notification"),
        "{tested}"
    );
    let sample: Value = serde_json::from_str(
        &received
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sample["title"], "A test from Perry needs you");

    let table = assert_success(
        &agent.perry(&["config", "notifications", "list"]),
        "perry config notifications list",
    );
    let row = table
        .lines()
        .find(|line| line.trim_start().starts_with("hook"))
        .unwrap_or_default();
    assert!(
        row.contains("webhook")
            && row.contains("yes")
            && row.contains("1 (0 failed)")
            && row.contains("ok "),
        "{table}"
    );
    let listed: Value = serde_json::from_str(&assert_success(
        &agent.perry(&["config", "notifications", "list", "--json"]),
        "perry config notifications list --json",
    ))
    .unwrap();
    assert_eq!(listed[0]["hasSecret"], true, "{listed}");
    assert!(!listed.to_string().contains("cli-s3cret"));

    assert_success(
        &agent.perry(&["config", "notifications", "remove", "hook"]),
        "perry config notifications remove",
    );
    let gone = agent.perry(&["config", "notifications", "test", "hook"]);
    assert!(!gone.status.success());
    assert!(
        text(&gone.stderr).contains("No notification channel named \"hook\""),
        "{}",
        text(&gone.stderr)
    );
}

#[test]
fn perry_config_env_files_and_agents_set_list_and_unset_without_echoing_secrets() {
    use std::io::Write;
    let agent = AgentProcess::start("settingscli");
    // A secret given on stdin stays out of the command line and shell history.
    let mut set = agent
        .perry_command(&["config", "env", "set", "NPM_TOKEN"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    set.stdin
        .take()
        .unwrap()
        .write_all(b"npm-secret-from-stdin\n")
        .unwrap();
    let set = set.wait_with_output().unwrap();
    assert_success(&set, "perry config env set NPM_TOKEN < secret");
    assert_success(
        &agent.perry(&[
            "config",
            "agents",
            "set",
            "claude-code",
            "apiKey",
            "sk-ant-cli-secret",
        ]),
        "perry config agents set claude-code apiKey",
    );
    let host_file = agent.dir.path().join("npmrc");
    std::fs::write(&host_file, "x").unwrap();
    assert_success(
        &agent.perry(&[
            "config",
            "files",
            "set",
            host_file.to_str().unwrap(),
            "~/.npmrc",
        ]),
        "perry config files set",
    );
    let config: Value =
        serde_json::from_slice(&std::fs::read(agent.dir.path().join("config.json")).unwrap())
            .unwrap();
    assert_eq!(
        config["credentials"]["env"]["NPM_TOKEN"],
        "npm-secret-from-stdin"
    );
    assert_eq!(
        config["accounts"]["claudeCode"]["apiKey"],
        "sk-ant-cli-secret"
    );

    let env = assert_success(&agent.perry(&["config", "env"]), "perry config env");
    let agents = assert_success(&agent.perry(&["config", "agents"]), "perry config agents");
    let files = assert_success(&agent.perry(&["config", "files"]), "perry config files");
    let json = assert_success(
        &agent.perry(&["config", "env", "list", "--json"]),
        "perry config env list --json",
    );
    for shown in [&env, &agents, &files, &json] {
        for secret in ["npm-secret-from-stdin", "sk-ant-cli-secret"] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
    }
    assert!(env.contains("NPM_TOKEN"), "{env}");
    assert!(agents.contains("Claude Code apiKey"), "{agents}");
    assert!(files.contains("~/.npmrc"), "{files}");
    let listed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(listed[0]["name"], "NPM_TOKEN");
    assert_eq!(listed[0]["fingerprint"].as_str().unwrap().len(), 8);

    // The agent's errors come through as they are.
    let bad = agent.perry(&["config", "agents", "set", "codex", "oauthToken", "x"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("apiKey"),
        "{}",
        text(&bad.stderr)
    );
    let bad = agent.perry(&["config", "agents", "set", "gemini", "apiKey", "x"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("claude-code"),
        "{}",
        text(&bad.stderr)
    );

    assert_success(
        &agent.perry(&["config", "env", "unset", "NPM_TOKEN", "--sync"]),
        "perry config env unset --sync",
    );
    let env = assert_success(&agent.perry(&["config", "env"]), "perry config env");
    assert!(env.contains("No environment variables"), "{env}");
}

#[test]
fn perry_config_ssh_scripts_and_mcp_reach_a_real_workspace() {
    use std::io::Write;
    let agent = AgentProcess::start("sshcli");
    let home = agent.home.path();
    let keygen = |path: &std::path::Path| {
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "perry-test", "-f"])
            .arg(path)
            .output()
            .unwrap();
        assert!(made.status.success(), "{}", text(&made.stderr));
    };
    keygen(&home.join(".ssh/deploy"));
    let laptop_dir = tempfile::tempdir().unwrap();
    let laptop = laptop_dir.path().join("laptop");
    keygen(&laptop);

    // The host's keys with ssh-keygen's own fingerprints.
    let listed = assert_success(&agent.perry(&["config", "ssh"]), "perry config ssh");
    let fingerprint = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(home.join(".ssh/deploy.pub"))
        .output()
        .unwrap();
    let fingerprint = text(&fingerprint.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(
        listed.contains(&format!("deploy ssh-ed25519 {fingerprint}")),
        "{listed}"
    );

    assert_success(
        &agent.perry(&["config", "ssh", "copy", "deploy", "--workspace", "box"]),
        "perry config ssh copy",
    );
    let laptop_pub = format!("{}.pub", laptop.display());
    assert_success(
        &agent.perry(&[
            "config",
            "ssh",
            "authorize",
            &laptop_pub,
            "--workspace",
            "box",
        ]),
        "perry config ssh authorize",
    );
    let bad = agent.perry(&["config", "ssh", "authorize", "ssh-nope"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("SSH public key"),
        "{}",
        text(&bad.stderr)
    );
    assert_success(
        &agent.perry(&[
            "config",
            "mcp",
            "set",
            "memory",
            "--env",
            "MEMORY_TOKEN=mcp-secret",
            "--",
            "npx",
            "-y",
            "server-memory",
        ]),
        "perry config mcp set",
    );
    let mcp = assert_success(&agent.perry(&["config", "mcp"]), "perry config mcp");
    assert!(
        mcp.contains("memory: npx -y server-memory") && mcp.contains("MEMORY_TOKEN"),
        "{mcp}"
    );
    assert!(!mcp.contains("mcp-secret"), "{mcp}");
    let mut set = agent
        .perry_command(&["config", "scripts", "set", "hello", "--timeout", "30"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    set.stdin
        .take()
        .unwrap()
        .write_all(b"echo hi-from-script > ~/hello\n")
        .unwrap();
    assert_success(
        &set.wait_with_output().unwrap(),
        "perry config scripts set hello < script",
    );

    assert_success(&agent.perry(&["start", "box"]), "perry start box");
    let port: u16 = listed_port(&agent, "box");
    let with_laptop_key = || {
        Command::new("ssh")
            .arg("-i")
            .arg(&laptop)
            .args(["-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no"])
            .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"])
            .args(["-o", "ConnectTimeout=10", "-p", &port.to_string()])
            .args([
                "workspace@127.0.0.1",
                "stat -c %a ~/.ssh/deploy; cat ~/hello",
            ])
            .output()
            .unwrap()
    };
    // The script runs in the background after the start: wait for its file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let output = loop {
        let output = with_laptop_key();
        if output.status.success() || std::time::Instant::now() > deadline {
            break output;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert_success(&output, "ssh with the authorized laptop key");
    assert_eq!(text(&output.stdout), "600\nhi-from-script\n");

    assert_success(
        &agent.perry(&["config", "ssh", "unauthorize", &laptop_pub]),
        "perry config ssh unauthorize",
    );
    assert_success(&agent.perry(&["sync", "box"]), "perry sync box");
    let refused = with_laptop_key();
    assert!(
        !refused.status.success(),
        "the key was taken back: {}",
        text(&refused.stdout)
    );
    // The host user's own key still logs in.
    assert_success(&ssh(&agent, port, &[], "true"), "ssh with the host key");
}

fn listed_port(agent: &AgentProcess, name: &str) -> u16 {
    let stdout = assert_success(&agent.perry(&["list", "--json"]), "perry list --json");
    let workspaces: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    workspaces
        .iter()
        .find(|workspace| workspace["name"] == name)
        .and_then(|workspace| workspace["ports"]["ssh"].as_u64())
        .map(|port| port as u16)
        .unwrap()
}
