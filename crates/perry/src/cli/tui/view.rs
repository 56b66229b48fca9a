//! Drawing the TUI from its state. Plain ASCII apart from the borders every terminal has, the
//! selection in reverse video (so it shows without colour), colour only when allowed.

use perry_api::WorkspaceStatus;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use super::app::{App, Health, Level, Mode, Recent, Screen, Sessions, name_problem};
use crate::cli::output::relative_time;
use crate::cli::sessions::{status_cell, title_parts};

const SPINNER: [char; 4] = ['|', '/', '-', '\\'];
const SSH_WIDTH: u16 = 5;
/// An RFC 3339 time in UTC, e.g. 2025-01-01T00:00:00Z.
const CREATED_WIDTH: u16 = 20;
/// A time told relative to now, e.g. "59 min ago".
const WHEN_WIDTH: u16 = 10;

/// The keys, as the help overlay lists them.
const HELP: [(&str, &str); 14] = [
    ("Up/Down, j/k", "move"),
    ("c", "create a workspace"),
    ("s", "start the selected workspace"),
    ("x", "stop it"),
    ("d", "delete it (asks first)"),
    ("Enter, o", "open a shell in it"),
    ("Tab, v", "its sessions / back"),
    ("R", "recent sessions of all workspaces"),
    ("r", "refresh now"),
    ("?", "this help"),
    ("q, Esc", "quit"),
    ("", ""),
    ("", "The list refreshes every 2 seconds."),
    ("", "Any key closes this help."),
];

/// Draws the whole screen.
pub fn render(frame: &mut Frame, app: &App) {
    let palette = Palette::new(app.colour);
    let status = status_line(app, &palette);
    // A long error (the unreachable agent's hint) wraps onto up to three lines rather than
    // losing its end; everything else fits on one.
    let width = usize::from(frame.area().width.max(1));
    let status_height = status.width().div_ceil(width).clamp(1, 3) as u16;
    let [info_area, main_area, status_area, keys_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(status_height),
        Constraint::Length(1),
    ])
    .areas(frame.area());

    frame.render_widget(Paragraph::new(info_line(app, &palette)), info_area);
    match &app.screen {
        Screen::Workspaces => render_workspaces(frame, app, &palette, main_area),
        Screen::Sessions { workspace } => {
            render_sessions(frame, app, &palette, workspace, main_area);
        }
        Screen::Recent => render_recent(frame, app, &palette, main_area),
    }
    if let Mode::Create { name } = &app.mode {
        let cursor_x = status_area.x + (CREATE_PROMPT.len() + name.chars().count()) as u16;
        frame.set_cursor_position((
            cursor_x.min(status_area.right().saturating_sub(1)),
            status_area.y,
        ));
    }
    frame.render_widget(
        Paragraph::new(status).wrap(Wrap { trim: false }),
        status_area,
    );
    frame.render_widget(Paragraph::new(keys_line(app)).style(palette.dim), keys_area);
    if app.mode == Mode::Help {
        render_help(frame, main_area);
    }
}

/// Styles, all plain when colour is off.
struct Palette {
    title: Style,
    dim: Style,
    error: Style,
    selected: Style,
    running: Style,
    stopped: Style,
    creating: Style,
}

impl Palette {
    fn new(colour: bool) -> Palette {
        let coloured = |style: Style| if colour { style } else { Style::default() };
        Palette {
            title: Style::default().add_modifier(Modifier::BOLD),
            dim: coloured(Style::default().fg(Color::DarkGray)),
            error: coloured(Style::default().fg(Color::Red)).add_modifier(Modifier::BOLD),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            running: coloured(Style::default().fg(Color::Green)),
            stopped: coloured(Style::default().fg(Color::DarkGray)),
            creating: coloured(Style::default().fg(Color::Yellow)),
        }
    }

