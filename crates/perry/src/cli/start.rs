//! `perry start <name>`: starts a workspace, creating it first when it does not exist.

use anyhow::bail;
use perry_api::procedures::{WorkspacesCreate, WorkspacesStart};
use perry_api::{
    CreateWorkspaceInput, ErrorCode, WorkspaceLimits, WorkspaceNameInput, WorkspaceStatus,
};

use super::{Context, output};
use crate::client::{AgentClient, CallError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    name: String,
    /// Image for a new workspace (default: the agent's imageTag).
    #[arg(long)]
    image: Option<String>,
    /// For a new workspace: clone this git repository into /home/workspace/<repo>, as user
    /// `workspace` with the synced credentials.
    #[arg(long, value_name = "GIT_URL")]
    clone: Option<String>,
    /// For a new workspace with --clone: build it from the repository's
    /// `.devcontainer/<NAME>/devcontainer.json` (default: `.devcontainer/devcontainer.json` or
    /// `.devcontainer.json` when there is one).
    #[arg(long, value_name = "NAME", requires = "clone")]
    devcontainer: Option<String>,
    /// For a new workspace: CPUs it may use, e.g. 1.5 (0: no limit; default: the agent's).
    #[arg(long, value_name = "N")]
    cpus: Option<f64>,
    /// For a new workspace: its memory, e.g. 4g or 512m, swap included (0: no limit).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_mb)]
    memory: Option<u32>,
    /// For a new workspace: processes and threads at once (0: no limit; default: the agent's).
    #[arg(long, value_name = "N")]
    pids: Option<u32>,
    /// For a new workspace, among the agents added with `perry agents add`: the one to make it
    /// on, or `auto` for the one with the most room (see the README's placement policy).
    #[arg(long, value_name = "AGENT|auto")]
    on: Option<String>,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let limits = WorkspaceLimits {
        cpus: args.cpus,
        memory_mb: args.memory,
        pids: args.pids,
    };
    let limits = (!limits.is_empty()).then_some(limits);
    let (candidates, name) = candidates(context, &args).await?;
    let mut outcome = None;
    for (index, client) in candidates.iter().enumerate() {
        match start_or_create(client, &name, &args, limits).await {
            Ok(done) => {
                outcome = Some((client, done));
                break;
            }
            // An agent that cannot take it now is skipped for the next one; an input no agent
            // would take is the answer.
            Err(error) if index + 1 < candidates.len() && another_agent_may(&error) => {
                eprintln!(
                    "{} cannot take {name}: {}; trying the next agent",
                    client.base_url(),
                    crate::fleet::first_line(&error.to_string())
                );
            }
            Err(error) => return Err(error.into()),
        }
    }
    let Some((client, (workspace, created))) = outcome else {
        bail!("no agent to start {name} on");
    };
    if args.json {
        output::print_json(&workspace)?;
    } else {
        println!(
            "{}",
            output::workspace_summary(&workspace, client.base_url())
        );
        if let Some(limits) = workspace.limits.filter(|limits| !limits.is_empty()) {
            println!("Limits: {}", describe_limits(&limits));
        }
        if let Some(note) = output::devcontainer_note(&workspace).filter(|_| created) {
            println!("{note}");
        }
    }
    if workspace.status == WorkspaceStatus::Error {
        bail!("workspace {} did not become ready", workspace.name);
    }
    if let Some(clone) = workspace.clone.as_ref().filter(|_| created) {
        match &clone.error {
            None if !args.json => println!("Cloned {} into {}", clone.url, clone.path),
            None => {}
            Some(error) => bail!(
                "cloning {} failed (the workspace is running; clone again with `perry exec {} -- git clone {}`):\n{error}",
                clone.url,
                workspace.name,
                clone.url
            ),
        }
    }
    Ok(())
}

/// Whether a failure on one agent leaves the next one a chance: anything but an input that no
/// agent would take.
fn another_agent_may(error: &CallError) -> bool {
    !matches!(error, CallError::Rpc(error) if error.code == ErrorCode::BadRequest)
}

