//! `perry agents add|list|remove|default`: the person's agents by name, kept in client.json
//! (0600, with their tokens), seen and driven as one fleet.

use std::time::Duration;

use clap::Subcommand;
use perry_agent::state::ConfigFile;
use perry_api::AgentInfo;
use perry_api::procedures::{AgentInfoCall, Void};
use serde_json::json;

use super::{Context, output};
use crate::client::{AgentClient, CallError, ClientFile, WorkerSource};
use crate::fleet::{Fleet, first_line, unknown_agent};

/// How long `perry agents add` waits for the agent it checks.
const ADD_PATIENCE: Duration = Duration::from_secs(5);

/// Its `{:?}` hides the token.
#[derive(Subcommand)]
pub enum Command {
    /// Add an agent under a name: its host, host:port, URL, or the sign-in URL its web UI
    /// shows (which carries the token). It is asked first; nothing is saved if it does not
    /// answer as a Perry agent with that token.
    Add {
        name: String,
        /// host, host:port, http(s)://host:port, or http(s)://host:port/?token=…
        address: String,
        /// The agent's token (its config.json's), when the address does not carry it.
        #[arg(long)]
        token: Option<String>,
    },
    /// Each agent's health, version, engine, workspaces, free CPU and memory, and round trip.
    #[command(alias = "ls")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Forget an agent (its workspaces stay where they are).
    #[command(alias = "rm")]
    Remove { name: String },
    /// The agent a command goes to when it names none.
    Default { name: String },
}

impl std::fmt::Debug for Command {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Add {
                name,
                address,
                token,
            } => formatter
                .debug_struct("Add")
                .field("name", name)
                // A sign-in URL carries the token.
                .field(
                    "address",
                    &perry_agent::state::redact::secret(&Some(address)),
                )
                .field("token", &perry_agent::state::redact::secret(token))
                .finish(),
            Command::List { json } => formatter.debug_struct("List").field("json", json).finish(),
            Command::Remove { name } => formatter
                .debug_struct("Remove")
                .field("name", name)
                .finish(),
            Command::Default { name } => formatter
                .debug_struct("Default")
                .field("name", name)
                .finish(),
        }
    }
}

pub async fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Add {
            name,
            address,
            token,
        } => add(context, &name, &address, token).await,
        Command::List { json } => list(context, json).await,
        Command::Remove { name } => remove(context, &name),
        Command::Default { name } => set_default(context, &name),
    }
}

