//! `perry start <name>`: starts a workspace, creating it first when it does not exist.

use anyhow::bail;
use perry_api::procedures::{WorkspacesCreate, WorkspacesStart};
use perry_api::{CreateWorkspaceInput, WorkspaceLimits, WorkspaceNameInput, WorkspaceStatus};

use super::{Context, output};
use crate::client::CallError;

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
    /// For a new workspace: CPUs it may use, e.g. 1.5 (0: no limit; default: the agent's).
    #[arg(long, value_name = "N")]
    cpus: Option<f64>,
    /// For a new workspace: its memory, e.g. 4g or 512m, swap included (0: no limit).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_mb)]
    memory: Option<u32>,
    /// For a new workspace: processes and threads at once (0: no limit; default: the agent's).
    #[arg(long, value_name = "N")]
    pids: Option<u32>,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let client = context.client()?;
    let limits = WorkspaceLimits {
        cpus: args.cpus,
        memory_mb: args.memory,
        pids: args.pids,
    };
    let limits = (!limits.is_empty()).then_some(limits);
    let started = client
        .call::<WorkspacesStart>(&WorkspaceNameInput {
            name: args.name.clone(),
        })
        .await;
    // Only a workspace that does not exist is created; any other NOT_FOUND is the answer.
    let created = matches!(&started, Err(CallError::Rpc(error))
        if error.missing_workspace() == Some(args.name.as_str()));
    let workspace = match started {
        _ if created => {
            if !args.json {
                eprintln!("Creating workspace {}…", args.name);
            }
            client
                .call::<WorkspacesCreate>(&CreateWorkspaceInput {
                    name: args.name.clone(),
                    image: args.image.clone(),
                    clone: args.clone.clone(),
                    limits,
                })
                .await?
        }
        other => {
            if args.clone.is_some() && !args.json {
                eprintln!(
                    "note: {} exists already; --clone only applies when a workspace is created (use `perry exec {} -- git clone <url>`)",
                    args.name, args.name
                );
            }
            if limits.is_some() && !args.json {
                eprintln!(
                    "note: {} exists already; --cpus, --memory and --pids only apply when a workspace is created",
                    args.name
                );
            }
            other?
        }
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
