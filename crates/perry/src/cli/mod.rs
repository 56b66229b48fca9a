//! The `perry` command line: one file per subcommand, each with its `Args` and `run()`.

mod agent;
mod build;
mod config;
mod delete;
mod info;
mod list;
mod output;
mod shell;
mod start;
mod stop;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::client::AgentClient;

/// Perry: isolated Docker-in-Docker workspaces for coding agents, on a machine you own.
#[derive(Debug, Parser)]
#[command(name = "perry", version, about)]
pub struct Cli {
    /// Config dir (default: $PERRY_CONFIG_DIR, else ~/.config/perry).
    #[arg(long, global = true, value_name = "DIR")]
    config_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List workspaces.
    #[command(alias = "ls")]
    List(list::Args),
    /// Start a workspace, creating it when it does not exist.
    Start(start::Args),
    /// Stop a workspace.
    Stop(stop::Args),
    /// Delete a workspace with its container and volumes.
    #[command(alias = "rm")]
    Delete(delete::Args),
    /// Open a shell in a workspace (or run one command: `perry shell <name> -- cmd args`).
    Shell(shell::Args),
    /// Show the agent's version, host, Docker version and DinD mode.
    Info(info::Args),
    /// Build the workspace image on this machine's Docker Engine.
    Build(build::Args),
    /// Show or change where the CLI finds the agent.
    #[command(subcommand)]
    Config(config::Command),
    /// Run or install the agent daemon.
    #[command(subcommand)]
    Agent(agent::Command),
}

impl Cli {
    /// Whether this command runs the agent daemon (which needs a multi-threaded runtime).
    pub fn runs_agent(&self) -> bool {
        matches!(&self.command, Command::Agent(command) if command.runs_agent())
    }

    /// Runs the chosen subcommand.
    pub async fn run(self) -> anyhow::Result<()> {
        let config_dir = match self.config_dir {
            Some(dir) => dir,
            None => perry_agent::state::config::config_dir()?,
        };
        let context = Context { config_dir };
        match self.command {
            Command::List(args) => list::run(&context, args).await,
            Command::Start(args) => start::run(&context, args).await,
            Command::Stop(args) => stop::run(&context, args).await,
            Command::Delete(args) => delete::run(&context, args).await,
            Command::Shell(args) => shell::run(&context, args).await,
            Command::Info(args) => info::run(&context, args).await,
            Command::Build(args) => build::run(&context, args).await,
            Command::Config(command) => config::run(&context, command).await,
            Command::Agent(command) => agent::run(&context, command).await,
        }
    }
}

/// What every subcommand may need.
#[derive(Debug)]
pub struct Context {
    pub config_dir: PathBuf,
}

impl Context {
    /// A client for the agent this CLI is pointed at.
    pub fn client(&self) -> anyhow::Result<AgentClient> {
        AgentClient::discover(&self.config_dir)
    }
}