    fn status(&self, status: WorkspaceStatus) -> Style {
        match status {
            WorkspaceStatus::Running => self.running,
            WorkspaceStatus::Stopped => self.stopped,
            WorkspaceStatus::Creating => self.creating,
            WorkspaceStatus::Error | WorkspaceStatus::Unreachable => self.error,
        }
    }
}

fn info_line<'a>(app: &'a App, palette: &Palette) -> Line<'a> {
    if !app.fleet.is_empty() {
        let up = app
            .fleet
            .iter()
            .filter(|agent| matches!(agent.state, Health::Up { .. }))
            .count();
        let mut spans = vec![
            Span::styled("perry", palette.title),
            Span::raw(format!("  {} agents, {up} answering", app.fleet.len())),
        ];
        let silent: Vec<&str> = app
            .fleet
            .iter()
            .filter(|agent| matches!(agent.state, Health::Unreachable(_)))
            .map(|agent| agent.name.as_str())
            .collect();
        if !silent.is_empty() {
            spans.push(Span::styled(
                format!("  unreachable: {}", silent.join(", ")),
                palette.error,
            ));
        }
        return Line::from(spans);
    }
    let mut spans = vec![
        Span::styled("perry", palette.title),
        Span::raw(format!("  agent {}", app.agent_url)),
    ];
    match &app.agent {
        Some(info) => {
            spans.push(Span::raw(format!(
                "  host {}  v{}",
                info.hostname, info.version
            )));
            let (kind, version) = match &info.engine {
                Some(engine) => (engine.kind.as_str(), engine.version.as_deref()),
                None => ("docker", info.docker_version.as_deref()),
            };
            let version = version.unwrap_or("not answering");
            spans.push(Span::raw(format!("  {kind} {version}")));
        }
        None if app.connection_error.is_some() => {
            spans.push(Span::styled("  not reachable", palette.error));
        }
        None => spans.push(Span::styled("  connecting...", palette.dim)),
    }
    Line::from(spans)
}