/// Whether `url` is this machine, whose agent's token the CLI can read from its config.json.
fn is_this_machine(url: &str) -> bool {
    reqwest::Url::parse(url)
        .is_ok_and(|url| matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")))
}

async fn add(
    context: &Context,
    name: &str,
    address: &str,
    token: Option<String>,
) -> anyhow::Result<()> {
    perry_agent::peers::check_peer_name(name).map_err(|error| anyhow::anyhow!("{error}"))?;
    let (url, token_in_address) =
        perry_agent::peers::parse_address(address).map_err(anyhow::Error::msg)?;
    let token = match (token.map(|token| token.trim().to_owned()), token_in_address) {
        (Some(given), Some(carried)) if given != carried => {
            anyhow::bail!("--token and the token in {address:?} differ; give one of them")
        }
        (Some(token), _) | (None, Some(token)) => Some(token),
        (None, None) if is_this_machine(&url) => ConfigFile::read(&context.config_dir)
            .ok()
            .flatten()
            .map(|config| config.token().to_owned())
            .filter(|token| !token.is_empty()),
        (None, None) => None,
    };
    let file = ClientFile::read(&context.config_dir)?;
    if file.agents.contains_key(name) {
        anyhow::bail!(
            "An agent named {name:?} is already added ({}); remove it first with `perry agents remove {name}`",
            file.agents[name].url
        );
    }
    if let Some((other, _)) = file.agents.iter().find(|(_, agent)| agent.url == url) {
        anyhow::bail!("{url} is already added as {other:?}");
    }
    let client = AgentClient::new(
        &url,
        WorkerSource::Adding,
        token.clone(),
        file.ca.as_deref(),
    )?;
    let info = match tokio::time::timeout(ADD_PATIENCE, client.call::<AgentInfoCall>(&Void)).await {
        Err(_) => anyhow::bail!(
            "{url} did not answer within {} s; nothing was saved",
            ADD_PATIENCE.as_secs()
        ),
        Ok(Err(CallError::Rpc(error))) if error.code == perry_api::ErrorCode::Unauthorized => {
            anyhow::bail!(
                "The agent at {url} refused the token{}; give the token from its config.json with --token, or the sign-in URL its web UI shows. Nothing was saved",
                if token.is_none() {
                    " (none was given)"
                } else {
                    ""
                }
            )
        }
        Ok(Err(error)) => anyhow::bail!("{error}\nNothing was saved."),
        Ok(Ok(info)) => info,
    };
    let made_default = file.agents.is_empty() && file.default_agent.is_none();
    ClientFile::update(&context.config_dir, |object| {
        let agents = object
            .entry("agents")
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if let Some(agents) = agents.as_object_mut() {
            let mut agent = json!({ "url": url });
            if let Some(token) = &token {
                agent["token"] = json!(token);
            }
            agents.insert(name.to_owned(), agent);
        }
        if made_default {
            object.insert("defaultAgent".to_owned(), json!(name));
        }
    })?;
    println!(
        "Added agent {name}: {url} (Perry {} on {}, {}, {} workspace(s)){}.",
        info.version,
        info.hostname,
        engine_of(&info),
        info.workspaces_count,
        if made_default { ", the default" } else { "" }
    );
    Ok(())
}

/// `docker 20.10.24` or `kubernetes v1.20.2`.
fn engine_of(info: &AgentInfo) -> String {
    match &info.engine {
        Some(engine) => format!(
            "{} {}",
            engine.kind,
            engine.version.as_deref().unwrap_or("(not answering)")
        ),
        None => format!(
            "docker {}",
            info.docker_version.as_deref().unwrap_or("(not answering)")
        ),
    }
}

/// The fleet, or the error that says how to make one.
fn fleet(context: &Context) -> anyhow::Result<Fleet> {
    context.fleet()?.ok_or_else(|| {
        anyhow::anyhow!(
            "No agents added yet (or --worker/PERRY_WORKER points at one agent): add one with `perry agents add <name> <host[:port]>`"
        )
    })
}

async fn list(context: &Context, json: bool) -> anyhow::Result<()> {
    let fleet = fleet(context)?;
    let answers = fleet
        .ask(|member| member.client.call::<AgentInfoCall>(&Void))
        .await;
    if json {
        let agents: Vec<_> = answers
            .iter()
            .map(|answer| {
                let mut agent = json!({
                    "name": answer.member.name,
                    "url": answer.member.client.base_url(),
                    "default": fleet.default == answer.member.name,
                    "roundTripMs": answer.round_trip.as_secs_f64() * 1000.0,
                });
                match &answer.result {
                    Ok(info) => agent["info"] = json!(info),
                    Err(error) => agent["error"] = json!(error),
                }
                agent
            })
            .collect();
        return output::print_json(&agents);
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header([
        "NAME",
        "URL",
        "STATUS",
        "VERSION",
        "ENGINE",
        "WORKSPACES",
        "CPUS",
        "MEMORY FREE",
        "LOAD",
        "ROUND TRIP",
    ]);
    for answer in &answers {
        let name = if fleet.default == answer.member.name {
            format!("{} *", answer.member.name)
        } else {
            answer.member.name.clone()
        };
        let url = answer.member.client.base_url().to_owned();
        let row = match &answer.result {
            Ok(info) => {
                let capacity = info.capacity.as_ref();
                let workspaces = match capacity {
                    Some(capacity) => format!(
                        "{} ({} running)",
                        info.workspaces_count, capacity.running_workspaces
                    ),
                    None => info.workspaces_count.to_string(),
                };
                let memory = match capacity.and_then(|capacity| capacity.memory_available_mb) {
                    Some(free) => format!(
                        "{:.1} of {:.1} GiB",
                        free as f64 / 1024.0,
                        capacity
                            .and_then(|capacity| capacity.memory_total_mb)
                            .unwrap_or_default() as f64
                            / 1024.0
                    ),
                    None => "-".to_owned(),
                };
                vec![
                    name,
                    url,
                    output::paint("32", "ok"),
                    info.version.clone(),
                    engine_of(info),
                    workspaces,
                    capacity
                        .and_then(|capacity| capacity.cpus)
                        .map_or("-".to_owned(), |cpus| cpus.to_string()),
                    memory,
                    capacity
                        .and_then(|capacity| capacity.load1)
                        .map_or("-".to_owned(), |load| format!("{load:.2}")),
                    format!("{:.0} ms", answer.round_trip.as_secs_f64() * 1000.0),
                ]
            }
            Err(error) => vec![
                name,
                url,
                output::paint("31", &format!("unreachable: {}", first_line(error))),
            ],
        };
        table.add_row(row);
    }
    println!("{table}");
    Ok(())
}

/// client.json, when it has an agent `name`; else the error naming the agents it has.
fn with_agent(context: &Context, name: &str) -> anyhow::Result<ClientFile> {
    let file = ClientFile::read(&context.config_dir)?;
    if !file.agents.contains_key(name) {
        anyhow::bail!(
            "{}",
            unknown_agent(name, file.agents.keys().map(String::as_str))
        );
    }
    Ok(file)
}

fn remove(context: &Context, name: &str) -> anyhow::Result<()> {
    let file = with_agent(context, name)?;
    let next_default = match file.default_agent.as_deref() {
        Some(default) if default != name => Some(default.to_owned()),
        _ => None,
    };
    ClientFile::update(&context.config_dir, |object| {
        if let Some(agents) = object
            .get_mut("agents")
            .and_then(serde_json::Value::as_object_mut)
        {
            agents.remove(name);
        }
        match &next_default {
            Some(default) => {
                object.insert("defaultAgent".to_owned(), json!(default));
            }
            None => {
                object.remove("defaultAgent");
            }
        }
    })?;
    println!("Removed agent {name}; its workspaces stay where they are.");
    Ok(())
}

fn set_default(context: &Context, name: &str) -> anyhow::Result<()> {
    with_agent(context, name)?;
    ClientFile::update(&context.config_dir, |object| {
        object.insert("defaultAgent".to_owned(), json!(name));
    })?;
    println!("Commands that name no agent now go to {name}.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_token_given_or_carried_by_a_sign_in_url() {
        use clap::Parser as _;
        for args in [
            [
                "perry",
                "agents",
                "add",
                "home",
                "box",
                "--token",
                "given-0123456789",
            ],
            [
                "perry",
                "agents",
                "add",
                "home",
                "http://box/?token=carried-0123456789",
                "--token",
                "given-0123456789",
            ],
        ] {
            let cli = crate::cli::Cli::try_parse_from(args).unwrap();
            let shown = format!("{cli:?} {cli:#?}");
            assert!(
                !shown.contains("given-0123456789") && !shown.contains("carried-0123456789"),
                "{shown}"
            );
            assert!(
                shown.contains("Add") && shown.contains("<redacted>"),
                "{shown}"
            );
        }
    }

    #[test]
    fn this_machine_is_known_by_its_loopback_names() {
        assert!(is_this_machine("http://localhost:7391"));
        assert!(is_this_machine("http://127.0.0.1:7000"));
        assert!(is_this_machine("http://[::1]:7391"));
        assert!(!is_this_machine("http://closet:7391"));
    }
}
