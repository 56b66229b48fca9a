//! The TUI as a person sees it: keys go into a state built here, the screen is drawn on
//! ratatui's test backend and read back as text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use perry_api::sessions::{RecentSession, SessionsPage};
use perry_api::{AgentInfo, Workspace, WorkspacePorts, WorkspaceStatus};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use super::app::{
    Action, AgentAnswer, App, Effect, Mode, Outcome, Recent, RecentAnswer, Screen, Sessions,
    SessionsReply,
};
use super::view;

fn workspace(name: &str, status: WorkspaceStatus) -> Workspace {
    Workspace {
        name: name.to_owned(),
        status,
        container_id: None,
        created: "2025-01-01T00:00:00Z".to_owned(),
        image: "workspace-base".to_owned(),
        ports: WorkspacePorts {
            ssh: 2201,
            forwards: Vec::new(),
            labels: Default::default(),
        },
        error: None,
        clone: None,
        limits: None,
        post_start: None,
        last_used: None,
        progress: None,
        devcontainer: None,
    }
}

/// An app that has listed `alpha` (running) and `beta` (stopped) from a known agent.
fn listed_app() -> App {
    let mut app = App::new("http://box:7391", false);
    app.apply(Outcome::Info(Ok(AgentInfo {
        version: "0.1.0".to_owned(),
        hostname: "box".to_owned(),
        uptime: 5.0,
        workspaces_count: 2,
        docker_version: Some("27.3.1".to_owned()),
        engine: Some(perry_api::EngineInfo {
            kind: "docker".to_owned(),
            version: Some("27.3.1".to_owned()),
            location: "unix:///var/run/docker.sock".to_owned(),
        }),
        dind_mode: None,
        capacity: None,
    })));
    app.apply(Outcome::Listed(Ok(vec![
        workspace("alpha", WorkspaceStatus::Running),
        workspace("beta", WorkspaceStatus::Stopped),
    ])));
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(app: &mut App, text: &str) {
    for typed in text.chars() {
        press(app, KeyCode::Char(typed));
    }
}

/// The screen as lines of text, `width` × `height` cells.
fn screen(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| view::render(frame, app)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect()
}

fn screen_text(app: &App) -> String {
    screen(app, 100, 20).join("\n")
}

fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{}", lines.join("\n")))
}

#[test]
fn the_list_shows_each_workspace_with_its_status_and_the_agent_on_the_info_line() {
    let app = listed_app();
    let lines = screen(&app, 100, 20);
    let info = &lines[0];
    assert!(
        info.contains("http://box:7391") && info.contains("host box") && info.contains("v0.1.0"),
        "{info}"
    );
    assert!(line_with(&lines, "alpha").contains("running"));
    assert!(line_with(&lines, "beta").contains("stopped"));
    assert!(
        line_with(&lines, "alpha").starts_with("│> "),
        "the first row is selected"
    );
    assert!(lines.last().unwrap().contains("q quit"));
}

#[test]
fn before_the_first_list_the_screen_says_it_is_loading_and_an_empty_list_says_how_to_create() {
    let mut app = App::new("http://box:7391", false);
    assert!(screen_text(&app).contains("Loading workspaces"));
    app.apply(Outcome::Listed(Ok(Vec::new())));
    assert!(screen_text(&app).contains("Press c to create one"));
    // Keys that need a workspace say there is none instead of doing anything.
    assert!(press(&mut app, KeyCode::Char('s')).is_empty());
    assert!(screen_text(&app).contains("No workspace selected"));
}

