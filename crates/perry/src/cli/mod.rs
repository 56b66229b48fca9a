//! The `perry` command line: one file per subcommand, each with its `Args` and `run()`.

mod agent;
mod agents;
mod build;
mod clone;
mod completions;
mod config;
mod delete;
mod exec;
mod info;
mod list;
mod logs;
mod notifications;
mod output;
mod ports;
mod rebuild;
mod sessions;
mod settings;
mod shell;
mod start;
mod stop;
mod sync;
mod tui;
mod watch;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::client::AgentClient;
pub use output::no_colour_requested;

/// Perry: isolated Docker-in-Docker workspaces for coding agents, on a machine you own.
///
/// Without a command, in a terminal, perry opens its TUI.
#[derive(Debug, Parser)]
#[command(name = "perry", version, about)]
pub struct Cli {
    /// Config dir (default: $PERRY_CONFIG_DIR, else ~/.config/perry).
    #[arg(long, global = true, value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// The agent to talk to for this command only (default: $PERRY_WORKER, else
    /// `perry config worker`, else this machine).
    #[arg(long, global = true, value_name = "HOST[:PORT]")]
    worker: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List workspaces.
    #[command(alias = "ls")]
    List(list::Args),
    /// Start a workspace, creating it when it does not exist.
    Start(start::Args),
    /// Make a new workspace that is a copy of another (its home and inner Docker), beside it.
    Clone(clone::Args),
    /// Stop a workspace.
    Stop(stop::Args),
    /// Build a workspace again from its repository's current devcontainer.json, keeping its
    /// home and inner-Docker volumes.
    Rebuild(rebuild::Args),
    /// Delete a workspace with its container and volumes.
    #[command(alias = "rm")]
    Delete(delete::Args),
    /// Open a shell in a workspace (or run one command: `perry shell <name> -- cmd args`).
    Shell(shell::Args),
    /// Copy credentials, git config, public keys and the worker into a workspace (or all).
    Sync(sync::Args),
    /// Run one command in a workspace: its stdout, stderr and exit code (`-- cmd args`).
    Exec(exec::Args),
    /// The workspace container's own output (sshd, the inner dockerd, the worker).
    Logs(logs::Args),
    /// List, add (`3000 8080:5173`) or remove (`--remove 8080`) host ports forwarded into a
    /// workspace.
    Ports(ports::Args),
    /// Coding-agent sessions: a workspace's list, one conversation or live changes; rename or
    /// delete one; `--recent` for the latest across every workspace.
    ///
    /// A workspace named like a subcommand is listed with `perry sessions -- rename`.
    Sessions(sessions::Args),
    /// Every coding-agent session's status changes (needs input, idle, error, …) across all
    /// workspaces and agents, as they happen; `--exec` runs a command on each.
    Watch(watch::Args),
    /// Workspaces, live, in a terminal UI (what `perry` alone opens in a terminal).
    Tui(tui::Args),
    /// Show the agent's version, host, Docker version and DinD mode.
    Info(info::Args),
    /// Build the workspace image on this machine's Docker Engine.
    Build(build::Args),
    /// Show or change where the CLI finds the agent.
    #[command(subcommand)]
    Config(config::Command),
    /// Run, install or uninstall the agent daemon.
    #[command(subcommand)]
    Agent(agent::Command),
    /// Your agents by name, seen as one fleet: add, list (health and capacity), remove,
    /// default.
    #[command(subcommand)]
    Agents(agents::Command),
    /// Print a shell completion script (e.g. `perry completions bash > ~/.local/share/bash-completion/completions/perry`).
    Completions(completions::Args),
}

