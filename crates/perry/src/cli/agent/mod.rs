//! `perry agent run|install|uninstall`: the daemon in the foreground, or as a systemd service.

mod install;
mod run;
mod systemd;
mod uninstall;

use clap::Subcommand;

use super::Context;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the agent in the foreground.
    Run(run::Args),
    /// Install the agent as a systemd service that starts at boot and restarts on failure.
    Install(install::Args),
    /// Stop the agent's systemd service and remove its unit.
    Uninstall(uninstall::Args),
}

impl Command {
    /// Whether this runs the daemon itself.
    pub fn runs_agent(&self) -> bool {
        matches!(self, Command::Run(_))
    }
}

pub async fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run(args) => run::run(context, args).await,
        Command::Install(args) => install::run(context, args),
        Command::Uninstall(args) => uninstall::run(args),
    }
}
