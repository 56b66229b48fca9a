//! `perry watch`: every coding-agent session's status changes, across all workspaces of every
//! agent (the fleet of client.json, or the one agent this CLI points at), as they happen. One
//! `/events` socket per agent; a socket that drops is opened again with backoff, and what
//! changed meanwhile is told from the new snapshot, so nothing is missed silently.
//!
//! `--exec` runs a command on each change (e.g. `notify-send`), never waiting for it: a slow
//! command does not hold up the next change.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use perry_agent::websocket::{self, OpCode};
use perry_api::sessions::{SessionInfo, SessionState, StatusEvent, WorkspaceSession};
use serde::Serialize;
use tokio::sync::mpsc;

use super::Context;
use crate::client::AgentClient;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only changes into these states (comma-separated: working, needs_input, idle, error,
    /// ended). Default: all.
    #[arg(long, value_delimiter = ',', value_parser = parse_state)]
    state: Vec<SessionState>,
    /// Print one JSON object per change instead of text.
    #[arg(long)]
    json: bool,
    /// Run this shell command on each change, with PERRY_AGENT, PERRY_WORKSPACE,
    /// PERRY_SESSION_ID, PERRY_SESSION_TITLE, PERRY_CODING_AGENT, PERRY_STATE,
    /// PERRY_PREVIOUS_STATE and PERRY_DETAIL set and the change's JSON on stdin.
    #[arg(long, value_name = "COMMAND")]
    exec: Option<String>,
}

fn parse_state(text: &str) -> Result<SessionState, String> {
    serde_json::from_value(serde_json::json!(text))
        .map_err(|_| "one of working, needs_input, idle, error, ended".to_owned())
}

/// One change as `--json` prints it and `--exec` gets it on stdin.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The agent's name in the fleet; absent when the CLI talks to one agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub workspace: String,
    pub session: SessionInfo,
    /// `None` when the session went away (its workspace stopped, its transcript was removed).
    pub state: Option<SessionState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<SessionState>,
}

/// What one agent's socket says, for the loop that prints.
enum Heard {
    Event(StatusEvent),
    /// The socket could not be opened, or it dropped: why, and when it is tried again.
    Lost {
        why: String,
        retry_in: Duration,
    },
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let agents: Vec<(Option<String>, AgentClient)> = match context.fleet()? {
        Some(fleet) => fleet
            .members
            .into_iter()
            .map(|member| (Some(member.name), member.client))
            .collect(),
        None => vec![(None, context.client()?)],
    };
    let (sender, mut heard) = mpsc::channel(256);
    for (index, (_, client)) in agents.iter().enumerate() {
        tokio::spawn(follow(client.clone(), index, sender.clone()));
    }
    drop(sender);
    let mut known = Known::default();
    let text = !args.json;
    if text {
        eprintln!(
            "Watching session status on {} (Ctrl-C to stop).",
            describe_agents(&agents)
        );
    }
    while let Some((index, message)) = heard.recv().await {
        let name = agents[index].0.clone();
        let changes = match message {
            Heard::Lost { why, retry_in } => {
                eprintln!(
                    "perry: {}{}; trying again in {} s",
                    name.as_deref()
                        .map_or_else(String::new, |name| format!("{name}: ")),
                    why.trim_end_matches('.'),
                    retry_in.as_secs()
                );
                continue;
            }
            Heard::Event(event) => known.take(index, name, event),
        };
        for change in changes {
            if !args.state.is_empty()
                && !change
                    .state
                    .is_some_and(|state| args.state.contains(&state))
            {
                continue;
            }
            if args.json {
                println!("{}", serde_json::to_string(&change)?);
            } else {
                println!("{}", line(&change));
            }
            if let Some(command) = &args.exec {
                run_command(command, &change);
            }
        }
    }
    Ok(())
}

fn describe_agents(agents: &[(Option<String>, AgentClient)]) -> String {
    let names: Vec<&str> = agents
        .iter()
        .filter_map(|(name, _)| name.as_deref())
        .collect();
    if names.is_empty() {
        "the agent".to_owned()
    } else {
        format!("agents {}", names.join(", "))
    }
}

