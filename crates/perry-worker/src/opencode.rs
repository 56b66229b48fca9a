//! OpenCode's JSON storage: `~/.local/share/opencode/storage/` (OpenCode before 1.2; see
//! [`crate::opencode_db`] for the SQLite store since, which holds the same JSON shapes).
//!
//! One pretty-printed JSON file per object, at its key joined with `/` plus `.json`:
//! - `session/<projectID>/<sessionID>.json`: `{id, projectID, directory, parentID?, title,
//!   version, time: {created, updated}}` (times in epoch milliseconds). A session with a
//!   `parentID` is a sub-agent's (a task): not listed. Until its title is generated a session is
//!   called `New session - <ISO time>` (`Child session - …` for sub-agents).
//! - `message/<sessionID>/<messageID>.json`: `{id, sessionID, role: user|assistant, time:
//!   {created, completed?}, …}`. Ids are ascending, so name order is creation order.
//! - `part/<messageID>/<partID>.json`: `{id, sessionID, messageID, type, …}` with `type` one of
//!   `text {text, synthetic?}`, `tool {tool, callID, state: {status, input, output?, title?}}`,
//!   `reasoning`, `file`, `step-start`, `step-finish`, `snapshot`, `patch`, `agent`, …
//!
//! Files are rewritten whole (not appended to), so each change re-reads one small file. The
//! watcher follows `session/` and `message/` only: `part/` holds a directory per message, and
//! message files change whenever their parts do.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use perry_api::sessions::{Message, MessageRole, ToolCall};
use serde_json::Value;

use crate::{removal, text};

/// What a path under the storage directory is.
#[derive(Debug, PartialEq, Eq)]
pub enum StoragePath {
    /// `session/<projectID>/<sessionID>.json`
    SessionFile,
    /// `session/<projectID>` or `session` itself.
    SessionDirectory,
    /// `message/<sessionID>/…`: a message of that session, or its directory.
    Message { session_id: String },
    /// Anything else (parts, projects, …).
    Other,
}

/// Classifies `path`, which lies under `storage`.
pub fn classify(storage: &Path, path: &Path) -> StoragePath {
    let Ok(relative) = path.strip_prefix(storage) else {
        return StoragePath::Other;
    };
    let parts: Vec<&str> = relative
        .components()
        .filter_map(|component| component.as_os_str().to_str())
        .collect();
    match parts.as_slice() {
        ["session", _, file] if file.ends_with(".json") => StoragePath::SessionFile,
        ["session"] | ["session", _] | [] => StoragePath::SessionDirectory,
        ["message", session_id] | ["message", session_id, _] => StoragePath::Message {
            session_id: (*session_id).to_owned(),
        },
        _ => StoragePath::Other,
    }
}

/// The session file of an id, when it exists, found among the project directories.
pub fn find_session_file(storage: &Path, session_id: &str) -> Option<PathBuf> {
    let sessions = storage.join("session");
    let file_name = format!("{session_id}.json");
    fs::read_dir(sessions)
        .ok()?
        .filter_map(Result::ok)
        .map(|project| project.path().join(&file_name))
        .find(|candidate| candidate.is_file())
}

/// Removes a session of the JSON storage as OpenCode's own `session.remove` did: first its
/// sub-agents' sessions (the session files beside it whose `parentID` is its id), then for each
/// session its message files with their part directories, its todo list and its diff, and last
/// its session file, so that while anything is left the session is still listed and deleting it
/// again finishes the job. `session_file` is the file the index found; every other path is its
/// storage directory joined with ids that are checked to be plain names first.
pub fn remove_session(storage: &Path, session_file: &Path, session_id: &str) -> io::Result<()> {
    remove_session_within(storage, session_file, session_id, 0)
}

/// Sub-agents' sessions deeper than this are not looked for (OpenCode nests them one or two
/// deep); it also ends a loop of sessions naming each other as parents.
const MAX_SUB_AGENT_DEPTH: usize = 8;

fn remove_session_within(
    storage: &Path,
    session_file: &Path,
    session_id: &str,
    depth: usize,
) -> io::Result<()> {
    if !removal::is_plain_name(session_id) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{session_id:?} is not an OpenCode session id"),
        ));
    }
    if depth < MAX_SUB_AGENT_DEPTH
        && let Some(project) = session_file.parent()
    {
        for (child_file, child_id) in sub_agent_sessions(project, session_id) {
            remove_session_within(storage, &child_file, &child_id, depth + 1)?;
        }
    }
    for message in message_files(storage, session_id) {
        let message_id = file_stem(&message);
        if removal::is_plain_name(&message_id) {
            removal::remove_directory(&storage.join("part").join(&message_id))?;
        }
        removal::remove_file(&message)?;
    }
    removal::remove_directory(&storage.join("message").join(session_id))?;
    for kept_by_id in ["todo", "session_diff"] {
        removal::remove_file(&storage.join(kept_by_id).join(format!("{session_id}.json")))?;
    }
    removal::remove_file(session_file)
}

