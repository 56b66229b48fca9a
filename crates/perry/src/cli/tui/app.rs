//! The TUI's state and how keys and replies change it. Nothing here does I/O: a key or a reply
//! goes in, the state changes, and [`Effect`]s come out for the event loop to carry out, so
//! tests drive the whole behaviour with values they build.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use perry_api::sessions::{RecentSession, SessionInfo, SessionsPage};
use perry_api::{AgentInfo, Workspace, WorkspaceStatus};

use crate::cli::sessions::{RecentRow, newest_first};

/// What the user asked the agent to do to one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Start,
    Stop,
    Delete,
}

impl Action {
    /// What is shown while it runs: "creating", "starting", …
    pub fn in_progress(self) -> &'static str {
        match self {
            Action::Create => "creating",
            Action::Start => "starting",
            Action::Stop => "stopping",
            Action::Delete => "deleting",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Delete => "delete",
        }
    }
}

/// Work for the event loop: calls to the agent, or handing the terminal to a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// List workspaces (`workspaces.list`).
    Refresh,
    /// Ask for the info line (`agent.info`).
    LoadInfo,
    /// Run `action` on the workspace `name`.
    Run(Action, String),
    /// Leave the screen to a shell in the workspace, and come back when it ends.
    OpenShell(String),
    /// List the sessions of a workspace (`sessions.list`).
    LoadSessions(String),
    /// The latest sessions across every workspace (`sessions.recent`, of every agent).
    LoadRecent,
}

/// A reply for the state, as the event loop received it. Errors are already sentences.
#[derive(Debug)]
pub enum Outcome {
    Listed(Result<Vec<Workspace>, String>),
    /// Every agent's answer to a list, in name order (the TUI of a fleet).
    FleetListed(Vec<AgentAnswer>),
    Info(Result<AgentInfo, String>),
    /// `action` on `name` finished; `Ok(None)` for a delete. (Boxed: a workspace is by far
    /// the largest reply.)
    Done {
        action: Action,
        name: String,
        result: Result<Option<Box<Workspace>>, String>,
    },
    Sessions {
        workspace: String,
        result: SessionsReply,
    },
    /// Each agent's answer to `sessions.recent` (one answer, with no agent's name, for one
    /// agent).
    Recent(Vec<RecentAnswer>),
    /// The shell opened on `name` ended: its exit code and the agent's reason, if any.
    ShellEnded {
        name: String,
        result: Result<(i32, Option<String>), String>,
    },
}

/// One agent's answer to a list: its workspaces, or why there are none to show.
#[derive(Debug)]
pub struct AgentAnswer {
    pub agent: String,
    pub result: Result<Vec<Workspace>, String>,
    pub round_trip_ms: u64,
}

/// One agent's answer to `sessions.recent`.
#[derive(Debug)]
pub struct RecentAnswer {
    /// Its name in the fleet; `None` for the one agent.
    pub agent: Option<String>,
    pub result: Result<Vec<RecentSession>, String>,
}

/// An agent of the fleet as the TUI last heard from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentHealth {
    pub name: String,
    pub state: Health,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Not heard from yet.
    Checking,
    Up {
        workspaces: usize,
        round_trip_ms: u64,
    },
    Unreachable(String),
}

/// What `sessions.list` answered.
#[derive(Debug)]
pub enum SessionsReply {
    Listed(SessionsPage),
    /// The agent does not discover sessions (it answered NOT_IMPLEMENTED).
    NotImplemented,
    Failed(String),
}

/// Which list fills the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Workspaces,
    Sessions {
        workspace: String,
    },
    /// The latest sessions across every workspace.
    Recent,
}

/// What keys do right now: the lists, or a prompt, or the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing the name of a new workspace.
    Create {
        name: String,
    },
    /// Waiting for `y` before deleting `name`.
    ConfirmDelete {
        name: String,
    },
    Help,
}

/// The sessions of the workspace on the sessions screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sessions {
    Loading,
    /// The agent cannot list sessions yet.
    Unavailable,
    Failed(String),
    Loaded(Vec<SessionInfo>),
}

