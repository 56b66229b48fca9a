//! `perry logs <name> [-f] [--tail N] [--build]`: the workspace container's own output (sshd,
//! the inner dockerd, the worker), or the log of its last image build from devcontainer.json.

use std::time::Duration;

use perry_api::LogsInput;
use perry_api::procedures::WorkspacesLogs;

use super::{Context, output};

/// How often `--follow` asks for new lines.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    name: String,
    /// Keep printing new lines as they come (Ctrl-C to stop).
    #[arg(long, short)]
    follow: bool,
    /// Only the last N lines (default 200).
    #[arg(long, short = 'n', value_name = "N")]
    tail: Option<u32>,
    /// The log of the workspace's last image build from its devcontainer.json instead.
    #[arg(long)]
    build: bool,
    /// Print each line as JSON ({stream, time, text}).
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let (client, name) = context.locate(&args.name).await?;
    let mut input = LogsInput {
        name,
        tail: args.tail,
        since: None,
        build: args.build.then_some(true),
    };
    loop {
        let page = client.call::<WorkspacesLogs>(&input).await?;
        for line in &page.lines {
            if args.json {
                println!("{}", serde_json::to_string(line)?);
            } else if line.stream == "stderr" {
                eprintln!("{}", line.text);
            } else {
                println!("{}", line.text);
            }
        }
        if !args.follow {
            if args.json && page.lines.is_empty() {
                output::print_json(&page.lines)?;
            }
            return Ok(());
        }
        if let Some(until) = page.until {
            // The next pages start where this one ended, without the tail.
            input.tail = None;
            input.since = Some(until);
        }
        tokio::time::sleep(FOLLOW_INTERVAL).await;
    }
}

/// Runs `work` (a create or a rebuild of workspace `name`) while printing its image build's
/// output to stderr as it comes, line by line; `work`'s outcome.
pub async fn with_build_output<T>(
    client: &crate::client::AgentClient,
    name: &str,
    work: impl std::future::Future<Output = T>,
) -> T {
    /// How often the build log is asked for new lines while a build runs.
    const BUILD_POLL: Duration = Duration::from_millis(500);
    let mut input = LogsInput {
        name: name.to_owned(),
        tail: Some(1),
        since: None,
        build: Some(true),
    };
    // Lines of an earlier build (before a rebuild) are not this one's: start after them.
    if let Ok(page) = client.call::<WorkspacesLogs>(&input).await {
        input.since = page.until;
    }
    input.tail = None;
    let print_new = async |input: &mut LogsInput| {
        // Before the workspace is recorded, and between builds, there is nothing to print.
        if let Ok(page) = client.call::<WorkspacesLogs>(input).await {
            for line in &page.lines {
                eprintln!("{}", line.text);
            }
            if let Some(until) = page.until {
                input.since = Some(until);
            }
        }
    };
    tokio::pin!(work);
    loop {
        tokio::select! {
            outcome = &mut work => {
                print_new(&mut input).await;
                return outcome;
            }
            () = tokio::time::sleep(BUILD_POLL) => print_new(&mut input).await,
        }
    }
}
