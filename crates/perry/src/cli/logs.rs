//! `perry logs <name> [-f] [--tail N]`: the workspace container's own output (sshd, the inner
//! dockerd, the worker).

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
