//! The session index of one home directory: every session of Claude Code, OpenCode and Codex,
//! kept current one changed file at a time.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use perry_api::sessions::{
    MessagesPage, SessionAgent, SessionEvent, SessionInfo, SessionSearchHit, SessionsPage,
};

use crate::jsonl::{self, JsonlFile, LineParser};
use crate::opencode::{self, OpencodeSession, StoragePath};
use crate::{claude, codex, text};

/// Where each tool keeps its sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roots {
    /// `~/.claude/projects`
    pub claude_projects: PathBuf,
    /// `~/.codex/sessions`
    pub codex_sessions: PathBuf,
    /// `~/.codex/session_index.jsonl`: names given to Codex threads.
    pub codex_session_index: PathBuf,
    /// `~/.local/share/opencode/storage`
    pub opencode_storage: PathBuf,
}

impl Roots {
    /// The tools' default places under `home` (what they use without `CLAUDE_CONFIG_DIR`,
    /// `CODEX_HOME` or `XDG_DATA_HOME`).
    pub fn for_home(home: &Path) -> Roots {
        Roots {
            claude_projects: home.join(".claude/projects"),
            codex_sessions: home.join(".codex/sessions"),
            codex_session_index: home.join(".codex/session_index.jsonl"),
            opencode_storage: home.join(".local/share/opencode/storage"),
        }
    }

    /// The directories whose whole trees hold session files, for a watcher to follow.
    pub fn trees(&self) -> Vec<PathBuf> {
        vec![
            self.claude_projects.clone(),
            self.codex_sessions.clone(),
            self.opencode_storage.join("session"),
            self.opencode_storage.join("message"),
        ]
    }
}

/// Counters for tests and figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Bytes read from session files since the index was made.
    pub bytes_read: u64,
    /// Sessions listed (those with at least one message).
    pub sessions: usize,
    /// Lines (or OpenCode files) skipped because they were not JSON, over all sessions.
    pub corrupt_lines: u64,
}

/// Why a session lookup failed.
#[derive(Debug)]
pub enum LookupError {
    UnknownSession,
    Io(io::Error),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::UnknownSession => formatter.write_str("no session has that id"),
            LookupError::Io(error) => write!(formatter, "could not read the session: {error}"),
        }
    }
}

impl std::error::Error for LookupError {}

enum Source {
    Claude(JsonlFile),
    Codex(JsonlFile),
    Opencode(OpencodeSession),
}

struct Entry {
    session_id: String,
    agent: SessionAgent,
    source: Source,
    /// What clients see; `None` while the session has no message (it is not listed).
    info: Option<SessionInfo>,
}

/// Every session found under one home directory.
///
/// Keyed by each session's own file (a Claude Code transcript, a Codex rollout, an OpenCode
/// session file). Memory per session is its metadata plus 16 bytes per message (a byte span of
/// its lines); message bodies are read from disk when asked for.
pub struct SessionIndex {
    roots: Roots,
    sessions: HashMap<PathBuf, Entry>,
    by_id: HashMap<String, PathBuf>,
    codex_thread_names: HashMap<String, String>,
    bytes_read: u64,
}

const UNTITLED: &str = "Untitled session";

impl SessionIndex {
    /// An empty index over `roots`; call [`SessionIndex::scan`] to fill it.
    pub fn new(roots: Roots) -> SessionIndex {
        SessionIndex {
            roots,
            sessions: HashMap::new(),
            by_id: HashMap::new(),
            codex_thread_names: HashMap::new(),
            bytes_read: 0,
        }
    }

    /// The places this index reads.
    pub fn roots(&self) -> &Roots {
        &self.roots
    }

    /// Finds every session on disk; returns how the index changed (all `added` on the first
    /// scan). Sessions whose files are gone are removed.
    pub fn scan(&mut self) -> Vec<SessionEvent> {
        let mut events = Vec::new();
        self.reload_codex_thread_names(&mut events);
        let mut found = HashSet::new();
        let roots = self.roots.clone();
        for path in files_under(&roots.claude_projects, 2) {
            if claude::is_session_file(&roots.claude_projects, &path) {
                self.refresh_jsonl(&path, SessionAgent::ClaudeCode, &mut events);
                found.insert(path);
            }
        }
        for path in files_under(&roots.codex_sessions, 4) {
            if codex::is_session_file(&roots.codex_sessions, &path) {
                self.refresh_jsonl(&path, SessionAgent::Codex, &mut events);
                found.insert(path);
            }
        }
        let opencode_sessions = roots.opencode_storage.join("session");
        for path in files_under(&opencode_sessions, 2) {
            if opencode::classify(&roots.opencode_storage, &path) == StoragePath::SessionFile {
                self.refresh_opencode(&path, &mut events);
                found.insert(path);
            }
        }
        let gone: Vec<PathBuf> = self
            .sessions
            .keys()
            .filter(|path| !found.contains(*path))
            .cloned()
            .collect();
        for path in gone {
            self.remove(&path, &mut events);
        }
        events
    }

