//! `perry-worker`: the small static binary the agent copies into every workspace.
//!
//! For now it reports its version and stays alive as the workspace's resident helper; session
//! discovery (the sessions issue) will grow here.

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("--version") | Some("version") => {
            println!("perry-worker {}", env!("CARGO_PKG_VERSION"));
            std::process::ExitCode::SUCCESS
        }
        Some("serve") => loop {
            // Nothing to serve yet: stay alive so the entrypoint's supervisor does not spin.
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        _ => {
            eprintln!("usage: perry-worker --version | serve");
            std::process::ExitCode::from(2)
        }
    }
}