/// Keeps one agent's `/events` socket open for as long as the watch runs.
async fn follow(client: AgentClient, index: usize, heard: mpsc::Sender<(usize, Heard)>) {
    let url = client.websocket_url("/events");
    let mut failures = 0u32;
    loop {
        let why = match client.connect_websocket(&url).await {
            Ok(mut socket) => {
                failures = 0;
                loop {
                    let Some(frame) = socket.next().await else {
                        break "the stream broke or ended".to_owned();
                    };
                    match frame.opcode() {
                        OpCode::Text => {
                            let text = websocket::text(&frame);
                            let Ok(event) = serde_json::from_str::<StatusEvent>(text) else {
                                continue;
                            };
                            if heard.send((index, Heard::Event(event))).await.is_err() {
                                return;
                            }
                        }
                        OpCode::Close => {
                            let reason = websocket::close_reason(&frame);
                            break if reason.is_empty() {
                                "the agent closed the stream".to_owned()
                            } else {
                                format!("the agent closed the stream: {reason}")
                            };
                        }
                        _ => {}
                    }
                }
            }
            Err(error) => format!("{error:#}")
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        let retry_in = Duration::from_secs(1 << failures.min(5));
        failures += 1;
        if heard
            .send((index, Heard::Lost { why, retry_in }))
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(retry_in).await;
    }
}

/// The last status heard of every session, per agent: turns each agent's frames into changes,
/// including after a reconnect (its snapshot is compared with what was known).
#[derive(Default)]
struct Known {
    /// (agent index, workspace, session id) → the session as last heard.
    sessions: HashMap<(usize, String, String), SessionInfo>,
    /// Agents whose first snapshot came: the first is the present, not a change, unless
    /// something in it needs the person now.
    seen: std::collections::HashSet<usize>,
}

impl Known {
    fn take(&mut self, index: usize, agent: Option<String>, event: StatusEvent) -> Vec<Change> {
        let change =
            |workspace: &str, session: &SessionInfo, previous: Option<SessionState>| Change {
                agent: agent.clone(),
                workspace: workspace.to_owned(),
                session: session.clone(),
                state: session.status.as_ref().map(|status| status.state),
                previous,
            };
        let state_of = |session: &SessionInfo| session.status.as_ref().map(|status| status.state);
        match event {
            StatusEvent::Snapshot { sessions } => {
                let first = self.seen.insert(index);
                let mut changes = Vec::new();
                let mut now = std::collections::HashSet::new();
                for WorkspaceSession { workspace, session } in sessions {
                    let key = (index, workspace.clone(), session.session_id.clone());
                    now.insert(key.clone());
                    let before = self.sessions.get(&key).and_then(state_of);
                    let state = state_of(&session);
                    let tell = if first {
                        state.is_some_and(SessionState::needs_the_person)
                    } else {
                        state != before
                    };
                    if tell {
                        changes.push(change(&workspace, &session, before));
                    }
                    self.sessions.insert(key, session);
                }
                let vanished: Vec<_> = self
                    .sessions
                    .keys()
                    .filter(|key| key.0 == index && !now.contains(*key))
                    .cloned()
                    .collect();
                for key in vanished {
                    if let Some(session) = self.sessions.remove(&key) {
                        changes.push(gone(agent.clone(), key.1, session));
                    }
                }
                changes
            }
            StatusEvent::Changed {
                workspace,
                session,
                previous,
            } => {
                let key = (index, workspace.clone(), session.session_id.clone());
                let change = change(&workspace, &session, previous);
                self.sessions.insert(key, session);
                vec![change]
            }
            StatusEvent::Gone {
                workspace,
                session_id,
            } => {
                let keys: Vec<_> = self
                    .sessions
                    .keys()
                    .filter(|key| {
                        key.0 == index
                            && key.1 == workspace
                            && session_id.as_ref().is_none_or(|id| *id == key.2)
                    })
                    .cloned()
                    .collect();
                keys.into_iter()
                    .filter_map(|key| {
                        let session = self.sessions.remove(&key)?;
                        Some(gone(agent.clone(), key.1, session))
                    })
                    .collect()
            }
        }
    }
}

fn gone(agent: Option<String>, workspace: String, session: SessionInfo) -> Change {
    let previous = session.status.as_ref().map(|status| status.state);
    Change {
        agent,
        workspace,
        session,
        state: None,
        previous,
    }
}

/// A state's name, `gone` for none.
fn state_name(state: Option<SessionState>) -> &'static str {
    state.map_or("gone", SessionState::as_str)
}

