//! `perry config worker|token|ca|show`: where the CLI finds the agent (client.json); `perry
//! config notifications`: the agent's notification channels; `perry config env|files|agents`:
//! what the agent puts into workspaces (cli/settings.rs); `perry config token --show|--rotate`.

use std::path::PathBuf;

use clap::Subcommand;
use perry_api::procedures::{SettingsRotateToken, SettingsToken, Void};
use serde_json::json;

use super::{Context, output};
use crate::client::ClientFile;

/// Its `{:?}` hides the token.
#[derive(Subcommand)]
pub enum Command {
    /// Point the CLI at the agent on <host> (host, host:port, or https://host:port for an agent
    /// that serves HTTPS).
    Worker { host: String },
    /// Set the token the CLI sends (from the agent's config.json); with --show, print the
    /// agent's token; with --rotate, replace it with a new one (every other client must sign
    /// in again; the CLI on the agent's machine keeps working through its local socket).
    Token {
        #[arg(required_unless_present_any = ["show", "rotate"], conflicts_with_all = ["show", "rotate"])]
        token: Option<String>,
        #[arg(long, conflicts_with = "rotate")]
        show: bool,
        #[arg(long)]
        rotate: bool,
    },
    /// The environment variables every workspace gets: list, set, unset.
    Env(super::settings::EnvArgs),
    /// The host files copied into every workspace: list, set, unset.
    Files(super::settings::FilesArgs),
    /// The coding agents' keys (Claude Code, Codex, OpenCode) and git hosts' tokens: list, set,
    /// unset.
    Agents(super::settings::AgentsArgs),
    /// Post-start scripts, run as `workspace` after every start: list, set, unset.
    Scripts(super::settings::ScriptsArgs),
    /// MCP servers for the coding agents in every workspace: list, set, unset.
    Mcp(super::settings::McpArgs),
    /// Skills for the coding agents in every workspace: list, set, unset.
    Skills(super::settings::SkillsArgs),
    /// Which host SSH keys go into workspaces and which keys may log in.
    Ssh(super::settings::SshArgs),
    /// Trust the CA certificate in <file> (PEM) for https agents, besides the system's store:
    /// for an agent whose certificate a CA of your own signed.
    Ca {
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        file: Option<PathBuf>,
        /// Trust the system's store alone again.
        #[arg(long)]
        clear: bool,
    },
    /// The agent's notification channels (webhooks, ntfy, Gotify): list, add, remove, test.
    Notifications(super::notifications::Args),
    /// Show where the CLI finds the agent.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

impl std::fmt::Debug for Command {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Worker { host } => formatter
                .debug_struct("Worker")
                .field("host", host)
                .finish(),
            Command::Token {
                token,
                show,
                rotate,
            } => formatter
                .debug_struct("Token")
                .field("token", &perry_agent::state::redact::secret(token))
                .field("show", show)
                .field("rotate", rotate)
                .finish(),
            Command::Env(args) => formatter.debug_tuple("Env").field(args).finish(),
            Command::Files(args) => formatter.debug_tuple("Files").field(args).finish(),
            Command::Agents(args) => formatter.debug_tuple("Agents").field(args).finish(),
            Command::Scripts(args) => formatter.debug_tuple("Scripts").field(args).finish(),
            Command::Mcp(args) => formatter.debug_tuple("Mcp").field(args).finish(),
            Command::Skills(args) => formatter.debug_tuple("Skills").field(args).finish(),
            Command::Ssh(args) => formatter.debug_tuple("Ssh").field(args).finish(),
            Command::Ca { file, clear } => formatter
                .debug_struct("Ca")
                .field("file", file)
                .field("clear", clear)
                .finish(),
            Command::Show { json } => formatter.debug_struct("Show").field("json", json).finish(),
            Command::Notifications(command) => formatter
                .debug_tuple("Notifications")
                .field(command)
                .finish(),
        }
    }
}