impl Cli {
    /// Parses the command line. `perry` alone opens the TUI when it can draw one; elsewhere (a
    /// pipe, a script) it is a usage error, as a missing subcommand always was.
    pub fn parse_or_default() -> Cli {
        let mut cli = Cli::parse();
        if cli.command.is_none() {
            if !std::io::stdout().is_terminal() {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::MissingSubcommand,
                        "a command is needed when stdout is not a terminal (see `perry --help`)",
                    )
                    .exit();
            }
            cli.command = Some(Command::Tui(tui::Args {}));
        }
        cli
    }

    /// Whether this command takes over the whole terminal (the TUI).
    pub fn draws_full_screen(&self) -> bool {
        matches!(&self.command, Some(Command::Tui(_)))
    }

    /// Whether this command runs the agent daemon (which needs a multi-threaded runtime).
    pub fn runs_agent(&self) -> bool {
        matches!(&self.command, Some(Command::Agent(command)) if command.runs_agent())
    }

    /// Runs the chosen subcommand; the exit code is the remote shell's for `perry shell`.
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let config_dir = match self.config_dir {
            Some(dir) => dir,
            None => perry_agent::state::config::config_dir()?,
        };
        let context = Context {
            config_dir,
            worker: self.worker,
        };
        let Some(command) = self.command else {
            anyhow::bail!("no command given; see `perry --help`");
        };
        match command {
            Command::List(args) => list::run(&context, args).await,
            Command::Start(args) => start::run(&context, args).await,
            Command::Clone(args) => clone::run(&context, args).await,
            Command::Stop(args) => stop::run(&context, args).await,
            Command::Rebuild(args) => rebuild::run(&context, args).await,
            Command::Delete(args) => delete::run(&context, args).await,
            Command::Shell(args) => return shell::run(&context, args).await,
            Command::Exec(args) => return exec::run(&context, args).await,
            Command::Sync(args) => sync::run(&context, args).await,
            Command::Logs(args) => logs::run(&context, args).await,
            Command::Ports(args) => ports::run(&context, args).await,
            Command::Sessions(args) => sessions::run(&context, args).await,
            Command::Watch(args) => watch::run(&context, args).await,
            Command::Tui(args) => tui::run(&context, args).await,
            Command::Info(args) => info::run(&context, args).await,
            Command::Build(args) => build::run(&context, args).await,
            Command::Config(command) => config::run(&context, command).await,
            Command::Agent(command) => agent::run(&context, command).await,
            Command::Agents(command) => agents::run(&context, command).await,
            Command::Completions(args) => completions::run(args),
        }
        .map(|()| ExitCode::SUCCESS)
    }
}

/// What every subcommand may need.
#[derive(Debug)]
pub struct Context {
    pub config_dir: PathBuf,
    /// `--worker`: the agent for this invocation, over PERRY_WORKER and client.json.
    pub worker: Option<String>,
}

impl Context {
    /// A client for the agent this CLI is pointed at.
    pub fn client(&self) -> anyhow::Result<AgentClient> {
        AgentClient::discover(&self.config_dir, self.worker.as_deref())
    }

    /// The agents added by name, unless `--worker`/`PERRY_WORKER` points at one.
    pub fn fleet(&self) -> anyhow::Result<Option<crate::fleet::Fleet>> {
        crate::fleet::Fleet::load(&self.config_dir, self.worker.as_deref())
    }

    /// The agent of the workspace a command names, and the workspace's own name: `agent/name`
    /// on that added agent; a bare name on the one agent that has it (an error when several
    /// do), else on the default agent, which then answers for it.
    pub async fn locate(&self, target: &str) -> anyhow::Result<(AgentClient, String)> {
        let fleet = self.fleet()?;
        if let Some((agent, name)) = target.split_once('/') {
            let Some(fleet) = fleet else {
                anyhow::bail!(
                    "{target:?} names an agent, but this command goes to one agent (--worker, PERRY_WORKER, or none added with `perry agents add`): name the workspace alone"
                );
            };
            return Ok((fleet.member(agent)?.client.clone(), name.to_owned()));
        }
        let Some(fleet) = fleet else {
            return Ok((self.client()?, target.to_owned()));
        };
        let lookup = fleet.find(target).await?;
        let member = match lookup.holder {
            Some(member) => member,
            // It may be on an agent that did not answer: say so rather than "not found".
            None if !lookup.silent.is_empty() => anyhow::bail!(
                "No agent that answered has a workspace {target}; these did not answer: {}. Name the agent (`<agent>/{target}`) or try again",
                lookup.silent.join("; ")
            ),
            None => fleet.default_member(),
        };
        Ok((member.client.clone(), target.to_owned()))
    }
}
