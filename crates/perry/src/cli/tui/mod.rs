//! `perry tui` (and `perry` alone in a terminal): workspaces with live status, and keys to
//! create, start, stop, delete and open a shell; a workspace's sessions, and the latest
//! sessions of every workspace.
//!
//! [`app`] holds the state and turns keys and replies into effects, [`view`] draws it, and this
//! file is the I/O around them: the terminal, the event loop, and calls to the agent on tasks
//! of their own so a create that takes seconds never freezes the screen.

mod app;
mod view;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::io::{IsTerminal, Stdout};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use perry_api::procedures::{
    AgentInfoCall, SessionsList, SessionsRecent, Void, WorkspacesCreate, WorkspacesDelete,
    WorkspacesList, WorkspacesStart, WorkspacesStop,
};
use perry_api::sessions::RecentSessionsInput;
use perry_api::{
    CreateWorkspaceInput, ErrorCode, SessionsListInput, Workspace, WorkspaceNameInput,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use self::app::{Action, App, Effect, Outcome, RecentAnswer, SessionsReply};
use super::{Context, output, shell};
use crate::client::{AgentClient, CallError};

#[derive(Debug, clap::Args)]
pub struct Args {}

/// How often the list is asked for again.
const REFRESH_EVERY: Duration = Duration::from_secs(2);
/// How often the progress marker moves while something runs.
const SPIN_EVERY: Duration = Duration::from_millis(200);

pub async fn run(context: &Context, _args: Args) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "the TUI needs a terminal; in scripts use `perry list`, `perry start` and the other commands"
        );
    }
    let fleet = context.fleet()?.map(Arc::new);
    let agents = Agents {
        client: match &fleet {
            Some(fleet) => fleet.default_member().client.clone(),
            None => context.client()?,
        },
        fleet,
    };
    let colour = !output::no_colour_requested();
    let mut app = match &agents.fleet {
        Some(fleet) => {
            let names: Vec<String> = fleet
                .members
                .iter()
                .map(|member| member.name.clone())
                .collect();
            App::of_fleet(&names, agents.client.base_url(), colour)
        }
        None => App::new(agents.client.base_url(), colour),
    };
    let (outcomes_sender, mut outcomes) = mpsc::unbounded_channel::<Outcome>();
    let mut screen = FullScreen::enter()?;
    let mut events = EventStream::new();
    // The first tick fires at once: the first list and info are asked for on start.
    let mut refresh = tokio::time::interval(REFRESH_EVERY);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut spinner = tokio::time::interval(SPIN_EVERY);
    spinner.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut listing = false;

    loop {
        app.now = output::unix_now();
        screen
            .terminal
            .draw(|frame| view::render(frame, &app))
            .context("cannot draw the screen")?;
        if app.quit {
            break;
        }
        let mut effects: VecDeque<Effect> = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => app.handle_key(key).into(),
                // A resize needs nothing but the redraw at the top of the loop.
                Some(Ok(_)) => VecDeque::new(),
                Some(Err(error)) => return Err(error).context("cannot read the keyboard"),
                None => break,
            },
            Some(outcome) = outcomes.recv() => {
                if matches!(outcome, Outcome::Listed(_) | Outcome::FleetListed(_)) {
                    listing = false;
                }
                app.apply(outcome).into()
            }
            _ = refresh.tick() => periodic_effects(&app).into(),
            _ = spinner.tick(), if app.is_busy() => {
                app.tick();
                VecDeque::new()
            }
        };
        while let Some(effect) = effects.pop_front() {
            match effect {
                Effect::OpenShell(name) => {
                    // The shell reads the terminal itself: stop reading keys until it is back.
                    drop(events);
                    screen.suspend()?;
                    let (client, bare) = agents.of(&name);
                    let ended = shell::open(&client, &bare, &[]).await;
                    screen.resume()?;
                    events = EventStream::new();
                    let result = ended
                        .map(|end| (end.exit_code, end.message))
                        .map_err(|error| format!("{error:#}"));
                    effects.extend(app.apply(Outcome::ShellEnded { name, result }));
                }
                // One list at a time: a slow agent must not pile up requests.
                Effect::Refresh if listing => {}
                Effect::Refresh => {
                    listing = true;
                    spawn_call(&agents, &outcomes_sender, Effect::Refresh);
                }
                effect => spawn_call(&agents, &outcomes_sender, effect),
            }
        }
    }
    drop(screen);
    Ok(())
}

