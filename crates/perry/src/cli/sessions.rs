//! `perry sessions <workspace> [<id>]`: the coding-agent sessions of a workspace, one
//! conversation, or (`--watch`) every change as it happens; `perry sessions rename|delete` to
//! name or remove one; `perry sessions --recent` for the latest across every workspace.

use futures_util::StreamExt;
use perry_agent::websocket::{self, OpCode};
use perry_api::procedures::{
    SessionsDelete, SessionsList, SessionsMessages, SessionsRecent, SessionsRename, SessionsSearch,
};
use perry_api::sessions::{
    DEFAULT_RECENT_LIMIT, Message, MessageRole, RecentSession, RecentSessionsInput, SessionAgent,
    SessionEvent, SessionGetInput, SessionInfo, SessionMessagesInput, SessionRenameInput,
    SessionsListInput, SessionsSearchInput,
};
use serde_json::json;

use super::{Context, output};
use crate::client::AgentClient;
use crate::fleet::first_line;

/// How many sessions (or messages) are shown when `--limit` is not given.
const DEFAULT_LIMIT: u32 = 50;

/// The sessions of a workspace (`perry sessions <workspace> [<id>]`), or a subcommand.
///
/// The subcommands' names win over a workspace's: a workspace literally named `rename` or
/// `delete` is listed with `perry sessions -- rename` (and its session shown with
/// `perry sessions -- rename <id>`).
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// The workspace's name.
    #[arg(required_unless_present = "recent")]
    workspace: Option<String>,
    /// Show this session's conversation instead of the list.
    session: Option<String>,
    /// Only sessions of this coding agent.
    #[arg(long, value_parser = parse_agent)]
    agent: Option<SessionAgent>,
    /// How many sessions (or messages, newest) to show [default: 50; with --recent 20, at most
    /// 100].
    #[arg(long)]
    limit: Option<u32>,
    /// Sessions whose title or messages contain this text.
    #[arg(long, conflicts_with_all = ["session", "watch"])]
    search: Option<String>,
    /// Keep running and print every change (added, updated, removed) as it happens.
    #[arg(long, conflicts_with = "session")]
    watch: bool,
    /// The sessions most recently active or opened, across every workspace (of every added
    /// agent), newest first.
    #[arg(long, conflicts_with_all = ["workspace", "session", "search", "watch", "agent"])]
    recent: bool,
    /// Print JSON instead of text (with --watch: one event per line).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Give a session a name, shown in place of its title everywhere (`--clear`: its own
    /// title again).
    Rename(RenameArgs),
    /// Delete a session: its transcript inside the workspace.
    Delete(DeleteArgs),
}

#[derive(Debug, clap::Args)]
struct RenameArgs {
    /// The workspace's name.
    workspace: String,
    /// The session's id.
    session: String,
    /// The name (one line, at most 200 characters).
    #[arg(required_unless_present = "clear")]
    name: Option<String>,
    /// Take the name away: the session shows its own title again.
    #[arg(long, conflicts_with = "name")]
    clear: bool,
    /// Print the session as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct DeleteArgs {
    /// The workspace's name.
    workspace: String,
    /// The session's id.
    session: String,
    /// Print JSON instead of a sentence.
    #[arg(long)]
    json: bool,
}

fn parse_agent(text: &str) -> Result<SessionAgent, String> {
    serde_json::from_value(json!(text))
        .map_err(|_| "one of claude-code, opencode, codex".to_owned())
}

pub async fn run(context: &Context, mut args: Args) -> anyhow::Result<()> {
    match args.command.take() {
        Some(Command::Rename(rename)) => return rename_session(context, rename).await,
        Some(Command::Delete(delete)) => return delete_session(context, delete).await,
        None => {}
    }
    if args.recent {
        return recent(context, args.limit, args.json).await;
    }
    let Some(workspace_arg) = args.workspace.clone() else {
        anyhow::bail!("name a workspace (`perry sessions <workspace>`), or give --recent");
    };
    list_or_show(context, &workspace_arg, args).await
}

