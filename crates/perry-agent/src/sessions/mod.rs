//! Coding-agent sessions: one live index per running workspace, fed by its perry-worker.
//!
//! For each workspace the agent keeps one connection to the worker: `perry-worker attach` run
//! through a Docker exec with stdio attached (see [`perry_api::worker`]; no TCP port anywhere).
//! The worker sends a snapshot and then one event per change; the agent keeps the sessions in
//! memory, so `sessions.list` never waits on the workspace, and fans the events out to every
//! `/sessions/:workspace` socket. Messages and search are asked of the worker, which reads the
//! files. A broken connection is retried while the workspace runs.
//!
//! Whatever the worker prints is untrusted (the workspace's user is root there): a line longer
//! than [`MAX_WORKER_LINE_BYTES`] is dropped without being held, logged and counted.
//!
//! # Layout
//! - `lines`: splitting the worker's output into lines of bounded length.
//! - [`socket`]: the `/sessions/:workspace` WebSocket endpoint.
//! - [`events`]: the `/events` WebSocket endpoint: status changes across all workspaces, from
//!   the hub's [`SessionHub::status_events`]. Every running workspace has an index (the agent
//!   connects when it sees one start), so nothing that needs the person goes unheard.

pub mod events;
mod lines;
pub mod socket;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use perry_api::sessions::{
    MessagesPage, RecentSession, SessionAgent, SessionEvent, SessionInfo, SessionSearchHit,
    SessionsPage, StatusEvent, WorkspaceSession,
};
use perry_api::worker::{WorkerCall, WorkerFailure, WorkerOutput, WorkerRequest, WorkerResult};
use tokio::io::AsyncWriteExt;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use self::lines::{LineSplitter, Piece};
use crate::engine::{Engine, EngineError};
use crate::error::ApiError;
use crate::state::StateStore;

/// The longest line the agent takes from a worker; a longer one is dropped. A snapshot of
/// about 20,000 sessions, or a page of messages with a few long pasted prompts, still fits.
pub const MAX_WORKER_LINE_BYTES: usize = 8 * 1024 * 1024;

/// How long a first call waits for a fresh connection's snapshot.
const FIRST_SNAPSHOT_WAIT: Duration = Duration::from_secs(5);
/// How long a messages or search call waits for the worker's reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);
/// Waits between reconnection attempts: the worker may still be starting.
const RETRY_DELAYS: &[Duration] = &[
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
];
/// Events a slow socket may fall behind before it gets a fresh snapshot instead.
const EVENT_BACKLOG: usize = 256;
/// Status changes across all workspaces a slow `/events` socket may fall behind.
const STATUS_BACKLOG: usize = 1024;

/// What a call to the worker gets back: its result, or why there is none.
type Reply = Result<WorkerResult, ApiError>;
/// Calls on their way to the worker's connection.
type Calls = mpsc::Receiver<(WorkerCall, oneshot::Sender<Reply>)>;

/// The most `sessions.recent` returns.
pub const MAX_RECENT_SESSIONS: u32 = 100;
/// A session opened again within this long of its last opening is not written down again: a
/// client that reopens a page costs no state write.
const REOPEN_QUIET: Duration = Duration::from_secs(30);

/// The names people gave the sessions of one workspace, by session id.
type Names = Arc<Mutex<HashMap<String, String>>>;

/// The session indexes of all running workspaces.
#[derive(Debug)]
pub struct SessionHub {
    engine: Arc<dyn Engine>,
    /// Where the sessions' names and the opened sessions are kept.
    state: Arc<StateStore>,
    indexes: Mutex<HashMap<String, Arc<WorkspaceSessions>>>,
    status_events: broadcast::Sender<StatusEvent>,
    /// Set when the agent shuts down: `/events` sockets close (1001).
    shutting_down: watch::Sender<bool>,
}

/// One workspace's sessions and its connection to the worker.
#[derive(Debug)]
pub struct WorkspaceSessions {
    pub workspace: String,
    /// `None` until the first snapshot arrives.
    sessions: watch::Sender<Option<HashMap<String, SessionInfo>>>,
    events: broadcast::Sender<SessionEvent>,
    calls: mpsc::Sender<(WorkerCall, oneshot::Sender<Reply>)>,
    names: Names,
    connection: tokio::task::AbortHandle,
    /// Lines of the worker dropped for being longer than [`MAX_WORKER_LINE_BYTES`].
    dropped_lines: Arc<AtomicU64>,
    /// Set once when the index goes away; its sockets close (1001) with this reason.
    closed: watch::Sender<Option<String>>,
}