    /// Updates the index from one created, changed or removed path (a file or a directory) and
    /// returns the resulting events. Paths outside the roots change nothing.
    pub fn apply(&mut self, path: &Path) -> Vec<SessionEvent> {
        let mut events = Vec::new();
        let roots = self.roots.clone();
        if path == roots.codex_session_index {
            self.reload_codex_thread_names(&mut events);
        } else if path.starts_with(&roots.claude_projects) {
            if claude::is_session_file(&roots.claude_projects, path) {
                self.refresh_jsonl(path, SessionAgent::ClaudeCode, &mut events);
            } else if !path.is_file() {
                self.rescan_directory(path, &mut events);
            }
        } else if path.starts_with(&roots.codex_sessions) {
            if codex::is_session_file(&roots.codex_sessions, path) {
                self.refresh_jsonl(path, SessionAgent::Codex, &mut events);
            } else if !path.is_file() {
                self.rescan_directory(path, &mut events);
            }
        } else if path.starts_with(&roots.opencode_storage) {
            match opencode::classify(&roots.opencode_storage, path) {
                StoragePath::SessionFile => self.refresh_opencode(path, &mut events),
                StoragePath::SessionDirectory => self.rescan_directory(path, &mut events),
                StoragePath::Message { session_id } => {
                    let session_file = self.by_id.get(&session_id).cloned().or_else(|| {
                        opencode::find_session_file(&roots.opencode_storage, &session_id)
                    });
                    if let Some(session_file) = session_file {
                        self.refresh_opencode(&session_file, &mut events);
                    }
                }
                StoragePath::Other => {}
            }
        } else if roots.trees().iter().any(|tree| tree.starts_with(path)) {
            // An ancestor of a root appeared or vanished (e.g. `~/.codex`): look again.
            events = self.scan();
        }
        events
    }

    /// Every listed session, newest first, as the first event of a stream.
    pub fn snapshot(&self) -> SessionEvent {
        SessionEvent::Snapshot {
            sessions: self.sorted(None).into_iter().cloned().collect(),
        }
    }

    /// A page of sessions, newest first by `lastActivity`, of one agent or all.
    pub fn list(&self, agent: Option<SessionAgent>, limit: usize, offset: usize) -> SessionsPage {
        let sorted = self.sorted(agent);
        let total = sorted.len();
        let sessions: Vec<SessionInfo> = sorted
            .into_iter()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect();
        SessionsPage {
            has_more: offset.saturating_add(sessions.len()) < total,
            total: u32::try_from(total).unwrap_or(u32::MAX),
            sessions,
        }
    }

    /// One listed session.
    pub fn get(&self, session_id: &str) -> Option<&SessionInfo> {
        let path = self.by_id.get(session_id)?;
        self.sessions.get(path)?.info.as_ref()
    }

    /// A page of a session's messages counted from the newest: `offset` newest messages are
    /// skipped, then up to `limit` older ones are returned, oldest first. Reads only the page's
    /// own lines (Claude Code, Codex) or files (OpenCode).
    pub fn messages(
        &mut self,
        session_id: &str,
        limit: usize,
        offset: usize,
    ) -> Result<MessagesPage, LookupError> {
        let path = self
            .by_id
            .get(session_id)
            .ok_or(LookupError::UnknownSession)?;
        let entry = self.sessions.get(path).ok_or(LookupError::UnknownSession)?;
        let Some(info) = &entry.info else {
            return Err(LookupError::UnknownSession);
        };
        let total = info.message_count as usize;
        let end = total.saturating_sub(offset);
        let start = end.saturating_sub(limit);
        let messages = match &entry.source {
            Source::Claude(file) | Source::Codex(file) => {
                let parse = parser(entry.agent);
                let spans = file.spans.get(start..end).unwrap_or_default();
                let (messages, bytes_read) =
                    jsonl::read_messages(path, spans, parse).map_err(LookupError::Io)?;
                self.bytes_read += bytes_read;
                messages
            }
            Source::Opencode(session) => {
                let mut reader = opencode::Reader::default();
                let messages = reader.messages(
                    &self.roots.opencode_storage,
                    &session.session_id,
                    start..end,
                );
                self.bytes_read += reader.bytes_read;
                messages
            }
        };
        Ok(MessagesPage {
            messages,
            total: u32::try_from(total).unwrap_or(u32::MAX),
            has_more: start > 0,
        })
    }

