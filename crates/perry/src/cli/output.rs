//! Output for people: tables and colour (unless NO_COLOR or not a terminal), or JSON for scripts.

use std::io::IsTerminal;

use perry_api::{PortForwardStatus, Workspace, WorkspaceProgress, WorkspaceStatus};
use serde::Serialize;

/// Prints `value` as pretty JSON.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Whether the user asked for no colour: NO_COLOR set to anything but the empty string
/// (https://no-color.org).
pub fn no_colour_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

fn colour_enabled() -> bool {
    !no_colour_requested() && std::io::stdout().is_terminal()
}

/// A workspace status, coloured by health when colour is on.
pub fn status(status: WorkspaceStatus) -> String {
    let text = status.as_str();
    if !colour_enabled() {
        return text.to_owned();
    }
    let code = match status {
        WorkspaceStatus::Running => "32",
        WorkspaceStatus::Stopped => "90",
        WorkspaceStatus::Creating => "33",
        WorkspaceStatus::Error => "31",
        WorkspaceStatus::Unreachable => "35",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// The table `perry list` prints; LAST USED is told relative to `now` (Unix seconds).
pub fn workspace_table(workspaces: &[Workspace], now: i64) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["NAME", "STATUS", "SSH", "IMAGE", "CREATED", "LAST USED"]);
    for workspace in workspaces {
        table.add_row(workspace_row(workspace, now));
    }
    table.to_string()
}

/// What one agent of the fleet answered to a list: its workspaces, or why it did not.
pub type AgentListing<'a> = (&'a str, Result<&'a [Workspace], &'a str>);

/// The table `perry list` prints for several agents: an AGENT column, and one line for each
/// agent that did not answer.
pub fn fleet_workspace_table(listings: &[AgentListing<'_>], now: i64) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header([
        "AGENT",
        "NAME",
        "STATUS",
        "SSH",
        "IMAGE",
        "CREATED",
        "LAST USED",
    ]);
    for (agent, listing) in listings {
        match listing {
            Ok(workspaces) => {
                for workspace in *workspaces {
                    let mut row = vec![(*agent).to_owned()];
                    row.extend(workspace_row(workspace, now));
                    table.add_row(row);
                }
            }
            Err(error) => {
                table.add_row([
                    (*agent).to_owned(),
                    "-".to_owned(),
                    paint("31", &format!("unreachable: {error}")),
                ]);
            }
        }
    }
    table.to_string()
}

fn workspace_row(workspace: &Workspace, now: i64) -> [String; 6] {
    let mut status_text = status(workspace.status);
    if let Some(progress) = &workspace.progress {
        status_text.push_str(&format!(" ({})", progress_text(progress)));
    }
    if let Some(error) = &workspace.error {
        status_text.push_str(&format!(" ({error})"));
    }
    if let Some(note) = post_start_note(workspace) {
        status_text.push_str(&paint("33", &format!(" ({note})")));
    }
    [
        workspace.name.clone(),
        status_text,
        workspace.ports.ssh.to_string(),
        workspace.image.clone(),
        workspace.created.clone(),
        relative_time(workspace.last_used.as_deref(), now),
    ]
}

/// What a create or clone under way is doing, as people read it: `copying 42%`, `starting`.
pub fn progress_text(progress: &WorkspaceProgress) -> String {
    match progress.percent {
        Some(percent) => format!("{} {percent}%", progress.step),
        None => progress.step.clone(),
    }
}

/// The time now, in seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// How long before `now` (Unix seconds) the RFC 3339 time `then` was, as a person says it:
/// `just now`, `5 min ago`, `3 h ago`, `2 d ago`; `-` for never (`None`). A time in the future
/// (the agent's clock ahead of ours) is `just now`; text that is no RFC 3339 time is shown as
/// it is.
pub fn relative_time(then: Option<&str>, now: i64) -> String {
    let Some(then) = then else {
        return "-".to_owned();
    };
    let Some(seconds) = unix_seconds(then) else {
        return then.to_owned();
    };
    let ago = now.saturating_sub(seconds);
    match ago {
        ..60 => "just now".to_owned(),
        60..3_600 => format!("{} min ago", ago / 60),
        3_600..86_400 => format!("{} h ago", ago / 3_600),
        _ => format!("{} d ago", ago / 86_400),
    }
}

/// Seconds since the Unix epoch of an RFC 3339 time (`2026-12-06T03:00:00Z`, with or without a
/// fraction of a second, in UTC or with an offset such as `+02:00`); `None` for anything else.
pub fn unix_seconds(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(jiff::Timestamp::as_second)
}