/// The list of a workspace's sessions, one conversation, search hits, or the live changes.
async fn list_or_show(context: &Context, workspace_arg: &str, args: Args) -> anyhow::Result<()> {
    let (client, workspace) = context.locate(workspace_arg).await?;
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
    if args.watch {
        return watch(&client, &workspace, args.json).await;
    }
    if let Some(query) = &args.search {
        let hits = client
            .call::<SessionsSearch>(&SessionsSearchInput {
                workspace_name: workspace.clone(),
                query: query.clone(),
            })
            .await?;
        if args.json {
            return output::print_json(&hits);
        }
        if hits.is_empty() {
            println!("No session of {workspace_arg} mentions {query:?}.");
        }
        for hit in hits {
            println!(
                "{}  {}  {}\n    {}",
                hit.session.session_id,
                hit.session.agent.as_str(),
                title_cell(&hit.session),
                hit.snippet
            );
        }
        return Ok(());
    }
    if let Some(session) = &args.session {
        let page = client
            .call::<SessionsMessages>(&SessionMessagesInput {
                workspace_name: workspace.clone(),
                session_id: session.clone(),
                limit: Some(limit),
                // The first page: the agent notes the session as opened (`--recent`).
                offset: None,
            })
            .await?;
        if args.json {
            return output::print_json(&page);
        }
        if page.has_more {
            println!(
                "… {} older messages (show more with --limit)\n",
                page.total as usize - page.messages.len()
            );
        }
        for message in &page.messages {
            println!("{}", conversation_entry(message));
        }
        return Ok(());
    }
    let page = client
        .call::<SessionsList>(&SessionsListInput {
            workspace_name: workspace.clone(),
            agent: args.agent,
            limit: Some(limit),
            offset: None,
        })
        .await?;
    if args.json {
        return output::print_json(&page);
    }
    if page.sessions.is_empty() {
        println!(
            "No coding-agent sessions in {workspace_arg} yet (Claude Code, OpenCode and Codex sessions show up here)."
        );
        return Ok(());
    }
    println!("{}", sessions_table(&page.sessions));
    if page.has_more {
        println!(
            "… {} of {} shown (more with --limit)",
            page.sessions.len(),
            page.total
        );
    }
    Ok(())
}

/// `perry sessions rename`: names a session, or (`--clear`) takes its name away.
async fn rename_session(context: &Context, args: RenameArgs) -> anyhow::Result<()> {
    // The agent refuses it too; this says what the command line has instead.
    if args
        .name
        .as_deref()
        .is_some_and(|name| name.trim().is_empty())
    {
        anyhow::bail!(
            "A session name cannot be empty; `perry sessions rename {} {} --clear` shows the session's own title again",
            args.workspace,
            args.session
        );
    }
    let (client, workspace) = context.locate(&args.workspace).await?;
    let session = client
        .call::<SessionsRename>(&SessionRenameInput {
            workspace_name: workspace,
            session_id: args.session.clone(),
            name: args.name.filter(|_| !args.clear),
        })
        .await?;
    if args.json {
        return output::print_json(&session);
    }
    match &session.name {
        Some(name) => println!(
            "Session {} in {} is now called {name:?}.",
            session.session_id, args.workspace
        ),
        None => println!(
            "Session {} in {} shows its own title again: {}",
            session.session_id, args.workspace, session.title
        ),
    }
    Ok(())
}

/// `perry sessions delete`: removes a session's transcript from its workspace.
async fn delete_session(context: &Context, args: DeleteArgs) -> anyhow::Result<()> {
    let (client, workspace) = context.locate(&args.workspace).await?;
    let result = client
        .call::<SessionsDelete>(&SessionGetInput {
            workspace_name: workspace,
            session_id: args.session.clone(),
        })
        .await?;
    if args.json {
        return output::print_json(&result);
    }
    println!(
        "Deleted session {} of {} (its transcript in the workspace).",
        args.session, args.workspace
    );
    Ok(())
}

/// A session of `sessions.recent`, with the agent it came from when there are several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentRow {
    /// The agent's name in the fleet; `None` when the CLI talks to one agent.
    pub agent: Option<String>,
    pub entry: RecentSession,
}

impl RecentRow {
    /// Its workspace as every command takes it: `agent/name` of a fleet.
    pub fn qualified_workspace(&self) -> String {
        match &self.agent {
            Some(agent) => format!("{agent}/{}", self.entry.workspace),
            None => self.entry.workspace.clone(),
        }
    }
}