    /// Sessions whose title or any message (text or tool call summary) contains `query`,
    /// case-insensitively; newest first, at most `max_hits`.
    ///
    /// Cost: titles are in memory, but message text is not kept, so every session whose title does
    /// not match is read from disk in full: O(bytes of all session files) per search. Good for
    /// occasional searches of a workspace, not for search-as-you-type over gigabytes.
    pub fn search(&mut self, query: &str, max_hits: usize) -> Vec<SessionSearchHit> {
        let needle = query.trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        let candidates: Vec<SessionInfo> = self.sorted(None).into_iter().cloned().collect();
        let mut hits = Vec::new();
        for session in candidates {
            if hits.len() >= max_hits {
                break;
            }
            if let Some(at) = text::find_case_insensitive(&session.title, &needle) {
                hits.push(SessionSearchHit {
                    snippet: text::snippet_around(&session.title, at, 120),
                    message_id: None,
                    session,
                });
                continue;
            }
            if let Some((message_id, snippet)) = self.search_messages(&session.session_id, &needle)
            {
                hits.push(SessionSearchHit {
                    session,
                    message_id: Some(message_id),
                    snippet,
                });
            }
        }
        hits
    }

    /// How many lines of a session were skipped as corrupt.
    pub fn corrupt_lines(&self, session_id: &str) -> Option<u64> {
        let entry = self.sessions.get(self.by_id.get(session_id)?)?;
        Some(match &entry.source {
            Source::Claude(file) | Source::Codex(file) => file.corrupt_lines,
            Source::Opencode(session) => session.corrupt_files,
        })
    }

