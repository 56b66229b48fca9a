//! Coding-agent sessions found in workspaces: the `sessions.*` procedures and the events of
//! `/sessions/:workspace`.
//!
//! The worker inside each workspace builds these values from the tools' own files; the agent
//! relays them unchanged.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// How many sessions `sessions.list` returns when the input names no `limit`.
pub const DEFAULT_SESSIONS_LIMIT: u32 = 100;
/// How many messages `sessions.messages` returns when the input names no `limit`.
pub const DEFAULT_MESSAGES_LIMIT: u32 = 50;

/// The coding agent that wrote a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "kebab-case")]
pub enum SessionAgent {
    ClaudeCode,
    Opencode,
    Codex,
}

impl SessionAgent {
    /// The agent as written on the wire (`claude-code`, `opencode`, `codex`).
    pub fn as_str(self) -> &'static str {
        match self {
            SessionAgent::ClaudeCode => "claude-code",
            SessionAgent::Opencode => "opencode",
            SessionAgent::Codex => "codex",
        }
    }

    /// Its name as people write it.
    pub fn display_name(self) -> &'static str {
        match self {
            SessionAgent::ClaudeCode => "Claude Code",
            SessionAgent::Opencode => "OpenCode",
            SessionAgent::Codex => "Codex",
        }
    }

    /// Whether `session_id` has the shape of the ids this agent makes: a UUID for Claude Code
    /// (the transcript's file name) and Codex (the end of the rollout's file name), `ses_` and
    /// letters and digits for OpenCode. Anything else came from a file someone else named.
    pub fn is_valid_session_id(self, session_id: &str) -> bool {
        match self {
            // 36 characters: the hyphenated form only, not the braced or URN ones.
            SessionAgent::ClaudeCode | SessionAgent::Codex => {
                session_id.len() == 36 && uuid::Uuid::try_parse(session_id).is_ok()
            }
            SessionAgent::Opencode => session_id.strip_prefix("ses_").is_some_and(|rest| {
                (1..=64).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            }),
        }
    }

    /// The shell command that continues a session of this agent in a terminal, its id quoted
    /// for the shell. `None` for an id this agent does not make ([`Self::is_valid_session_id`]):
    /// a transcript named `x; rm -rf ~.jsonl` never becomes a command.
    pub fn resume_command(self, session_id: &str) -> Option<String> {
        if !self.is_valid_session_id(session_id) {
            return None;
        }
        let id = shlex::try_quote(session_id).ok()?;
        Some(match self {
            SessionAgent::ClaudeCode => format!("claude --resume {id}"),
            SessionAgent::Opencode => format!("opencode --session {id}"),
            SessionAgent::Codex => format!("codex resume {id}"),
        })
    }
}

/// One coding-agent session found in a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub session_id: String,
    /// The tool's own title where it keeps one, else the first user message, on one line.
    pub title: String,
    #[cfg_attr(feature = "ts", ts(inline))]
    pub agent: SessionAgent,
    pub message_count: u32,
    /// RFC 3339 time of the last message.
    pub last_activity: String,
    /// The directory the agent worked in; empty when the tool did not record it.
    pub project_path: String,
    /// Run in a terminal (in `projectPath`) to continue the session, e.g. `claude --resume <id>`;
    /// empty when the session's id is not one its agent makes, so no command is offered.
    pub resume_command: String,
    /// What the session is doing, as its coding agent last told it (through the hooks Perry
    /// installs); absent until it has said anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub status: Option<SessionStatus>,
    /// The name a person gave it (`sessions.rename`), kept by the agent; clients show it in
    /// place of `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub name: Option<String>,
}

impl SessionInfo {
    /// What people see it called: its given name, else its title.
    pub fn shown_title(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.title)
    }
}

/// The longest name `sessions.rename` takes, in characters.
pub const MAX_SESSION_NAME_CHARS: usize = 200;