/// Puts several agents' recent sessions together: the latest (activity or opening) first, as
/// one agent orders its own.
pub fn newest_first(rows: &mut [RecentRow]) {
    let key = |row: &RecentRow| {
        let recency = row.entry.recency();
        (output::unix_seconds(recency), recency.to_owned())
    };
    rows.sort_by_key(|row| std::cmp::Reverse(key(row)));
}

/// `perry sessions --recent`: one agent's latest sessions, or every added agent's together.
async fn recent(context: &Context, limit: Option<u32>, json: bool) -> anyhow::Result<()> {
    let input = RecentSessionsInput { limit };
    let fleet = context.fleet()?;
    let mut rows = Vec::new();
    match &fleet {
        Some(fleet) => {
            let answers = fleet
                .ask(|member| member.client.call::<SessionsRecent>(&input))
                .await;
            if answers.iter().all(|answer| answer.result.is_err()) {
                let why: Vec<String> = answers
                    .iter()
                    .filter_map(|answer| {
                        let error = answer.result.as_ref().err()?;
                        Some(format!("  {}: {}", answer.member.name, first_line(error)))
                    })
                    .collect();
                anyhow::bail!("No agent gave its recent sessions:\n{}", why.join("\n"));
            }
            for answer in answers {
                match answer.result {
                    Ok(entries) => rows.extend(entries.into_iter().map(|entry| RecentRow {
                        agent: Some(answer.member.name.clone()),
                        entry,
                    })),
                    Err(error) => {
                        // Its own words: unreachable, or too old to know `sessions.recent`.
                        eprintln!("{}: {}", answer.member.name, first_line(&error));
                    }
                }
            }
        }
        None => {
            let entries = context.client()?.call::<SessionsRecent>(&input).await?;
            rows.extend(
                entries
                    .into_iter()
                    .map(|entry| RecentRow { agent: None, entry }),
            );
        }
    }
    newest_first(&mut rows);
    rows.truncate(limit.unwrap_or(DEFAULT_RECENT_LIMIT) as usize);
    if json {
        let values: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| {
                let mut value = json!(row.entry);
                if let Some(agent) = &row.agent {
                    value["agent"] = json!(agent);
                }
                value
            })
            .collect();
        return output::print_json(&values);
    }
    if rows.is_empty() {
        println!(
            "No recent sessions: those of running workspaces and those you opened show up here."
        );
        return Ok(());
    }
    println!(
        "{}",
        recent_table(&rows, fleet.is_some(), output::unix_now())
    );
    Ok(())
}

/// The table of `perry sessions --recent`; WHEN is told relative to `now` (Unix seconds).
pub fn recent_table(rows: &[RecentRow], with_agent: bool, now: i64) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    let mut header = Vec::new();
    if with_agent {
        header.push("AGENT");
    }
    header.extend(["WORKSPACE", "ID", "TOOL", "STATUS", "WHEN", "TITLE"]);
    table.set_header(header);
    for row in rows {
        let session = &row.entry.session;
        let mut cells = Vec::new();
        if with_agent {
            cells.push(row.agent.clone().unwrap_or_default());
        }
        cells.extend([
            row.entry.workspace.clone(),
            session.session_id.clone(),
            session.agent.as_str().to_owned(),
            status_cell(session),
            output::relative_time(Some(row.entry.recency()), now),
            title_cell(session),
        ]);
        table.add_row(cells);
    }
    table.to_string()
}

/// What people see a session called, in two parts: a given name in quotes (so it reads as a
/// name) with the session's own title to show after it, else the title alone.
pub fn title_parts(session: &SessionInfo) -> (String, Option<String>) {
    match &session.name {
        Some(name) => (
            format!("\"{}\"", shorten(name, 40)),
            Some(shorten(&session.title, 40)),
        ),
        None => (shorten(&session.title, 60), None),
    }
}

/// A session's title for a table: its given name in quotes and its own title after it in
/// parentheses (dimmed where colour is on), else its title.
pub fn title_cell(session: &SessionInfo) -> String {
    match title_parts(session) {
        (shown, Some(title)) => format!("{shown}{}", output::paint("90", &format!(" ({title})"))),
        (shown, None) => shown,
    }
}

