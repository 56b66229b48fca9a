//! `perry config worker|token|ca|show`: where the CLI finds the agent (client.json); `perry
//! config notifications`: the agent's notification channels.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::{Context, output};
use crate::client::ClientFile;

/// Its `{:?}` hides the token.
#[derive(Subcommand)]
pub enum Command {
    /// Point the CLI at the agent on <host> (host, host:port, or https://host:port for an agent
    /// that serves HTTPS).
    Worker { host: String },
    /// Set the token the CLI sends (from the agent's config.json).
    Token { token: String },
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
            Command::Token { token: _ } => formatter
                .debug_struct("Token")
                .field("token", &perry_agent::state::redact::Redacted)
                .finish(),
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
        Command::Token { token } => {
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