/// Why `name` cannot name a session, if it cannot: it must have 1 to
/// [`MAX_SESSION_NAME_CHARS`] characters once trimmed, and no control characters.
pub fn check_session_name(name: &str) -> Result<(), String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err("A session name cannot be empty; leave `name` out to go back to the session's own title".to_owned());
    }
    let chars = trimmed.chars().count();
    if chars > MAX_SESSION_NAME_CHARS {
        return Err(format!(
            "A session name has at most {MAX_SESSION_NAME_CHARS} characters; this one has {chars}"
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(
            "A session name is one line of text: no newlines, tabs or control characters"
                .to_owned(),
        );
    }
    Ok(())
}

/// What a coding-agent session is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Thinking or running tools.
    Working,
    /// Waiting for the person: a permission prompt, a question.
    NeedsInput,
    /// The turn ended; waiting for the next prompt.
    Idle,
    /// The turn ended on an error (the model's service, a limit).
    Error,
    /// The session is over (its agent exited).
    Ended,
}

impl SessionState {
    /// The name on the wire (`needs_input`), for text output and command lines.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Working => "working",
            SessionState::NeedsInput => "needs_input",
            SessionState::Idle => "idle",
            SessionState::Error => "error",
            SessionState::Ended => "ended",
        }
    }

    /// Whether the person is waiting to hear of it: a question asked, a turn that failed.
    pub fn needs_the_person(self) -> bool {
        matches!(self, SessionState::NeedsInput | SessionState::Error)
    }
}

/// What to tell the person of a status change, for channels that reach them away from Perry
/// (the web UI and the phone app word it the same way, in `@perry/client`'s `statusAlert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAlert {
    pub title: String,
    pub body: String,
    pub state: SessionState,
}

impl StatusAlert {
    /// The alert for `session` of `workspace` now in its status, `previous` before: a question
    /// asked, a failed turn, a finished turn. Working again, ending, or no change is none.
    pub fn of(
        workspace: &str,
        session: &SessionInfo,
        previous: Option<SessionState>,
    ) -> Option<StatusAlert> {
        let status = session.status.as_ref()?;
        if Some(status.state) == previous {
            return None;
        }
        let agent = session.agent.display_name();
        let title = match session.shown_title().trim() {
            "" => agent,
            title => title,
        };
        let place = format!("{agent} in {workspace}");
        let (title, body) = match (status.state, &status.detail) {
            (SessionState::NeedsInput, Some(detail)) => {
                (format!("{title} needs you"), format!("{place}: {detail}"))
            }
            (SessionState::NeedsInput, None) => (
                format!("{title} needs you"),
                format!("{place} is waiting for your input"),
            ),
            (SessionState::Error, Some(detail)) => (
                format!("{title} stopped on an error"),
                format!("{place}: {detail}"),
            ),
            (SessionState::Error, None) => (format!("{title} stopped on an error"), place),
            (SessionState::Idle, _) => (
                format!("{title} is done"),
                format!("{place} finished its turn"),
            ),
            (SessionState::Working | SessionState::Ended, _) => return None,
        };
        Some(StatusAlert {
            title,
            body,
            state: status.state,
        })
    }
}

/// A session's state, since when, and for `needs_input` what is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    pub state: SessionState,
    /// RFC 3339: when the session entered this state.
    pub since: String,
    /// What the agent asks or says, where it says it: "Bash: rm -rf node_modules", an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub detail: Option<String>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    User,
    Assistant,
    System,
    /// The output of a tool call, standing as its own entry in the conversation.
    Tool,
}

/// A tool the agent called, summarised for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ToolCall {
    pub name: String,
    /// At most 80 characters: the command of a shell call, the path of a file tool, …
    pub summary: String,
}

/// One message of a session's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    #[cfg_attr(feature = "ts", ts(inline))]
    pub role: MessageRole,
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// RFC 3339; empty when the tool did not record one.
    pub timestamp: String,
}