#[test]
fn stop_marks_the_workspace_busy_until_the_reply_and_then_shows_the_new_status() {
    let mut app = listed_app();
    let effects = press(&mut app, KeyCode::Char('x'));
    assert_eq!(effects, [Effect::Run(Action::Stop, "alpha".to_owned())]);
    assert!(line_with(&screen(&app, 100, 20), "alpha").contains("stopping..."));
    // A second key on a busy workspace does not send another request.
    assert!(press(&mut app, KeyCode::Char('s')).is_empty());

    let follow_up = app.apply(Outcome::Done {
        action: Action::Stop,
        name: "alpha".to_owned(),
        result: Ok(Some(Box::new(workspace("alpha", WorkspaceStatus::Stopped)))),
    });
    assert_eq!(follow_up, [Effect::Refresh]);
    let lines = screen(&app, 100, 20);
    assert!(line_with(&lines, "alpha").contains("stopped"), "{lines:?}");
    line_with(&lines, "alpha is stopped.");
}

#[test]
fn moving_selects_the_next_workspace_and_start_acts_on_it() {
    let mut app = listed_app();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected, 1, "the cursor stops at the last row");
    assert_eq!(
        press(&mut app, KeyCode::Char('s')),
        [Effect::Run(Action::Start, "beta".to_owned())]
    );
    // A new list keeps the cursor on the same workspace even when rows move.
    app.apply(Outcome::Listed(Ok(vec![
        workspace("aaa", WorkspaceStatus::Running),
        workspace("alpha", WorkspaceStatus::Running),
        workspace("beta", WorkspaceStatus::Running),
    ])));
    assert_eq!(app.selected_workspace().unwrap().name, "beta");
}

#[test]
fn create_checks_the_name_as_it_is_typed_and_only_sends_a_valid_one() {
    let mut app = listed_app();
    press(&mut app, KeyCode::Char('c'));
    type_text(&mut app, "Bad_Name");
    let text = screen_text(&app);
    assert!(text.contains("New workspace name: Bad_Name"), "{text}");
    assert!(text.contains("lowercase letters"), "{text}");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "an invalid name is not sent"
    );
    assert!(matches!(app.mode, Mode::Create { .. }));

    for _ in 0.."Bad_Name".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "gamma");
    assert!(screen_text(&app).contains("Enter creates it"));
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        [Effect::Run(Action::Create, "gamma".to_owned())]
    );
    assert_eq!(app.mode, Mode::Normal);
    // Creating takes seconds: the status line says so and the spinner moves.
    let before = screen(&app, 100, 20);
    assert!(line_with(&before, "creating gamma...").starts_with('|'));
    app.tick();
    assert!(line_with(&screen(&app, 100, 20), "creating gamma...").starts_with('/'));

    app.apply(Outcome::Done {
        action: Action::Create,
        name: "gamma".to_owned(),
        result: Ok(Some(Box::new(workspace("gamma", WorkspaceStatus::Running)))),
    });
    assert!(!app.is_busy());
    assert!(line_with(&screen(&app, 100, 20), "gamma").contains("running"));
}

#[test]
fn escape_leaves_the_name_prompt_without_creating() {
    let mut app = listed_app();
    press(&mut app, KeyCode::Char('c'));
    type_text(&mut app, "x");
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.quit, "Esc in the prompt does not quit");
}

#[test]
fn delete_asks_first_and_only_y_deletes() {
    let mut app = listed_app();
    press(&mut app, KeyCode::Char('d'));
    assert!(screen_text(&app).contains("Delete alpha with its container and volumes?"));
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert!(screen_text(&app).contains("Kept alpha."));

    press(&mut app, KeyCode::Char('d'));
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        [Effect::Run(Action::Delete, "alpha".to_owned())]
    );
    app.apply(Outcome::Done {
        action: Action::Delete,
        name: "alpha".to_owned(),
        result: Ok(None),
    });
    let text = screen_text(&app);
    assert!(text.contains("Deleted alpha."), "{text}");
    assert!(!text.contains("running"), "{text}");
}