    /// Counters of the work done so far.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            bytes_read: self.bytes_read,
            sessions: self.sessions.values().filter(|e| e.info.is_some()).count(),
            corrupt_lines: self
                .sessions
                .values()
                .map(|entry| match &entry.source {
                    Source::Claude(file) | Source::Codex(file) => file.corrupt_lines,
                    Source::Opencode(session) => session.corrupt_files,
                })
                .sum(),
        }
    }

    fn sorted(&self, agent: Option<SessionAgent>) -> Vec<&SessionInfo> {
        let mut infos: Vec<&SessionInfo> = self
            .sessions
            .values()
            .filter(|entry| agent.is_none_or(|wanted| entry.agent == wanted))
            .filter_map(|entry| entry.info.as_ref())
            .collect();
        // Every lastActivity is formatted by `time::format_rfc3339_millis` (fixed width, UTC),
        // so text order is time order.
        infos.sort_by(|a, b| {
            b.last_activity
                .cmp(&a.last_activity)
                .then_with(|| a.session_id.cmp(&b.session_id))
        });
        infos
    }

    fn search_messages(&mut self, session_id: &str, needle: &str) -> Option<(String, String)> {
        let path = self.by_id.get(session_id)?.clone();
        let entry = self.sessions.get(&path)?;
        match &entry.source {
            Source::Claude(file) | Source::Codex(file) => {
                let mut found = None;
                let mut current_id = String::new();
                let read = jsonl::for_each_piece(
                    &path,
                    0,
                    file.offset,
                    parser(entry.agent),
                    |piece, joins_last| {
                        if !joins_last {
                            current_id.clone_from(&piece.message.id);
                        }
                        found = match_message(&piece.message, needle)
                            .map(|snippet| (current_id.clone(), snippet));
                        found.is_none()
                    },
                );
                self.bytes_read += read.unwrap_or(0);
                found
            }
            Source::Opencode(session) => {
                let mut reader = opencode::Reader::default();
                let count = session.message_count as usize;
                let messages =
                    reader.messages(&self.roots.opencode_storage, &session.session_id, 0..count);
                self.bytes_read += reader.bytes_read;
                messages.iter().find_map(|message| {
                    match_message(message, needle).map(|snippet| (message.id.clone(), snippet))
                })
            }
        }
    }

    fn refresh_jsonl(&mut self, path: &Path, agent: SessionAgent, events: &mut Vec<SessionEvent>) {
        if !path.is_file() {
            self.remove(path, events);
            return;
        }
        let entry = self
            .sessions
            .entry(path.to_path_buf())
            .or_insert_with(|| Entry {
                session_id: String::new(),
                agent,
                source: match agent {
                    SessionAgent::Codex => Source::Codex(JsonlFile::default()),
                    _ => Source::Claude(JsonlFile::default()),
                },
                info: None,
            });
        let (Source::Claude(file) | Source::Codex(file)) = &mut entry.source else {
            return;
        };
        match file.update(path, parser(agent)) {
            Ok(outcome) => self.bytes_read += outcome.bytes_read,
            Err(_) => {
                self.remove(path, events);
                return;
            }
        }
        self.describe(path, events);
    }

    fn refresh_opencode(&mut self, session_file: &Path, events: &mut Vec<SessionEvent>) {
        let previous = self
            .sessions
            .get(session_file)
            .and_then(|entry| match &entry.source {
                Source::Opencode(session) => Some(session.clone()),
                _ => None,
            });
        let mut reader = opencode::Reader::default();
        let loaded = reader.load_session(
            &self.roots.opencode_storage,
            session_file,
            previous.as_ref(),
        );
        self.bytes_read += reader.bytes_read;
        let session = match loaded {
            Ok(Some(session)) => session,
            // A sub-agent's session, a vanished file, or a first write caught half-done.
            Ok(None) | Err(_) => {
                self.remove(session_file, events);
                return;
            }
        };
        let entry = self
            .sessions
            .entry(session_file.to_path_buf())
            .or_insert_with(|| Entry {
                session_id: String::new(),
                agent: SessionAgent::Opencode,
                source: Source::Opencode(OpencodeSession::default()),
                info: None,
            });
        entry.source = Source::Opencode(session);
        self.describe(session_file, events);
    }

    /// Recomputes the client view of the session at `path` and records what changed.
    fn describe(&mut self, path: &Path, events: &mut Vec<SessionEvent>) {
        let Some(entry) = self.sessions.get_mut(path) else {
            return;
        };
        let session_id = match &entry.source {
            Source::Claude(_) => claude::session_id(path).unwrap_or_default(),
            Source::Codex(file) => codex::session_id_from_file_name(path)
                .or_else(|| file.session_id.clone())
                .or_else(|| claude::session_id(path))
                .unwrap_or_default(),
            Source::Opencode(session) => session.session_id.clone(),
        };
        if entry.session_id != session_id {
            if self
                .by_id
                .get(&entry.session_id)
                .is_some_and(|known| known == path)
            {
                self.by_id.remove(&entry.session_id);
            }
            entry.session_id.clone_from(&session_id);
            self.by_id.insert(session_id.clone(), path.to_path_buf());
        }
        let info = build_info(entry, &session_id, &self.codex_thread_names);
        let before = std::mem::replace(&mut entry.info, info.clone());
        match (before, info) {
            (None, Some(session)) => events.push(SessionEvent::Added { session }),
            (Some(old), Some(session)) if old != session => {
                events.push(SessionEvent::Updated { session });
            }
            (Some(old), None) => events.push(SessionEvent::Removed {
                session_id: old.session_id,
                agent: old.agent,
            }),
            _ => {}
        }
    }

    fn remove(&mut self, path: &Path, events: &mut Vec<SessionEvent>) {
        let Some(entry) = self.sessions.remove(path) else {
            return;
        };
        if self
            .by_id
            .get(&entry.session_id)
            .is_some_and(|known| known == path)
        {
            self.by_id.remove(&entry.session_id);
        }
        if let Some(info) = entry.info {
            events.push(SessionEvent::Removed {
                session_id: info.session_id,
                agent: info.agent,
            });
        }
    }

    /// A directory inside a root appeared or disappeared: index what is under it now and drop
    /// what is no longer there.
    fn rescan_directory(&mut self, directory: &Path, events: &mut Vec<SessionEvent>) {
        let roots = self.roots.clone();
        let vanished: Vec<PathBuf> = self
            .sessions
            .keys()
            .filter(|path| path.starts_with(directory) && !path.is_file())
            .cloned()
            .collect();
        for path in vanished {
            self.remove(&path, events);
        }
        for path in files_under(directory, 4) {
            if claude::is_session_file(&roots.claude_projects, &path) {
                self.refresh_jsonl(&path, SessionAgent::ClaudeCode, events);
            } else if codex::is_session_file(&roots.codex_sessions, &path) {
                self.refresh_jsonl(&path, SessionAgent::Codex, events);
            } else if opencode::classify(&roots.opencode_storage, &path) == StoragePath::SessionFile
            {
                self.refresh_opencode(&path, events);
            }
        }
    }

    /// Re-reads `session_index.jsonl` (a line per rename, small) and retitles what changed.
    fn reload_codex_thread_names(&mut self, events: &mut Vec<SessionEvent>) {
        let bytes = fs::read(&self.roots.codex_session_index).unwrap_or_default();
        self.bytes_read += bytes.len() as u64;
        let names: HashMap<String, String> = bytes
            .split(|&byte| byte == b'\n')
            .filter_map(codex::parse_thread_name)
            .collect();
        if names == self.codex_thread_names {
            return;
        }
        self.codex_thread_names = names;
        let codex_paths: Vec<PathBuf> = self
            .sessions
            .iter()
            .filter(|(_, entry)| entry.agent == SessionAgent::Codex)
            .map(|(path, _)| path.clone())
            .collect();
        for path in codex_paths {
            self.describe(&path, events);
        }
    }
}