/// The latest sessions on the recent screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recent {
    Loading,
    /// No agent answered.
    Failed(String),
    Loaded {
        /// Newest first; of a fleet, every agent's together.
        rows: Vec<RecentRow>,
        /// The agents that did not answer, each with why.
        silent: Vec<String>,
    },
}

/// How important a line in the status bar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// A workspace with an operation in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub action: Action,
    pub name: String,
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct App {
    /// The agent's address, as the client uses it (the default agent's, of a fleet).
    pub agent_url: String,
    /// The named agents, grouped by in the list, each with its health; empty for one agent.
    /// With agents, a workspace's name in the list is `agent/name`, as every command takes it.
    pub fleet: Vec<AgentHealth>,
    pub agent: Option<AgentInfo>,
    pub workspaces: Vec<Workspace>,
    /// Whether a list has ever arrived (else the screen says it is loading).
    pub loaded: bool,
    pub selected: usize,
    pub screen: Screen,
    pub mode: Mode,
    pub sessions: Sessions,
    /// Where Esc on the sessions screen goes back to: the screen it was opened from.
    pub sessions_back: Screen,
    /// The session the sessions screen was opened for (from the recent screen), marked there.
    pub highlighted_session: Option<String>,
    pub recent: Recent,
    /// The row under the cursor on the recent screen.
    pub recent_selected: usize,
    /// The time the screen is drawn for, in Unix seconds ("5 min ago" is told from it); the
    /// event loop sets it before each frame.
    pub now: i64,
    /// Why the last list failed (agent unreachable, Docker down); cleared by the next success.
    pub connection_error: Option<String>,
    /// The outcome of the last thing the user did.
    pub message: Option<(Level, String)>,
    pub busy: Vec<Busy>,
    /// Advances while something is busy, to animate the progress marker.
    pub spinner_frame: usize,
    pub colour: bool,
    pub quit: bool,
}

impl App {
    pub fn new(agent_url: &str, colour: bool) -> App {
        App {
            agent_url: agent_url.to_owned(),
            fleet: Vec::new(),
            agent: None,
            workspaces: Vec::new(),
            loaded: false,
            selected: 0,
            screen: Screen::Workspaces,
            mode: Mode::Normal,
            sessions: Sessions::Loading,
            sessions_back: Screen::Workspaces,
            highlighted_session: None,
            recent: Recent::Loading,
            recent_selected: 0,
            now: 0,
            connection_error: None,
            message: None,
            busy: Vec::new(),
            spinner_frame: 0,
            colour,
            quit: false,
        }
    }

    /// The TUI of the named agents: workspaces listed as `agent/name`, grouped by agent.
    pub fn of_fleet(agents: &[String], default_url: &str, colour: bool) -> App {
        let mut app = App::new(default_url, colour);
        app.fleet = agents
            .iter()
            .map(|name| AgentHealth {
                name: name.clone(),
                state: Health::Checking,
            })
            .collect();
        app
    }

    /// The workspace under the cursor.
    pub fn selected_workspace(&self) -> Option<&Workspace> {
        self.workspaces.get(self.selected)
    }

    /// What is in flight for workspace `name`, if anything.
    pub fn busy_with(&self, name: &str) -> Option<Action> {
        self.busy
            .iter()
            .find(|busy| busy.name == name)
            .map(|busy| busy.action)
    }

    pub fn is_busy(&self) -> bool {
        !self.busy.is_empty()
    }

    /// Moves the progress marker on.
    pub fn tick(&mut self) {
        self.spinner_frame = self.spinner_frame.wrapping_add(1);
    }