impl Drop for WorkspaceSessions {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SessionHub {
    pub fn new(engine: Arc<dyn Engine>, state: Arc<StateStore>) -> SessionHub {
        SessionHub {
            engine,
            state,
            indexes: Mutex::new(HashMap::new()),
            status_events: broadcast::channel(STATUS_BACKLOG).0,
            shutting_down: watch::Sender::new(false),
        }
    }

    /// Resolves once the agent is shutting down.
    pub async fn shutting_down(&self) {
        let _ = self.shutting_down.subscribe().wait_for(|down| *down).await;
    }

    /// Status changes across all workspaces from now on.
    pub fn status_events(&self) -> broadcast::Receiver<StatusEvent> {
        self.status_events.subscribe()
    }

    /// Every session that has a status now, across all workspaces, newest change first.
    pub fn statuses(&self) -> Vec<WorkspaceSession> {
        let indexes: Vec<Arc<WorkspaceSessions>> = lock(&self.indexes).values().cloned().collect();
        let mut all: Vec<WorkspaceSession> = indexes
            .iter()
            .flat_map(|index| {
                let sessions = index.sessions.borrow();
                sessions
                    .iter()
                    .flat_map(|sessions| sessions.values())
                    .filter(|session| session.status.is_some())
                    .map(|session| WorkspaceSession {
                        workspace: index.workspace.clone(),
                        session: session.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let since = |entry: &WorkspaceSession| {
            entry
                .session
                .status
                .as_ref()
                .map(|status| status.since.clone())
        };
        all.sort_by_key(|entry| std::cmp::Reverse(since(entry)));
        all
    }

    /// The index of a running workspace, connecting to its worker if not connected yet.
    pub fn index(&self, workspace: &str, container: &str) -> Arc<WorkspaceSessions> {
        let mut indexes = lock(&self.indexes);
        if let Some(index) = indexes.get(workspace) {
            return index.clone();
        }
        let names = self
            .state
            .snapshot()
            .session_names
            .get(workspace)
            .map(|names| names.clone().into_iter().collect())
            .unwrap_or_default();
        let index = WorkspaceSessions::connect(
            self.engine.clone(),
            workspace,
            container,
            self.status_events.clone(),
            Arc::new(Mutex::new(names)),
        );
        indexes.insert(workspace.to_owned(), index.clone());
        index
    }

    /// Drops a workspace's index (it stopped or was deleted) and closes its sockets.
    pub fn forget(&self, workspace: &str, reason: &str) {
        let Some(index) = lock(&self.indexes).remove(workspace) else {
            return;
        };
        index.close(reason);
        let had_statuses = index
            .sessions
            .borrow()
            .as_ref()
            .is_some_and(|sessions| sessions.values().any(|session| session.status.is_some()));
        if had_statuses {
            let _ = self.status_events.send(StatusEvent::Gone {
                workspace: workspace.to_owned(),
                session_id: None,
            });
        }
    }

    /// Gives session `session_id` of a running workspace's `index` a name, or takes its name
    /// away (`None`): kept in state.json, shown by every list and socket from now on.
    pub async fn rename(
        &self,
        index: &WorkspaceSessions,
        session_id: &str,
        name: Option<String>,
    ) -> Result<SessionInfo, ApiError> {
        index.get(session_id).await?;
        let name = name.map(|name| name.trim().to_owned());
        let workspace = &index.workspace;
        self.state
            .update(|state| state.set_session_name(workspace, session_id, name.as_deref()))?;
        index.set_name(session_id, name).ok_or_else(|| {
            ApiError::NotFound(format!(
                "Workspace {workspace:?} has no session {session_id:?}"
            ))
        })
    }

    /// Deletes a session's transcript inside its workspace (the worker removes the files, and
    /// its index reports the session removed), and what the agent kept about it.
    pub async fn delete(
        &self,
        index: &WorkspaceSessions,
        session_id: &str,
    ) -> Result<(), ApiError> {
        index.get(session_id).await?;
        let call = WorkerCall::Delete {
            session_id: session_id.to_owned(),
        };
        match index.ask(call).await? {
            WorkerResult::Deleted {} => {}
            other => return Err(unexpected(other)),
        }
        self.state
            .update(|state| state.forget_session(&index.workspace, session_id))?;
        index.set_name(session_id, None);
        Ok(())
    }

    /// Notes that a client opened a session (its first page of messages): it leads
    /// `sessions.recent` and its workspace counts as used. Reopened within [`REOPEN_QUIET`], it
    /// is left as it is.
    pub fn opened(&self, workspace: &str, session: &SessionInfo) -> Result<(), ApiError> {
        let recently = self
            .state
            .snapshot()
            .opened_sessions
            .first()
            .is_some_and(|last| {
                last.workspace == workspace
                    && last.session.session_id == session.session_id
                    && crate::within_last(&last.opened_at, REOPEN_QUIET)
            });
        if recently {
            return Ok(());
        }
        let now = crate::now_rfc3339();
        self.state
            .update(|state| state.mark_opened(workspace, session, &now))?;
        Ok(())
    }

    /// The `limit` sessions most recently active or opened, across every workspace: those of
    /// running workspaces as their indexes have them now, and opened ones of stopped workspaces
    /// as they were when opened.
    pub fn recent(&self, limit: u32) -> Vec<RecentSession> {
        let state = self.state.snapshot();
        let opened: HashMap<(&str, &str), &str> = state
            .opened_sessions
            .iter()
            .map(|opened| {
                let key = (
                    opened.workspace.as_str(),
                    opened.session.session_id.as_str(),
                );
                (key, opened.opened_at.as_str())
            })
            .collect();
        let opened_at = |workspace: &str, session_id: &str| {
            opened
                .get(&(workspace, session_id))
                .map(|at| (*at).to_owned())
        };
        let indexes: Vec<Arc<WorkspaceSessions>> = lock(&self.indexes).values().cloned().collect();
        let mut recent: Vec<RecentSession> = Vec::new();
        for index in &indexes {
            let sessions = index.sessions.borrow();
            recent.extend(
                sessions
                    .iter()
                    .flat_map(|sessions| sessions.values())
                    .map(|session| RecentSession {
                        workspace: index.workspace.clone(),
                        session: session.clone(),
                        opened_at: opened_at(&index.workspace, &session.session_id),
                    }),
            );
        }
        let indexed = |workspace: &str| indexes.iter().any(|index| index.workspace == workspace);
        recent.extend(
            state
                .opened_sessions
                .iter()
                .filter(|opened| !indexed(&opened.workspace))
                .map(|opened| {
                    let mut session = opened.session.clone();
                    // Its workspace is not running: what it was doing then is not news.
                    session.status = None;
                    session.name = state
                        .session_names
                        .get(&opened.workspace)
                        .and_then(|names| names.get(&session.session_id))
                        .cloned();
                    RecentSession {
                        workspace: opened.workspace.clone(),
                        session,
                        opened_at: Some(opened.opened_at.clone()),
                    }
                }),
        );
        recent.sort_by(|a, b| {
            b.recency()
                .cmp(a.recency())
                .then_with(|| a.workspace.cmp(&b.workspace))
                .then_with(|| a.session.session_id.cmp(&b.session.session_id))
        });
        recent.truncate(limit as usize);
        recent
    }

    /// Closes every index: the agent is shutting down.
    pub fn shut_down(&self) {
        self.shutting_down.send_replace(true);
        for (_, index) in lock(&self.indexes).drain() {
            index.close("agent shutting down");
        }
    }
}

impl WorkspaceSessions {
    fn connect(
        engine: Arc<dyn Engine>,
        workspace: &str,
        container: &str,
        status_events: broadcast::Sender<StatusEvent>,
        names: Names,
    ) -> Arc<WorkspaceSessions> {
        let (calls, call_receiver) = mpsc::channel(64);
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let sessions = watch::Sender::new(None);
        let dropped_lines = Arc::new(AtomicU64::new(0));
        let connection = tokio::spawn(keep_connected(
            engine,
            container.to_owned(),
            Relay {
                workspace: workspace.to_owned(),
                sessions: sessions.clone(),
                events: events.clone(),
                status_events,
                dropped_lines: dropped_lines.clone(),
                names: names.clone(),
            },
            call_receiver,
        ));
        Arc::new(WorkspaceSessions {
            workspace: workspace.to_owned(),
            sessions,
            events,
            calls,
            names,
            connection: connection.abort_handle(),
            dropped_lines,
            closed: watch::Sender::new(None),
        })
    }

    /// How many lines of the worker were dropped for being longer than
    /// [`MAX_WORKER_LINE_BYTES`] since the index was made.
    pub fn dropped_lines(&self) -> u64 {
        self.dropped_lines.load(Ordering::Relaxed)
    }

    fn close(&self, reason: &str) {
        self.connection.abort();
        self.closed.send_if_modified(|closed| {
            if closed.is_some() {
                return false;
            }
            *closed = Some(reason.to_owned());
            true
        });
    }

    /// Resolves with the reason once the index has gone away.
    pub async fn closed(&self) -> String {
        let mut closed = self.closed.subscribe();
        match closed.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            Err(_) => "closed".to_owned(),
        }
    }

    /// Waits (briefly) for the first snapshot of a fresh connection.
    async fn ready(&self) -> Result<(), ApiError> {
        let mut sessions = self.sessions.subscribe();
        match tokio::time::timeout(FIRST_SNAPSHOT_WAIT, sessions.wait_for(Option::is_some)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(ApiError::ServiceUnavailable(format!(
                "The session index of workspace {:?} is not available yet (its perry-worker is not answering); try again in a moment",
                self.workspace
            ))),
        }
    }

    /// A page of sessions, newest first, optionally of one agent only.
    pub async fn list(
        &self,
        agent: Option<SessionAgent>,
        limit: u32,
        offset: u32,
    ) -> Result<SessionsPage, ApiError> {
        self.ready().await?;
        // Sort references and copy only the page: a list of 1,000 sessions is asked for often.
        let index = self.sessions.borrow();
        let mut matching: Vec<&SessionInfo> = index
            .as_ref()
            .map(|sessions| {
                sessions
                    .values()
                    .filter(|session| agent.is_none_or(|agent| session.agent == agent))
                    .collect()
            })
            .unwrap_or_default();
        matching.sort_unstable_by(|a, b| newest_first(a, b));
        Ok(page(&matching, limit, offset))
    }

    /// Every session now, newest first: what a socket gets first.
    pub fn snapshot(&self) -> Option<Vec<SessionInfo>> {
        let mut sessions: Vec<SessionInfo> =
            self.sessions.borrow().as_ref()?.values().cloned().collect();
        sort_newest_first(&mut sessions);
        Some(sessions)
    }

    /// One session by id.
    pub async fn get(&self, session_id: &str) -> Result<SessionInfo, ApiError> {
        self.ready().await?;
        let sessions = self.sessions.borrow();
        sessions
            .as_ref()
            .and_then(|sessions| sessions.get(session_id))
            .cloned()
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "Workspace {:?} has no session {session_id:?}",
                    self.workspace
                ))
            })
    }

