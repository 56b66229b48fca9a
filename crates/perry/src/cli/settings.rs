//! `perry config env|files|agents …`: the settings the agent puts into every workspace
//! (`settings.*`), managed from wherever the CLI is. Secrets are read from stdin when not given
//! (so they stay out of shell history) and never printed back: a list shows names, when each
//! was set and a fingerprint.

use std::io::{IsTerminal, Read};

use clap::Subcommand;
use perry_api::procedures::{
    SettingsGet, SettingsSetAccount, SettingsSetEnv, SettingsSetFile, SettingsUnsetAccount,
    SettingsUnsetEnv, SettingsUnsetFile, Void, WorkspacesSyncAll,
};
use perry_api::settings::{
    AccountKeyInput, AccountKind, AccountSetInput, EnvNameInput, EnvSetInput, FileHostInput,
    FileMapping, SecretInfo,
};

use super::{Context, output};

/// `perry config env [COMMAND]`.
#[derive(Debug, clap::Args)]
pub struct EnvArgs {
    #[command(subcommand)]
    command: Option<EnvCommand>,
}

/// Its `{:?}` hides the value.
#[derive(Subcommand)]
pub enum EnvCommand {
    /// The variables every workspace gets (the default): names, when set, fingerprints.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a variable for every shell in every workspace; the value is read from stdin when
    /// not given.
    Set {
        name: String,
        value: Option<String>,
        /// Apply it to the running workspaces now.
        #[arg(long)]
        sync: bool,
    },
    /// Remove a variable.
    Unset {
        name: String,
        #[arg(long)]
        sync: bool,
    },
}

impl std::fmt::Debug for EnvCommand {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvCommand::List { json } => {
                formatter.debug_struct("List").field("json", json).finish()
            }
            EnvCommand::Set { name, value, sync } => formatter
                .debug_struct("Set")
                .field("name", name)
                .field("value", &perry_agent::state::redact::secret(value))
                .field("sync", sync)
                .finish(),
            EnvCommand::Unset { name, sync } => formatter
                .debug_struct("Unset")
                .field("name", name)
                .field("sync", sync)
                .finish(),
        }
    }
}

/// `perry config files [COMMAND]`.
#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    #[command(subcommand)]
    command: Option<FilesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// The host files copied into every workspace (the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Copy a file or directory of the agent's machine (absolute or ~/…) into every workspace,
    /// under the workspace user's home (~/…).
    Set {
        host: String,
        workspace: String,
        #[arg(long)]
        sync: bool,
    },
    /// Stop copying a host path.
    Unset {
        host: String,
        #[arg(long)]
        sync: bool,
    },
}

/// `perry config agents [COMMAND]`.
#[derive(Debug, clap::Args)]
pub struct AgentsArgs {
    #[command(subcommand)]
    command: Option<AgentsCommand>,
}

/// Its `{:?}` hides the value.
#[derive(Subcommand)]
pub enum AgentsCommand {
    /// The coding agents' keys (the default): which are set, when, fingerprints.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a key: `claude-code apiKey|oauthToken`, `codex apiKey`, `opencode <provider>`,
    /// `github <host>` (github.com, host:port, http://host:port). The value is read from stdin
    /// when not given.
    Set {
        #[arg(value_parser = parse_account)]
        account: AccountKind,
        key: String,
        value: Option<String>,
        #[arg(long)]
        sync: bool,
    },
    /// Remove a key.
    Unset {
        #[arg(value_parser = parse_account)]
        account: AccountKind,
        key: String,
        #[arg(long)]
        sync: bool,
    },
}

impl std::fmt::Debug for AgentsCommand {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentsCommand::List { json } => {
                formatter.debug_struct("List").field("json", json).finish()
            }
            AgentsCommand::Set {
                account,
                key,
                value,
                sync,
            } => formatter
                .debug_struct("Set")
                .field("account", account)
                .field("key", key)
                .field("value", &perry_agent::state::redact::secret(value))
                .field("sync", sync)
                .finish(),
            AgentsCommand::Unset { account, key, sync } => formatter
                .debug_struct("Unset")
                .field("account", account)
                .field("key", key)
                .field("sync", sync)
                .finish(),
        }
    }
}

/// The names the CLI takes for an account: its wire name, or kebab-case.
fn parse_account(text: &str) -> Result<AccountKind, String> {
    AccountKind::ALL
        .into_iter()
        .find(|account| {
            let wire = account.as_str();
            text == wire || text == kebab(wire) || text.eq_ignore_ascii_case(account.display_name())
        })
        .ok_or_else(|| "one of claude-code, codex, opencode, github".to_owned())
}

