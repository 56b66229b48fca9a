//! `perry config worker|token|ca|show`: where the CLI finds the agent (client.json).

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::{Context, output};
use crate::client::ClientFile;

#[derive(Debug, Subcommand)]
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
    /// Show where the CLI finds the agent.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    let mut client_file = ClientFile::read(&context.config_dir)?;
    match command {
        Command::Worker { host } => {
            let host = host.trim().to_owned();
            if host.is_empty() || host.contains(char::is_whitespace) {
                anyhow::bail!("give the agent's host as host or host:port, without spaces");
            }
            client_file.worker = Some(host.clone());
            client_file.save(&context.config_dir)?;
            println!("The CLI now talks to the agent at {host}.");
        }
        Command::Token { token } => {
            client_file.token = Some(token.trim().to_owned());
            client_file.save(&context.config_dir)?;
            println!(
                "Token saved in {}.",
                context.config_dir.join("client.json").display()
            );
        }
        Command::Ca { file: None, .. } => {
            client_file.ca = None;
            client_file.save(&context.config_dir)?;
            println!("The CLI now trusts the system's CA certificates alone.");
        }
        Command::Ca {
            file: Some(file), ..
        } => {
            // Checked now, so a wrong file is found here rather than at the next connection.
            let certificates = crate::client::read_ca_file(&file)?;
            let file = std::path::absolute(&file)?;
            client_file.ca = Some(file.clone());
            client_file.save(&context.config_dir)?;
            println!(
                "The CLI now trusts {} certificate(s) from {} for https agents.",
                certificates.len(),
                file.display()
            );
        }
        Command::Show { json } => {
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