/// The agent the TUI talks to, or the named agents of a fleet.
struct Agents {
    /// The one agent; of a fleet, the default one (where a bare new name goes).
    client: AgentClient,
    fleet: Option<Arc<crate::fleet::Fleet>>,
}

impl Agents {
    /// The agent of the workspace the list calls `name` and its own name there: `agent/name`
    /// of a fleet, else `name` on the one agent (or a bare new name on the default agent).
    fn of(&self, name: &str) -> (AgentClient, String) {
        if let Some(fleet) = &self.fleet
            && let Some((agent, bare)) = name.split_once('/')
            && let Ok(member) = fleet.member(agent)
        {
            return (member.client.clone(), bare.to_owned());
        }
        (self.client.clone(), name.to_owned())
    }

    /// `name` as the list of a fleet shows it (`agent/name`).
    fn qualified(&self, name: &str) -> String {
        match &self.fleet {
            Some(fleet) if !name.contains('/') => format!("{}/{name}", fleet.default),
            _ => name.to_owned(),
        }
    }
}

/// What the refresh tick asks for: the list, the info line until it has arrived (one agent),
/// and the sessions on screen (a workspace's, or the latest of all).
fn periodic_effects(app: &App) -> Vec<Effect> {
    let mut effects = vec![Effect::Refresh];
    if app.agent.is_none() && app.fleet.is_empty() {
        effects.push(Effect::LoadInfo);
    }
    match &app.screen {
        app::Screen::Sessions { workspace } => {
            effects.push(Effect::LoadSessions(workspace.clone()));
        }
        app::Screen::Recent => effects.push(Effect::LoadRecent),
        app::Screen::Workspaces => {}
    }
    effects
}

/// Calls the agent for `effect` on a task of its own; the reply comes back as an [`Outcome`].
fn spawn_call(agents: &Agents, outcomes: &mpsc::UnboundedSender<Outcome>, effect: Effect) {
    let target = match &effect {
        Effect::Run(_, name) | Effect::OpenShell(name) | Effect::LoadSessions(name) => {
            Some(agents.of(name))
        }
        Effect::Refresh | Effect::LoadInfo | Effect::LoadRecent => None,
    };
    let client = agents.client.clone();
    let fleet = agents.fleet.clone();
    let qualified = match &effect {
        Effect::Run(_, name) => agents.qualified(name),
        _ => String::new(),
    };
    let outcomes = outcomes.clone();
    tokio::spawn(async move {
        let outcome = match effect {
            // Every agent at once, each with the fleet's patience: one that is down is told as
            // such and holds up nobody.
            Effect::Refresh if fleet.is_some() => {
                let fleet = fleet.expect("checked");
                let answers = fleet
                    .ask(|member| member.client.call::<WorkspacesList>(&Void))
                    .await
                    .into_iter()
                    .map(|answer| app::AgentAnswer {
                        agent: answer.member.name.clone(),
                        result: answer.result,
                        round_trip_ms: u64::try_from(answer.round_trip.as_millis())
                            .unwrap_or(u64::MAX),
                    })
                    .collect();
                Outcome::FleetListed(answers)
            }
            Effect::Refresh => Outcome::Listed(
                client
                    .call::<WorkspacesList>(&Void)
                    .await
                    .map_err(|error| error.to_string()),
            ),
            Effect::LoadInfo => Outcome::Info(
                client
                    .call::<AgentInfoCall>(&Void)
                    .await
                    .map_err(|error| error.to_string()),
            ),
            Effect::Run(action, name) => {
                let (client, bare) = target.expect("a run names its workspace");
                let result = run_action(&client, action, &bare).await;
                Outcome::Done {
                    action,
                    name,
                    result: result
                        .map(|workspace| {
                            workspace.map(|mut workspace| {
                                // The list of a fleet knows it as agent/name.
                                workspace.name = qualified.clone();
                                Box::new(workspace)
                            })
                        })
                        .map_err(|error| error.to_string()),
                }
            }
            Effect::LoadSessions(workspace) => {
                let (client, bare) = target.expect("sessions name their workspace");
                let reply = client
                    .call::<SessionsList>(&SessionsListInput {
                        workspace_name: bare,
                        ..Default::default()
                    })
                    .await;
                let result = match reply {
                    Ok(page) => SessionsReply::Listed(page),
                    Err(CallError::Rpc(error)) if error.code == ErrorCode::NotImplemented => {
                        SessionsReply::NotImplemented
                    }
                    Err(error) => SessionsReply::Failed(error.to_string()),
                };
                Outcome::Sessions { workspace, result }
            }
            Effect::LoadRecent => {
                let input = RecentSessionsInput::default();
                let answers = match &fleet {
                    // Every agent at once, as the list asks them.
                    Some(fleet) => fleet
                        .ask(|member| member.client.call::<SessionsRecent>(&input))
                        .await
                        .into_iter()
                        .map(|answer| RecentAnswer {
                            agent: Some(answer.member.name.clone()),
                            result: answer.result,
                        })
                        .collect(),
                    None => vec![RecentAnswer {
                        agent: None,
                        result: client
                            .call::<SessionsRecent>(&input)
                            .await
                            .map_err(|error| error.to_string()),
                    }],
                };
                Outcome::Recent(answers)
            }
            // The event loop runs shells itself; they need the terminal.
            Effect::OpenShell(_) => return,
        };
        // The receiver is gone only when the TUI has quit; nobody is left to tell.
        let _ = outcomes.send(outcome);
    });
}

