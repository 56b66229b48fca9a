//! `perry sync <name>` and `perry sync --all`: copy the host's credentials (config.json's
//! `credentials`), git config, public keys and the worker into workspaces again.

use anyhow::bail;
use perry_api::procedures::{Void, WorkspacesList, WorkspacesSync};
use perry_api::{SyncOutput, WorkspaceNameInput, WorkspaceStatus};
use serde::Serialize;

use super::{Context, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    name: Option<String>,
    /// Every running workspace, with a summary of successes and failures.
    #[arg(long)]
    all: bool,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

/// What one workspace's sync came to, for `--json`.
#[derive(Debug, Serialize)]
struct Outcome {
    name: String,
    #[serde(flatten)]
    result: OutcomeResult,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum OutcomeResult {
    Synced(SyncOutput),
    Failed { error: String },
}

impl Outcome {
    fn failed(&self) -> bool {
        match &self.result {
            OutcomeResult::Synced(output) => output.failures().next().is_some(),
            OutcomeResult::Failed { .. } => true,
        }
    }
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let (client, names) = match &args.name {
        Some(name) => {
            let (client, name) = context.locate(name).await?;
            (client, vec![name])
        }
        None => {
            let client = context.client()?;
            let workspaces = client.call::<WorkspacesList>(&Void).await?;
            let names = workspaces
                .into_iter()
                .filter(|workspace| workspace.status == WorkspaceStatus::Running)
                .map(|workspace| workspace.name)
                .collect();
            (client, names)
        }
    };
    let mut outcomes = Vec::new();
    for name in names {
        let input = WorkspaceNameInput { name };
        let result = match client.call::<WorkspacesSync>(&input).await {
            Ok(output) => OutcomeResult::Synced(output),
            // One workspace failing must not hide the others' results under --all.
            Err(error) if args.all => OutcomeResult::Failed {
                error: error.to_string(),
            },
            Err(error) => return Err(error.into()),
        };
        outcomes.push(Outcome {
            name: input.name,
            result,
        });
    }
    if args.json {
        output::print_json(&outcomes)?;
    } else {
        print_summary(&outcomes, args.all);
    }
    let failed = outcomes.iter().filter(|outcome| outcome.failed()).count();
    if failed > 0 {
        bail!(
            "{failed} of {} workspace{} did not sync completely",
            outcomes.len(),
            if outcomes.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

fn print_summary(outcomes: &[Outcome], all: bool) {
    if all && outcomes.is_empty() {
        println!("No running workspaces to sync");
        return;
    }
    for outcome in outcomes {
        match &outcome.result {
            OutcomeResult::Synced(output) => {
                println!("{}:", outcome.name);
                for item in &output.items {
                    match &item.error {
                        None => println!("  ✓ {}", item.what),
                        Some(error) => println!("  ✗ {}: {error}", item.what),
                    }
                }
                if output.items.is_empty() {
                    println!(
                        "  nothing to sync (no credentials in config.json, no ~/.gitconfig or ~/.ssh/*.pub)"
                    );
                }
            }
            OutcomeResult::Failed { error } => println!("{}:\n  ✗ {error}", outcome.name),
        }
    }
    if all {
        let failed = outcomes.iter().filter(|outcome| outcome.failed()).count();
        println!(
            "Synced {} of {} workspaces{}",
            outcomes.len() - failed,
            outcomes.len(),
            if failed > 0 {
                format!("; {failed} failed")
            } else {
                String::new()
            }
        );
    }
}