    /// The effects of one key press.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return Vec::new();
        }
        match self.mode.clone() {
            Mode::Help => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            Mode::Create { name } => self.handle_create_key(name, key),
            Mode::ConfirmDelete { name } => {
                self.mode = Mode::Normal;
                if key.code != KeyCode::Char('y') {
                    self.message = Some((Level::Info, format!("Kept {name}.")));
                    return Vec::new();
                }
                self.begin(Action::Delete, name)
            }
            Mode::Normal => match self.screen.clone() {
                Screen::Workspaces => self.handle_workspaces_key(key),
                Screen::Sessions { workspace } => self.handle_sessions_key(&workspace, key),
                Screen::Recent => self.handle_recent_key(key),
            },
        }
    }

    fn handle_workspaces_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.workspaces.len().saturating_sub(1));
            }
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => {
                self.selected = self.workspaces.len().saturating_sub(1);
            }
            KeyCode::Char('r') => {
                self.message = None;
                return vec![Effect::Refresh, Effect::LoadInfo];
            }
            KeyCode::Char('c') => {
                self.mode = Mode::Create {
                    name: String::new(),
                };
            }
            KeyCode::Char('s') => {
                if let Some(name) = self.selected_name() {
                    return self.begin(Action::Start, name);
                }
            }
            KeyCode::Char('x') => {
                if let Some(name) = self.selected_name() {
                    return self.begin(Action::Stop, name);
                }
            }
            KeyCode::Char('d') => {
                if let Some(name) = self.selected_name() {
                    self.mode = Mode::ConfirmDelete { name };
                }
            }
            KeyCode::Enter | KeyCode::Char('o') => {
                if let Some(name) = self.selected_name() {
                    return vec![Effect::OpenShell(name)];
                }
            }
            KeyCode::Tab | KeyCode::Char('v') => {
                if let Some(workspace) = self.selected_name() {
                    return self.open_sessions(workspace, None, Screen::Workspaces);
                }
            }
            KeyCode::Char('R') => {
                self.screen = Screen::Recent;
                if matches!(self.recent, Recent::Failed(_)) {
                    self.recent = Recent::Loading;
                }
                return vec![Effect::LoadRecent];
            }
            _ => {}
        }
        Vec::new()
    }

    /// Shows the sessions of `workspace`, `highlight`ing one, with Esc going back to `back`.
    fn open_sessions(
        &mut self,
        workspace: String,
        highlight: Option<String>,
        back: Screen,
    ) -> Vec<Effect> {
        self.screen = Screen::Sessions {
            workspace: workspace.clone(),
        };
        self.sessions = Sessions::Loading;
        self.highlighted_session = highlight;
        self.sessions_back = back;
        vec![Effect::LoadSessions(workspace)]
    }

    fn handle_recent_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let count = match &self.recent {
            Recent::Loaded { rows, .. } => rows.len(),
            Recent::Loading | Recent::Failed(_) => 0,
        };
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Esc | KeyCode::Char('R') => self.screen = Screen::Workspaces,
            KeyCode::Up | KeyCode::Char('k') => {
                self.recent_selected = self.recent_selected.saturating_sub(1);
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.recent_selected = (self.recent_selected + 1).min(count.saturating_sub(1));
            }
            KeyCode::Home | KeyCode::Char('g') => self.recent_selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.recent_selected = count.saturating_sub(1),
            KeyCode::Char('r') => return vec![Effect::LoadRecent],
            KeyCode::Enter => {
                let Recent::Loaded { rows, .. } = &self.recent else {
                    return Vec::new();
                };
                let Some(row) = rows.get(self.recent_selected) else {
                    return Vec::new();
                };
                let workspace = row.qualified_workspace();
                let session = row.entry.session.session_id.clone();
                return self.open_sessions(workspace, Some(session), Screen::Recent);
            }
            _ => {}
        }
        Vec::new()
    }

    fn handle_sessions_key(&mut self, workspace: &str, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Esc | KeyCode::Tab | KeyCode::Char('v') => {
                self.screen = self.sessions_back.clone();
                self.highlighted_session = None;
            }
            KeyCode::Char('r') => return vec![Effect::LoadSessions(workspace.to_owned())],
            _ => {}
        }
        Vec::new()
    }

    fn handle_create_key(&mut self, mut name: String, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                return Vec::new();
            }
            KeyCode::Enter => {
                if name_problem(&name, &self.fleet).is_some() {
                    // The prompt already says what is wrong; keep it open to fix the name.
                    return Vec::new();
                }
                self.mode = Mode::Normal;
                return self.begin(Action::Create, name);
            }
            KeyCode::Backspace => {
                name.pop();
            }
            KeyCode::Char(typed) if !typed.is_control() => name.push(typed),
            _ => {}
        }
        self.mode = Mode::Create { name };
        Vec::new()
    }

    /// The selected workspace's name; when there is none, the status line says so.
    fn selected_name(&mut self) -> Option<String> {
        let name = self.selected_workspace().map(|w| w.name.clone());
        if name.is_none() {
            self.message = Some((
                Level::Info,
                "No workspace selected: press c to create one.".to_owned(),
            ));
        }
        name
    }

    /// Starts `action` on `name` unless something else is running on it already.
    fn begin(&mut self, action: Action, name: String) -> Vec<Effect> {
        if let Some(running) = self.busy_with(&name) {
            self.message = Some((
                Level::Info,
                format!("{name} is busy {}; wait for it.", running.in_progress()),
            ));
            return Vec::new();
        }
        self.busy.push(Busy {
            action,
            name: name.clone(),
        });
        self.message = None;
        vec![Effect::Run(action, name)]
    }

    /// Takes in a reply; the effects are follow-ups (a list after a change).
    pub fn apply(&mut self, outcome: Outcome) -> Vec<Effect> {
        match outcome {
            Outcome::Listed(Ok(workspaces)) => {
                self.set_workspaces(workspaces);
                self.loaded = true;
                self.connection_error = None;
            }
            Outcome::Listed(Err(error)) => self.connection_error = Some(error),
            Outcome::FleetListed(answers) => {
                let mut workspaces = Vec::new();
                for answer in answers {
                    let state = match answer.result {
                        Ok(listed) => {
                            let count = listed.len();
                            workspaces.extend(listed.into_iter().map(|mut workspace| {
                                workspace.name = format!("{}/{}", answer.agent, workspace.name);
                                workspace
                            }));
                            Health::Up {
                                workspaces: count,
                                round_trip_ms: answer.round_trip_ms,
                            }
                        }
                        Err(error) => Health::Unreachable(error),
                    };
                    match self
                        .fleet
                        .iter_mut()
                        .find(|agent| agent.name == answer.agent)
                    {
                        Some(agent) => agent.state = state,
                        None => self.fleet.push(AgentHealth {
                            name: answer.agent,
                            state,
                        }),
                    }
                }
                // Grouped by agent: `agent/name` sorts by agent first.
                workspaces.sort_by(|a, b| a.name.cmp(&b.name));
                self.set_workspaces(workspaces);
                self.loaded = true;
                self.connection_error = None;
            }
            Outcome::Info(Ok(info)) => self.agent = Some(info),
            // An unreachable agent already shows through the list's error.
            Outcome::Info(Err(_)) => {}
            Outcome::Done {
                action,
                name,
                result,
            } => {
                self.busy
                    .retain(|busy| !(busy.name == name && busy.action == action));
                self.message = Some(match result {
                    Ok(Some(workspace)) => {
                        let message = done_message(&workspace);
                        self.upsert(*workspace);
                        message
                    }
                    Ok(None) => {
                        self.remove(&name);
                        (Level::Info, format!("Deleted {name}."))
                    }
                    Err(error) => (
                        Level::Error,
                        format!("Cannot {} {name}: {error}", action.verb()),
                    ),
                });
                return vec![Effect::Refresh];
            }
            Outcome::Sessions { workspace, result } => {
                if self.screen
                    != (Screen::Sessions {
                        workspace: workspace.clone(),
                    })
                {
                    return Vec::new();
                }
                self.sessions = match result {
                    SessionsReply::Listed(page) => Sessions::Loaded(page.sessions),
                    SessionsReply::NotImplemented => Sessions::Unavailable,
                    SessionsReply::Failed(error) => Sessions::Failed(error),
                };
            }
            Outcome::Recent(answers) => self.set_recent(answers),
            Outcome::ShellEnded { name, result } => {
                self.message = Some(match result {
                    Ok((code, Some(reason))) => (
                        Level::Error,
                        format!("Shell in {name} ended ({code}): {reason}"),
                    ),
                    Ok((0, None)) => (Level::Info, format!("Shell in {name} ended.")),
                    Ok((code, None)) => (
                        Level::Info,
                        format!("Shell in {name} ended with exit code {code}."),
                    ),
                    Err(error) => (
                        Level::Error,
                        format!("Cannot open a shell in {name}: {error}"),
                    ),
                });
                return vec![Effect::Refresh];
            }
        }
        Vec::new()
    }

    /// Takes in every agent's latest sessions, newest first, keeping the cursor on the same
    /// session where it is still listed.
    fn set_recent(&mut self, answers: Vec<RecentAnswer>) {
        let selected = match &self.recent {
            Recent::Loaded { rows, .. } => rows.get(self.recent_selected).map(|row| {
                (
                    row.agent.clone(),
                    row.entry.workspace.clone(),
                    row.entry.session.session_id.clone(),
                )
            }),
            Recent::Loading | Recent::Failed(_) => None,
        };
        let mut rows = Vec::new();
        let mut silent = Vec::new();
        let asked = answers.len();
        for answer in answers {
            match answer.result {
                Ok(entries) => rows.extend(entries.into_iter().map(|entry| RecentRow {
                    agent: answer.agent.clone(),
                    entry,
                })),
                Err(error) => silent.push(match answer.agent {
                    Some(agent) => format!("{agent}: {error}"),
                    None => error,
                }),
            }
        }
        if asked > 0 && silent.len() == asked {
            self.recent = Recent::Failed(silent.join("; "));
            return;
        }
        newest_first(&mut rows);
        self.recent_selected = selected
            .and_then(|(agent, workspace, session)| {
                rows.iter().position(|row| {
                    row.agent == agent
                        && row.entry.workspace == workspace
                        && row.entry.session.session_id == session
                })
            })
            .unwrap_or(self.recent_selected)
            .min(rows.len().saturating_sub(1));
        self.recent = Recent::Loaded { rows, silent };
    }

    /// Replaces the list, keeping the cursor on the same workspace where it still exists.
    fn set_workspaces(&mut self, workspaces: Vec<Workspace>) {
        let selected_name = self.selected_workspace().map(|w| w.name.clone());
        self.workspaces = workspaces;
        self.selected = selected_name
            .and_then(|name| self.workspaces.iter().position(|w| w.name == name))
            .unwrap_or(self.selected)
            .min(self.workspaces.len().saturating_sub(1));
    }

    fn upsert(&mut self, workspace: Workspace) {
        match self
            .workspaces
            .iter_mut()
            .find(|w| w.name == workspace.name)
        {
            Some(existing) => *existing = workspace,
            None => {
                let mut workspaces = self.workspaces.clone();
                workspaces.push(workspace);
                workspaces.sort_by(|a, b| a.name.cmp(&b.name));
                self.set_workspaces(workspaces);
            }
        }
    }

    fn remove(&mut self, name: &str) {
        let workspaces = self
            .workspaces
            .iter()
            .filter(|w| w.name != name)
            .cloned()
            .collect();
        self.set_workspaces(workspaces);
    }
}