#[test]
fn errors_show_in_the_status_line_and_the_list_stays() {
    let mut app = listed_app();
    app.apply(Outcome::Listed(Err(
        "cannot reach the Perry agent at http://box:7391 (from PERRY_WORKER): Connection refused.\nStart it there"
            .to_owned(),
    )));
    let lines = screen(&app, 80, 20);
    let status = lines[16..19]
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        status.contains("cannot reach the Perry agent at http://box:7391")
            && status.contains("Connection refused. Start it there"),
        "the whole message, wrapped above the keys: {lines:#?}"
    );
    assert!(line_with(&lines, "alpha").contains("running"));

    press(&mut app, KeyCode::Char('x'));
    app.apply(Outcome::Listed(Ok(vec![workspace(
        "alpha",
        WorkspaceStatus::Running,
    )])));
    app.apply(Outcome::Done {
        action: Action::Stop,
        name: "alpha".to_owned(),
        result: Err("Docker is not answering (SERVICE_UNAVAILABLE)".to_owned()),
    });
    assert!(screen_text(&app).contains("Cannot stop alpha: Docker is not answering"));
}

#[test]
fn enter_and_o_open_a_shell_and_its_end_is_reported() {
    let mut app = listed_app();
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        [Effect::OpenShell("alpha".to_owned())]
    );
    assert_eq!(
        press(&mut app, KeyCode::Char('o')),
        [Effect::OpenShell("alpha".to_owned())]
    );
    app.apply(Outcome::ShellEnded {
        name: "alpha".to_owned(),
        result: Ok((3, None)),
    });
    assert!(screen_text(&app).contains("Shell in alpha ended with exit code 3."));
}

#[test]
fn the_sessions_view_says_when_the_agent_cannot_list_sessions() {
    let mut app = listed_app();
    assert_eq!(
        press(&mut app, KeyCode::Tab),
        [Effect::LoadSessions("alpha".to_owned())]
    );
    assert!(screen_text(&app).contains("Sessions in alpha"));
    assert!(screen_text(&app).contains("Loading sessions"));
    app.apply(Outcome::Sessions {
        workspace: "alpha".to_owned(),
        result: SessionsReply::NotImplemented,
    });
    assert!(
        screen_text(&app).contains("Sessions are not available from this agent yet."),
        "{}",
        screen_text(&app)
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Workspaces);
    assert!(!app.quit);
}

#[test]
fn the_sessions_view_lists_the_sessions_of_a_page() {
    let mut app = listed_app();
    press(&mut app, KeyCode::Char('v'));
    // As the agent sends it; a field this CLI does not know yet is ignored.
    let page: SessionsPage = serde_json::from_value(json!({
        "sessions": [{
            "sessionId": "abc123",
            "title": "Fix the flaky test",
            "agent": "claude-code",
            "messageCount": 12,
            "lastActivity": "2025-01-02T03:04:05Z",
            "projectPath": "/home/workspace/app",
            "resumeCommand": "claude --resume abc123",
            "somethingNew": {"ignored": true},
        }, {
            "sessionId": "def456",
            "title": "Publish the package",
            "agent": "claude-code",
            "messageCount": 3,
            "lastActivity": "2025-01-02T03:00:00Z",
            "projectPath": "/home/workspace/app",
            "resumeCommand": "claude --resume def456",
            "status": {"state": "needs_input", "since": "2025-01-02T03:00:01Z",
                       "detail": "Bash: npm publish"},
        }],
        "total": 2,
        "hasMore": false,
    }))
    .unwrap();
    app.apply(Outcome::Sessions {
        workspace: "alpha".to_owned(),
        result: SessionsReply::Listed(page),
    });
    let lines = screen(&app, 100, 20);
    let row = line_with(&lines, "Fix the flaky test");
    assert!(
        row.contains("claude-code") && row.contains("12") && row.contains("2025-01-02T03:04:05Z"),
        "{row}"
    );
    let asking = line_with(&lines, "def456");
    assert!(asking.contains("needs_input: Bash"), "{asking}");

    app.apply(Outcome::Sessions {
        workspace: "alpha".to_owned(),
        result: SessionsReply::Listed(SessionsPage {
            sessions: Vec::new(),
            total: 0,
            has_more: false,
        }),
    });
    assert_eq!(app.sessions, Sessions::Loaded(Vec::new()));
    // A reply for a workspace no longer on screen is dropped.
    press(&mut app, KeyCode::Tab);
    app.apply(Outcome::Sessions {
        workspace: "alpha".to_owned(),
        result: SessionsReply::Failed("late".to_owned()),
    });
    assert!(!screen_text(&app).contains("late"));
}