/// One change as a line: when, where, which session, the new state and what is asked.
fn line(change: &Change) -> String {
    let place = match &change.agent {
        Some(agent) => format!("{agent}/{}", change.workspace),
        None => change.workspace.clone(),
    };
    let since = change
        .session
        .status
        .as_ref()
        .filter(|_| change.state.is_some())
        .map(|status| status.since.as_str())
        .unwrap_or_default();
    let detail = change
        .session
        .status
        .as_ref()
        .and_then(|status| status.detail.as_deref())
        .filter(|_| change.state.is_some())
        .map(|detail| format!("  {detail}"))
        .unwrap_or_default();
    format!(
        "{since:24}  {place}  {} {}  {:11}  {}{detail}",
        change.session.agent.as_str(),
        change.session.session_id,
        state_name(change.state),
        super::sessions::shorten(change.session.shown_title(), 50),
    )
}

/// Starts `command` for one change; its exit is collected in the background.
fn run_command(command: &str, change: &Change) {
    use std::process::Stdio;
    use tokio::io::AsyncWriteExt;
    let json = serde_json::to_string(change).unwrap_or_default();
    let detail = change
        .session
        .status
        .as_ref()
        .and_then(|status| status.detail.clone())
        .unwrap_or_default();
    let spawned = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .env("PERRY_AGENT", change.agent.as_deref().unwrap_or_default())
        .env("PERRY_WORKSPACE", &change.workspace)
        .env("PERRY_SESSION_ID", &change.session.session_id)
        .env("PERRY_SESSION_TITLE", change.session.shown_title())
        .env("PERRY_CODING_AGENT", change.session.agent.as_str())
        .env("PERRY_STATE", state_name(change.state))
        .env(
            "PERRY_PREVIOUS_STATE",
            change
                .previous
                .map(|state| state_name(Some(state)))
                .unwrap_or_default(),
        )
        .env("PERRY_DETAIL", detail)
        .stdin(Stdio::piped())
        .kill_on_drop(false)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            eprintln!("perry: cannot run {command:?}: {error}");
            return;
        }
    };
    let stdin = child.stdin.take();
    tokio::spawn(async move {
        if let Some(mut stdin) = stdin {
            let _ = stdin.write_all(json.as_bytes()).await;
        }
        if let Ok(status) = child.wait().await
            && !status.success()
        {
            eprintln!("perry: the --exec command {status}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use perry_api::sessions::{SessionAgent, SessionStatus};

    fn session(id: &str, state: SessionState) -> SessionInfo {
        SessionInfo {
            session_id: id.to_owned(),
            title: "fix the build".to_owned(),
            agent: SessionAgent::ClaudeCode,
            message_count: 1,
            last_activity: "2026-12-05T10:00:00.000Z".to_owned(),
            project_path: "/home/workspace/app".to_owned(),
            resume_command: String::new(),
            status: Some(SessionStatus {
                state,
                since: "2026-12-05T10:00:00.000Z".to_owned(),
                detail: None,
            }),
            name: None,
        }
    }

    fn snapshot(sessions: &[(&str, SessionInfo)]) -> StatusEvent {
        StatusEvent::Snapshot {
            sessions: sessions
                .iter()
                .map(|(workspace, session)| WorkspaceSession {
                    workspace: (*workspace).to_owned(),
                    session: session.clone(),
                })
                .collect(),
        }
    }

    fn states(changes: &[Change]) -> Vec<(String, Option<SessionState>, Option<SessionState>)> {
        changes
            .iter()
            .map(|change| {
                (
                    change.session.session_id.clone(),
                    change.previous,
                    change.state,
                )
            })
            .collect()
    }

    #[test]
    fn the_first_snapshot_tells_only_what_needs_the_person_and_a_later_one_tells_what_changed() {
        use SessionState::*;
        let mut known = Known::default();
        let first = known.take(
            0,
            None,
            snapshot(&[
                ("w", session("a", NeedsInput)),
                ("w", session("b", Working)),
            ]),
        );
        assert_eq!(states(&first), [("a".to_owned(), None, Some(NeedsInput))]);
        // The socket dropped; meanwhile b went idle and a went away.
        let again = known.take(0, None, snapshot(&[("w", session("b", Idle))]));
        assert_eq!(
            states(&again),
            [
                ("b".to_owned(), Some(Working), Some(Idle)),
                ("a".to_owned(), Some(NeedsInput), None)
            ]
        );
        // Another agent's frames never touch this one's sessions.
        let other = known.take(1, Some("far".to_owned()), snapshot(&[]));
        assert!(other.is_empty());
        let gone = known.take(
            0,
            None,
            StatusEvent::Gone {
                workspace: "w".to_owned(),
                session_id: None,
            },
        );
        assert_eq!(states(&gone), [("b".to_owned(), Some(Idle), None)]);
    }
}
