//! `perry completions bash|zsh|fish`: a completion script for the shell, on stdout.

use std::io::Write;

use clap::CommandFactory;

use super::Cli;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete in.
    shell: clap_complete::Shell,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // Generated into memory first: clap_complete panics when stdout fails, and a reader that
    // stops early (`perry completions bash | head`) is no error.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "perry", &mut script);
    match std::io::stdout().write_all(&script) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(()),
    }
}