    /// Shows `name` for a session from now on (`None`: its own title), telling every socket;
    /// the session as it is now, if the index still has it.
    fn set_name(&self, session_id: &str, name: Option<String>) -> Option<SessionInfo> {
        {
            let mut names = lock(&self.names);
            match &name {
                Some(name) => names.insert(session_id.to_owned(), name.clone()),
                None => names.remove(session_id),
            };
        }
        let mut renamed = None;
        self.sessions.send_if_modified(|sessions| {
            let Some(session) = sessions
                .as_mut()
                .and_then(|sessions| sessions.get_mut(session_id))
            else {
                return false;
            };
            session.name = name;
            renamed = Some(session.clone());
            true
        });
        let session = renamed?;
        let _ = self.events.send(SessionEvent::Updated {
            session: session.clone(),
        });
        Some(session)
    }

    /// Changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }

    /// The index's sessions as a watch, for waiting on the first snapshot.
    pub fn sessions_watch(&self) -> watch::Receiver<Option<HashMap<String, SessionInfo>>> {
        self.sessions.subscribe()
    }

    /// A page of one session's messages, counted from the newest.
    pub async fn messages(
        &self,
        session_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<MessagesPage, ApiError> {
        self.ready().await?;
        let call = WorkerCall::Messages {
            session_id: session_id.to_owned(),
            limit,
            offset,
        };
        match self.ask(call).await? {
            WorkerResult::Messages { page } => Ok(page),
            other => Err(unexpected(other)),
        }
    }

    /// Sessions whose title or messages contain `query`.
    pub async fn search(&self, query: &str, limit: u32) -> Result<Vec<SessionSearchHit>, ApiError> {
        self.ready().await?;
        let call = WorkerCall::Search {
            query: query.to_owned(),
            limit,
        };
        match self.ask(call).await? {
            WorkerResult::Search { mut hits } => {
                let names = lock(&self.names);
                for hit in &mut hits {
                    hit.session.name = names.get(&hit.session.session_id).cloned();
                }
                Ok(hits)
            }
            other => Err(unexpected(other)),
        }
    }

    async fn ask(&self, call: WorkerCall) -> Result<WorkerResult, ApiError> {
        let unavailable = || {
            ApiError::ServiceUnavailable(format!(
                "The perry-worker of workspace {:?} did not answer; try again in a moment",
                self.workspace
            ))
        };
        let (reply, answer) = oneshot::channel();
        self.calls
            .send((call, reply))
            .await
            .map_err(|_| unavailable())?;
        match tokio::time::timeout(REPLY_TIMEOUT, answer).await {
            Ok(Ok(reply)) => reply,
            _ => Err(unavailable()),
        }
    }
}

fn unexpected(result: WorkerResult) -> ApiError {
    match result {
        WorkerResult::NotFound { message } => ApiError::NotFound(message),
        WorkerResult::Failed {
            reason: WorkerFailure::Disconnected,
            message,
        } => ApiError::ServiceUnavailable(format!(
            "The perry-worker of this workspace went away before it answered ({message}); try again in a moment"
        )),
        WorkerResult::Failed { reason, message } => ApiError::Internal(anyhow::anyhow!(
            "the perry-worker failed ({reason:?}): {message}"
        )),
        other => ApiError::Internal(anyhow::anyhow!(
            "the perry-worker answered out of turn: {other:?}"
        )),
    }
}

fn newest_first(a: &SessionInfo, b: &SessionInfo) -> std::cmp::Ordering {
    b.last_activity
        .cmp(&a.last_activity)
        .then_with(|| a.session_id.cmp(&b.session_id))
}

fn sort_newest_first(sessions: &mut [SessionInfo]) {
    sessions.sort_unstable_by(newest_first);
}

fn page(sessions: &[&SessionInfo], limit: u32, offset: u32) -> SessionsPage {
    let total = u32::try_from(sessions.len()).unwrap_or(u32::MAX);
    let start = (offset as usize).min(sessions.len());
    let end = start.saturating_add(limit as usize).min(sessions.len());
    SessionsPage {
        has_more: end < sessions.len(),
        total,
        sessions: sessions[start..end]
            .iter()
            .map(|&session| session.clone())
            .collect(),
    }
}

/// Applies one event to the in-memory index.
fn apply(sessions: &mut Option<HashMap<String, SessionInfo>>, event: &SessionEvent) {
    match event {
        SessionEvent::Snapshot { sessions: all } => {
            *sessions = Some(
                all.iter()
                    .map(|session| (session.session_id.clone(), session.clone()))
                    .collect(),
            );
        }
        SessionEvent::Added { session } | SessionEvent::Updated { session } => {
            sessions
                .get_or_insert_with(HashMap::new)
                .insert(session.session_id.clone(), session.clone());
        }
        SessionEvent::Removed { session_id, .. } => {
            if let Some(sessions) = sessions {
                sessions.remove(session_id);
            }
        }
    }
}

/// The status changes an event makes to the sessions as they were.
fn status_changes(
    workspace: &str,
    sessions: Option<&HashMap<String, SessionInfo>>,
    event: &SessionEvent,
) -> Vec<StatusEvent> {
    let state_of = |id: &str| {
        sessions
            .and_then(|sessions| sessions.get(id))
            .and_then(|session| session.status.as_ref())
    };
    let changed = |session: &SessionInfo| {
        let before = state_of(&session.session_id);
        (session.status.is_some() && session.status.as_ref() != before).then(|| {
            StatusEvent::Changed {
                workspace: workspace.to_owned(),
                session: session.clone(),
                previous: before.map(|status| status.state),
            }
        })
    };
    let gone = |session_id: &str| StatusEvent::Gone {
        workspace: workspace.to_owned(),
        session_id: Some(session_id.to_owned()),
    };
    match event {
        SessionEvent::Added { session } | SessionEvent::Updated { session } => {
            changed(session).into_iter().collect()
        }
        SessionEvent::Removed { session_id, .. } => state_of(session_id)
            .map(|_| gone(session_id))
            .into_iter()
            .collect(),
        SessionEvent::Snapshot { sessions: all } => {
            // The first snapshot of a connection is how things stand, not news: every old
            // session would otherwise be "done" again at each start of the agent. Later ones
            // (after a reconnect) tell the changes of sessions already known.
            let Some(before) = sessions else {
                return Vec::new();
            };
            let mut changes: Vec<StatusEvent> = all
                .iter()
                .filter(|session| before.contains_key(&session.session_id))
                .filter_map(changed)
                .collect();
            {
                changes.extend(
                    before
                        .values()
                        .filter(|session| session.status.is_some())
                        .filter(|session| {
                            !all.iter().any(|now| now.session_id == session.session_id)
                        })
                        .map(|session| gone(&session.session_id)),
                );
            }
            changes
        }
    }
}

/// Where a connection puts what the worker says.
struct Relay {
    workspace: String,
    sessions: watch::Sender<Option<HashMap<String, SessionInfo>>>,
    events: broadcast::Sender<SessionEvent>,
    /// The hub's: status changes across all workspaces.
    status_events: broadcast::Sender<StatusEvent>,
    dropped_lines: Arc<AtomicU64>,
    /// The names people gave sessions: put on every session the worker tells of.
    names: Names,
}

impl Relay {
    /// The worker's event with the names people gave its sessions.
    fn named(&self, mut event: SessionEvent) -> SessionEvent {
        let names = lock(&self.names);
        let name = |session: &mut SessionInfo| {
            session.name = names.get(&session.session_id).cloned();
        };
        match &mut event {
            SessionEvent::Snapshot { sessions } => sessions.iter_mut().for_each(name),
            SessionEvent::Added { session } | SessionEvent::Updated { session } => name(session),
            SessionEvent::Removed { .. } => {}
        }
        event
    }
}

/// Keeps one connection to the worker up for as long as the index lives.
async fn keep_connected(
    engine: Arc<dyn Engine>,
    container: String,
    relay: Relay,
    mut calls: Calls,
) {
    let mut failures = 0usize;
    loop {
        match converse(engine.as_ref(), &container, &relay, &mut calls).await {
            Ok(()) => failures = 0,
            Err(error) => {
                if failures == 2 {
                    tracing::warn!("cannot reach the perry-worker of {container}: {error}");
                }
                failures += 1;
            }
        }
        let delay = RETRY_DELAYS[failures.min(RETRY_DELAYS.len() - 1)];
        tokio::time::sleep(delay).await;
    }
}

/// One connection's state: what it has been asked and whether the worker said hello.
struct Conversation<'a> {
    container: &'a str,
    relay: &'a Relay,
    pending: HashMap<u64, oneshot::Sender<Reply>>,
    greeted: bool,
}

