//! `perry list`: the workspaces of the agent, or of every added agent at once.

use perry_api::Workspace;
use perry_api::procedures::{Void, WorkspacesList};

use super::{Context, output};
use crate::fleet::{Answer, Fleet, first_line};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The order: by name; by creation, newest first; or by last use (a terminal or session
    /// opened in it), most recent first and never-used last. Of several agents, each agent's
    /// workspaces are ordered in its part of the table (`--json`: all together).
    #[arg(long, value_enum, default_value_t = SortBy::Name)]
    sort: SortBy,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The orders `perry list --sort` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    Name,
    Created,
    LastUsed,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    if let Some(fleet) = context.fleet()? {
        return list_fleet(&fleet, args.sort, args.json).await;
    }
    let mut workspaces = context.client()?.call::<WorkspacesList>(&Void).await?;
    sort_workspaces(&mut workspaces, args.sort, |workspace| workspace);
    if args.json {
        return output::print_json(&workspaces);
    }
    if workspaces.is_empty() {
        println!("No workspaces yet. Create one with `perry start <name>`.");
        return Ok(());
    }
    println!(
        "{}",
        output::workspace_table(&workspaces, output::unix_now())
    );
    Ok(())
}

/// Puts `items` (workspaces, or values that hold one, as `workspace_of` finds it) in the order
/// `sort` asks for; ties go by name. Times are compared as instants, so a time with an offset
/// sorts where it belongs; one that cannot be read counts as never.
pub fn sort_workspaces<T>(items: &mut [T], sort: SortBy, workspace_of: impl Fn(&T) -> &Workspace) {
    let instant = |time: Option<&str>| time.and_then(output::unix_seconds);
    items.sort_by(|a, b| {
        let (a, b) = (workspace_of(a), workspace_of(b));
        let first = match sort {
            SortBy::Name => std::cmp::Ordering::Equal,
            SortBy::Created => instant(Some(&b.created)).cmp(&instant(Some(&a.created))),
            // `None` is less than any `Some`: reversed, never-used goes last.
            SortBy::LastUsed => {
                instant(b.last_used.as_deref()).cmp(&instant(a.last_used.as_deref()))
            }
        };
        first.then_with(|| a.name.cmp(&b.name))
    });
}

/// How long after the first agent's answer the table waits for the others before it is
/// printed; an agent that answers later gets a table of its own below, and one that never
/// does a line when its patience runs out.
const STRAGGLERS_GRACE: std::time::Duration = std::time::Duration::from_millis(50);

/// Every agent's workspaces, asked at once: an agent that does not answer within the fleet's
/// patience is one line saying so (on stderr with `--json`), and fails the command only when
/// none answered. The table shows the agents that answer at once without waiting for those
/// that do not; `--json` is one document, so it waits for all.
async fn list_fleet(fleet: &Fleet, sort: SortBy, json: bool) -> anyhow::Result<()> {
    if !json {
        return stream_fleet_table(fleet, sort).await;
    }
    let answers = fleet
        .ask(|member| member.client.call::<WorkspacesList>(&Void))
        .await;
    if answers.iter().all(|answer| answer.result.is_err()) {
        anyhow::bail!("No agent answered:\n{}", unreachable_lines(&answers));
    }
    let mut listed: Vec<(&str, &Workspace)> = Vec::new();
    for answer in &answers {
        match &answer.result {
            Ok(workspaces) => listed.extend(
                workspaces
                    .iter()
                    .map(|workspace| (answer.member.name.as_str(), workspace)),
            ),
            Err(error) => eprintln!("{}: unreachable: {}", answer.member.name, first_line(error)),
        }
    }
    // Stable: of one name on two agents, the agents stay in name order.
    sort_workspaces(&mut listed, sort, |(_, workspace)| workspace);
    let workspaces: Vec<serde_json::Value> = listed
        .into_iter()
        .map(|(agent, workspace)| {
            let mut value = serde_json::json!(workspace);
            value["agent"] = serde_json::json!(agent);
            value
        })
        .collect();
    output::print_json(&workspaces)
}

/// The table of every agent's workspaces: printed once all agents answered, or
/// [`STRAGGLERS_GRACE`] after the first did; the rest follow as they answer or give up.
async fn stream_fleet_table(fleet: &Fleet, sort: SortBy) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    let mut pending = fleet.ask_each(|member| async move {
        let mut workspaces = member.client.call::<WorkspacesList>(&Void).await?;
        sort_workspaces(&mut workspaces, sort, |workspace| workspace);
        Ok::<_, crate::client::CallError>(workspaces)
    });
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
    output::fleet_workspace_table(&listings, output::unix_now())
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

#[cfg(test)]
mod tests {
    use perry_api::{Workspace, WorkspacePorts, WorkspaceStatus};

    use super::{SortBy, sort_workspaces};

    fn workspace(name: &str, created: &str, last_used: Option<&str>) -> Workspace {
        Workspace {
            name: name.to_owned(),
            status: WorkspaceStatus::Running,
            container_id: None,
            created: created.to_owned(),
            image: "workspace-base".to_owned(),
            ports: WorkspacePorts {
                ssh: 2200,
                forwards: Vec::new(),
                labels: Default::default(),
            },
            error: None,
            clone: None,
            limits: None,
            post_start: None,
            last_used: last_used.map(str::to_owned),
            progress: None,
            devcontainer: None,
        }
    }

    fn names(workspaces: &[Workspace]) -> Vec<&str> {
        workspaces.iter().map(|w| w.name.as_str()).collect()
    }

    #[test]
    fn sort_orders_by_name_by_newest_creation_or_by_most_recent_use_with_never_used_last() {
        let mut workspaces = vec![
            workspace("delta", "2026-01-04T00:00:00Z", None),
            workspace(
                "alpha",
                "2026-01-01T00:00:00Z",
                Some("2026-02-01T00:00:00Z"),
            ),
            // An offset: 2026-02-03T00:00:00Z, the most recent use.
            workspace(
                "gamma",
                "2026-01-03T00:00:00Z",
                Some("2026-02-03T01:00:00+01:00"),
            ),
            workspace("beta", "2026-01-02T00:00:00Z", Some("2026-02-02T00:00:00Z")),
            workspace("charlie", "2026-01-04T00:00:00Z", None),
        ];
        sort_workspaces(&mut workspaces, SortBy::Name, |w| w);
        assert_eq!(
            names(&workspaces),
            ["alpha", "beta", "charlie", "delta", "gamma"]
        );
        sort_workspaces(&mut workspaces, SortBy::Created, |w| w);
        assert_eq!(
            names(&workspaces),
            ["charlie", "delta", "gamma", "beta", "alpha"]
        );
        sort_workspaces(&mut workspaces, SortBy::LastUsed, |w| w);
        assert_eq!(
            names(&workspaces),
            ["gamma", "beta", "alpha", "charlie", "delta"]
        );
    }
}