/// Input of `sessions.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionsListInput {
    pub workspace_name: String,
    /// Only sessions of this agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, inline))]
    pub agent: Option<SessionAgent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub offset: Option<u32>,
}

/// Output of `sessions.list`: newest first by `lastActivity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionsPage {
    pub sessions: Vec<SessionInfo>,
    /// Sessions matching the filter, on every page together.
    pub total: u32,
    pub has_more: bool,
}

/// Input of `sessions.messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionMessagesInput {
    pub workspace_name: String,
    pub session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub limit: Option<u32>,
    /// Messages to skip, counted from the newest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub offset: Option<u32>,
}

/// Input of `sessions.get` and `sessions.delete`: one session of a workspace by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionGetInput {
    pub workspace_name: String,
    pub session_id: String,
}

/// Input of `sessions.rename`: the name to show for a session, or none to show its own title
/// again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRenameInput {
    pub workspace_name: String,
    pub session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub name: Option<String>,
}

/// How many sessions `sessions.recent` returns when the input names no `limit`.
pub const DEFAULT_RECENT_LIMIT: u32 = 20;

/// Input of `sessions.recent`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecentSessionsInput {
    /// At most this many (default 20, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub limit: Option<u32>,
}

/// One entry of `sessions.recent`: a session, its workspace, and when a client last opened it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct RecentSession {
    pub workspace: String,
    pub session: SessionInfo,
    /// RFC 3339: when a client last opened it (its first page of messages); absent for a
    /// session that is here for its own activity only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub opened_at: Option<String>,
}

impl RecentSession {
    /// Its place in `sessions.recent`: the later of its last activity and its last opening.
    pub fn recency(&self) -> &str {
        match &self.opened_at {
            Some(opened) if opened.as_str() > self.session.last_activity.as_str() => opened,
            _ => &self.session.last_activity,
        }
    }
}

/// Output of `sessions.messages`: a page counted from the newest message, in conversation order
/// (oldest of the page first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct MessagesPage {
    pub messages: Vec<Message>,
    pub total: u32,
    /// Older messages remain before this page.
    pub has_more: bool,
}

/// Input of `sessions.search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionsSearchInput {
    pub workspace_name: String,
    /// Matched case-insensitively as a substring of titles and message text.
    pub query: String,
}

/// One session that matches a search, with where it matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionSearchHit {
    pub session: SessionInfo,
    /// The message that matched; absent when the title matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub message_id: Option<String>,
    /// A short single-line excerpt around the first match.
    pub snippet: String,
}

/// One change of a workspace's session index, as sent on `/sessions/:workspace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum SessionEvent {
    /// Every session, newest first: the first event of a stream.
    Snapshot {
        sessions: Vec<SessionInfo>,
    },
    Added {
        session: SessionInfo,
    },
    Updated {
        session: SessionInfo,
    },
    Removed {
        #[serde(rename = "sessionId")]
        session_id: String,
        #[cfg_attr(feature = "ts", ts(inline))]
        agent: SessionAgent,
    },
}

/// A session and the workspace it is in: what `/events` speaks of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceSession {
    pub workspace: String,
    pub session: SessionInfo,
}

/// One frame of `/events`: the status of sessions across every running workspace, so a client
/// watches everything that may need the person with one socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum StatusEvent {
    /// Every session that has a status now, newest change first: the first frame, and again
    /// after a socket fell behind.
    Snapshot { sessions: Vec<WorkspaceSession> },
    /// A session's status changed; `session.status` is the new one.
    Changed {
        workspace: String,
        session: SessionInfo,
        /// The state before, if the session had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional, inline))]
        previous: Option<SessionState>,
    },
    /// A session with a status went away, or every session of the workspace did (no
    /// `sessionId`: it stopped or was deleted).
    Gone {
        workspace: String,
        #[serde(rename = "sessionId", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        session_id: Option<String>,
    },
}