/// The session files in `project` (a `session/<projectID>` directory) of sessions whose parent
/// is `parent_id`, with their ids.
fn sub_agent_sessions(project: &Path, parent_id: &str) -> Vec<(PathBuf, String)> {
    let mut children = Vec::new();
    for path in json_files_sorted(project) {
        let Ok(bytes) = fs::read(&path) else {
            continue;
        };
        let Ok(info) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        if info.get("parentID").and_then(Value::as_str) != Some(parent_id) {
            continue;
        }
        let id = match info.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => file_stem(&path),
        };
        if removal::is_plain_name(&id) && id != parent_id {
            children.push((path, id));
        }
    }
    children
}

/// What the index keeps of one OpenCode session.
#[derive(Debug, Clone, Default)]
pub struct OpencodeSession {
    pub session_id: String,
    /// The title OpenCode keeps; empty or a placeholder until it generates one.
    pub title: String,
    pub directory: String,
    pub created_millis: Option<i64>,
    pub updated_millis: Option<i64>,
    pub message_count: u32,
    pub last_message_millis: Option<i64>,
    /// The first user message's text, read once when the title is a placeholder.
    pub first_user_text: Option<String>,
    pub corrupt_files: u64,
}

impl OpencodeSession {
    /// The title to show: OpenCode's own unless it is still a placeholder.
    pub fn own_title(&self) -> Option<&str> {
        // "New Session - " in OpenCode before 0.4, "New session - " / "Child session - " since.
        let lowered = self.title.trim().to_lowercase();
        let placeholder = lowered.is_empty()
            || lowered.starts_with("new session - ")
            || lowered.starts_with("child session - ");
        (!placeholder).then_some(self.title.as_str())
    }
}

/// Reads bytes of JSON files, counting them.
#[derive(Debug, Default)]
pub struct Reader {
    pub bytes_read: u64,
}

