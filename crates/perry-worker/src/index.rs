//! The session index of one home directory: every session of Claude Code, OpenCode and Codex,
//! kept current one changed file at a time.
//!
//! OpenCode keeps its sessions in files (before 1.2) or in its SQLite database (1.2 and later;
//! the upgrade copies the files into it and leaves them). Both are read; a session found in both
//! is listed once, from the database.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use perry_api::sessions::{
    MessagesPage, SessionAgent, SessionEvent, SessionInfo, SessionSearchHit, SessionState,
    SessionStatus, SessionsPage,
};
use perry_api::worker::StatusReport;

use crate::jsonl::{self, JsonlFile, LineParser};
use crate::opencode::{self, OpencodeSession, StoragePath};
use crate::opencode_db::{self, StoreError};
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
    /// `~/.local/share/opencode/opencode.db`
    pub opencode_db: PathBuf,
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
            opencode_db: home
                .join(".local/share/opencode")
                .join(opencode_db::FILE_NAME),
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

    /// Single files to follow through their directory, watched without its subdirectories.
    pub fn watched_files(&self) -> Vec<PathBuf> {
        vec![self.codex_session_index.clone(), self.opencode_db.clone()]
    }

    /// Whether `path` is OpenCode's database or its write-ahead log, where OpenCode's commits
    /// land while it runs.
    pub fn is_opencode_db_file(&self, path: &Path) -> bool {
        if path == self.opencode_db {
            return true;
        }
        let mut wal = self.opencode_db.clone().into_os_string();
        wal.push("-wal");
        path.as_os_str() == wal
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
    /// Times OpenCode's database was read to bring the index up to date (a scan, or a change of
    /// its files).
    pub opencode_db_reads: u64,
}

/// Why a session lookup failed.
#[derive(Debug)]
pub enum LookupError {
    UnknownSession,
    Io(io::Error),
    Database(StoreError),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::UnknownSession => formatter.write_str("no session has that id"),
            LookupError::Io(error) => write!(formatter, "could not read the session: {error}"),
            LookupError::Database(error) => {
                write!(formatter, "could not read OpenCode's database: {error}")
            }
        }
    }
}

impl std::error::Error for LookupError {}

/// Why deleting a session failed.
#[derive(Debug)]
pub enum DeleteError {
    /// No indexed session has that id (or it is not an id its agent makes).
    UnknownSession,
    /// A file of the session could not be removed; what was removed before it stays removed.
    Io(io::Error),
    /// OpenCode's database could not be written: nothing of the session was deleted.
    Database(StoreError),
}

impl std::fmt::Display for DeleteError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeleteError::UnknownSession => formatter.write_str("no session has that id"),
            DeleteError::Io(error) => write!(formatter, "could not remove the session: {error}"),
            DeleteError::Database(error) => write!(
                formatter,
                "could not delete the session from OpenCode's database: {error}"
            ),
        }
    }
}

impl std::error::Error for DeleteError {}

/// Where a session was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// A file of its own: a Claude Code transcript, a Codex rollout, an OpenCode session file.
    File(PathBuf),
    /// A row of OpenCode's database, by session id.
    OpencodeDb(String),
}

enum Source {
    Claude(JsonlFile),
    Codex(JsonlFile),
    /// A session file of OpenCode's JSON storage.
    Opencode(OpencodeSession),
    /// A session of OpenCode's database.
    OpencodeDb(OpencodeSession),
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
/// session file), or by id for a session of OpenCode's database. Memory per session is its
/// metadata plus 16 bytes per message (a byte span of its lines); message bodies are read from
/// disk when asked for.
pub struct SessionIndex {
    roots: Roots,
    sessions: HashMap<Key, Entry>,
    by_id: HashMap<String, Key>,
    codex_thread_names: HashMap<String, String>,
    opencode_db: OpencodeDbState,
    bytes_read: u64,
    /// What each session's coding agent last reported through its hook, by session id (kept
    /// also for a session whose transcript has not appeared yet).
    statuses: HashMap<String, SessionStatus>,
}

/// What the index remembers of OpenCode's database between reads.
#[derive(Debug, Default)]
struct OpencodeDbState {
    /// The newest message rowid at the last read: sessions with rows above it gained messages.
    newest_message_rowid: i64,
    /// Reads so far, for [`IndexStats::opencode_db_reads`].
    reads: u64,
    /// The problem last logged, so that one cause is logged once, not at every change.
    logged_problem: Option<String>,
}

/// Which sessions of OpenCode's database a read counts the messages of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recount {
    /// Every session (a scan).
    All,
    /// New sessions, those whose `time_updated` moved, and those with new message rows. A
    /// message deleted while its session row stays as it was is counted again at the next scan
    /// (in the runs seen, OpenCode moved `time_updated` along with each message it wrote).
    Changed,
}

