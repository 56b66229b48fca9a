//! `perry config env|files|agents|scripts|mcp|skills|ssh …`: the settings the agent puts into every workspace
//! (`settings.*`), managed from wherever the CLI is. Secrets are read from stdin when not given
//! (so they stay out of shell history) and never printed back: a list shows names, when each
//! was set and a fingerprint.

use std::io::{IsTerminal, Read};

use clap::Subcommand;
use perry_api::procedures::{
    SettingsGet, SettingsSetAccount, SettingsSetEnv, SettingsSetFile, SettingsSetMcpServer,
    SettingsSetScript, SettingsSetSkill, SettingsSetSshKey, SettingsSshKeys, SettingsUnsetAccount,
    SettingsUnsetEnv, SettingsUnsetFile, SettingsUnsetMcpServer, SettingsUnsetScript,
    SettingsUnsetSkill, SettingsUnsetSshKey, Void, WorkspacesSyncAll,
};
use perry_api::sessions::SessionAgent;
use perry_api::settings::{
    AccountKeyInput, AccountKind, AccountSetInput, EnvNameInput, EnvSetInput, FileHostInput,
    FileMapping, McpServer, McpServerSetInput, PostStartScript, ScriptSetInput, SecretInfo,
    SettingNameInput, Skill, SkillSetInput, SshKeyInput, SshKeyKind,
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

/// `perry config scripts [COMMAND]`.
#[derive(Debug, clap::Args)]
pub struct ScriptsArgs {
    #[command(subcommand)]
    command: Option<ScriptsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ScriptsCommand {
    /// The post-start scripts, in the order they run (the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a script (or change it with --replace), read from FILE or stdin: it runs as
    /// `workspace` after every start, its output in `perry logs`.
    Set {
        name: String,
        /// The script's file; stdin when absent or `-`.
        file: Option<std::path::PathBuf>,
        /// Seconds it may run (default 300).
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u32>,
        /// Only in this workspace (repeat for more); every workspace when absent.
        #[arg(long = "workspace", value_name = "NAME")]
        workspaces: Vec<String>,
        /// Where in the order (0 is first).
        #[arg(long)]
        position: Option<u32>,
        /// Change the script of that name.
        #[arg(long)]
        replace: bool,
    },
    /// Remove a script.
    Unset { name: String },
}

/// `perry config mcp [COMMAND]`.
#[derive(Debug, clap::Args)]
pub struct McpArgs {
    #[command(subcommand)]
    command: Option<McpCommand>,
}

/// Its `{:?}` hides the environment's values.
#[derive(Subcommand)]
pub enum McpCommand {
    /// The MCP servers every coding agent gets (the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add an MCP server (or change it with --replace): `--url URL [--sse]`, or the command
    /// after `--`: `perry config mcp set memory -- npx -y @modelcontextprotocol/server-memory`.
    Set {
        name: String,
        #[arg(long, conflicts_with = "command")]
        url: Option<String>,
        /// Server-sent events rather than streamable HTTP.
        #[arg(long, requires = "url")]
        sse: bool,
        /// An environment variable of the command (NAME=VALUE; repeat for more).
        #[arg(long = "env", value_name = "NAME=VALUE", value_parser = parse_assignment)]
        env: Vec<(String, String)>,
        /// Only for this coding agent (claude-code, codex, opencode; repeat for more).
        #[arg(long = "agent", value_parser = parse_coding_agent)]
        agents: Vec<SessionAgent>,
        /// Keep it, but give it to no coding agent.
        #[arg(long)]
        disabled: bool,
        #[arg(long)]
        replace: bool,
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Remove an MCP server.
    Unset { name: String },
}

impl std::fmt::Debug for McpCommand {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            McpCommand::List { json } => {
                formatter.debug_struct("List").field("json", json).finish()
            }
            McpCommand::Set {
                name,
                url,
                sse,
                env,
                agents,
                disabled,
                replace,
                command,
            } => formatter
                .debug_struct("Set")
                .field("name", name)
                .field("url", url)
                .field("sse", sse)
                .field("env", &env.iter().map(|(name, _)| name).collect::<Vec<_>>())
                .field("agents", agents)
                .field("disabled", disabled)
                .field("replace", replace)
                .field("command", command)
                .finish(),
            McpCommand::Unset { name } => {
                formatter.debug_struct("Unset").field("name", name).finish()
            }
        }
    }
}

/// `perry config skills [COMMAND]`.
#[derive(Debug, clap::Args)]
pub struct SkillsArgs {
    #[command(subcommand)]
    command: Option<SkillsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum SkillsCommand {
    /// The skills every coding agent gets (the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a skill (or change it with --replace); its instructions (Markdown) from FILE or stdin.
    Set {
        name: String,
        /// When to use it, in one line.
        #[arg(long)]
        description: String,
        file: Option<std::path::PathBuf>,
        #[arg(long = "agent", value_parser = parse_coding_agent)]
        agents: Vec<SessionAgent>,
        #[arg(long)]
        disabled: bool,
        #[arg(long)]
        replace: bool,
    },
    /// Remove a skill.
    Unset { name: String },
}

/// `perry config ssh [COMMAND]`.
#[derive(Debug, clap::Args)]
pub struct SshArgs {
    #[command(subcommand)]
    command: Option<SshCommand>,
}

#[derive(Debug, Subcommand)]
pub enum SshCommand {
    /// The host's keys, which are copied into workspaces, which may log in (the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Copy a private key of the agent's user (~/.ssh/<KEY> and its .pub) into workspaces.
    Copy {
        key: String,
        #[arg(long = "workspace", value_name = "NAME")]
        workspaces: Vec<String>,
    },
    /// Stop copying a key.
    Uncopy { key: String },
    /// Let a public key log in over SSH: the key's line, or a .pub file.
    Authorize {
        key: String,
        #[arg(long = "workspace", value_name = "NAME")]
        workspaces: Vec<String>,
    },
    /// Stop letting a public key log in.
    Unauthorize { key: String },
}

fn parse_assignment(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| "give NAME=VALUE".to_owned())
}

fn parse_coding_agent(text: &str) -> Result<SessionAgent, String> {
    serde_json::from_value(serde_json::json!(text))
        .map_err(|_| "one of claude-code, codex, opencode".to_owned())
}

/// The text of `file`, or stdin when it is absent or `-`.
fn file_or_stdin(file: Option<std::path::PathBuf>) -> anyhow::Result<String> {
    match file.filter(|file| file.as_os_str() != "-") {
        Some(file) => std::fs::read_to_string(&file)
            .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", file.display())),
        None => {
            let mut read = String::new();
            std::io::stdin()
                .lock()
                .take(1024 * 1024)
                .read_to_string(&mut read)?;
            Ok(read)
        }
    }
}

fn scope_text(workspaces: &[String]) -> String {
    if workspaces.is_empty() {
        "every workspace".to_owned()
    } else {
        workspaces.join(", ")
    }
}

fn agents_text(agents: &[SessionAgent]) -> String {
    if agents.is_empty() {
        "every coding agent".to_owned()
    } else {
        agents
            .iter()
            .map(|agent| agent.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub async fn scripts(context: &Context, args: ScriptsArgs) -> anyhow::Result<()> {
    let client = context.client()?;
    match args.command.unwrap_or(ScriptsCommand::List { json: false }) {
        ScriptsCommand::List { json } => {
            let settings = client.call::<SettingsGet>(&Void).await?;
            if json {
                return output::print_json(&settings.scripts);
            }
            if settings.scripts.is_empty() {
                println!("No post-start scripts yet: `perry config scripts set deps setup.sh`");
            }
            for (index, script) in settings.scripts.iter().enumerate() {
                println!(
                    "{}. {} ({} lines, {} s limit, {})",
                    index + 1,
                    script.name,
                    script.script.lines().count(),
                    script
                        .timeout_seconds
                        .unwrap_or(perry_api::settings::DEFAULT_SCRIPT_TIMEOUT_SECONDS),
                    scope_text(&script.workspaces)
                );
            }
        }
        ScriptsCommand::Set {
            name,
            file,
            timeout,
            workspaces,
            position,
            replace,
        } => {
            let script = file_or_stdin(file)?;
            client
                .call::<SettingsSetScript>(&ScriptSetInput {
                    script: PostStartScript {
                        name: name.clone(),
                        script,
                        timeout_seconds: timeout,
                        workspaces,
                    },
                    position,
                    replace,
                })
                .await?;
            println!("{name} runs after every start of a workspace it is for.");
        }
        ScriptsCommand::Unset { name } => {
            client
                .call::<SettingsUnsetScript>(&SettingNameInput { name: name.clone() })
                .await?;
            println!("Removed {name}.");
        }
    }
    Ok(())
}

pub async fn mcp(context: &Context, args: McpArgs) -> anyhow::Result<()> {
    let client = context.client()?;
    match args.command.unwrap_or(McpCommand::List { json: false }) {
        McpCommand::List { json } => {
            let settings = client.call::<SettingsGet>(&Void).await?;
            if json {
                return output::print_json(&settings.mcp_servers);
            }
            if settings.mcp_servers.is_empty() {
                println!(
                    "No MCP servers yet: `perry config mcp set memory -- npx -y @modelcontextprotocol/server-memory`"
                );
            }
            for server in &settings.mcp_servers {
                let target = match (&server.command, &server.url) {
                    (Some(command), _) => command.join(" "),
                    (None, Some(url)) => format!("{url}{}", if server.sse { " (SSE)" } else { "" }),
                    (None, None) => String::new(),
                };
                println!(
                    "{}{}: {target} → {}{}",
                    server.name,
                    if server.enabled { "" } else { " (disabled)" },
                    agents_text(&server.agents),
                    if server.env_names.is_empty() {
                        String::new()
                    } else {
                        format!(" [env: {}]", server.env_names.join(", "))
                    }
                );
            }
            return Ok(());
        }
        McpCommand::Set {
            name,
            url,
            sse,
            env,
            agents,
            disabled,
            replace,
            command,
        } => {
            client
                .call::<SettingsSetMcpServer>(&McpServerSetInput {
                    server: McpServer {
                        name: name.clone(),
                        enabled: !disabled,
                        agents,
                        command: (!command.is_empty()).then_some(command),
                        env: (!env.is_empty()).then(|| env.into_iter().collect()),
                        url,
                        sse,
                    },
                    replace,
                })
                .await?;
            println!("Saved the MCP server {name}.");
        }
        McpCommand::Unset { name } => {
            client
                .call::<SettingsUnsetMcpServer>(&SettingNameInput { name: name.clone() })
                .await?;
            println!("Removed {name}.");
        }
    }
    finish(context, false).await
}

pub async fn skills(context: &Context, args: SkillsArgs) -> anyhow::Result<()> {
    let client = context.client()?;
    match args.command.unwrap_or(SkillsCommand::List { json: false }) {
        SkillsCommand::List { json } => {
            let settings = client.call::<SettingsGet>(&Void).await?;
            if json {
                return output::print_json(&settings.skills);
            }
            if settings.skills.is_empty() {
                println!(
                    "No skills yet: `perry config skills set release-notes --description 'Use when…' SKILL.md`"
                );
            }
            for skill in &settings.skills {
                println!(
                    "{}{}: {} → {}",
                    skill.name,
                    if skill.enabled { "" } else { " (disabled)" },
                    skill.description,
                    agents_text(&skill.agents)
                );
            }
            return Ok(());
        }
        SkillsCommand::Set {
            name,
            description,
            file,
            agents,
            disabled,
            replace,
        } => {
            let instructions = file_or_stdin(file)?;
            client
                .call::<SettingsSetSkill>(&SkillSetInput {
                    skill: Skill {
                        name: name.clone(),
                        description,
                        instructions,
                        enabled: !disabled,
                        agents,
                    },
                    replace,
                })
                .await?;
            println!("Saved the skill {name}.");
        }
        SkillsCommand::Unset { name } => {
            client
                .call::<SettingsUnsetSkill>(&SettingNameInput { name: name.clone() })
                .await?;
            println!("Removed {name}.");
        }
    }
    finish(context, false).await
}

pub async fn ssh(context: &Context, args: SshArgs) -> anyhow::Result<()> {
    let client = context.client()?;
    let input = |kind, key: String, workspaces| SshKeyInput {
        kind,
        key,
        workspaces,
    };
    /// A public key given as its line, or as the .pub file holding it.
    fn public_key(key: String) -> anyhow::Result<String> {
        if std::path::Path::new(&key).is_file() {
            return Ok(std::fs::read_to_string(&key)?.trim().to_owned());
        }
        Ok(key)
    }
    match args.command.unwrap_or(SshCommand::List { json: false }) {
        SshCommand::List { json } => {
            let keys = client.call::<SettingsSshKeys>(&Void).await?;
            let settings = client.call::<SettingsGet>(&Void).await?;
            if json {
                return output::print_json(
                    &serde_json::json!({"hostKeys": keys, "ssh": settings.ssh}),
                );
            }
            println!("The agent user's keys (their public halves may always log in):");
            for key in &keys {
                let copied = settings
                    .ssh
                    .copy
                    .iter()
                    .find(|choice| choice.key == key.name);
                println!(
                    "  {} {} {} {}{}",
                    key.name,
                    key.key_type,
                    key.fingerprint,
                    key.comment,
                    match copied {
                        Some(choice) =>
                            format!(" — copied into {}", scope_text(&choice.workspaces)),
                        None => String::new(),
                    }
                );
            }
            println!("Also allowed to log in:");
            if settings.ssh.authorized.is_empty() {
                println!("  none (`perry config ssh authorize ~/laptop.pub`)");
            }
            for choice in &settings.ssh.authorized {
                println!("  {} — {}", choice.key, scope_text(&choice.workspaces));
            }
            return Ok(());
        }
        SshCommand::Copy { key, workspaces } => {
            client
                .call::<SettingsSetSshKey>(&input(SshKeyKind::Copy, key.clone(), workspaces))
                .await?;
            println!("~/.ssh/{key} is copied into workspaces.");
        }
        SshCommand::Uncopy { key } => {
            client
                .call::<SettingsUnsetSshKey>(&input(SshKeyKind::Copy, key.clone(), Vec::new()))
                .await?;
            println!("~/.ssh/{key} is no longer copied (copies already made stay).");
        }
        SshCommand::Authorize { key, workspaces } => {
            let key = public_key(key)?;
            client
                .call::<SettingsSetSshKey>(&input(SshKeyKind::Authorized, key, workspaces))
                .await?;
            println!("The key may log in.");
        }
        SshCommand::Unauthorize { key } => {
            let key = public_key(key)?;
            client
                .call::<SettingsUnsetSshKey>(&input(SshKeyKind::Authorized, key, Vec::new()))
                .await?;
            println!("The key may no longer log in.");
        }
    }
    finish(context, false).await
}