impl Reader {
    fn json(&mut self, path: &Path) -> io::Result<Option<Value>> {
        let bytes = fs::read(path)?;
        self.bytes_read += bytes.len() as u64;
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Loads the session at `session_file`. `Ok(None)` when it is not a listed session (a
    /// sub-agent's); an error when the file is gone. A file caught mid-write keeps `previous`.
    pub fn load_session(
        &mut self,
        storage: &Path,
        session_file: &Path,
        previous: Option<&OpencodeSession>,
    ) -> io::Result<Option<OpencodeSession>> {
        let Some(info) = self.json(session_file)? else {
            return match previous {
                Some(previous) => {
                    let mut kept = previous.clone();
                    kept.corrupt_files += 1;
                    Ok(Some(kept))
                }
                None => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "session file is not JSON yet",
                )),
            };
        };
        if info.get("parentID").is_some_and(|parent| !parent.is_null()) {
            return Ok(None);
        }
        let string = |key: &str| {
            info.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let time = |key: &str| {
            info.get("time")
                .and_then(|t| t.get(key))
                .and_then(Value::as_i64)
        };
        let session_id = match string("id") {
            id if !id.is_empty() => id,
            _ => file_stem(session_file),
        };
        let mut session = OpencodeSession {
            title: text::single_line(&string("title"), text::TITLE_MAX_CHARS),
            directory: string("directory"),
            created_millis: time("created"),
            updated_millis: time("updated"),
            corrupt_files: previous.map_or(0, |p| p.corrupt_files),
            first_user_text: previous.and_then(|p| p.first_user_text.clone()),
            session_id,
            ..OpencodeSession::default()
        };
        let messages = message_files(storage, &session.session_id);
        session.message_count = u32::try_from(messages.len()).unwrap_or(u32::MAX);
        if let Some(newest) = messages.last()
            && let Ok(Some(message)) = self.json(newest)
        {
            let time = |key: &str| {
                message
                    .get("time")
                    .and_then(|t| t.get(key))
                    .and_then(Value::as_i64)
            };
            session.last_message_millis = time("completed").or(time("created"));
        }
        if session.own_title().is_none() && session.first_user_text.is_none() {
            session.first_user_text = self.first_user_text(storage, &messages);
        }
        Ok(Some(session))
    }

    fn first_user_text(&mut self, storage: &Path, messages: &[PathBuf]) -> Option<String> {
        for path in messages {
            let Ok(Some(message)) = self.json(path) else {
                continue;
            };
            if message.get("role").and_then(Value::as_str) != Some("user") {
                continue;
            }
            let body = self.parts(storage, &file_stem(path));
            if !body.text.trim().is_empty() {
                return Some(body.text);
            }
        }
        None
    }

    /// What a message shows, from its part files in order.
    fn parts(&mut self, storage: &Path, message_id: &str) -> MessageBody {
        let mut body = MessageBody::default();
        for path in json_files_sorted(&storage.join("part").join(message_id)) {
            if let Ok(Some(part)) = self.json(&path) {
                body.add_part(&part);
            }
        }
        body
    }

    /// Messages `range` (indices in creation order) of a session.
    pub fn messages(
        &mut self,
        storage: &Path,
        session_id: &str,
        range: std::ops::Range<usize>,
    ) -> Vec<Message> {
        let files = message_files(storage, session_id);
        let mut messages = Vec::with_capacity(range.len());
        for path in files.get(range).unwrap_or_default() {
            let message_id = file_stem(path);
            let info = self.json(path).ok().flatten().unwrap_or(Value::Null);
            let body = self.parts(storage, &message_id);
            messages.push(message(message_id, &info, body));
        }
        messages
    }
}

/// What a message shows: its text parts joined, its tool parts summarised. The same part shapes
/// are stored as files (before 1.2) and in the database's `part.data` (since).
#[derive(Debug, Default)]
pub struct MessageBody {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
}

impl MessageBody {
    /// Adds one part (`{type, …}`); parts other than text and tool calls show nothing.
    pub fn add_part(&mut self, part: &Value) {
        match part.get("type").and_then(Value::as_str) {
            // A synthetic text part is one the CLI added (an attached file's content), not what
            // the person wrote.
            Some("text") if part.get("synthetic").and_then(Value::as_bool) != Some(true) => {
                let piece = part.get("text").and_then(Value::as_str).unwrap_or_default();
                if !piece.is_empty() {
                    if !self.text.is_empty() {
                        self.text.push_str("\n\n");
                    }
                    self.text.push_str(piece);
                }
            }
            Some("tool") => {
                let name = part.get("tool").and_then(Value::as_str).unwrap_or("tool");
                let input = part
                    .get("state")
                    .and_then(|state| state.get("input"))
                    .unwrap_or(&Value::Null);
                self.tool_calls.push(text::tool_call(name, input));
            }
            _ => {}
        }
    }
}

/// A message for clients from its id, its info (`{role, time: {created}, …}`) and its body.
pub fn message(id: String, info: &Value, body: MessageBody) -> Message {
    Message {
        id,
        role: message_role(info),
        text: body.text,
        tool_calls: body.tool_calls,
        timestamp: info
            .get("time")
            .and_then(|time| time.get("created"))
            .and_then(Value::as_i64)
            .map(crate::time::format_rfc3339_millis)
            .unwrap_or_default(),
    }
}

/// The role in a message's info; anything unknown is shown as the person's.
pub fn message_role(info: &Value) -> MessageRole {
    match info.get("role").and_then(Value::as_str) {
        Some("assistant") => MessageRole::Assistant,
        Some("system") => MessageRole::System,
        _ => MessageRole::User,
    }
}

/// The message files of a session, in creation order.
pub fn message_files(storage: &Path, session_id: &str) -> Vec<PathBuf> {
    json_files_sorted(&storage.join("message").join(session_id))
}

fn json_files_sorted(directory: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
                && !path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_paths_are_classified_by_their_directory() {
        let storage = PathBuf::from("/h/.local/share/opencode/storage");
        assert_eq!(
            classify(&storage, &storage.join("session/abc/ses_1.json")),
            StoragePath::SessionFile
        );
        assert_eq!(
            classify(&storage, &storage.join("session/abc")),
            StoragePath::SessionDirectory
        );
        assert_eq!(
            classify(&storage, &storage.join("message/ses_1/msg_1.json")),
            StoragePath::Message {
                session_id: "ses_1".into()
            }
        );
        assert_eq!(
            classify(&storage, &storage.join("part/msg_1/prt_1.json")),
            StoragePath::Other
        );
    }

    #[test]
    fn placeholder_titles_are_not_titles() {
        let mut session = OpencodeSession {
            title: "New session - 2025-09-01T10:00:00.000Z".into(),
            ..OpencodeSession::default()
        };
        assert_eq!(session.own_title(), None);
        session.title = "Fix flaky test".into();
        assert_eq!(session.own_title(), Some("Fix flaky test"));
    }
}
