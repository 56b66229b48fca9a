//! Terminals: login shells in workspaces that outlive the WebSockets watching them.
//!
//! A terminal is a Docker exec with a TTY. One task pumps its output into a bounded [`Ring`];
//! every attached client reads the ring at its own pace from its own offset, so a slow client
//! never grows memory. While clients are attached the pump waits (briefly) for the slowest one
//! before overwriting output it has not read, which carries backpressure to the program as a
//! local terminal would; a client stalled longer than that skips ahead and is told so. A client
//! that interrupts while far behind skips ahead too ([`Terminal::skip_backlog`]): Ctrl-C during a
//! flood over a slow link shows the prompt, not the rest of the flood. Not in the alternate
//! screen (vim, less): a full-screen program redraws only what changed, so a cut would stay.
//! With no client attached, a terminal lives on for a grace period, then its shell is hung up.
//!
//! # Layout
//! - [`ring`]: the output ring with absolute offsets.
//! - [`socket`]: the `/terminal/:workspace` WebSocket endpoint.

pub mod ring;
pub mod socket;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perry_api::TerminalInfo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::engine::{Engine, EngineError, TtyExec};
use crate::error::ApiError;
use ring::Ring;

/// The most bytes one output frame carries.
const MAX_FRAME_BYTES: usize = 64 * 1024;
/// A client that interrupts (Ctrl-C) while further behind than this skips its backlog: the
/// prompt after Ctrl-C matters more than a flood it cannot read anyway.
pub const SKIP_BACKLOG_OVER: u64 = 64 * 1024;
/// How much of the newest output a skipping client still gets, from a line's start: the last
/// screens of the flood.
pub const KEPT_ON_SKIP: u64 = 8 * 1024;
/// How long the pump waits for a lagging client before it overwrites what that client missed.
const BACKPRESSURE_PATIENCE: Duration = Duration::from_secs(2);

/// WebSocket close codes and their reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: String,
}

impl CloseReason {
    /// 1000: the shell exited.
    pub fn exited(exit_code: Option<i64>) -> CloseReason {
        let reason = exit_code.map_or_else(|| "exited".to_owned(), |code| format!("exit {code}"));
        CloseReason { code: 1000, reason }
    }

    /// 1001: the workspace or the agent is going away.
    pub fn going_away(reason: &str) -> CloseReason {
        CloseReason {
            code: 1001,
            reason: reason.to_owned(),
        }
    }
}

/// Terminal tunables from config.json.
#[derive(Debug, Clone)]
pub struct TerminalSettings {
    /// How long a terminal without clients lives on.
    pub grace: Duration,
    /// Bytes of recent output kept per terminal for replay.
    pub buffer_bytes: usize,
}

/// What a new terminal runs.
#[derive(Debug, Clone, Default)]
pub struct TerminalRequest {
    /// A command to run instead of the login shell.
    pub command: Option<Vec<String>>,
    pub cols: Option<u16>,
    pub rows: Option<u16>,
}

/// Every terminal of every workspace.
#[derive(Debug)]
pub struct TerminalManager {
    engine: Arc<dyn Engine>,
    settings: TerminalSettings,
    terminals: Mutex<HashMap<String, Arc<Terminal>>>,
}

