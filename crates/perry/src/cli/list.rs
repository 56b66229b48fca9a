//! `perry list`: the workspaces of the agent, or of every added agent at once.

use perry_api::procedures::{Void, WorkspacesList};

use super::{Context, output};
use crate::fleet::Fleet;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    if let Some(fleet) = Fleet::load(&context.config_dir, context.worker.as_deref())? {
        return list_fleet(&fleet, args.json).await;
    }
    let workspaces = context.client()?.call::<WorkspacesList>(&Void).await?;
    if args.json {
        return output::print_json(&workspaces);
    }
    if workspaces.is_empty() {
        println!("No workspaces yet. Create one with `perry start <name>`.");
        return Ok(());
    }
    println!("{}", output::workspace_table(&workspaces));
    Ok(())
}

/// Every agent's workspaces, asked at once: an agent that does not answer within the fleet's
/// patience is one line saying so (on stderr with `--json`), and fails the command only when
/// none answered.
async fn list_fleet(fleet: &Fleet, json: bool) -> anyhow::Result<()> {
    let answers = fleet
        .ask(|member| member.client.call::<WorkspacesList>(&Void))
        .await;
    let first_lines: Vec<String> = answers
        .iter()
        .map(|answer| match &answer.result {
            Ok(_) => String::new(),
            Err(error) => error.lines().next().unwrap_or_default().to_owned(),
        })
        .collect();
    if answers.iter().all(|answer| answer.result.is_err()) {
        anyhow::bail!(
            "No agent answered:\n{}",
            answers
                .iter()
                .zip(&first_lines)
                .map(|(answer, error)| format!("  {}: {error}", answer.member.name))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if json {
        let mut workspaces = Vec::new();
        for (answer, error) in answers.iter().zip(&first_lines) {
            match &answer.result {
                Ok(listed) => workspaces.extend(listed.iter().map(|workspace| {
                    let mut value = serde_json::json!(workspace);
                    value["agent"] = serde_json::json!(answer.member.name);
                    value
                })),
                Err(_) => eprintln!("{}: unreachable: {error}", answer.member.name),
            }
        }
        return output::print_json(&workspaces);
    }
    let listings: Vec<output::AgentListing<'_>> = answers
        .iter()
        .zip(&first_lines)
        .map(|(answer, error)| {
            (
                answer.member.name.as_str(),
                answer
                    .result
                    .as_ref()
                    .map(|listed| listed.as_slice())
                    .map_err(|_| error.as_str()),
            )
        })
        .collect();
    println!("{}", output::fleet_workspace_table(&listings));
    Ok(())
}