/// Calls the procedure that does `action` to `name`: the workspace after it, `None` once deleted.
async fn run_action(
    client: &AgentClient,
    action: Action,
    name: &str,
) -> Result<Option<Workspace>, CallError> {
    let name = WorkspaceNameInput {
        name: name.to_owned(),
    };
    match action {
        Action::Create => {
            let input = CreateWorkspaceInput {
                name: name.name,
                ..Default::default()
            };
            client.call::<WorkspacesCreate>(&input).await.map(Some)
        }
        Action::Start => client.call::<WorkspacesStart>(&name).await.map(Some),
        Action::Stop => client.call::<WorkspacesStop>(&name).await.map(Some),
        Action::Delete => client.call::<WorkspacesDelete>(&name).await.map(|_| None),
    }
}

/// The terminal in raw mode on the alternate screen, given back as it was when dropped (and on
/// a panic), and handed over to a shell in between.
struct FullScreen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    active: bool,
}

impl FullScreen {
    fn enter() -> anyhow::Result<FullScreen> {
        static RESTORE_ON_PANIC: std::sync::Once = std::sync::Once::new();
        RESTORE_ON_PANIC.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = leave_full_screen();
                previous(info);
            }));
        });
        take_full_screen()?;
        Ok(FullScreen {
            terminal: new_terminal()?,
            active: true,
        })
    }

    /// Gives the terminal back: main screen, cooked mode, cursor visible.
    fn suspend(&mut self) -> anyhow::Result<()> {
        self.active = false;
        leave_full_screen().context("cannot restore the terminal")
    }

    /// Takes the terminal again; the next frame is drawn whole.
    fn resume(&mut self) -> anyhow::Result<()> {
        take_full_screen()?;
        self.active = true;
        // A new terminal has empty buffers on a cleared screen, so it draws every cell.
        // (`Terminal::clear` would do the same but asks the terminal where its cursor is,
        // which not every terminal answers.)
        self.terminal = new_terminal()?;
        Ok(())
    }
}

fn new_terminal() -> anyhow::Result<Terminal<CrosstermBackend<Stdout>>> {
    Terminal::new(CrosstermBackend::new(std::io::stdout())).context("cannot use this terminal")
}

/// Raw mode on a cleared alternate screen.
fn take_full_screen() -> anyhow::Result<()> {
    crossterm::terminal::enable_raw_mode().context("cannot put the terminal into raw mode")?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )
    .context("cannot switch to the alternate screen")
}

impl Drop for FullScreen {
    fn drop(&mut self) {
        if self.active {
            let _ = leave_full_screen();
        }
    }
}

fn leave_full_screen() -> std::io::Result<()> {
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    )?;
    crossterm::terminal::disable_raw_mode()
}