impl Conversation<'_> {
    fn take(&mut self, piece: Piece) {
        match piece {
            Piece::Line(line) => self.take_line(&line),
            Piece::TooLong { head, bytes } => self.drop_line(&head, bytes),
        }
    }

    fn take_line(&mut self, line: &[u8]) {
        let output = match serde_json::from_slice::<WorkerOutput>(line) {
            Ok(output) => output,
            Err(error) => {
                let shown = &line[..line.len().min(lines::HEAD_BYTES)];
                tracing::debug!(
                    "{}: unreadable worker line ({error}): {}",
                    self.container,
                    String::from_utf8_lossy(shown)
                );
                return;
            }
        };
        match output {
            WorkerOutput::Hello { version } => {
                self.greeted = true;
                tracing::debug!("{}: perry-worker {version} attached", self.container);
            }
            WorkerOutput::Event { event } => {
                let event = self.relay.named(event);
                let mut changes = Vec::new();
                self.relay.sessions.send_modify(|sessions| {
                    changes = status_changes(&self.relay.workspace, sessions.as_ref(), &event);
                    apply(sessions, &event);
                });
                let _ = self.relay.events.send(event);
                for change in changes {
                    let _ = self.relay.status_events.send(change);
                }
            }
            WorkerOutput::Reply { id, result } => {
                if let Some(reply) = self.pending.remove(&id) {
                    let _ = reply.send(Ok(result));
                }
            }
        }
    }

    /// A line over the limit went by: count it, and fail the call it answered, if it was a
    /// reply, rather than let the caller wait for nothing.
    fn drop_line(&mut self, head: &[u8], bytes: u64) {
        let dropped = self.relay.dropped_lines.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(
            "{}: dropped a perry-worker line of {bytes} bytes, more than the {} MiB the agent takes ({dropped} dropped so far)",
            self.container,
            MAX_WORKER_LINE_BYTES / (1024 * 1024)
        );
        let Some(reply) = reply_id(head).and_then(|id| self.pending.remove(&id)) else {
            return;
        };
        let _ = reply.send(Err(ApiError::PayloadTooLarge(format!(
            "The answer of the workspace's perry-worker was {bytes} bytes, more than the {} MiB the agent takes; ask for fewer messages (a smaller limit)",
            MAX_WORKER_LINE_BYTES / (1024 * 1024)
        ))));
    }
}