/// One shell and the clients watching it.
pub struct Terminal {
    pub id: String,
    pub workspace: String,
    pub container: String,
    exec_id: String,
    created: String,
    input: tokio::sync::Mutex<Pin<Box<dyn AsyncWrite + Send>>>,
    state: Mutex<TerminalState>,
    /// The ring's end offset: clients wait on it for new output.
    output_end: watch::Sender<u64>,
    /// Bumped whenever a client reads or leaves: the pump waits on it under backpressure.
    progress: watch::Sender<u64>,
    /// Set once when the terminal ends; clients close their sockets with it.
    closed: watch::Sender<Option<CloseReason>>,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("id", &self.id)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct TerminalState {
    ring: Ring,
    /// Attached clients and how far each has read.
    clients: HashMap<u64, ClientCursor>,
    next_client: u64,
    size: (u16, u16),
    /// A close reason decided before the shell ended (workspace stopping, agent shutting down).
    close_reason: Option<CloseReason>,
    /// When the last client left.
    unattended_since: Option<Instant>,
    /// Whether the program has switched to the alternate screen (as far as the output says).
    alternate_screen: bool,
}

/// How far one client has read.
#[derive(Debug, Clone, Copy)]
struct ClientCursor {
    offset: u64,
    /// It stalled past the pump's patience: the pump no longer waits for it until it catches up.
    lagging: bool,
}

/// What a client gets from [`Terminal::next_output`].
#[derive(Debug)]
pub enum Output {
    /// New bytes; `dropped` bytes before them were overwritten before this client read them.
    Bytes { bytes: Vec<u8>, dropped: u64 },
    /// The terminal ended.
    Closed(CloseReason),
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a terminal is in the alternate screen after `output`, given whether it was before: the
/// last switch in it (`ESC [ ? 1049|1047|47 h|l`) decides. A switch split across two reads is
/// missed; the next one sets it right.
fn alternate_screen_after(output: &[u8], before: bool) -> bool {
    let mut alternate = before;
    let mut rest = output;
    while let Some(at) = rest.windows(3).position(|window| window == b"\x1b[?") {
        rest = &rest[at + 3..];
        for mode in [&b"1049"[..], b"1047", b"47"] {
            if let Some(after) = rest.strip_prefix(mode) {
                match after.first() {
                    Some(b'h') => alternate = true,
                    Some(b'l') => alternate = false,
                    _ => {}
                }
                break;
            }
        }
    }
    alternate
}

/// Where a terminal's shell records its pid inside the container.
fn pid_file(id: &str) -> String {
    format!("/tmp/.perry-terminal-{id}.pid")
}

fn new_terminal_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl TerminalManager {
    /// A manager that starts execs through `docker`.
    pub fn new(engine: Arc<dyn Engine>, settings: TerminalSettings) -> TerminalManager {
        TerminalManager {
            engine,
            settings,
            terminals: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a login shell (or `request.command`) as `workspace` in `container`.
    pub async fn open(
        self: &Arc<Self>,
        workspace: &str,
        container: &str,
        request: TerminalRequest,
    ) -> Result<Arc<Terminal>, ApiError> {
        let id = new_terminal_id();
        let shell: Vec<String> = match request.command {
            // Through a login shell, so the command sees the same PATH as an interactive shell.
            Some(command) if !command.is_empty() => ["/bin/bash", "-lc", "exec \"$@\"", "bash"]
                .into_iter()
                .map(str::to_owned)
                .chain(command)
                .collect(),
            _ => vec!["/bin/bash".to_owned(), "-l".to_owned()],
        };
        let size = (
            request.cols.unwrap_or(80).max(1),
            request.rows.unwrap_or(24).max(1),
        );
        let sized_by_client = request.cols.is_some() || request.rows.is_some();
        // Docker reports an exec's pid in the host's namespace, useless inside the container:
        // the shell writes its own pid where `hang_up` finds it. The client's size is set on
        // the terminal before the shell starts: an engine's resize travels beside the input
        // (Kubernetes' exec API), so a command typed at once could otherwise run at 0x0.
        let set_size = if sized_by_client {
            format!("stty cols {} rows {} 2>/dev/null; ", size.0, size.1)
        } else {
            String::new()
        };
        let cmd: Vec<String> = [
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            format!("{set_size}echo $$ > \"$0\"; exec \"$@\""),
            pid_file(&id),
        ]
        .into_iter()
        .chain(shell)
        .collect();
        let env = vec![
            "TERM=xterm-256color".to_owned(),
            "COLORTERM=truecolor".to_owned(),
        ];
        let streams = self
            .engine
            .start_tty_exec(TtyExec {
                container,
                user: "workspace",
                working_dir: "/home/workspace",
                cmd: &cmd,
                env: &env,
            })
            .await?;
        let terminal = Arc::new(Terminal {
            id,
            workspace: workspace.to_owned(),
            container: container.to_owned(),
            exec_id: streams.exec_id,
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            input: tokio::sync::Mutex::new(streams.input),
            state: Mutex::new(TerminalState {
                ring: Ring::new(self.settings.buffer_bytes),
                clients: HashMap::new(),
                next_client: 0,
                size,
                close_reason: None,
                unattended_since: Some(Instant::now()),
                alternate_screen: false,
            }),
            output_end: watch::Sender::new(0),
            progress: watch::Sender::new(0),
            closed: watch::Sender::new(None),
        });
        if sized_by_client
            && let Err(error) = self
                .engine
                .resize_exec(&terminal.exec_id, size.0, size.1)
                .await
        {
            tracing::debug!("first resize of terminal {} failed: {error}", terminal.id);
        }
        lock(&self.terminals).insert(terminal.id.clone(), terminal.clone());
        tokio::spawn(self.clone().pump(terminal.clone(), streams.output));
        tokio::spawn(self.clone().reap_when_unattended(terminal.clone()));
        tracing::info!("terminal {} opened in workspace {workspace:?}", terminal.id);
        Ok(terminal)
    }

    /// Copies the exec's output into the ring until it ends, then closes the terminal.
    async fn pump(
        self: Arc<Self>,
        terminal: Arc<Terminal>,
        mut output: Pin<Box<dyn AsyncRead + Send>>,
    ) {
        let mut progress = terminal.progress.subscribe();
        let mut buffer = vec![0u8; MAX_FRAME_BYTES];
        loop {
            let read = match output.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => read,
            };
            terminal.wait_for_room(&mut progress, read).await;
            let end = {
                let mut state = lock(&terminal.state);
                state.ring.push(&buffer[..read]);
                state.alternate_screen =
                    alternate_screen_after(&buffer[..read], state.alternate_screen);
                state.ring.end()
            };
            terminal.output_end.send_replace(end);
        }
        let preset = lock(&terminal.state).close_reason.clone();
        let reason = match preset {
            Some(reason) => reason,
            None => self.reason_for_end(&terminal).await,
        };
        tracing::info!(
            "terminal {} closed: {} {}",
            terminal.id,
            reason.code,
            reason.reason
        );
        lock(&self.terminals).remove(&terminal.id);
        terminal.closed.send_replace(Some(reason));
    }

    /// Why an exec's output ended: its shell exited (1000), or its workspace stopped (1001).
    async fn reason_for_end(&self, terminal: &Terminal) -> CloseReason {
        let container_running = matches!(
            self.engine.inspect_container(&terminal.container).await,
            Ok(Some(info)) if info.running
        );
        if !container_running {
            return CloseReason::going_away("workspace stopped");
        }
        // Docker records the exit code a moment after the stream ends.
        for _ in 0..20 {
            match self.engine.exec_state(&terminal.exec_id).await {
                Ok(state) if !state.running => return CloseReason::exited(state.exit_code),
                Ok(_) => tokio::time::sleep(Duration::from_millis(25)).await,
                Err(_) => break,
            }
        }
        CloseReason::exited(None)
    }

    /// Hangs up a terminal that has had no client for the grace period.
    async fn reap_when_unattended(self: Arc<Self>, terminal: Arc<Terminal>) {
        let mut closed = terminal.closed.subscribe();
        loop {
            let deadline = lock(&terminal.state)
                .unattended_since
                .map(|since| since + self.settings.grace);
            let wait = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => self.settings.grace,
            };
            tokio::select! {
                _ = closed.wait_for(Option::is_some) => return,
                () = tokio::time::sleep(wait) => {}
            }
            let expired = lock(&terminal.state)
                .unattended_since
                .is_some_and(|since| since.elapsed() >= self.settings.grace);
            if expired {
                tracing::info!(
                    "terminal {} had no client for {:?}: hanging up",
                    terminal.id,
                    self.settings.grace
                );
                self.hang_up(&terminal, None).await;
                return;
            }
        }
    }

    /// Ends a terminal's shell (SIGHUP, then SIGKILL), with `reason` for its clients.
    pub async fn hang_up(&self, terminal: &Terminal, reason: Option<CloseReason>) {
        if let Some(reason) = reason {
            lock(&terminal.state).close_reason.get_or_insert(reason);
        }
        let Ok(state) = self.engine.exec_state(&terminal.exec_id).await else {
            return;
        };
        if !state.running {
            return;
        }
        let signal = |name: &str| {
            format!(
                "kill -{name} \"$(/usr/bin/cat {0})\" 2>/dev/null; true",
                pid_file(&terminal.id)
            )
        };
        let _ = self
            .engine
            .exec(
                &terminal.container,
                "root",
                &["/bin/sh", "-c", &signal("HUP")],
            )
            .await;
        let mut closed = terminal.closed.subscribe();
        if tokio::time::timeout(Duration::from_secs(2), closed.wait_for(Option::is_some))
            .await
            .is_err()
        {
            let _ = self
                .engine
                .exec(
                    &terminal.container,
                    "root",
                    &["/bin/sh", "-c", &signal("KILL")],
                )
                .await;
        }
        let remove = format!("/usr/bin/rm -f {}", pid_file(&terminal.id));
        let _ = self
            .engine
            .exec(&terminal.container, "root", &["/bin/sh", "-c", &remove])
            .await;
    }

    /// A terminal by id, if it belongs to `workspace`.
    pub fn get(&self, workspace: &str, id: &str) -> Option<Arc<Terminal>> {
        lock(&self.terminals)
            .get(id)
            .filter(|terminal| terminal.workspace == workspace)
            .cloned()
    }

    /// The terminals of one workspace, oldest first.
    pub fn list(&self, workspace: &str) -> Vec<TerminalInfo> {
        let mut infos: Vec<TerminalInfo> = lock(&self.terminals)
            .values()
            .filter(|terminal| terminal.workspace == workspace)
            .map(|terminal| terminal.info())
            .collect();
        infos.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        infos
    }

    /// Ends one terminal of `workspace`.
    pub async fn kill(&self, workspace: &str, id: &str) -> Result<(), ApiError> {
        let terminal = self.get(workspace, id).ok_or_else(|| {
            ApiError::NotFound(format!("Workspace {workspace:?} has no terminal {id:?}"))
        })?;
        self.hang_up(&terminal, None).await;
        Ok(())
    }

    /// Tells the clients of `workspace`'s terminals that it is going away (1001). The shells end
    /// with the container.
    pub fn workspace_going_away(&self, workspace: &str, reason: &str) {
        for terminal in lock(&self.terminals)
            .values()
            .filter(|terminal| terminal.workspace == workspace)
        {
            lock(&terminal.state)
                .close_reason
                .get_or_insert_with(|| CloseReason::going_away(reason));
        }
    }

    /// Closes every terminal with 1001 and hangs up their shells: the agent is shutting down.
    pub async fn shut_down(&self) {
        let terminals: Vec<Arc<Terminal>> = lock(&self.terminals).values().cloned().collect();
        let reason = CloseReason::going_away("agent shutting down");
        for terminal in &terminals {
            terminal.closed.send_replace(Some(reason.clone()));
        }
        futures_util::future::join_all(
            terminals
                .iter()
                .map(|terminal| self.hang_up(terminal, Some(reason.clone()))),
        )
        .await;
    }

    /// Resizes a terminal's TTY.
    pub async fn resize(
        &self,
        terminal: &Terminal,
        cols: u16,
        rows: u16,
    ) -> Result<(), EngineError> {
        let (cols, rows) = (cols.clamp(1, 1000), rows.clamp(1, 1000));
        lock(&terminal.state).size = (cols, rows);
        self.engine.resize_exec(&terminal.exec_id, cols, rows).await
    }
}

impl Terminal {
    /// Attaches a client; it starts reading at `since` or, when that is no longer held (or not
    /// given), at the oldest byte still held: the replay.
    pub fn attach(&self, since: Option<u64>) -> (u64, u64) {
        let mut state = lock(&self.state);
        let client = state.next_client;
        state.next_client += 1;
        let cursor = since
            .unwrap_or(0)
            .clamp(state.ring.start(), state.ring.end());
        state.clients.insert(
            client,
            ClientCursor {
                offset: cursor,
                lagging: false,
            },
        );
        state.unattended_since = None;
        (client, cursor)
    }