pub async fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Notifications(command) => {
            return super::notifications::run(context, command).await;
        }
        Command::Worker { host } => {
            let host = host.trim().to_owned();
            if host.is_empty() || host.contains(char::is_whitespace) {
                anyhow::bail!("give the agent's host as host or host:port, without spaces");
            }
            ClientFile::update(&context.config_dir, |object| {
                object.insert("worker".to_owned(), host.clone().into());
            })?;
            println!("The CLI now talks to the agent at {host}.");
        }
        Command::Env(args) => return super::settings::env(context, args).await,
        Command::Files(args) => return super::settings::files(context, args).await,
        Command::Agents(args) => return super::settings::agents(context, args).await,
        Command::Scripts(args) => return super::settings::scripts(context, args).await,
        Command::Mcp(args) => return super::settings::mcp(context, args).await,
        Command::Skills(args) => return super::settings::skills(context, args).await,
        Command::Ssh(args) => return super::settings::ssh(context, args).await,
        Command::Token { show: true, .. } => {
            let shown = context.client()?.call::<SettingsToken>(&Void).await?;
            println!("{}", shown.token);
        }
        Command::Token { rotate: true, .. } => {
            let client = context.client()?;
            let rotated = client.call::<SettingsRotateToken>(&Void).await?;
            // The CLI's own copy follows, so it keeps working over TCP too.
            ClientFile::update(&context.config_dir, |object| {
                if object.contains_key("token") {
                    object.insert("token".to_owned(), rotated.token.clone().into());
                }
            })?;
            println!(
                "The agent's token was rotated: every browser, phone and other CLI must sign in again with `perry config token --show`'s token."
            );
        }
        Command::Token { token: None, .. } => {
            anyhow::bail!("give the token to save, or --show or --rotate")
        }
        Command::Token {
            token: Some(token), ..
        } => {
            ClientFile::update(&context.config_dir, |object| {
                object.insert("token".to_owned(), token.trim().into());
            })?;
            println!(
                "Token saved in {}.",
                context.config_dir.join("client.json").display()
            );
        }
        Command::Ca { file: None, .. } => {
            ClientFile::update(&context.config_dir, |object| {
                object.remove("ca");
            })?;
            println!("The CLI now trusts the system's CA certificates alone.");
        }
        Command::Ca {
            file: Some(file), ..
        } => {
            // Checked now, so a wrong file is found here rather than at the next connection.
            let certificates = perry_agent::tls::read_ca_file(&file)?;
            let file = std::path::absolute(&file)?;
            ClientFile::update(&context.config_dir, |object| {
                object.insert("ca".to_owned(), file.display().to_string().into());
            })?;
            println!(
                "The CLI now trusts {} certificate(s) from {} for https agents.",
                certificates.len(),
                file.display()
            );
        }
        Command::Show { json } => {
            let client_file = ClientFile::read(&context.config_dir)?;
            let client = context.client()?;
            let summary = json!({
                "configDir": context.config_dir,
                "agent": client.base_url(),
                "tokenConfigured": client_file.token.is_some() || std::env::var_os("PERRY_TOKEN").is_some(),
                "ca": client_file.ca,
            });
            if json {
                return output::print_json(&summary);
            }
            println!("Config dir:  {}", context.config_dir.display());
            println!("Agent:       {}", client.base_url());
            if let Some(ca) = &client_file.ca {
                println!("CA:          {}", ca.display());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn debug_output_of_the_parsed_command_line_never_shows_the_token() {
        let cli =
            crate::cli::Cli::try_parse_from(["perry", "config", "token", "cli-token-0123456789"])
                .unwrap();
        let shown = format!("{cli:?} {cli:#?}");
        assert!(!shown.contains("cli-token-0123456789"), "{shown}");
        assert!(
            shown.contains("Token") && shown.contains("<redacted>"),
            "{shown}"
        );
    }
}