#[test]
fn help_opens_on_question_mark_and_any_key_closes_it() {
    let mut app = listed_app();
    press(&mut app, KeyCode::Char('?'));
    let text = screen_text(&app);
    assert!(
        text.contains("Keys") && text.contains("delete it (asks first)"),
        "{text}"
    );
    assert!(press(&mut app, KeyCode::Char('q')).is_empty());
    assert!(!app.quit, "the key that closes help does nothing else");
    assert!(!screen_text(&app).contains("asks first"));
}

#[test]
fn q_escape_and_ctrl_c_quit() {
    for key in [
        KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE),
        KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut app = listed_app();
        app.handle_key(key);
        assert!(app.quit, "{key:?} quits");
    }
}

#[test]
fn the_screen_fits_small_and_large_terminals() {
    let mut app = listed_app();
    press(&mut app, KeyCode::Char('?'));
    for (width, height) in [(20, 6), (40, 8), (80, 24), (200, 60), (1, 1)] {
        // Drawing must not panic at any size, help overlay included.
        let lines = screen(&app, width, height);
        assert_eq!(lines.len(), usize::from(height));
    }
    press(&mut app, KeyCode::Esc);
    let lines = screen(&app, 40, 8);
    assert!(line_with(&lines, "alpha").chars().count() <= 40);
    press(&mut app, KeyCode::Char('R'));
    app.apply(Outcome::Recent(vec![RecentAnswer {
        agent: None,
        result: Ok(vec![recent(
            "alpha",
            "id",
            "A title",
            Some("A name"),
            "2026-12-06T02:50:00Z",
        )]),
    }]));
    for (width, height) in [(20, 6), (40, 8), (80, 24), (200, 60), (1, 1)] {
        assert_eq!(screen(&app, width, height).len(), usize::from(height));
    }
}

#[test]
fn without_colour_the_selection_still_shows_in_reverse_video() {
    let app = listed_app();
    let mut terminal = Terminal::new(TestBackend::new(80, 10)).unwrap();
    terminal.draw(|frame| view::render(frame, &app)).unwrap();
    let buffer = terminal.backend().buffer();
    let row = (0..10u16)
        .find(|&y| {
            (0..80u16)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("alpha")
        })
        .unwrap();
    let cell = &buffer[(5, row)];
    assert!(cell.modifier.contains(ratatui::style::Modifier::REVERSED));
    for y in 0..10u16 {
        for x in 0..80u16 {
            assert_eq!(
                buffer[(x, y)].fg,
                ratatui::style::Color::Reset,
                "no colour at {x},{y}"
            );
        }
    }
}

/// A TUI of three agents: home lists `alpha`, closet lists `alpha` and `far`, attic is down.
fn fleet_app() -> App {
    let names = ["attic", "closet", "home"].map(str::to_owned);
    let mut app = App::of_fleet(&names, "http://home:7391", false);
    app.apply(Outcome::FleetListed(vec![
        AgentAnswer {
            agent: "attic".to_owned(),
            result: Err("no answer from http://attic:7391 within 3 s".to_owned()),
            round_trip_ms: 3000,
        },
        AgentAnswer {
            agent: "closet".to_owned(),
            result: Ok(vec![
                workspace("far", WorkspaceStatus::Running),
                workspace("alpha", WorkspaceStatus::Stopped),
            ]),
            round_trip_ms: 4,
        },
        AgentAnswer {
            agent: "home".to_owned(),
            result: Ok(vec![workspace("alpha", WorkspaceStatus::Running)]),
            round_trip_ms: 1,
        },
    ]));
    app
}