fn render_workspaces(frame: &mut Frame, app: &App, palette: &Palette, area: Rect) {
    let block = Block::bordered().title(Span::styled(
        format!(" Workspaces ({}) ", app.workspaces.len()),
        palette.title,
    ));
    if app.workspaces.is_empty() && app.fleet.is_empty() {
        let text = if !app.loaded {
            "Loading workspaces..."
        } else {
            "No workspaces yet. Press c to create one."
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let spinner = SPINNER[app.spinner_frame % SPINNER.len()];
    let workspace_row = |workspace: &perry_api::Workspace| {
        let status = match app.busy_with(&workspace.name) {
            Some(action) => {
                Cell::from(format!("{}... {spinner}", action.in_progress())).style(palette.creating)
            }
            None => Cell::from(status_text(workspace)).style(palette.status(workspace.status)),
        };
        // Under its agent's line, a workspace of a fleet goes by its own name.
        let name = match workspace.name.split_once('/') {
            Some((_, bare)) if !app.fleet.is_empty() => format!("  {bare}"),
            _ => workspace.name.clone(),
        };
        Row::new([
            Cell::from(name),
            status,
            Cell::from(workspace.ports.ssh.to_string()),
            Cell::from(workspace.image.clone()),
            Cell::from(workspace.created.clone()),
            Cell::from(relative_time(workspace.last_used.as_deref(), app.now)),
        ])
    };
    // One agent: its workspaces. A fleet: each agent's line with its health, then its
    // workspaces; the cursor moves over workspaces only.
    let mut rows = Vec::new();
    let mut selected_row = app.selected;
    if app.fleet.is_empty() {
        rows.extend(app.workspaces.iter().map(workspace_row));
    } else {
        for agent in &app.fleet {
            let (health, style) = health_text(&agent.state, palette);
            rows.push(Row::new([
                Cell::from(agent.name.clone()).style(palette.title),
                Cell::from(health).style(style),
            ]));
            let prefix = format!("{}/", agent.name);
            for (index, workspace) in app.workspaces.iter().enumerate() {
                if workspace.name.starts_with(&prefix) {
                    if index == app.selected {
                        selected_row = rows.len();
                    }
                    rows.push(workspace_row(workspace));
                }
            }
        }
    }
    // Columns as wide as their longest value (within reason), so a narrow terminal keeps
    // the name and status and loses the end of the image and date first.
    let width_of = |values: &mut dyn Iterator<Item = usize>, min: usize, max: usize| {
        values.max().unwrap_or(0).clamp(min, max) as u16
    };
    let name_width = width_of(
        &mut app
            .workspaces
            .iter()
            .map(|w| w.name.len())
            .chain(app.fleet.iter().map(|agent| agent.name.len())),
        4,
        32,
    );
    let status_width = width_of(
        &mut app
            .workspaces
            .iter()
            .map(|w| status_text(w).chars().count())
            .chain(
                app.fleet
                    .iter()
                    .map(|agent| health_text(&agent.state, palette).0.len()),
            ),
        // "creating... |" fits whatever the statuses.
        13,
        64,
    );

    let image_width = width_of(&mut app.workspaces.iter().map(|w| w.image.len()), 5, 32);
    // What is left after the borders, the selection marker and the gaps between columns
    // goes to the image, then the date, then the last use, so on a narrow screen the last use
    // is cut first, then the date, then the image.
    let mut left = area
        .width
        .saturating_sub(2 + 2 + 5)
        .saturating_sub(name_width + status_width + SSH_WIDTH);
    let image_width = image_width.min(left);
    left = left.saturating_sub(image_width);
    let created_width = CREATED_WIDTH.min(left);
    left = left.saturating_sub(created_width);
    let table = Table::new(
        rows,
        [
            Constraint::Length(name_width),
            Constraint::Length(status_width),
            Constraint::Length(SSH_WIDTH),
            Constraint::Length(image_width),
            Constraint::Length(created_width),
            Constraint::Length(WHEN_WIDTH.min(left)),
        ],
    )
    .header(
        Row::new(["NAME", "STATUS", "SSH", "IMAGE", "CREATED", "LAST USED"]).style(palette.title),
    )
    .block(block)
    .row_highlight_style(palette.selected)
    .highlight_symbol("> ");
    let selected = (!app.workspaces.is_empty()).then_some(selected_row);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}

/// An agent's health as its line in the list of a fleet says it.
fn health_text(state: &Health, palette: &Palette) -> (String, Style) {
    match state {
        Health::Checking => ("asking...".to_owned(), palette.dim),
        Health::Up {
            workspaces,
            round_trip_ms,
        } => (
            format!("up, {workspaces} workspace(s), {round_trip_ms} ms"),
            palette.running,
        ),
        Health::Unreachable(why) => (format!("unreachable: {}", one_line(why)), palette.error),
    }
}

fn render_sessions(frame: &mut Frame, app: &App, palette: &Palette, workspace: &str, area: Rect) {
    let block = Block::bordered().title(Span::styled(
        format!(" Sessions in {workspace} "),
        palette.title,
    ));
    let text = match &app.sessions {
        Sessions::Loading => "Loading sessions...".to_owned(),
        Sessions::Unavailable => "Sessions are not available from this agent yet.".to_owned(),
        Sessions::Failed(error) => format!("Cannot list sessions: {error}"),
        Sessions::Loaded(rows) if rows.is_empty() => {
            "No coding-agent sessions in this workspace yet.".to_owned()
        }
        Sessions::Loaded(rows) => {
            let highlighted = app
                .highlighted_session
                .as_ref()
                .and_then(|id| rows.iter().position(|row| &row.session_id == id));
            let table = Table::new(
                rows.iter().map(|row| {
                    Row::new([
                        title_cell(row, palette),
                        Cell::from(row.agent.as_str()),
                        Cell::from(status_cell(row)).style(session_status_style(row, palette)),
                        Cell::from(row.message_count.to_string()),
                        Cell::from(row.last_activity.clone()),
                        Cell::from(row.session_id.clone()),
                    ])
                }),
                [
                    Constraint::Fill(1),
                    Constraint::Length(12),
                    Constraint::Fill(1),
                    Constraint::Length(8),
                    Constraint::Length(25),
                    Constraint::Length(12),
                ],
            )
            .header(
                Row::new([
                    "TITLE",
                    "AGENT",
                    "STATUS",
                    "MESSAGES",
                    "LAST ACTIVITY",
                    "ID",
                ])
                .style(palette.title),
            )
            .block(block)
            .row_highlight_style(palette.selected)
            .highlight_symbol("> ");
            let mut state = TableState::default().with_selected(highlighted);
            frame.render_stateful_widget(table, area, &mut state);
            return;
        }
    };
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
        area,
    );
}

/// A session's title cell: a given name in quotes, its own title dimmed after it.
fn title_cell(session: &perry_api::SessionInfo, palette: &Palette) -> Cell<'static> {
    let (shown, title) = title_parts(session);
    let mut spans = vec![Span::raw(shown)];
    if let Some(title) = title {
        spans.push(Span::styled(format!(" ({title})"), palette.dim));
    }
    Cell::from(Line::from(spans))
}