/// The table `perry ports` prints: each forward and whether the agent listens on it now.
pub fn forward_table(forwards: &[PortForwardStatus]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["HOST", "WORKSPACE", "STATUS"]);
    for forward in forwards {
        let status = match (&forward.error, forward.active) {
            (Some(error), _) => paint("31", &format!("failed: {error}")),
            (None, true) => paint("32", "active"),
            (None, false) => paint("90", "inactive (the workspace is not running)"),
        };
        table.add_row([
            forward.host_port.to_string(),
            forward.workspace_port.to_string(),
            status,
        ]);
    }
    table.to_string()
}

/// `text` in the ANSI colour `code` when colour is on.
pub fn paint(code: &str, text: &str) -> String {
    if colour_enabled() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// The host part of the agent's URL, for `ssh` hints.
pub fn host_of(base_url: &str) -> &str {
    let without_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    without_scheme
        .rsplit_once(':')
        .map_or(without_scheme, |(host, _)| host)
}

/// What a person should know of the post-start scripts of the last start: those still running,
/// those that failed (a warning: the workspace runs). Nothing when all went well.
pub fn post_start_note(workspace: &Workspace) -> Option<String> {
    let runs = workspace.post_start.as_ref()?;
    let failed: Vec<&str> = runs
        .iter()
        .filter(|run| run.error.is_some())
        .map(|run| run.name.as_str())
        .collect();
    let running: Vec<&str> = runs
        .iter()
        .filter(|run| !run.finished)
        .map(|run| run.name.as_str())
        .collect();
    // A devcontainer.json's lifecycle commands are named: they can take minutes.
    let commands: Vec<&str> = running
        .iter()
        .copied()
        .filter(|name| is_lifecycle_command(name))
        .collect();
    match (failed.is_empty(), running.len()) {
        (true, 0) => None,
        (true, _) if !commands.is_empty() => Some(format!("{} running", commands.join(", "))),
        (true, _) => Some("post-start scripts running".to_owned()),
        (false, _) => Some(paint(
            "33",
            &format!(
                "post-start failed: {}; see perry logs {}",
                failed.join(", "),
                workspace.name
            ),
        )),
    }
}

/// Whether a post-start run is a devcontainer.json lifecycle command (the agent names them
/// `postCreateCommand`, or `postCreateCommand of Feature 'x'` for a feature's), as
/// clients/ts/src/post-start.ts tells them.
fn is_lifecycle_command(name: &str) -> bool {
    let hook = name
        .split_once(" of Feature ")
        .map_or(name, |(hook, _)| hook);
    [
        "onCreateCommand",
        "updateContentCommand",
        "postCreateCommand",
        "postStartCommand",
        "postAttachCommand",
    ]
    .contains(&hook)
}

/// One line that says where a workspace is and how to get in.
pub fn workspace_summary(workspace: &Workspace, base_url: &str) -> String {
    match (&workspace.status, &workspace.error) {
        (_, Some(error)) => format!(
            "{} is {}: {error}",
            workspace.name,
            status(workspace.status)
        ),
        (WorkspaceStatus::Running, None) => format!(
            "{} is {} (ssh -p {} workspace@{})",
            workspace.name,
            status(workspace.status),
            workspace.ports.ssh,
            host_of(base_url)
        ),
        _ => format!("{} is {}", workspace.name, status(workspace.status)),
    }
}

/// For a workspace built from a devcontainer.json: which, and where its lifecycle commands are.
pub fn devcontainer_note(workspace: &Workspace) -> Option<String> {
    let config = workspace.devcontainer.as_ref()?;
    Some(format!(
        "Built from {config}; its lifecycle commands run in the background (`perry list` shows how they end, `perry logs {}` what they print)",
        workspace.name
    ))
}

#[cfg(test)]
mod tests {
    use perry_api::settings::ScriptRun;
    use perry_api::{Workspace, WorkspacePorts, WorkspaceStatus};

    fn with_runs(runs: Option<Vec<ScriptRun>>) -> Workspace {
        Workspace {
            name: "app".to_owned(),
            status: WorkspaceStatus::Running,
            container_id: None,
            created: "2026-01-01T00:00:00Z".to_owned(),
            image: "workspace-base".to_owned(),
            ports: WorkspacePorts {
                ssh: 2200,
                forwards: Vec::new(),
                labels: Default::default(),
            },
            error: None,
            clone: None,
            limits: None,
            post_start: runs,
            last_used: None,
            progress: None,
            devcontainer: None,
        }
    }

    fn run(name: &str, finished: bool, error: Option<&str>) -> ScriptRun {
        ScriptRun {
            name: name.to_owned(),
            finished,
            exit_code: None,
            error: error.map(str::to_owned),
            milliseconds: 0,
        }
    }

    #[test]
    fn rfc3339_times_are_read_with_fractions_and_offsets_and_garbage_is_not() {
        use super::unix_seconds;
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(unix_seconds("2026-12-06T03:00:00Z"), Some(1_796_526_000));
        assert_eq!(
            unix_seconds("2026-12-06T03:00:00.123456Z"),
            Some(1_796_526_000)
        );
        assert_eq!(
            unix_seconds("2026-12-06T05:30:00+02:30"),
            Some(1_796_526_000)
        );
        assert_eq!(
            unix_seconds("2026-12-05T22:00:00-05:00"),
            Some(1_796_526_000)
        );
        // ISO 8601's offset without a colon is read too.
        assert_eq!(
            unix_seconds("2026-12-06T03:00:00+0200"),
            Some(1_796_518_800)
        );
        for text in [
            "",
            "yesterday",
            "2026-12-06",
            "2026-12-06T03:00:00",
            "2026-13-06T03:00:00Z",
            "2026-12-06T03:00:00.Z",
            "2026-12-06T3:00:00Z",
            "+026-12-06T03:00:00Z",
        ] {
            assert_eq!(unix_seconds(text), None, "{text:?}");
        }
    }

    #[test]
    fn last_used_is_told_relative_to_now_and_dash_for_never() {
        use super::relative_time;
        let now = 1_796_526_000; // 2026-12-06T03:00:00Z
        for (then, said) in [
            (None, "-"),
            (Some("2026-12-06T03:00:00Z"), "just now"),
            (Some("2026-12-06T02:59:01Z"), "just now"),
            // The agent's clock a little ahead of ours.
            (Some("2026-12-06T03:00:30Z"), "just now"),
            (Some("2026-12-06T02:59:00Z"), "1 min ago"),
            (Some("2026-12-06T02:55:00.5Z"), "5 min ago"),
            (Some("2026-12-06T02:00:01Z"), "59 min ago"),
            (Some("2026-12-06T00:00:00Z"), "3 h ago"),
            (Some("2026-12-05T03:00:01Z"), "23 h ago"),
            (Some("2026-12-04T03:00:00Z"), "2 d ago"),
            (Some("2025-12-06T03:00:00Z"), "365 d ago"),
            (Some("not a time"), "not a time"),
        ] {
            assert_eq!(relative_time(then, now), said, "{then:?}");
        }
    }

    #[test]
    fn a_creating_workspace_shows_its_progress_in_the_status() {
        let mut workspace = with_runs(None);
        workspace.status = WorkspaceStatus::Creating;
        workspace.progress = Some(perry_api::WorkspaceProgress {
            step: "copying".to_owned(),
            percent: Some(42),
        });
        let table = super::workspace_table(&[workspace.clone()], 0);
        assert!(table.contains("creating (copying 42%)"), "{table}");
        workspace.progress = Some(perry_api::WorkspaceProgress {
            step: "pausing alpha".to_owned(),
            percent: None,
        });
        let table = super::workspace_table(&[workspace], 0);
        assert!(table.contains("creating (pausing alpha)"), "{table}");
        assert!(
            table.lines().next().unwrap().contains("LAST USED"),
            "{table}"
        );
    }

    #[test]
    fn the_post_start_note_tells_failures_and_scripts_still_running_only() {
        assert_eq!(super::post_start_note(&with_runs(None)), None);
        assert_eq!(
            super::post_start_note(&with_runs(Some(vec![run("a", true, None)]))),
            None
        );
        assert_eq!(
            super::post_start_note(&with_runs(Some(vec![run("a", false, None)]))).as_deref(),
            Some("post-start scripts running")
        );
        let note = super::post_start_note(&with_runs(Some(vec![
            run("a", true, Some("exited with 3")),
            run("b", false, None),
        ])))
        .unwrap();
        assert!(
            note.contains("post-start failed: a; see perry logs app"),
            "{note}"
        );
        // A devcontainer.json's lifecycle commands are named while they run.
        assert_eq!(
            super::post_start_note(&with_runs(Some(vec![
                run("onCreateCommand", true, None),
                run("postCreateCommand of Feature './hello'", false, None),
                run("deps", false, None),
            ])))
            .as_deref(),
            Some("postCreateCommand of Feature './hello' running")
        );
    }
}