#[test]
fn a_fleet_is_listed_grouped_by_agent_with_each_agents_health() {
    let app = fleet_app();
    let lines = screen(&app, 110, 20);
    let text = lines.join("\n");
    assert!(
        line_with(&lines, "perry").contains("3 agents, 2 answering")
            && line_with(&lines, "perry").contains("unreachable: attic"),
        "{text}"
    );
    let row = |needle: &str| {
        lines
            .iter()
            .position(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
    };
    assert!(
        line_with(&lines, "│  attic").contains("unreachable: no answer from"),
        "{text}"
    );
    assert!(
        line_with(&lines, "│  closet").contains("up, 2 workspace(s), 4 ms"),
        "{text}"
    );
    assert!(
        line_with(&lines, "│  home").contains("up, 1 workspace(s), 1 ms"),
        "{text}"
    );
    // Each agent's line, then its workspaces under it, by their own names.
    assert!(
        row("│  attic") < row("│  closet")
            && row("│  closet") < row("far")
            && row("far") < row("│  home"),
        "{text}"
    );
    let closet_alpha = lines[row("│  closet") + 1..row("│  home")]
        .iter()
        .any(|line| line.contains("  alpha") && line.contains("stopped"));
    assert!(closet_alpha, "{text}");
}

#[test]
fn in_a_fleet_the_cursor_moves_over_workspaces_and_actions_name_their_agent() {
    let mut app = fleet_app();
    // The first workspace is closet's alpha (agents' lines are not selectable).
    assert_eq!(
        press(&mut app, KeyCode::Char('s')),
        [Effect::Run(Action::Start, "closet/alpha".to_owned())]
    );
    press(&mut app, KeyCode::Down);
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        [Effect::OpenShell("closet/far".to_owned())]
    );
    press(&mut app, KeyCode::Down);
    assert_eq!(
        press(&mut app, KeyCode::Tab),
        [Effect::LoadSessions("home/alpha".to_owned())]
    );
    let lines = screen(&app, 110, 20);
    assert!(line_with(&lines, "Sessions in").contains("home/alpha"));
}

#[test]
fn in_a_fleet_a_new_name_may_name_its_agent_and_an_unknown_one_is_refused() {
    let mut app = fleet_app();
    press(&mut app, KeyCode::Char('c'));
    type_text(&mut app, "cellar/new");
    assert!(
        screen_text(&app).contains("No agent named \"cellar\""),
        "{}",
        screen_text(&app)
    );
    assert_eq!(press(&mut app, KeyCode::Enter), []);
    for _ in 0.."cellar/new".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "closet/new");
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        [Effect::Run(Action::Create, "closet/new".to_owned())]
    );
    // Done, the new one is listed under closet.
    app.apply(Outcome::Done {
        action: Action::Create,
        name: "closet/new".to_owned(),
        result: Ok(Some(Box::new(workspace(
            "closet/new",
            WorkspaceStatus::Running,
        )))),
    });
    assert!(app.workspaces.iter().any(|w| w.name == "closet/new"));
}

/// 2026-12-06T03:00:00Z, the time the screens of the tests below are drawn at.
const NOW: i64 = 1_796_526_000;