/// What went wrong with a name typed for a new workspace, as the prompt shows it. With agents
/// (`fleet`), `agent/name` puts it on that agent, a bare name on the default one.
pub fn name_problem(name: &str, fleet: &[AgentHealth]) -> Option<String> {
    let bare = match name.split_once('/') {
        Some((agent, bare)) if !fleet.is_empty() => {
            if !fleet.iter().any(|known| known.name == agent) {
                return Some(crate::fleet::unknown_agent(
                    agent,
                    fleet.iter().map(|known| known.name.as_str()),
                ));
            }
            bare
        }
        _ => name,
    };
    if bare.is_empty() {
        return Some("type a name".to_owned());
    }
    perry_agent::workspace::validate_name(bare)
        .err()
        .map(|_| format!("use {}", perry_agent::workspace::NAME_RULE))
}

fn done_message(workspace: &Workspace) -> (Level, String) {
    match (&workspace.status, &workspace.error) {
        (_, Some(error)) => (
            Level::Error,
            format!(
                "{} is {}: {error}",
                workspace.name,
                workspace.status.as_str()
            ),
        ),
        (WorkspaceStatus::Error, None) => {
            (Level::Error, format!("{} is in error.", workspace.name))
        }
        (status, None) => (
            Level::Info,
            format!("{} is {}.", workspace.name, status.as_str()),
        ),
    }
}