    /// Detaches a client; the last one to leave starts the grace period.
    pub fn detach(&self, client: u64) {
        let mut state = lock(&self.state);
        state.clients.remove(&client);
        if state.clients.is_empty() {
            state.unattended_since = Some(Instant::now());
        }
        drop(state);
        self.progress.send_modify(|count| *count += 1);
    }

    /// The next output after `cursor` for `client`, waiting for it; `None` if the client was
    /// detached meanwhile.
    pub async fn next_output(&self, client: u64, cursor: &mut u64) -> Output {
        let mut output_end = self.output_end.subscribe();
        let mut closed = self.closed.subscribe();
        loop {
            {
                let state = lock(&self.state);
                let dropped = state.ring.start().saturating_sub(*cursor);
                let from = (*cursor).max(state.ring.start());
                if from < state.ring.end() {
                    let bytes = state.ring.read_from(from, MAX_FRAME_BYTES);
                    *cursor = from + bytes.len() as u64;
                    drop(state);
                    self.record_progress(client, *cursor);
                    return Output::Bytes { bytes, dropped };
                }
            }
            if let Some(reason) = closed.borrow_and_update().clone() {
                return Output::Closed(reason);
            }
            output_end.borrow_and_update();
            tokio::select! {
                _ = output_end.changed() => {}
                _ = closed.changed() => {}
            }
        }
    }