#[test]
fn the_list_shows_when_each_workspace_was_last_used_and_cuts_that_column_first() {
    let mut app = listed_app();
    app.now = NOW;
    let mut alpha = workspace("alpha", WorkspaceStatus::Running);
    alpha.last_used = Some("2026-12-06T02:55:00Z".to_owned());
    let mut beta = workspace("beta", WorkspaceStatus::Stopped);
    beta.last_used = Some("2026-12-04T01:00:00Z".to_owned());
    let gamma = workspace("gamma", WorkspaceStatus::Stopped);
    app.apply(Outcome::Listed(Ok(vec![alpha, beta, gamma])));
    let lines = screen(&app, 100, 20);
    assert!(
        line_with(&lines, "NAME").contains("LAST USED"),
        "{lines:#?}"
    );
    let last_cell = |name: &str| {
        let line = line_with(&lines, name);
        line.trim_end_matches('│').trim_end().to_owned()
    };
    assert!(last_cell("alpha").ends_with("Z 5 min ago"), "{lines:#?}");
    assert!(last_cell("beta").ends_with("Z 2 d ago"), "{lines:#?}");
    assert!(
        last_cell("gamma").ends_with("Z -"),
        "never used: {lines:#?}"
    );
    // Narrower: the last use goes first, the creation date and image stay whole.
    let lines = screen(&app, 66, 20);
    let alpha = line_with(&lines, "alpha");
    assert!(
        !alpha.contains("min") && alpha.contains("workspace-base 2025-01-01T00:00:00Z"),
        "{lines:#?}"
    );
}

#[test]
fn a_workspace_being_made_shows_how_far_it_is_in_its_status() {
    let mut app = listed_app();
    let mut copy = workspace("copy", WorkspaceStatus::Creating);
    copy.progress = Some(perry_api::WorkspaceProgress {
        step: "copying".to_owned(),
        percent: Some(42),
    });
    app.apply(Outcome::Listed(Ok(vec![copy])));
    let lines = screen(&app, 100, 20);
    assert!(
        line_with(&lines, "copy").contains("creating (copying 42%)"),
        "{lines:#?}"
    );
}

fn recent(workspace: &str, id: &str, title: &str, name: Option<&str>, at: &str) -> RecentSession {
    serde_json::from_value(json!({
        "workspace": workspace,
        "session": {
            "sessionId": id,
            "title": title,
            "name": name,
            "agent": "claude-code",
            "messageCount": 4,
            "lastActivity": at,
            "projectPath": "/home/workspace/app",
            "resumeCommand": "",
        },
    }))
    .unwrap()
}

fn session_page(sessions: &[&RecentSession]) -> SessionsPage {
    SessionsPage {
        sessions: sessions.iter().map(|entry| entry.session.clone()).collect(),
        total: sessions.len() as u32,
        has_more: false,
    }
}

#[test]
fn capital_r_shows_the_latest_sessions_and_enter_opens_one_in_its_workspaces_sessions() {
    let mut app = listed_app();
    app.now = NOW;
    assert_eq!(press(&mut app, KeyCode::Char('R')), [Effect::LoadRecent]);
    assert_eq!(app.screen, Screen::Recent);
    assert!(screen_text(&app).contains("Loading recent sessions"));
    let fix = recent(
        "alpha",
        "id-fix",
        "Fix the broken footer links",
        Some("Footer fix"),
        "2026-12-06T02:50:00Z",
    );
    let publish = recent(
        "beta",
        "id-pub",
        "Publish the package",
        None,
        "2026-12-06T01:00:00Z",
    );
    // Out of order on purpose: the screen puts the latest first.
    app.apply(Outcome::Recent(vec![RecentAnswer {
        agent: None,
        result: Ok(vec![publish.clone(), fix.clone()]),
    }]));
    let lines = screen(&app, 110, 20);
    let text = lines.join("\n");
    assert!(text.contains("Recent sessions"), "{text}");
    assert!(line_with(&lines, "WORKSPACE").contains("WHEN"), "{text}");
    assert!(
        !line_with(&lines, "WORKSPACE").contains("AGENT"),
        "one agent: {text}"
    );
    let named = line_with(&lines, "Footer fix");
    assert!(
        named.contains("\"Footer fix\" (Fix the broken footer links)")
            && named.contains("alpha")
            && named.contains("10 min ago")
            && named.starts_with("│> "),
        "the name in quotes, its title after it, the latest first and selected: {text}"
    );
    assert!(
        line_with(&lines, "Publish the package").contains("2 h ago"),
        "{text}"
    );
    assert!(lines.last().unwrap().contains("Esc back"), "{text}");

    press(&mut app, KeyCode::Down);
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        [Effect::LoadSessions("beta".to_owned())]
    );
    app.apply(Outcome::Sessions {
        workspace: "beta".to_owned(),
        result: SessionsReply::Listed(session_page(&[&fix, &publish])),
    });
    let lines = screen(&app, 110, 20);
    assert!(
        line_with(&lines, "Publish the package").starts_with("│> "),
        "the session opened is marked: {lines:#?}"
    );
    // Back to where it came from, then to the workspaces.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Recent);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Workspaces);
    assert!(!app.quit);
    // Tab's sessions screen goes back to the workspaces, with nothing marked.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Workspaces);
}