/// A session that waits for the person (or failed) stands out.
fn session_status_style(session: &perry_api::SessionInfo, palette: &Palette) -> Style {
    match session.status.as_ref().map(|status| status.state) {
        Some(state) if state.needs_the_person() => palette.error,
        _ => Style::default(),
    }
}

/// The latest sessions of every workspace (of every agent), newest first.
fn render_recent(frame: &mut Frame, app: &App, palette: &Palette, area: Rect) {
    let block = Block::bordered().title(Span::styled(" Recent sessions ", palette.title));
    let (rows, silent) = match &app.recent {
        Recent::Loading => {
            frame.render_widget(
                Paragraph::new("Loading recent sessions...").block(block),
                area,
            );
            return;
        }
        Recent::Failed(error) => {
            frame.render_widget(
                Paragraph::new(format!("Cannot list recent sessions: {}", one_line(error)))
                    .wrap(Wrap { trim: true })
                    .block(block),
                area,
            );
            return;
        }
        Recent::Loaded { rows, silent } => (rows, silent),
    };
    let block = match silent.as_slice() {
        [] => block,
        silent => block.title_bottom(Span::styled(
            format!(" not answering: {} ", one_line(&silent.join("; "))),
            palette.error,
        )),
    };
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(
                "No recent sessions: those of running workspaces and those you opened show up here.",
            )
            .wrap(Wrap { trim: true })
            .block(block),
            area,
        );
        return;
    }
    // The AGENT column only when there are several agents.
    let skip = usize::from(app.fleet.is_empty());
    let workspace_width = rows
        .iter()
        .map(|row| row.entry.workspace.len())
        .max()
        .unwrap_or(0)
        .clamp(9, 32) as u16;
    let agent_width = rows
        .iter()
        .filter_map(|row| row.agent.as_ref().map(String::len))
        .max()
        .unwrap_or(0)
        .clamp(5, 20) as u16;
    let widths = [
        Constraint::Length(agent_width),
        Constraint::Length(workspace_width),
        Constraint::Fill(2),
        Constraint::Length(11),
        Constraint::Fill(1),
        Constraint::Length(WHEN_WIDTH),
    ];
    let header = ["AGENT", "WORKSPACE", "TITLE", "TOOL", "STATUS", "WHEN"];
    let table = Table::new(
        rows.iter().map(|row| {
            let session = &row.entry.session;
            let cells = [
                Cell::from(row.agent.clone().unwrap_or_default()),
                Cell::from(row.entry.workspace.clone()),
                title_cell(session, palette),
                Cell::from(session.agent.as_str()),
                Cell::from(status_cell(session)).style(session_status_style(session, palette)),
                Cell::from(relative_time(Some(row.entry.recency()), app.now)),
            ];
            Row::new(cells.into_iter().skip(skip))
        }),
        widths.into_iter().skip(skip),
    )
    .header(Row::new(header.into_iter().skip(skip)).style(palette.title))
    .block(block)
    .row_highlight_style(palette.selected)
    .highlight_symbol("> ");
    let mut state = TableState::default().with_selected(Some(app.recent_selected));
    frame.render_stateful_widget(table, area, &mut state);
}