/// The table of sessions, newest first.
pub fn sessions_table(sessions: &[SessionInfo]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header([
        "ID",
        "AGENT",
        "STATUS",
        "MESSAGES",
        "LAST ACTIVITY",
        "TITLE",
    ]);
    for session in sessions {
        table.add_row([
            session.session_id.clone(),
            session.agent.as_str().to_owned(),
            status_cell(session),
            session.message_count.to_string(),
            session.last_activity.clone(),
            title_cell(session),
        ]);
    }
    table.to_string()
}

/// A session's status as a table cell: the state, and what is asked when it waits for input.
pub fn status_cell(session: &SessionInfo) -> String {
    let Some(status) = &session.status else {
        return "-".to_owned();
    };
    let state = status.state.as_str();
    match &status.detail {
        Some(detail) => format!("{state}: {}", shorten(detail, 40)),
        None => state.to_owned(),
    }
}

/// One message as a person reads it in a terminal: who and when, the text, the tools called.
pub fn conversation_entry(message: &Message) -> String {
    let who = match message.role {
        MessageRole::User => "user",
        MessageRole::Assistant => "assistant",
        MessageRole::System => "system",
        MessageRole::Tool => "tool output",
    };
    let mut entry = format!("── {who} {}\n", message.timestamp);
    let text = message.text.trim();
    if !text.is_empty() {
        entry.push_str(text);
        entry.push('\n');
    }
    for call in &message.tool_calls {
        entry.push_str(&format!("  ↳ {}: {}\n", call.name, call.summary));
    }
    entry
}

pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}

/// Prints the snapshot, then every change, until the socket closes (the workspace stopped) or
/// Ctrl-C.
async fn watch(client: &AgentClient, workspace: &str, json: bool) -> anyhow::Result<()> {
    let url = client.websocket_url(&format!("/sessions/{workspace}"));
    let mut socket = client.connect_websocket(&url).await?;
    while let Some(frame) = socket.next().await {
        let text = match frame.opcode() {
            OpCode::Text => websocket::text(&frame),
            OpCode::Close => {
                let reason = websocket::close_reason(&frame);
                eprintln!(
                    "perry: the sessions stream closed{}",
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                );
                return Ok(());
            }
            _ => continue,
        };
        if json {
            println!("{text}");
            continue;
        }
        let event: SessionEvent = match serde_json::from_str(text) {
            Ok(event) => event,
            Err(_) => continue,
        };
        match event {
            SessionEvent::Snapshot { sessions } => {
                if sessions.is_empty() {
                    println!("No sessions yet; watching for new ones (Ctrl-C to stop).");
                } else {
                    println!("{}", sessions_table(&sessions));
                }
            }
            SessionEvent::Added { session } => println!("added    {}", describe(&session)),
            SessionEvent::Updated { session } => println!("updated  {}", describe(&session)),
            SessionEvent::Removed { session_id, agent } => {
                println!("removed  {session_id} ({})", agent.as_str())
            }
        }
    }
    anyhow::bail!("the connection to the agent was lost")
}