#[test]
fn the_sessions_view_shows_a_given_name_in_quotes_before_the_title() {
    let mut app = listed_app();
    press(&mut app, KeyCode::Tab);
    let fix = recent(
        "alpha",
        "id-fix",
        "Fix the broken footer links",
        Some("Footer fix"),
        "2026-12-06T02:50:00Z",
    );
    app.apply(Outcome::Sessions {
        workspace: "alpha".to_owned(),
        result: SessionsReply::Listed(session_page(&[&fix])),
    });
    let lines = screen(&app, 150, 20);
    assert!(
        line_with(&lines, "id-fix").contains("\"Footer fix\" (Fix the broken footer links)"),
        "{lines:#?}"
    );
}

#[test]
fn a_fleets_recent_sessions_are_merged_with_their_agent_and_a_silent_agent_is_told() {
    let mut app = fleet_app();
    app.now = NOW;
    press(&mut app, KeyCode::Char('R'));
    app.apply(Outcome::Recent(vec![
        RecentAnswer {
            agent: Some("attic".to_owned()),
            result: Err("no answer from http://attic:7391 within 3 s".to_owned()),
        },
        RecentAnswer {
            agent: Some("closet".to_owned()),
            result: Ok(vec![recent(
                "far",
                "id-old",
                "Older work",
                None,
                "2026-12-05T03:00:00Z",
            )]),
        },
        RecentAnswer {
            agent: Some("home".to_owned()),
            result: Ok(vec![recent(
                "alpha",
                "id-new",
                "Newer work",
                None,
                "2026-12-06T02:59:30Z",
            )]),
        },
    ]));
    let lines = screen(&app, 120, 20);
    let text = lines.join("\n");
    assert!(line_with(&lines, "WORKSPACE").contains("AGENT"), "{text}");
    let row = |needle: &str| lines.iter().position(|line| line.contains(needle)).unwrap();
    assert!(row("Newer work") < row("Older work"), "{text}");
    assert!(
        line_with(&lines, "Newer work").contains("home")
            && line_with(&lines, "Newer work").contains("just now"),
        "{text}"
    );
    assert!(
        line_with(&lines, "Older work").contains("1 d ago"),
        "{text}"
    );
    assert!(text.contains("not answering: attic: no answer"), "{text}");
    press(&mut app, KeyCode::Down);
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        [Effect::LoadSessions("closet/far".to_owned())]
    );

    // No agent answering is an error on the screen, not an empty list.
    press(&mut app, KeyCode::Esc);
    app.apply(Outcome::Recent(vec![RecentAnswer {
        agent: Some("attic".to_owned()),
        result: Err("refused".to_owned()),
    }]));
    assert_eq!(app.recent, Recent::Failed("attic: refused".to_owned()));
    assert!(
        screen_text(&app).contains("Cannot list recent sessions: attic: refused"),
        "{}",
        screen_text(&app)
    );
}
