//! `perry-worker`: the small static binary the agent copies into every workspace.
//!
//! - `serve`: the daemon the workspace's entrypoint keeps running (session index and watcher,
//!   served on a private unix socket).
//! - `attach`: what the agent runs through a Docker exec: relays stdio to the daemon's socket.
//! - `scan [HOME]`: prints the sessions once, for people debugging.
//! - `event claude|codex|opencode [JSON]`: what the hooks Perry installs run; hands what the
//!   coding agent says (a permission asked, a turn ended) to the daemon.
//! - `hooks`: installs those hooks into each coding agent's configuration under `$HOME` (the
//!   agent runs it at every sync), and the coding agents' accounts from the settings the agent
//!   left in the workspace; prints one JSON list of sync items.
//! - `git-credential get`: git's credential helper for the hosts Perry has tokens of.

use std::path::PathBuf;

use perry_worker::{Roots, SessionIndex, server};

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("--version") | Some("version") => {
            println!("perry-worker {}", env!("CARGO_PKG_VERSION"));
            std::process::ExitCode::SUCCESS
        }
        Some("serve") => exit_with(server::serve(&server::home_dir()), "serve"),
        Some("attach") => exit_with(server::attach(&server::home_dir()), "attach"),
        Some("scan") => scan(args.next().map(PathBuf::from)),
        Some("event") => event(args.collect()),
        Some("hooks") => hooks(),
        Some("git-credential") => git_credential(args.next().as_deref().unwrap_or_default()),
        _ => {
            eprintln!(
                "usage: perry-worker --version | serve | attach | scan [HOME] | hooks | git-credential get | event claude|codex|opencode [JSON]"
            );
            std::process::ExitCode::from(2)
        }
    }
}

/// `event <agent> [JSON]`: what a coding agent's hook runs. Reads the agent's payload (the last
/// argument, as Codex passes it, else stdin, as Claude Code and Perry's OpenCode plugin do) and
/// hands what it says about attention to the daemon. Always exits 0 at once: a hook that failed
/// or waited would stop or slow the coding agent for nothing the person asked.
fn event(args: Vec<String>) -> std::process::ExitCode {
    use perry_api::sessions::SessionAgent;
    let agent = match args.first().map(String::as_str) {
        Some("claude") => SessionAgent::ClaudeCode,
        Some("codex") => SessionAgent::Codex,
        Some("opencode") => SessionAgent::Opencode,
        _ => {
            eprintln!("usage: perry-worker event claude|codex|opencode [JSON]");
            return std::process::ExitCode::SUCCESS;
        }
    };
    // Codex's `notify` runs one program: a person's own is chained after `--then`, and gets the
    // same payload as its last argument, as Codex would have given it.
    let then = args
        .iter()
        .position(|arg| arg == perry_worker::hooks::THEN)
        .map(|at| &args[at + 1..args.len().saturating_sub(1).max(at + 1)]);
    let payload = args.get(1..).and_then(<[String]>::last).cloned();
    let payload = match payload {
        Some(json) => json,
        None => {
            let mut read = String::new();
            // A hook's payload is a few kilobytes; more is not one.
            let _ = std::io::Read::read_to_string(
                &mut std::io::Read::take(std::io::stdin(), 1024 * 1024),
                &mut read,
            );
            read
        }
    };
    if let Ok(payload) = serde_json::from_str(&payload)
        && let Some(report) = perry_worker::attention::read(agent, &payload)
    {
        server::send_report(&server::home_dir(), &report);
    }
    if let Some([program, arguments @ ..]) = then {
        let started = std::process::Command::new(program)
            .args(arguments)
            .arg(&payload)
            .stdin(std::process::Stdio::null())
            .spawn();
        if let Err(error) = started {
            eprintln!("perry-worker: cannot run the notify program {program:?}: {error}");
        }
    }
    std::process::ExitCode::SUCCESS
}

/// `hooks`: installs the hooks under `$HOME`, naming this very binary in them.
fn hooks() -> std::process::ExitCode {
    let worker = std::env::current_exe()
        .ok()
        .and_then(|path| path.to_str().map(str::to_owned))
        .unwrap_or_else(|| "/usr/local/bin/perry-worker".to_owned());
    let home = server::home_dir();
    let mut items = perry_worker::hooks::install(&home, &worker);
    match perry_worker::settings::read(&home) {
        Ok(settings) => items.extend(perry_worker::settings::apply(&home, &settings, &worker)),
        Err(error) => items.push(perry_api::SyncItem {
            what: "coding-agent accounts, MCP servers and skills".to_owned(),
            error: Some(error),
        }),
    }
    match serde_json::to_string(&items) {
        Ok(line) => {
            println!("{line}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("perry-worker hooks: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `git-credential <action>`: git's credential protocol on stdin and stdout. Never fails git:
/// with nothing to say it says nothing.
fn git_credential(action: &str) -> std::process::ExitCode {
    let mut input = String::new();
    let _ = std::io::Read::read_to_string(
        &mut std::io::Read::take(std::io::stdin(), 64 * 1024),
        &mut input,
    );
    if let Ok(settings) = perry_worker::settings::read(&server::home_dir())
        && let Some(answer) = perry_worker::accounts::git_credential(&settings, action, &input)
    {
        print!("{answer}");
    }
    std::process::ExitCode::SUCCESS
}

/// Prints the snapshot of the sessions under `home` (default `$HOME`) as one JSON line.
fn scan(home: Option<PathBuf>) -> std::process::ExitCode {
    let Some(home) = home.or_else(|| std::env::var_os("HOME").map(PathBuf::from)) else {
        eprintln!("perry-worker scan: no HOME; pass the home directory");
        return std::process::ExitCode::from(2);
    };
    let mut index = SessionIndex::new(Roots::for_home(&home));
    index.scan();
    match serde_json::to_string(&index.snapshot()) {
        Ok(line) => {
            println!("{line}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("perry-worker scan: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn exit_with(result: std::io::Result<()>, command: &str) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("perry-worker {command}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
