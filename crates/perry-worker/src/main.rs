//! `perry-worker`: the small static binary the agent copies into every workspace.
//!
//! - `serve`: the daemon the workspace's entrypoint keeps running (session index and watcher,
//!   served on a private unix socket).
//! - `attach`: what the agent runs through a Docker exec: relays stdio to the daemon's socket.
//! - `scan [HOME]`: prints the sessions once, for people debugging.

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
        _ => {
            eprintln!("usage: perry-worker --version | serve | attach | scan [HOME]");
            std::process::ExitCode::from(2)
        }
    }
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