    /// Moves a client that is more than `over` bytes behind to the start of a line in the last
    /// [`KEPT_ON_SKIP`] bytes; returns how many bytes it skipped (0 when it was closer, or in the
    /// alternate screen).
    pub fn skip_backlog(&self, client: u64, cursor: &mut u64, over: u64) -> u64 {
        let state = lock(&self.state);
        let end = state.ring.end();
        if end.saturating_sub(*cursor) <= over.max(KEPT_ON_SKIP) || state.alternate_screen {
            return 0;
        }
        let tail_start = (end - KEPT_ON_SKIP).max(state.ring.start());
        let tail = state.ring.read_from(tail_start, KEPT_ON_SKIP as usize);
        drop(state);
        let line_start = tail
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(tail_start, |at| tail_start + at as u64 + 1);
        let skipped = line_start - *cursor;
        *cursor = line_start;
        self.record_progress(client, line_start);
        skipped
    }

    fn record_progress(&self, client: u64, cursor: u64) {
        let mut state = lock(&self.state);
        let end = state.ring.end();
        if let Some(position) = state.clients.get_mut(&client) {
            position.offset = cursor;
            if cursor == end {
                position.lagging = false;
            }
        }
        drop(state);
        self.progress.send_modify(|count| *count += 1);
    }