/// The id of a reply from the first bytes of its line: the worker writes the tag and the id
/// first (`{"type":"reply","id":7,…`).
fn reply_id(head: &[u8]) -> Option<u64> {
    let rest = head.strip_prefix(br#"{"type":"reply","id":"#)?;
    let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// One connection: relays calls to the worker and its events into the index, until it breaks.
async fn converse(
    engine: &dyn Engine,
    container: &str,
    relay: &Relay,
    calls: &mut Calls,
) -> Result<(), EngineError> {
    let mut exec = engine
        .start_stdio_exec(
            container,
            "workspace",
            &[perry_api::worker::WORKER_PATH, "attach"],
        )
        .await?;
    let mut next_id: u64 = 1;
    let mut conversation = Conversation {
        container,
        relay,
        pending: HashMap::new(),
        greeted: false,
    };
    let mut splitter = LineSplitter::new(MAX_WORKER_LINE_BYTES);
    let outcome = loop {
        tokio::select! {
            chunk = exec.stdout.next() => {
                let chunk = match chunk {
                    Some(Ok(chunk)) => chunk,
                    Some(Err(error)) => break Err(error),
                    None => break Err(EngineError::Failed(
                        "the perry-worker connection ended".to_owned(),
                    )),
                };
                splitter.push(&chunk, |piece| conversation.take(piece));
            }
            call = calls.recv() => {
                let Some((call, reply)) = call else { break Ok(()) };
                let id = next_id;
                next_id += 1;
                let mut line = match serde_json::to_vec(&WorkerRequest { id, call }) {
                    Ok(line) => line,
                    Err(error) => {
                        let _ = reply.send(Ok(WorkerResult::Failed {
                            reason: WorkerFailure::Other,
                            message: error.to_string(),
                        }));
                        continue;
                    }
                };
                line.push(b'\n');
                if let Err(error) = exec.stdin.write_all(&line).await {
                    let _ = reply.send(Ok(WorkerResult::Failed {
                        reason: WorkerFailure::Disconnected,
                        message: error.to_string(),
                    }));
                    break Err(EngineError::Failed(format!("cannot write to the perry-worker: {error}")));
                }
                let _ = exec.stdin.flush().await;
                conversation.pending.insert(id, reply);
            }
        }
    };
    for (_, reply) in conversation.pending.drain() {
        let _ = reply.send(Ok(WorkerResult::Failed {
            reason: WorkerFailure::Disconnected,
            message: "the connection to the perry-worker broke".to_owned(),
        }));
    }
    // A connection that got as far as the hello worked; only failures to connect back off.
    if conversation.greeted {
        Ok(())
    } else {
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_of_a_dropped_reply_is_read_from_its_head() {
        assert_eq!(
            reply_id(br#"{"type":"reply","id":42,"result":{"kind"#),
            Some(42)
        );
        assert_eq!(reply_id(br#"{"type":"event","event":{}}"#), None);
        assert_eq!(reply_id(b"xxxxxxxx"), None);
        assert_eq!(reply_id(br#"{"type":"reply","id":"#), None);
    }
}
