//! `perry clone <source> <name>`: a new workspace whose home and inner Docker are copies of
//! another's, on the agent of the source, with how far the copy is shown while it runs.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::bail;
use perry_api::procedures::{WorkspacesClone, WorkspacesGet};
use perry_api::{CloneWorkspaceInput, WorkspaceNameInput, WorkspaceProgress, WorkspaceStatus};

use super::{Context, output};
use crate::client::AgentClient;

/// How often the new workspace's progress is asked for while the clone runs.
const POLL_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace to copy (`agent/name` on an added agent). A running one is paused for
    /// the copy and runs on after.
    source: String,
    /// The new workspace's name; it is made on the source's agent.
    name: String,
    /// Print JSON instead of a summary (and no progress).
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let (client, source) = context.locate(&args.source).await?;
    let name = own_name(context, &client, &args)?;
    let mut reporter = (!args.json).then(|| ProgressReporter::new(std::io::stderr().is_terminal()));
    if reporter.is_some() {
        eprintln!("Cloning {source} into {name} on {}…", client.base_url());
    }
    let input = CloneWorkspaceInput {
        source: source.clone(),
        name: name.clone(),
    };
    let clone = client.call::<WorkspacesClone>(&input);
    tokio::pin!(clone);
    let mut poll = tokio::time::interval(POLL_EVERY);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let result = loop {
        tokio::select! {
            result = &mut clone => break result,
            _ = poll.tick(), if reporter.is_some() => {
                let progress = progress_of(&client, &name).await;
                if let (Some(reporter), Some(progress)) = (reporter.as_mut(), progress) {
                    reporter.show(&progress);
                }
            }
        }
    };
    if let Some(reporter) = reporter.as_mut() {
        reporter.finish();
    }
    let workspace = result?;
    if args.json {
        output::print_json(&workspace)?;
    } else {
        println!(
            "{}",
            output::workspace_summary(&workspace, client.base_url())
        );
    }
    if workspace.status == WorkspaceStatus::Error {
        bail!("the clone {} did not become ready", workspace.name);
    }
    Ok(())
}

/// The new workspace's name on the source's agent: `agent/name` is taken when it names that
/// same agent, since a clone is always made beside its source.
fn own_name(context: &Context, client: &AgentClient, args: &Args) -> anyhow::Result<String> {
    let Some((agent, bare)) = args.name.split_once('/') else {
        return Ok(args.name.clone());
    };
    let same_agent = context.fleet()?.is_some_and(|fleet| {
        fleet
            .member(agent)
            .is_ok_and(|member| member.client.base_url() == client.base_url())
    });
    if !same_agent {
        bail!(
            "a clone is made on the agent of its source ({}); name the new workspace alone, e.g. `perry clone {} {bare}`",
            client.base_url(),
            args.source
        );
    }
    Ok(bare.to_owned())
}

/// The new workspace's progress now, if the agent lists it yet (the clone may not have begun,
/// or may be done); a failed question is no progress, as the clone's own answer tells.
async fn progress_of(client: &AgentClient, name: &str) -> Option<WorkspaceProgress> {
    let input = WorkspaceNameInput {
        name: name.to_owned(),
    };
    let asked = client.call::<WorkspacesGet>(&input);
    // A slow answer must not hold up the clone's own, which this loop also waits for.
    tokio::time::timeout(POLL_EVERY * 4, asked)
        .await
        .ok()?
        .ok()?
        .progress
}

/// Shows progress on stderr: on a terminal one line that is rewritten in place; elsewhere (a
/// log, a pipe) a line for each new step and for every tenth of a copy, so a long copy does
/// not fill a log.
struct ProgressReporter {
    terminal: bool,
    last: Option<String>,
    shown_line: bool,
}

impl ProgressReporter {
    fn new(terminal: bool) -> ProgressReporter {
        ProgressReporter {
            terminal,
            last: None,
            shown_line: false,
        }
    }

    fn show(&mut self, progress: &WorkspaceProgress) {
        let Some(line) = self.next_line(progress) else {
            return;
        };
        let mut stderr = std::io::stderr().lock();
        // Progress is a courtesy: a closed stderr is no reason to fail the clone.
        let _ = if self.terminal {
            self.shown_line = true;
            write!(stderr, "\r\x1b[2K{line}")
        } else {
            writeln!(stderr, "{line}")
        };
        let _ = stderr.flush();
    }

    /// The line to show for `progress`, if it says something new: on a terminal any change;
    /// elsewhere a new step, or a copy that reached another tenth.
    fn next_line(&mut self, progress: &WorkspaceProgress) -> Option<String> {
        let key = if self.terminal {
            output::progress_text(progress)
        } else {
            let tenth = progress.percent.map(|percent| percent / 10 * 10);
            output::progress_text(&WorkspaceProgress {
                step: progress.step.clone(),
                percent: tenth,
            })
        };
        if self.last.as_ref() == Some(&key) {
            return None;
        }
        self.last = Some(key.clone());
        Some(key)
    }

    /// Clears the line being rewritten, so what follows starts on a clean one.
    fn finish(&mut self) {
        if self.shown_line {
            eprint!("\r\x1b[2K");
            self.shown_line = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use perry_api::WorkspaceProgress;

    use super::ProgressReporter;

    fn progress(step: &str, percent: Option<u32>) -> WorkspaceProgress {
        WorkspaceProgress {
            step: step.to_owned(),
            percent,
        }
    }

    fn lines(terminal: bool, steps: &[WorkspaceProgress]) -> Vec<String> {
        let mut reporter = ProgressReporter::new(terminal);
        steps
            .iter()
            .filter_map(|step| reporter.next_line(step))
            .collect()
    }

    #[test]
    fn progress_on_a_terminal_shows_every_change_and_elsewhere_each_step_and_tenth() {
        let steps = [
            progress("pausing alpha", None),
            progress("pausing alpha", None),
            progress("copying", Some(0)),
            progress("copying", Some(4)),
            progress("copying", Some(12)),
            progress("copying", Some(19)),
            progress("copying", Some(99)),
            progress("starting", None),
        ];
        assert_eq!(
            lines(true, &steps),
            [
                "pausing alpha",
                "copying 0%",
                "copying 4%",
                "copying 12%",
                "copying 19%",
                "copying 99%",
                "starting"
            ]
        );
        assert_eq!(
            lines(false, &steps),
            [
                "pausing alpha",
                "copying 0%",
                "copying 10%",
                "copying 90%",
                "starting"
            ]
        );
    }
}