fn kebab(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A secret given on the command line, else read from stdin (a prompt-free line when stdin is
/// a terminal, the whole input trimmed of its final newline otherwise).
fn value_or_stdin(value: Option<String>, what: &str) -> anyhow::Result<String> {
    if let Some(value) = value.filter(|value| value != "-") {
        return Ok(value);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{what}: ");
        let mut line = String::new();
        stdin.read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let mut read = String::new();
    stdin.lock().take(1024 * 1024).read_to_string(&mut read)?;
    Ok(read.trim_end_matches(['\n', '\r']).to_owned())
}

pub async fn env(context: &Context, args: EnvArgs) -> anyhow::Result<()> {
    let client = context.client()?;
    let sync = match args.command.unwrap_or(EnvCommand::List { json: false }) {
        EnvCommand::List { json } => {
            let settings = client.call::<SettingsGet>(&Void).await?;
            if json {
                return output::print_json(&settings.env);
            }
            print_secrets(
                "No environment variables yet: `perry config env set NAME`",
                &settings.env,
            );
            return Ok(());
        }
        EnvCommand::Set { name, value, sync } => {
            let value = value_or_stdin(value, &format!("Value of {name}"))?;
            client
                .call::<SettingsSetEnv>(&EnvSetInput {
                    name: name.clone(),
                    value,
                })
                .await?;
            println!("Set {name} for every workspace.");
            sync
        }
        EnvCommand::Unset { name, sync } => {
            client
                .call::<SettingsUnsetEnv>(&EnvNameInput { name: name.clone() })
                .await?;
            println!("Removed {name}.");
            sync
        }
    };
    finish(context, sync).await
}

pub async fn files(context: &Context, args: FilesArgs) -> anyhow::Result<()> {
    let client = context.client()?;
    let sync = match args.command.unwrap_or(FilesCommand::List { json: false }) {
        FilesCommand::List { json } => {
            let settings = client.call::<SettingsGet>(&Void).await?;
            if json {
                return output::print_json(&settings.files);
            }
            if settings.files.is_empty() {
                println!(
                    "No files copied into workspaces yet: `perry config files set ~/.npmrc ~/.npmrc`"
                );
            }
            for file in &settings.files {
                println!("{} → {}", file.host, file.workspace);
            }
            return Ok(());
        }
        FilesCommand::Set {
            host,
            workspace,
            sync,
        } => {
            client
                .call::<SettingsSetFile>(&FileMapping {
                    host: host.clone(),
                    workspace: workspace.clone(),
                })
                .await?;
            println!("{host} is copied to {workspace} in every workspace.");
            sync
        }
        FilesCommand::Unset { host, sync } => {
            client
                .call::<SettingsUnsetFile>(&FileHostInput { host: host.clone() })
                .await?;
            println!("{host} is no longer copied into workspaces.");
            sync
        }
    };
    finish(context, sync).await
}

pub async fn agents(context: &Context, args: AgentsArgs) -> anyhow::Result<()> {
    let client = context.client()?;
    let sync = match args.command.unwrap_or(AgentsCommand::List { json: false }) {
        AgentsCommand::List { json } => {
            let settings = client.call::<SettingsGet>(&Void).await?;
            if json {
                return output::print_json(&settings.accounts);
            }
            let secrets: Vec<SecretInfo> = settings
                .accounts
                .iter()
                .map(|account| SecretInfo {
                    name: format!("{} {}", account.account.display_name(), account.secret.name),
                    ..account.secret.clone()
                })
                .collect();
            print_secrets(
                "No coding-agent keys yet: `perry config agents set claude-code apiKey`",
                &secrets,
            );
            return Ok(());
        }
        AgentsCommand::Set {
            account,
            key,
            value,
            sync,
        } => {
            let value = value_or_stdin(value, &format!("{} {key}", account.display_name()))?;
            client
                .call::<SettingsSetAccount>(&AccountSetInput {
                    account,
                    key: key.clone(),
                    value,
                })
                .await?;
            println!(
                "Set the {key} of {} for every workspace.",
                account.display_name()
            );
            sync
        }
        AgentsCommand::Unset { account, key, sync } => {
            client
                .call::<SettingsUnsetAccount>(&AccountKeyInput {
                    account,
                    key: key.clone(),
                })
                .await?;
            println!("Removed the {key} of {}.", account.display_name());
            sync
        }
    };
    finish(context, sync).await
}

fn print_secrets(empty: &str, secrets: &[SecretInfo]) {
    if secrets.is_empty() {
        println!("{empty}");
        return;
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["NAME", "SET", "FINGERPRINT"]);
    for secret in secrets {
        table.add_row([
            secret.name.clone(),
            secret
                .set_at
                .clone()
                .unwrap_or_else(|| "by hand".to_owned()),
            secret.fingerprint.clone(),
        ]);
    }
    println!("{table}");
}

/// After a change: sync the running workspaces when asked, else say how.
async fn finish(context: &Context, sync: bool) -> anyhow::Result<()> {
    if !sync {
        println!("Running workspaces get it at their next start, or now: perry sync --all");
        return Ok(());
    }
    let results = context.client()?.call::<WorkspacesSyncAll>(&Void).await?;
    let mut failed = 0;
    for result in &results {
        let failures: Vec<String> = result
            .error
            .iter()
            .cloned()
            .chain(result.items.iter().filter_map(|item| {
                item.error
                    .as_ref()
                    .map(|error| format!("{}: {error}", item.what))
            }))
            .collect();
        if failures.is_empty() {
            println!("✓ {}", result.name);
        } else {
            failed += 1;
            println!("✗ {}: {}", result.name, failures.join("; "));
        }
    }
    if results.is_empty() {
        println!("No workspace is running; each gets it when it starts.");
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} workspaces did not take everything",
            results.len()
        );
    }
    Ok(())
}