    /// Waits until `incoming` bytes fit without overwriting what an attached client has not
    /// read, for at most [`BACKPRESSURE_PATIENCE`]; clients still behind after that are marked
    /// lagging and not waited for again until they catch up.
    async fn wait_for_room(&self, progress: &mut watch::Receiver<u64>, incoming: usize) {
        let deadline = tokio::time::Instant::now() + BACKPRESSURE_PATIENCE;
        loop {
            progress.borrow_and_update();
            if !self.would_overwrite_unread(incoming) {
                return;
            }
            if tokio::time::timeout_at(deadline, progress.changed())
                .await
                .is_err()
            {
                let mut state = lock(&self.state);
                let (end, capacity) = (state.ring.end(), state.ring.capacity() as u64);
                for position in state.clients.values_mut() {
                    if end - position.offset + incoming as u64 > capacity {
                        position.lagging = true;
                    }
                }
                return;
            }
        }
    }

    fn would_overwrite_unread(&self, incoming: usize) -> bool {
        let state = lock(&self.state);
        let slowest = state
            .clients
            .values()
            .filter(|position| !position.lagging)
            .map(|position| position.offset)
            .min();
        slowest.is_some_and(|slowest| {
            (state.ring.end() - slowest) as usize + incoming > state.ring.capacity()
        })
    }

    /// Writes keystrokes to the shell.
    pub async fn write_input(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut input = self.input.lock().await;
        input.write_all(bytes).await?;
        input.flush().await
    }

    /// Waits until there is output past `offset`: true, or the terminal ended: false.
    pub async fn output_after(&self, offset: u64) -> bool {
        let mut output_end = self.output_end.subscribe();
        let mut closed = self.closed.subscribe();
        tokio::select! {
            more = output_end.wait_for(|end| *end > offset) => more.is_ok(),
            _ = closed.wait_for(Option::is_some) => false,
        }
    }

    /// Offset one past the newest output byte.
    pub fn output_end(&self) -> u64 {
        *self.output_end.borrow()
    }

    /// The close reason, once the terminal has ended.
    pub fn closed(&self) -> watch::Receiver<Option<CloseReason>> {
        self.closed.subscribe()
    }

    /// What `terminals.list` shows.
    pub fn info(&self) -> TerminalInfo {
        let state = lock(&self.state);
        TerminalInfo {
            id: self.id.clone(),
            workspace_name: self.workspace.clone(),
            created: self.created.clone(),
            clients: u32::try_from(state.clients.len()).unwrap_or(u32::MAX),
            cols: state.size.0,
            rows: state.size.1,
            buffered_bytes: u32::try_from(state.ring.len()).unwrap_or(u32::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::alternate_screen_after;

    #[test]
    fn the_last_switch_of_the_output_says_whether_the_alternate_screen_is_on() {
        assert!(alternate_screen_after(b"\x1b[?1049h\x1b[H\x1b[2J~", false));
        assert!(!alternate_screen_after(
            b"\x1b[?1049h text \x1b[?1049l$ ",
            false
        ));
        assert!(alternate_screen_after(b"\x1b[?47l\x1b[?1047h", false));
        // Other private modes (the cursor, bracketed paste) change nothing.
        assert!(alternate_screen_after(b"\x1b[?25l\x1b[?2004h", true));
        assert!(!alternate_screen_after(b"\x1b[?25h plain text", false));
        assert!(!alternate_screen_after(b"\x1b[?1049l", true));
        // A sequence cut at the end of a read leaves it as it was.
        assert!(alternate_screen_after(b"\x1b[?104", true));
    }
}