/// The TypeScript declarations of this module's wire types, in dependency order, for
/// [`crate::typescript_bindings`].
#[cfg(feature = "ts")]
pub fn typescript_declarations(cfg: &ts_rs::Config) -> Vec<String> {
    vec![
        SessionAgent::decl(cfg),
        SessionState::decl(cfg),
        SessionStatus::decl(cfg),
        SessionInfo::decl(cfg),
        MessageRole::decl(cfg),
        ToolCall::decl(cfg),
        Message::decl(cfg),
        SessionsListInput::decl(cfg),
        SessionsPage::decl(cfg),
        SessionMessagesInput::decl(cfg),
        MessagesPage::decl(cfg),
        SessionsSearchInput::decl(cfg),
        SessionSearchHit::decl(cfg),
        SessionEvent::decl(cfg),
        SessionGetInput::decl(cfg),
        SessionRenameInput::decl(cfg),
        RecentSessionsInput::decl(cfg),
        RecentSession::decl(cfg),
        WorkspaceSession::decl(cfg),
        StatusEvent::decl(cfg),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_session() -> SessionInfo {
        SessionInfo {
            session_id: "4f35e220-c435-4cf7-b9b9-f40426042847".to_owned(),
            title: "Add a config file".to_owned(),
            agent: SessionAgent::ClaudeCode,
            message_count: 3,
            last_activity: "2025-05-26T07:27:40.079Z".to_owned(),
            project_path: "/home/workspace/app".to_owned(),
            resume_command: SessionAgent::ClaudeCode
                .resume_command("4f35e220-c435-4cf7-b9b9-f40426042847")
                .unwrap(),
            status: None,
            name: None,
        }
    }

    #[test]
    fn alerts_call_a_session_by_the_name_a_person_gave_it() {
        let mut session = sample_session();
        session.status = Some(SessionStatus {
            state: SessionState::NeedsInput,
            since: "2026-12-06T03:00:00Z".to_owned(),
            detail: None,
        });
        let alert = StatusAlert::of("app", &session, None).unwrap();
        assert_eq!(alert.title, "Add a config file needs you");
        session.name = Some("Config rework".to_owned());
        let alert = StatusAlert::of("app", &session, None).unwrap();
        assert_eq!(alert.title, "Config rework needs you");
        assert_eq!(alert.body, "Claude Code in app is waiting for your input");
    }

    #[test]
    fn agents_serialize_in_kebab_case() {
        let names: Vec<String> = [
            SessionAgent::ClaudeCode,
            SessionAgent::Opencode,
            SessionAgent::Codex,
        ]
        .iter()
        .map(|agent| serde_json::to_string(agent).unwrap())
        .collect();
        assert_eq!(names, ["\"claude-code\"", "\"opencode\"", "\"codex\""]);
        for agent in [
            SessionAgent::ClaudeCode,
            SessionAgent::Opencode,
            SessionAgent::Codex,
        ] {
            assert_eq!(
                serde_json::to_value(agent).unwrap(),
                serde_json::Value::String(agent.as_str().to_owned())
            );
        }
    }

    #[test]
    fn resume_commands_are_the_tools_own() {
        assert_eq!(
            SessionAgent::ClaudeCode
                .resume_command("4f35e220-c435-4cf7-b9b9-f40426042847")
                .as_deref(),
            Some("claude --resume 4f35e220-c435-4cf7-b9b9-f40426042847")
        );
        assert_eq!(
            SessionAgent::Opencode
                .resume_command("ses_5f1e2d3c4b5a6ffeABCDEFGHIJ")
                .as_deref(),
            Some("opencode --session ses_5f1e2d3c4b5a6ffeABCDEFGHIJ")
        );
        assert_eq!(
            SessionAgent::Codex
                .resume_command("019a2d7a-41c4-78b1-b7cc-a45d62a89cd5")
                .as_deref(),
            Some("codex resume 019a2d7a-41c4-78b1-b7cc-a45d62a89cd5")
        );
    }

    #[test]
    fn ids_an_agent_does_not_make_get_no_resume_command() {
        for agent in [
            SessionAgent::ClaudeCode,
            SessionAgent::Opencode,
            SessionAgent::Codex,
        ] {
            for id in [
                "x; rm -rf ~",
                "$(reboot)",
                "`id`",
                "4f35e220-c435-4cf7-b9b9-f40426042847; rm -rf ~",
                "{4f35e220-c435-4cf7-b9b9-f40426042847}",
                "4f35e220c4354cf7b9b9f40426042847",
                "ses_1 && reboot",
                "ses_",
                "ses_\u{0}",
                "",
            ] {
                assert_eq!(agent.resume_command(id), None, "{agent:?} {id:?}");
            }
        }
        assert_eq!(
            SessionAgent::Opencode.resume_command("4f35e220-c435-4cf7-b9b9-f40426042847"),
            None,
            "each agent has its own shape"
        );
        assert_eq!(SessionAgent::ClaudeCode.resume_command("ses_1"), None);
    }

    #[test]
    fn session_info_is_camel_case_on_the_wire() {
        let value = serde_json::to_value(sample_session()).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "sessionId",
                "title",
                "agent",
                "messageCount",
                "lastActivity",
                "projectPath",
                "resumeCommand"
            ]
        );
    }

    #[test]
    fn list_input_of_the_first_version_still_decodes() {
        let input: SessionsListInput =
            serde_json::from_str(r#"{"workspaceName":"alpha"}"#).unwrap();
        assert_eq!(input.workspace_name, "alpha");
        assert_eq!((input.agent, input.limit, input.offset), (None, None, None));
        let filtered: SessionsListInput = serde_json::from_str(
            r#"{"workspaceName":"alpha","agent":"codex","limit":10,"offset":20}"#,
        )
        .unwrap();
        assert_eq!(filtered.agent, Some(SessionAgent::Codex));
        assert_eq!((filtered.limit, filtered.offset), (Some(10), Some(20)));
    }

    #[test]
    fn events_are_tagged_by_type() {
        let removed = SessionEvent::Removed {
            session_id: "s1".to_owned(),
            agent: SessionAgent::Opencode,
        };
        assert_eq!(
            serde_json::to_string(&removed).unwrap(),
            r#"{"type":"removed","sessionId":"s1","agent":"opencode"}"#
        );
        let added = SessionEvent::Added {
            session: sample_session(),
        };
        let value = serde_json::to_value(&added).unwrap();
        assert_eq!(value["type"], "added");
        assert_eq!(value["session"]["messageCount"], 3);
        let back: SessionEvent = serde_json::from_value(value).unwrap();
        assert_eq!(back, added);
    }

    #[test]
    fn message_roles_are_lowercase_and_tool_calls_camel_case() {
        let message = Message {
            id: "m1".to_owned(),
            role: MessageRole::Tool,
            text: "ok".to_owned(),
            tool_calls: vec![ToolCall {
                name: "Bash".to_owned(),
                summary: "ls".to_owned(),
            }],
            timestamp: String::new(),
        };
        let value = serde_json::to_value(&message).unwrap();
        assert_eq!(value["role"], "tool");
        assert_eq!(value["toolCalls"][0]["name"], "Bash");
    }

    #[test]
    #[cfg(feature = "ts")]
    fn every_session_type_has_a_typescript_declaration() {
        let declarations = typescript_declarations(&ts_rs::Config::new()).join("\n");
        for name in [
            "SessionAgent",
            "SessionInfo",
            "Message",
            "SessionsPage",
            "MessagesPage",
            "SessionSearchHit",
            "SessionEvent",
        ] {
            assert!(
                declarations.contains(&format!("type {name} ")),
                "{name} has no declaration"
            );
        }
        assert!(declarations.contains(r#""claude-code" | "opencode" | "codex""#));
    }
}