fn parser(agent: SessionAgent) -> LineParser {
    match agent {
        SessionAgent::Codex => codex::parse_line,
        _ => claude::parse_line,
    }
}

fn build_info(
    entry: &Entry,
    session_id: &str,
    codex_thread_names: &HashMap<String, String>,
) -> Option<SessionInfo> {
    let fallback_title = |text: Option<&String>| {
        text.map(|text| text::single_line(text, text::TITLE_MAX_CHARS))
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| UNTITLED.to_owned())
    };
    let (title, message_count, activity, project_path) = match &entry.source {
        Source::Claude(file) | Source::Codex(file) => {
            if file.spans.is_empty() {
                return None;
            }
            let own_title = match entry.agent {
                SessionAgent::Codex => codex_thread_names.get(session_id).cloned(),
                _ => file.title.as_ref().map(|(_, title)| title.clone()),
            };
            (
                own_title.unwrap_or_else(|| fallback_title(file.first_user_text.as_ref())),
                file.spans.len(),
                file.last_activity_millis.or(file.modified_millis),
                file.project_path.clone().unwrap_or_default(),
            )
        }
        Source::Opencode(session) => {
            if session.message_count == 0 {
                return None;
            }
            let activity = [
                session.updated_millis,
                session.last_message_millis,
                session.created_millis,
            ]
            .into_iter()
            .flatten()
            .max();
            (
                session
                    .own_title()
                    .map(str::to_owned)
                    .unwrap_or_else(|| fallback_title(session.first_user_text.as_ref())),
                session.message_count as usize,
                activity,
                session.directory.clone(),
            )
        }
    };
    Some(SessionInfo {
        session_id: session_id.to_owned(),
        title,
        agent: entry.agent,
        message_count: u32::try_from(message_count).unwrap_or(u32::MAX),
        last_activity: crate::time::format_rfc3339_millis(activity.unwrap_or(0)),
        project_path,
        resume_command: entry.agent.resume_command(session_id),
    })
}

fn match_message(message: &perry_api::sessions::Message, needle: &str) -> Option<String> {
    if let Some(at) = text::find_case_insensitive(&message.text, needle) {
        return Some(text::snippet_around(&message.text, at, 120));
    }
    message.tool_calls.iter().find_map(|call| {
        let line = format!("{}: {}", call.name, call.summary);
        text::find_case_insensitive(&line, needle).map(|at| text::snippet_around(&line, at, 120))
    })
}

/// Regular files under `directory`, at most `depth` levels down, hidden entries skipped.
fn files_under(directory: &Path, depth: usize) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![(directory.to_path_buf(), 0)];
    while let Some((current, level)) = pending.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_file() {
                files.push(entry.path());
            } else if file_type.is_dir() && level + 1 < depth {
                pending.push((entry.path(), level + 1));
            }
        }
    }
    files
}