fn describe(session: &SessionInfo) -> String {
    format!(
        "{} ({}, {} messages): {}",
        session.session_id,
        session.agent.as_str(),
        session.message_count,
        title_cell(session)
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use perry_api::sessions::RecentSession;
    use serde_json::json;

    use super::{Command, RecentRow, newest_first, recent_table, title_cell};
    use crate::cli::{Cli, Command as Top};

    fn parsed(line: &[&str]) -> Result<super::Args, String> {
        let cli = Cli::try_parse_from(line).map_err(|error| error.to_string())?;
        match cli.command {
            Some(Top::Sessions(args)) => Ok(args),
            other => Err(format!("not `perry sessions`: {other:?}")),
        }
    }

    #[test]
    fn the_old_forms_still_parse_beside_rename_delete_and_recent() {
        let list = parsed(&["perry", "sessions", "chat"]).unwrap();
        assert_eq!(
            (list.workspace.as_deref(), list.session.as_deref()),
            (Some("chat"), None)
        );
        assert!(list.command.is_none() && !list.recent);
        let show = parsed(&["perry", "sessions", "chat", "abc", "--limit", "5"]).unwrap();
        assert_eq!(show.session.as_deref(), Some("abc"));
        assert_eq!(show.limit, Some(5));

        let rename = parsed(&["perry", "sessions", "rename", "chat", "abc", "Footer fix"]).unwrap();
        let Some(Command::Rename(rename)) = rename.command else {
            panic!("{rename:?}");
        };
        assert_eq!(
            (
                rename.workspace.as_str(),
                rename.session.as_str(),
                rename.name.as_deref()
            ),
            ("chat", "abc", Some("Footer fix"))
        );
        let clear = parsed(&["perry", "sessions", "rename", "chat", "abc", "--clear"]).unwrap();
        assert!(
            matches!(clear.command, Some(Command::Rename(ref args)) if args.clear && args.name.is_none())
        );
        let delete = parsed(&["perry", "sessions", "delete", "chat", "abc"]).unwrap();
        assert!(matches!(delete.command, Some(Command::Delete(ref args)) if args.session == "abc"));

        let recent = parsed(&["perry", "sessions", "--recent", "--limit", "3", "--json"]).unwrap();
        assert!(recent.recent && recent.json && recent.workspace.is_none());

        // A workspace named like a subcommand, after `--`.
        let named_rename = parsed(&["perry", "sessions", "--", "rename"]).unwrap();
        assert!(named_rename.command.is_none());
        assert_eq!(named_rename.workspace.as_deref(), Some("rename"));

        for wrong in [
            &["perry", "sessions"][..],
            &["perry", "sessions", "chat", "--recent"],
            &["perry", "sessions", "rename", "chat", "abc"],
            &[
                "perry", "sessions", "rename", "chat", "abc", "name", "--clear",
            ],
            &["perry", "sessions", "delete", "chat"],
        ] {
            assert!(parsed(wrong).is_err(), "{wrong:?} should be refused");
        }
    }

    fn row(
        agent: Option<&str>,
        id: &str,
        last_activity: &str,
        opened_at: Option<&str>,
    ) -> RecentRow {
        let entry: RecentSession = serde_json::from_value(json!({
            "workspace": "app",
            "session": {
                "sessionId": id, "title": format!("title of {id}"), "agent": "codex",
                "messageCount": 1, "lastActivity": last_activity, "projectPath": "",
                "resumeCommand": "",
            },
            "openedAt": opened_at,
        }))
        .unwrap();
        RecentRow {
            agent: agent.map(str::to_owned),
            entry,
        }
    }

    #[test]
    fn recent_sessions_of_several_agents_go_newest_first_by_activity_or_opening() {
        let mut rows = vec![
            row(Some("home"), "a", "2026-12-06T01:00:00Z", None),
            // Opened after its last activity: its opening counts.
            row(
                Some("closet"),
                "b",
                "2026-12-01T00:00:00Z",
                Some("2026-12-06T02:00:00Z"),
            ),
            // 02:30 UTC, written with an offset.
            row(Some("home"), "c", "2026-12-06T03:30:00+01:00", None),
        ];
        newest_first(&mut rows);
        let order: Vec<&str> = rows
            .iter()
            .map(|row| row.entry.session.session_id.as_str())
            .collect();
        assert_eq!(order, ["c", "b", "a"]);
        assert_eq!(rows[0].qualified_workspace(), "home/app");

        let table = recent_table(&rows, true, 1_796_526_000);
        let header = table.lines().next().unwrap();
        assert!(header.trim_start().starts_with("AGENT"), "{table}");
        let first = table.lines().nth(1).unwrap();
        assert!(
            first.contains("home") && first.contains("30 min ago") && first.contains("title of c"),
            "{table}"
        );
        let one_agent = recent_table(&rows, false, 1_796_526_000);
        assert!(
            one_agent.trim_start().starts_with("WORKSPACE"),
            "{one_agent}"
        );
    }

    #[test]
    fn a_named_session_shows_its_name_in_quotes_then_its_title() {
        let mut session = row(None, "a", "2026-12-06T01:00:00Z", None).entry.session;
        assert_eq!(title_cell(&session), "title of a");
        session.name = Some("Footer fix".to_owned());
        assert_eq!(title_cell(&session), "\"Footer fix\" (title of a)");
    }
}