const CREATE_PROMPT: &str = "New workspace name: ";

/// The line above the keys: the prompt of a create or delete, else what is running and the
/// last error or message.
fn status_line(app: &App, palette: &Palette) -> Line<'static> {
    match &app.mode {
        Mode::Create { name } => {
            let mut spans = vec![
                Span::styled(CREATE_PROMPT, palette.title),
                Span::raw(name.clone()),
                Span::raw("  "),
            ];
            match name_problem(name, &app.fleet) {
                Some(problem) => spans.push(Span::styled(problem, palette.error)),
                None => spans.push(Span::styled("Enter creates it", palette.dim)),
            }
            Line::from(spans)
        }
        Mode::ConfirmDelete { name } => Line::from(Span::styled(
            format!(
                "Delete {name} with its container and volumes? Type y to confirm, any other key keeps it."
            ),
            palette.error,
        )),
        Mode::Normal | Mode::Help => {
            let mut spans = Vec::new();
            if !app.busy.is_empty() {
                let spinner = SPINNER[app.spinner_frame % SPINNER.len()];
                let busy: Vec<String> = app
                    .busy
                    .iter()
                    .map(|busy| format!("{} {}...", busy.action.in_progress(), busy.name))
                    .collect();
                spans.push(Span::styled(
                    format!("{spinner} {}  ", busy.join(", ")),
                    palette.creating,
                ));
            }
            if let Some(error) = &app.connection_error {
                spans.push(Span::styled(one_line(error), palette.error));
            } else if let Some((level, message)) = &app.message {
                let style = match level {
                    Level::Info => Style::default(),
                    Level::Error => palette.error,
                };
                spans.push(Span::styled(one_line(message), style));
            }
            Line::from(spans)
        }
    }
}

fn keys_line(app: &App) -> &'static str {
    match (&app.mode, &app.screen) {
        (Mode::Create { .. }, _) => "Enter create  Esc cancel",
        (Mode::ConfirmDelete { .. }, _) => "y delete  any other key cancel",
        (_, Screen::Sessions { .. }) => "Tab/v/Esc back  r refresh  ? help  q quit",
        (_, Screen::Recent) => {
            "Enter its workspace's sessions  Esc back  r refresh  ? help  q quit"
        }
        (_, Screen::Workspaces) => {
            "c create  s start  x stop  d delete  Enter shell  v sessions  R recent  r refresh  ? help  q quit"
        }
    }
}

fn render_help(frame: &mut Frame, area: Rect) {
    let width = 56.min(area.width);
    let height = (HELP.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(keys, what)| Line::from(format!("{keys:>14}  {what}")))
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys ")),
        popup,
    );
}

/// Messages can hold a line break (the unreachable-agent hint); the status bar has one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A workspace's status as the list shows it: with why it failed, or what its post-start
/// scripts came to when a person should know.
fn status_text(workspace: &perry_api::Workspace) -> String {
    let mut text = workspace.status.as_str().to_owned();
    if let Some(progress) = &workspace.progress {
        text.push_str(&format!(
            " ({})",
            crate::cli::output::progress_text(progress)
        ));
    }
    if let Some(error) = &workspace.error {
        text.push_str(&format!(" ({error})"));
    }
    if let Some(note) = crate::cli::output::post_start_note(workspace) {
        text.push_str(&format!(" ({note})"));
    }
    text
}