/// The agents to try, in order, and the workspace's own name: the one that has it; else, for a
/// new workspace, `--on`'s choice (`auto`: by capacity) or the default agent.
async fn candidates(context: &Context, args: &Args) -> anyhow::Result<(Vec<AgentClient>, String)> {
    let on = args.on.as_deref();
    if let Some((agent, name)) = args.name.split_once('/') {
        if let Some(on) = on.filter(|on| *on != agent) {
            bail!(
                "{} names agent {agent}, and --on {on} another; give one of them",
                args.name
            );
        }
        let (client, name) = context.locate(&format!("{agent}/{name}")).await?;
        return Ok((vec![client], name));
    }
    let name = args.name.clone();
    let Some(fleet) = context.fleet()? else {
        if on.is_some() {
            bail!(
                "--on places a workspace among the agents added with `perry agents add`; none is added (or --worker/PERRY_WORKER points at one agent)"
            );
        }
        return Ok((vec![context.client()?], name));
    };
    let lookup = fleet.find(&name).await?;
    if !lookup.silent.is_empty() && !args.json {
        eprintln!(
            "note: {} did not answer; {name} is on none of the agents that did",
            lookup.silent.join("; ")
        );
    }
    if let Some(holder) = lookup.holder {
        if let Some(on) = on.filter(|on| *on != "auto" && *on != holder.name) {
            bail!(
                "{name} exists on {}; start it there (`perry start {}/{name}`), or give the new one another name than on {on}",
                holder.name,
                holder.name
            );
        }
        return Ok((vec![holder.client.clone()], name));
    }
    let clients = match on {
        None => vec![fleet.default_member().client.clone()],
        Some("auto") => {
            let order = fleet.placement().await;
            if order.is_empty() {
                bail!(
                    "No agent can take {name} now: none answered with its capacity and the workspace image (`perry agents list` shows each)"
                );
            }
            order
                .into_iter()
                .map(|member| member.client.clone())
                .collect()
        }
        Some(agent) => vec![fleet.member(agent)?.client.clone()],
    };
    Ok((clients, name))
}

/// Starts workspace `name` on `client`, creating it when that agent does not have it: the
/// workspace, and whether it was created.
async fn start_or_create(
    client: &AgentClient,
    name: &str,
    args: &Args,
    limits: Option<WorkspaceLimits>,
) -> Result<(perry_api::Workspace, bool), CallError> {
    let started = client
        .call::<WorkspacesStart>(&WorkspaceNameInput {
            name: name.to_owned(),
        })
        .await;
    // Only a workspace that does not exist is created; any other NOT_FOUND is the answer.
    let created = matches!(&started, Err(CallError::Rpc(error))
        if error.missing_workspace() == Some(name));
    if !created {
        if args.clone.is_some() && !args.json {
            eprintln!(
                "note: {name} exists already; --clone only applies when a workspace is created (use `perry exec {name} -- git clone <url>`)"
            );
        }
        if limits.is_some() && !args.json {
            eprintln!(
                "note: {name} exists already; --cpus, --memory and --pids only apply when a workspace is created"
            );
        }
        return started.map(|workspace| (workspace, false));
    }
    if !args.json {
        eprintln!("Creating workspace {name} on {}…", client.base_url());
    }
    let input = CreateWorkspaceInput {
        name: name.to_owned(),
        image: args.image.clone(),
        devcontainer: args.devcontainer.clone(),
        clone: args.clone.clone(),
        limits,
    };
    let create = client.call::<WorkspacesCreate>(&input);
    let created = if args.clone.is_some() && !args.json {
        super::logs::with_build_output(client, name, create).await
    } else {
        create.await
    };
    created.map(|workspace| (workspace, true))
}

/// `2 CPUs, 4096 MiB memory, 8192 processes`: the limits that are set.
fn describe_limits(limits: &WorkspaceLimits) -> String {
    let mut parts = Vec::new();
    if let Some(cpus) = limits.cpus {
        parts.push(format!("{cpus} CPUs"));
    }
    if let Some(memory_mb) = limits.memory_mb {
        parts.push(format!("{memory_mb} MiB memory"));
    }
    if let Some(pids) = limits.pids {
        parts.push(format!("{pids} processes"));
    }
    parts.join(", ")
}

/// `--memory` in MiB: a number with a unit, `512m`, `4g`, `1.5g`, `1t` (also `mb`, `MiB`, `GB`…;
/// binary units, as Docker's `--memory`), or `0` for no limit.
fn parse_memory_mb(text: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.trim_end_matches(|c: char| c.is_ascii_alphabetic()) == "0" {
        return Ok(0);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?} has no unit: write e.g. 512m or 4g"))?;
    let (number, unit) = text.split_at(split);
    let mib_per_unit = match unit.to_ascii_lowercase().as_str() {
        "m" | "mb" | "mib" => 1.0,
        "g" | "gb" | "gib" => 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}: use m, g or t (e.g. 4g)"
            ));
        }
    };
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write e.g. 512m or 4g"))?;
    let mib = (number * mib_per_unit).round();
    if !(1.0..=f64::from(u32::MAX)).contains(&mib) {
        return Err(format!("{text:?} is out of range: write e.g. 512m or 4g"));
    }
    Ok(mib as u32)
}

#[cfg(test)]
mod tests {
    use super::parse_memory_mb;

    #[test]
    fn memory_sizes_are_read_in_mib_and_need_a_unit() {
        for (text, mib) in [
            ("512m", 512),
            ("512MB", 512),
            ("4g", 4096),
            ("4GiB", 4096),
            ("1.5g", 1536),
            ("1t", 1024 * 1024),
            ("0", 0),
            ("0g", 0),
        ] {
            assert_eq!(parse_memory_mb(text), Ok(mib), "{text}");
        }
        for text in ["4096", "4x", "g", "-1g", "1.2.3g", "", "99999t", "0.0001m"] {
            assert!(parse_memory_mb(text).is_err(), "{text} should be refused");
        }
    }
}
