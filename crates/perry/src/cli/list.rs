//! `perry list`: the workspaces of the agent, or of every added agent at once.

use perry_api::Workspace;
use perry_api::procedures::{Void, WorkspacesList};

use super::{Context, output};
use crate::fleet::{Answer, Fleet, first_line};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    if let Some(fleet) = context.fleet()? {
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

/// How long after the first agent's answer the table waits for the others before it is
/// printed; an agent that answers later gets a table of its own below, and one that never
/// does a line when its patience runs out.
const STRAGGLERS_GRACE: std::time::Duration = std::time::Duration::from_millis(50);

/// Every agent's workspaces, asked at once: an agent that does not answer within the fleet's
/// patience is one line saying so (on stderr with `--json`), and fails the command only when
/// none answered. The table shows the agents that answer at once without waiting for those
/// that do not; `--json` is one document, so it waits for all.
async fn list_fleet(fleet: &Fleet, json: bool) -> anyhow::Result<()> {
    if !json {
        return stream_fleet_table(fleet).await;
    }
    let answers = fleet
        .ask(|member| member.client.call::<WorkspacesList>(&Void))
        .await;
    if answers.iter().all(|answer| answer.result.is_err()) {
        anyhow::bail!("No agent answered:\n{}", unreachable_lines(&answers));
    }
    let mut workspaces = Vec::new();
    for answer in &answers {
        match &answer.result {
            Ok(listed) => workspaces.extend(listed.iter().map(|workspace| {
                let mut value = serde_json::json!(workspace);
                value["agent"] = serde_json::json!(answer.member.name);
                value
            })),
            Err(error) => eprintln!("{}: unreachable: {}", answer.member.name, first_line(error)),
        }
    }
    output::print_json(&workspaces)
}

/// The table of every agent's workspaces: printed once all agents answered, or
/// [`STRAGGLERS_GRACE`] after the first did; the rest follow as they answer or give up.
async fn stream_fleet_table(fleet: &Fleet) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    let mut pending = fleet.ask_each(|member| member.client.call::<WorkspacesList>(&Void));
    let mut first = Vec::new();
    if let Some(answer) = pending.next().await {
        first.push(answer);
    }
    let grace = tokio::time::sleep(STRAGGLERS_GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            answer = pending.next() => match answer {
                Some(answer) => first.push(answer),
                None => break,
            },
            () = &mut grace => break,
        }
    }
    first.sort_by(|a, b| a.member.name.cmp(&b.member.name));
    let mut every = first.len();
    let mut answered = first.iter().any(|answer| answer.result.is_ok());
    if first
        .iter()
        .all(|answer| answer.result.as_ref().is_ok_and(Vec::is_empty))
    {
        let names: Vec<&str> = first
            .iter()
            .map(|answer| answer.member.name.as_str())
            .collect();
        println!(
            "No workspaces on {} yet. Create one with `perry start <name>` (or `--on <agent>`).",
            names.join(", ")
        );
    } else {
        println!("{}", table_of(&first));
    }
    while let Some(answer) = pending.next().await {
        every += 1;
        answered |= answer.result.is_ok();
        println!("{}", table_of(std::slice::from_ref(&answer)));
    }
    if !answered && every > 0 {
        anyhow::bail!("No agent answered; `perry agents list` shows each");
    }
    Ok(())
}

/// The table of some agents' answers.
fn table_of(answers: &[Answer<'_, Vec<Workspace>>]) -> String {
    let listings: Vec<output::AgentListing<'_>> = answers
        .iter()
        .map(|answer| {
            (
                answer.member.name.as_str(),
                answer
                    .result
                    .as_ref()
                    .map(|listed| listed.as_slice())
                    .map_err(|error| first_line(error)),
            )
        })
        .collect();
    output::fleet_workspace_table(&listings)
}

fn unreachable_lines(answers: &[Answer<'_, Vec<Workspace>>]) -> String {
    answers
        .iter()
        .filter_map(|answer| {
            let error = answer.result.as_ref().err()?;
            Some(format!("  {}: {}", answer.member.name, first_line(error)))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
