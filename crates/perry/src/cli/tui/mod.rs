//! `perry tui` (and `perry` alone in a terminal): workspaces with live status, and keys to
//! create, start, stop, delete and open a shell.
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
use std::time::Duration;

use anyhow::{Context as _, bail};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use perry_api::procedures::{
    AgentInfoCall, SessionsList, Void, WorkspacesCreate, WorkspacesDelete, WorkspacesList,
    WorkspacesStart, WorkspacesStop,
};
use perry_api::{
    CreateWorkspaceInput, ErrorCode, SessionsListInput, Workspace, WorkspaceNameInput,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use self::app::{Action, App, Effect, Outcome, SessionsReply};
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
    let client = context.client()?;
    let mut app = App::new(client.base_url(), !output::no_colour_requested());
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
                if matches!(outcome, Outcome::Listed(_)) {
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
                    let ended = shell::open(&client, &name, &[]).await;
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
                    spawn_call(&client, &outcomes_sender, Effect::Refresh);
                }
                effect => spawn_call(&client, &outcomes_sender, effect),
            }
        }
    }
    drop(screen);
    Ok(())
}

/// What the refresh tick asks for: the list, the info line until it has arrived, and the
/// sessions of the workspace on screen.
fn periodic_effects(app: &App) -> Vec<Effect> {
    let mut effects = vec![Effect::Refresh];
    if app.agent.is_none() {
        effects.push(Effect::LoadInfo);
    }
    if let app::Screen::Sessions { workspace } = &app.screen {
        effects.push(Effect::LoadSessions(workspace.clone()));
    }
    effects
}

/// Calls the agent for `effect` on a task of its own; the reply comes back as an [`Outcome`].
fn spawn_call(client: &AgentClient, outcomes: &mpsc::UnboundedSender<Outcome>, effect: Effect) {
    let client = client.clone();
    let outcomes = outcomes.clone();
    tokio::spawn(async move {
        let outcome = match effect {
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
                let result = run_action(&client, action, &name).await;
                Outcome::Done {
                    action,
                    name,
                    result: result
                        .map(|workspace| workspace.map(Box::new))
                        .map_err(|error| error.to_string()),
                }
            }
            Effect::LoadSessions(workspace) => {
                let reply = client
                    .call::<SessionsList>(&SessionsListInput {
                        workspace_name: workspace.clone(),
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
