//! `perry sessions <workspace> [<id>]`: the coding-agent sessions of a workspace, one
//! conversation, or (`--watch`) every change as it happens.

use futures_util::StreamExt;
use perry_api::procedures::{SessionsList, SessionsMessages, SessionsSearch};
use perry_api::sessions::{
    Message, MessageRole, SessionAgent, SessionEvent, SessionInfo, SessionMessagesInput,
    SessionsListInput, SessionsSearchInput,
};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

use super::{Context, output};
use crate::client::AgentClient;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    workspace: String,
    /// Show this session's conversation instead of the list.
    session: Option<String>,
    /// Only sessions of this coding agent.
    #[arg(long, value_parser = parse_agent)]
    agent: Option<SessionAgent>,
    /// How many sessions (or messages, newest) to show.
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Sessions whose title or messages contain this text.
    #[arg(long, conflicts_with_all = ["session", "watch"])]
    search: Option<String>,
    /// Keep running and print every change (added, updated, removed) as it happens.
    #[arg(long, conflicts_with = "session")]
    watch: bool,
    /// Print JSON instead of text (with --watch: one event per line).
    #[arg(long)]
    json: bool,
}

fn parse_agent(text: &str) -> Result<SessionAgent, String> {
    serde_json::from_value(json!(text))
        .map_err(|_| "one of claude-code, opencode, codex".to_owned())
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let (client, workspace) = context.locate(&args.workspace).await?;
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
            println!("No session of {} mentions {query:?}.", args.workspace);
        }
        for hit in hits {
            println!(
                "{}  {}  {}\n    {}",
                hit.session.session_id,
                hit.session.agent.as_str(),
                hit.session.title,
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
                limit: Some(args.limit),
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
            limit: Some(args.limit),
            offset: None,
        })
        .await?;
    if args.json {
        return output::print_json(&page);
    }
    if page.sessions.is_empty() {
        println!(
            "No coding-agent sessions in {} yet (Claude Code, OpenCode and Codex sessions show up here).",
            args.workspace
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
            shorten(&session.title, 60),
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
        let text = match frame? {
            Frame::Text(text) => text,
            Frame::Close(frame) => {
                let reason = frame.map(|frame| frame.reason.to_string());
                eprintln!(
                    "perry: the sessions stream closed{}",
                    reason.map_or_else(String::new, |reason| format!(": {reason}"))
                );
                return Ok(());
            }
            _ => continue,
        };
        if json {
            println!("{text}");
            continue;
        }
        let event: SessionEvent = match serde_json::from_str(&text) {
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
    Ok(())
}

fn describe(session: &SessionInfo) -> String {
    format!(
        "{} ({}, {} messages): {}",
        session.session_id,
        session.agent.as_str(),
        session.message_count,
        shorten(&session.title, 60)
    )
}