const UNTITLED: &str = "Untitled session";

impl SessionIndex {
    /// An empty index over `roots`; call [`SessionIndex::scan`] to fill it.
    pub fn new(roots: Roots) -> SessionIndex {
        SessionIndex {
            roots,
            sessions: HashMap::new(),
            by_id: HashMap::new(),
            statuses: HashMap::new(),
            codex_thread_names: HashMap::new(),
            opencode_db: OpencodeDbState::default(),
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
        // The database before the files: a file whose session is also in the database is then
        // hidden from its first look, with no added-then-removed churn.
        self.refresh_opencode_db(Recount::All, &mut events);
        let opencode_sessions = roots.opencode_storage.join("session");
        for path in files_under(&opencode_sessions, 2) {
            if opencode::classify(&roots.opencode_storage, &path) == StoragePath::SessionFile {
                self.refresh_opencode(&path, &mut events);
                found.insert(path);
            }
        }
        // Sessions of the database were brought up to date by `refresh_opencode_db` already.
        let gone: Vec<Key> = self
            .sessions
            .keys()
            .filter(|key| matches!(key, Key::File(path) if !found.contains(path)))
            .cloned()
            .collect();
        for key in gone {
            self.remove(&key, &mut events);
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
        } else if roots.is_opencode_db_file(path) {
            self.refresh_opencode_db(Recount::Changed, &mut events);
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
                    let session_file = match self.by_id.get(&session_id) {
                        Some(Key::File(path)) => Some(path.clone()),
                        _ => opencode::find_session_file(&roots.opencode_storage, &session_id),
                    };
                    if let Some(session_file) = session_file {
                        self.refresh_opencode(&session_file, &mut events);
                    }
                }
                StoragePath::Other => {}
            }
        } else if roots
            .trees()
            .into_iter()
            .chain(roots.watched_files())
            .any(|target| target.starts_with(path))
        {
            // An ancestor of a root appeared or vanished (e.g. `~/.codex`): look again.
            events = self.scan();
        }
        events
    }

    /// [`SessionIndex::apply`] for a batch of changed paths, reading OpenCode's database once
    /// however many of its files changed.
    pub fn apply_batch<'a>(
        &mut self,
        paths: impl IntoIterator<Item = &'a Path>,
    ) -> Vec<SessionEvent> {
        let mut events = Vec::new();
        let mut database_changed = false;
        for path in paths {
            if self.roots.is_opencode_db_file(path) {
                database_changed = true;
            } else {
                events.extend(self.apply(path));
            }
        }
        if database_changed {
            self.refresh_opencode_db(Recount::Changed, &mut events);
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
        let key = self.by_id.get(session_id)?;
        self.sessions.get(key)?.info.as_ref()
    }

    /// What a session's coding agent last reported, whether or not its transcript is indexed.
    pub fn status(&self, session_id: &str) -> Option<&SessionStatus> {
        self.statuses.get(session_id)
    }

    /// A page of a session's messages counted from the newest: `offset` newest messages are
    /// skipped, then up to `limit` older ones are returned, oldest first. Reads only the page's
    /// own lines (Claude Code, Codex), files or rows (OpenCode).
    pub fn messages(
        &mut self,
        session_id: &str,
        limit: usize,
        offset: usize,
    ) -> Result<MessagesPage, LookupError> {
        let key = self
            .by_id
            .get(session_id)
            .ok_or(LookupError::UnknownSession)?;
        let entry = self.sessions.get(key).ok_or(LookupError::UnknownSession)?;
        let Some(info) = &entry.info else {
            return Err(LookupError::UnknownSession);
        };
        let total = info.message_count as usize;
        let end = total.saturating_sub(offset);
        let start = end.saturating_sub(limit);
        let messages = match (&entry.source, key) {
            (Source::Claude(file) | Source::Codex(file), Key::File(path)) => {
                let parse = parser(entry.agent);
                let spans = file.spans.get(start..end).unwrap_or_default();
                let (messages, bytes_read) =
                    jsonl::read_messages(path, spans, parse).map_err(LookupError::Io)?;
                self.bytes_read += bytes_read;
                messages
            }
            (Source::Opencode(session), _) => {
                let mut reader = opencode::Reader::default();
                let messages = reader.messages(
                    &self.roots.opencode_storage,
                    &session.session_id,
                    start..end,
                );
                self.bytes_read += reader.bytes_read;
                messages
            }
            (Source::OpencodeDb(session), _) => {
                let store = opencode_db::Store::open(&self.roots.opencode_db)
                    .map_err(LookupError::Database)?
                    .ok_or(LookupError::UnknownSession)?;
                let messages = store
                    .messages(&session.session_id, start..end)
                    .map_err(LookupError::Database)?;
                self.bytes_read += store.bytes_read();
                messages
            }
            // Transcripts are always keyed by their file.
            (Source::Claude(_) | Source::Codex(_), Key::OpencodeDb(_)) => {
                return Err(LookupError::UnknownSession);
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

    /// Deletes a session: removes from disk everything its coding agent keeps for it (see
    /// `claude::remove_session`, `codex::remove_session`, `opencode::remove_session`,
    /// `opencode_db::delete_session`), then drops it from the index and returns the events that
    /// says (its `removed`). Only the places the index found it are touched, never a path made
    /// from the id asked for, and only for an id of its agent's own shape.
    ///
    /// On an error the index is left as it was: the watcher brings it up to date from whatever
    /// was removed.
    pub fn delete(&mut self, session_id: &str) -> Result<Vec<SessionEvent>, DeleteError> {
        let key = self
            .by_id
            .get(session_id)
            .cloned()
            .ok_or(DeleteError::UnknownSession)?;
        let entry = self.sessions.get(&key).ok_or(DeleteError::UnknownSession)?;
        if entry.session_id != session_id || !entry.agent.is_valid_session_id(session_id) {
            return Err(DeleteError::UnknownSession);
        }
        let roots = self.roots.clone();
        let mut events = Vec::new();
        match (&entry.source, &key) {
            (Source::Claude(_), Key::File(path)) => {
                claude::remove_session(path).map_err(DeleteError::Io)?;
                self.refresh_jsonl(path, SessionAgent::ClaudeCode, &mut events);
            }
            (Source::Codex(_), Key::File(path)) => {
                codex::remove_session(path).map_err(DeleteError::Io)?;
                self.refresh_jsonl(path, SessionAgent::Codex, &mut events);
            }
            (Source::Opencode(_), Key::File(path)) => {
                opencode::remove_session(&roots.opencode_storage, path, session_id)
                    .map_err(DeleteError::Io)?;
                self.refresh_opencode(path, &mut events);
            }
            (Source::OpencodeDb(_), _) => {
                opencode_db::delete_session(&roots.opencode_db, session_id)
                    .map_err(DeleteError::Database)?;
                // The copy OpenCode's upgrade left in the JSON storage would show again.
                let file_twin =
                    self.sessions
                        .iter()
                        .find_map(|(key, entry)| match (key, &entry.source) {
                            (Key::File(path), Source::Opencode(session))
                                if session.session_id == session_id =>
                            {
                                Some(path.clone())
                            }
                            _ => None,
                        });
                if let Some(path) = file_twin {
                    opencode::remove_session(&roots.opencode_storage, &path, session_id)
                        .map_err(DeleteError::Io)?;
                    self.refresh_opencode(&path, &mut events);
                }
                self.refresh_opencode_db(Recount::Changed, &mut events);
            }
            // Only sessions of OpenCode's database are keyed by id.
            (Source::Claude(_) | Source::Codex(_) | Source::Opencode(_), Key::OpencodeDb(_)) => {
                return Err(DeleteError::UnknownSession);
            }
        }
        self.statuses.remove(session_id);
        Ok(events)
    }

    /// How many lines of a session were skipped as corrupt.
    pub fn corrupt_lines(&self, session_id: &str) -> Option<u64> {
        let entry = self.sessions.get(self.by_id.get(session_id)?)?;
        Some(entry.source.corrupt_lines())
    }

    /// Counters of the work done so far.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            bytes_read: self.bytes_read,
            sessions: self.sessions.values().filter(|e| e.info.is_some()).count(),
            corrupt_lines: self
                .sessions
                .values()
                .map(|entry| entry.source.corrupt_lines())
                .sum(),
            opencode_db_reads: self.opencode_db.reads,
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
        let key = self.by_id.get(session_id)?;
        let entry = self.sessions.get(key)?;
        let find = |messages: &[perry_api::sessions::Message]| {
            messages.iter().find_map(|message| {
                match_message(message, needle).map(|snippet| (message.id.clone(), snippet))
            })
        };
        match (&entry.source, key) {
            (Source::Claude(file) | Source::Codex(file), Key::File(path)) => {
                let mut found = None;
                let mut current_id = String::new();
                let read = jsonl::for_each_piece(
                    path,
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
            (Source::Opencode(session), _) => {
                let mut reader = opencode::Reader::default();
                let count = session.message_count as usize;
                let messages =
                    reader.messages(&self.roots.opencode_storage, &session.session_id, 0..count);
                self.bytes_read += reader.bytes_read;
                find(&messages)
            }
            (Source::OpencodeDb(session), _) => {
                let store = opencode_db::Store::open(&self.roots.opencode_db).ok()??;
                let count = session.message_count as usize;
                let messages = store.messages(&session.session_id, 0..count).ok()?;
                self.bytes_read += store.bytes_read();
                find(&messages)
            }
            (Source::Claude(_) | Source::Codex(_), Key::OpencodeDb(_)) => None,
        }
    }

    fn refresh_jsonl(&mut self, path: &Path, agent: SessionAgent, events: &mut Vec<SessionEvent>) {
        let key = Key::File(path.to_path_buf());
        if !path.is_file() {
            self.remove(&key, events);
            return;
        }
        let entry = self.sessions.entry(key.clone()).or_insert_with(|| Entry {
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
                self.remove(&key, events);
                return;
            }
        }
        self.describe(&key, events);
    }

    fn refresh_opencode(&mut self, session_file: &Path, events: &mut Vec<SessionEvent>) {
        let key = Key::File(session_file.to_path_buf());
        let previous = self
            .sessions
            .get(&key)
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
                self.remove(&key, events);
                return;
            }
        };
        let entry = self.sessions.entry(key.clone()).or_insert_with(|| Entry {
            session_id: String::new(),
            agent: SessionAgent::Opencode,
            source: Source::Opencode(OpencodeSession::default()),
            info: None,
        });
        entry.source = Source::Opencode(session);
        self.describe(&key, events);
    }

    /// Reads OpenCode's database and brings its sessions up to date. A database that cannot be
    /// read is logged (once per cause); its sessions are kept while the cause may pass (a lock, a
    /// read error) and dropped when it will not (tables this worker does not know).
    fn refresh_opencode_db(&mut self, recount: Recount, events: &mut Vec<SessionEvent>) {
        self.opencode_db.reads += 1;
        let outcome = match opencode_db::Store::open(&self.roots.opencode_db) {
            Ok(Some(store)) => {
                let outcome = self.read_opencode_db(&store, recount, events);
                self.bytes_read += store.bytes_read();
                outcome
            }
            Ok(None) => {
                self.keep_opencode_db_sessions(&HashSet::new(), events);
                Ok(())
            }
            Err(error) => Err(error),
        };
        let Err(error) = outcome else {
            self.opencode_db.logged_problem = None;
            return;
        };
        if matches!(error, StoreError::Unsupported(_)) {
            self.keep_opencode_db_sessions(&HashSet::new(), events);
        }
        let problem = error.to_string();
        if self.opencode_db.logged_problem.as_ref() != Some(&problem) {
            eprintln!(
                "perry-worker: cannot list the sessions of OpenCode's database {}: {problem}",
                self.roots.opencode_db.display()
            );
            self.opencode_db.logged_problem = Some(problem);
        }
    }

    fn read_opencode_db(
        &mut self,
        store: &opencode_db::Store,
        recount: Recount,
        events: &mut Vec<SessionEvent>,
    ) -> Result<(), StoreError> {
        let rows = store.sessions()?;
        let newest_message_rowid = store.newest_message_rowid()?;
        let with_new_messages = match recount {
            Recount::All => HashSet::new(),
            Recount::Changed => {
                store.sessions_with_messages_after(self.opencode_db.newest_message_rowid)?
            }
        };
        let listed: HashSet<String> = rows.iter().map(|row| row.id.clone()).collect();
        self.keep_opencode_db_sessions(&listed, events);
        let mut twins = None;
        for row in rows {
            let key = Key::OpencodeDb(row.id.clone());
            let previous = match self.sessions.get(&key).map(|entry| &entry.source) {
                Some(Source::OpencodeDb(session)) => Some(session.clone()),
                _ => None,
            };
            let is_new = previous.is_none();
            let recount_this = recount == Recount::All
                || with_new_messages.contains(&row.id)
                || previous
                    .as_ref()
                    .is_none_or(|known| known.updated_millis != row.updated_millis);
            let mut session = OpencodeSession {
                title: text::single_line(&row.title, text::TITLE_MAX_CHARS),
                directory: row.directory,
                created_millis: row.created_millis,
                updated_millis: row.updated_millis,
                session_id: row.id,
                // Counts and the first prompt carry over until the session changes.
                ..previous.unwrap_or_default()
            };
            if recount_this {
                let stats = store.message_stats(&session.session_id)?;
                session.message_count = stats.count;
                session.last_message_millis = stats.last_created_millis;
                if session.message_count > 0
                    && session.own_title().is_none()
                    && session.first_user_text.is_none()
                {
                    session.first_user_text = store.first_user_text(&session.session_id)?;
                }
            }
            let session_id = session.session_id.clone();
            let entry = self.sessions.entry(key.clone()).or_insert_with(|| Entry {
                session_id: String::new(),
                agent: SessionAgent::Opencode,
                source: Source::OpencodeDb(OpencodeSession::default()),
                info: None,
            });
            entry.source = Source::OpencodeDb(session);
            if is_new {
                // Its file, if the upgrade left one, is hidden before the row is shown, so that
                // the events coalesce into one update rather than cancel out.
                self.describe_opencode_file(&mut twins, &session_id, events);
            }
            self.describe(&key, events);
        }
        self.opencode_db.newest_message_rowid = newest_message_rowid;
        Ok(())
    }

    /// Removes the database's sessions not in `listed`; a file of the same session shows again.
    fn keep_opencode_db_sessions(
        &mut self,
        listed: &HashSet<String>,
        events: &mut Vec<SessionEvent>,
    ) {
        let gone: Vec<String> = self
            .sessions
            .keys()
            .filter_map(|key| match key {
                Key::OpencodeDb(id) if !listed.contains(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        let mut twins = None;
        for session_id in gone {
            self.remove(&Key::OpencodeDb(session_id.clone()), events);
            self.describe_opencode_file(&mut twins, &session_id, events);
        }
    }

    /// Describes again the OpenCode session file of `session_id`, if there is one, after the
    /// database gained or lost that session. `files` caches the files by id for one read.
    fn describe_opencode_file(
        &mut self,
        files: &mut Option<HashMap<String, Key>>,
        session_id: &str,
        events: &mut Vec<SessionEvent>,
    ) {
        let files = files.get_or_insert_with(|| {
            self.sessions
                .iter()
                .filter_map(|(key, entry)| match (&entry.source, key) {
                    (Source::Opencode(session), Key::File(_)) => {
                        Some((session.session_id.clone(), key.clone()))
                    }
                    _ => None,
                })
                .collect()
        });
        if let Some(key) = files.get(session_id).cloned() {
            self.describe(&key, events);
        }
    }

    /// Recomputes the client view of the session at `key` and records what changed.
    fn describe(&mut self, key: &Key, events: &mut Vec<SessionEvent>) {
        let Some(entry) = self.sessions.get(key) else {
            return;
        };
        let session_id = match (&entry.source, key) {
            (Source::Claude(_), Key::File(path)) => claude::session_id(path).unwrap_or_default(),
            (Source::Codex(file), Key::File(path)) => codex::session_id_from_file_name(path)
                .or_else(|| file.session_id.clone())
                .or_else(|| claude::session_id(path))
                .unwrap_or_default(),
            (Source::Opencode(session) | Source::OpencodeDb(session), _) => {
                session.session_id.clone()
            }
            (Source::Claude(_) | Source::Codex(_), Key::OpencodeDb(id)) => id.clone(),
        };
        // A session file that OpenCode also copied into its database is listed once, from there.
        let shadowed = matches!(entry.source, Source::Opencode(_))
            && self
                .sessions
                .contains_key(&Key::OpencodeDb(session_id.clone()));
        let Some(entry) = self.sessions.get_mut(key) else {
            return;
        };
        if entry.session_id != session_id {
            if self
                .by_id
                .get(&entry.session_id)
                .is_some_and(|known| known == key)
            {
                self.by_id.remove(&entry.session_id);
            }
            entry.session_id.clone_from(&session_id);
        }
        if !shadowed && self.by_id.get(&session_id) != Some(key) {
            self.by_id.insert(session_id.clone(), key.clone());
        }
        let info = if shadowed {
            None
        } else {
            build_info(
                entry,
                &session_id,
                &self.codex_thread_names,
                self.statuses.get(&session_id),
            )
        };
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

    /// Takes in what a session's coding agent reported (`at`: milliseconds since the epoch):
    /// the session's status changes, and so does what clients see of it when it is listed.
    /// The same state again keeps its `since`. An error stays until the session works again:
    /// agents say "idle" right after a failed turn (OpenCode does), and the person should still
    /// hear that it failed.
    pub fn report(&mut self, report: StatusReport, at_millis: i64) -> Vec<SessionEvent> {
        let unchanged = self.statuses.get(&report.session_id).is_some_and(|status| {
            (status.state == report.state && status.detail == report.detail)
                || (status.state == SessionState::Error && report.state == SessionState::Idle)
        });
        if unchanged {
            return Vec::new();
        }
        self.statuses.insert(
            report.session_id.clone(),
            SessionStatus {
                state: report.state,
                since: crate::time::format_rfc3339_millis(at_millis),
                detail: report.detail,
            },
        );
        let mut events = Vec::new();
        if let Some(key) = self.by_id.get(&report.session_id).cloned() {
            self.describe(&key, &mut events);
        }
        events
    }

    fn remove(&mut self, key: &Key, events: &mut Vec<SessionEvent>) {
        let Some(entry) = self.sessions.remove(key) else {
            return;
        };
        if self
            .by_id
            .get(&entry.session_id)
            .is_some_and(|known| known == key)
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
        let vanished: Vec<Key> = self
            .sessions
            .keys()
            .filter(|key| {
                matches!(key, Key::File(path) if path.starts_with(directory) && !path.is_file())
            })
            .cloned()
            .collect();
        for key in vanished {
            self.remove(&key, events);
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
        let codex_keys: Vec<Key> = self
            .sessions
            .iter()
            .filter(|(_, entry)| entry.agent == SessionAgent::Codex)
            .map(|(key, _)| key.clone())
            .collect();
        for key in codex_keys {
            self.describe(&key, events);
        }
    }
}

impl Source {
    /// Lines (or OpenCode files) skipped as corrupt.
    fn corrupt_lines(&self) -> u64 {
        match self {
            Source::Claude(file) | Source::Codex(file) => file.corrupt_lines,
            Source::Opencode(session) | Source::OpencodeDb(session) => session.corrupt_files,
        }
    }
}

fn parser(agent: SessionAgent) -> LineParser {
    match agent {
        SessionAgent::Codex => codex::parse_line,
        _ => claude::parse_line,
    }
}

/// How long a transcript's last line may say "working" and still be believed.
const TRANSCRIPT_WORK_FRESH_MILLIS: i64 = 10 * 60 * 1000;

fn build_info(
    entry: &Entry,
    session_id: &str,
    codex_thread_names: &HashMap<String, String>,
    status: Option<&SessionStatus>,
) -> Option<SessionInfo> {
    let fallback_title = |text: Option<&String>| {
        text.map(|text| text::single_line(text, text::TITLE_MAX_CHARS))
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| UNTITLED.to_owned())
    };
    // What the coding agent's hook said wins; without one, what the transcript tells.
    let mut told = status.cloned();
    let (title, message_count, activity, project_path) = match &entry.source {
        Source::Claude(file) | Source::Codex(file) => {
            if file.spans.is_empty() {
                return None;
            }
            if told.is_none()
                && let Some((turn, at)) = &file.turn
            {
                let at = at
                    .or(file.last_activity_millis)
                    .or(file.modified_millis)
                    .unwrap_or(0);
                // A turn that started long ago and said nothing since was left, not worked on.
                let abandoned = turn.state == SessionState::Working
                    && crate::time::now_millis() - at > TRANSCRIPT_WORK_FRESH_MILLIS;
                if !abandoned {
                    told = Some(SessionStatus {
                        state: turn.state,
                        since: crate::time::format_rfc3339_millis(at),
                        detail: turn.detail.clone(),
                    });
                }
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
        Source::Opencode(session) | Source::OpencodeDb(session) => {
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
        resume_command: entry.agent.resume_command(session_id).unwrap_or_default(),
        status: told,
        name: None,
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
