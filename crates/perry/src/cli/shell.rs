//! `perry shell <name> [-- cmd args]`: a terminal in a workspace, in this terminal.
//!
//! The local terminal goes into raw mode (restored on every way out), its size follows SIGWINCH,
//! and the exit status is the remote shell's. A dropped connection reattaches to the same shell
//! by itself and receives only the output it missed.

use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::SinkExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use perry_agent::websocket::{self, Frame, OpCode};
use perry_api::TerminalControl;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use super::Context;
use crate::client::AgentClient;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    name: String,
    /// Run this command instead of a login shell.
    #[arg(last = true)]
    command: Vec<String>,
}

/// How long `perry shell` keeps trying to reattach after the connection dropped.
const REATTACH_FOR: Duration = Duration::from_secs(60);

/// Puts the local terminal into raw mode and takes it out again when dropped.
struct RawMode {
    enabled: bool,
}

impl RawMode {
    fn enable() -> anyhow::Result<RawMode> {
        if !std::io::stdin().is_terminal() {
            return Ok(RawMode { enabled: false });
        }
        crossterm::terminal::enable_raw_mode().context("cannot put the terminal into raw mode")?;
        // A panic must not leave the terminal raw either. Once per process: the TUI opens
        // one shell after another, and each would otherwise wrap the hook again.
        static RESTORE_ON_PANIC: std::sync::Once = std::sync::Once::new();
        RESTORE_ON_PANIC.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = crossterm::terminal::disable_raw_mode();
                previous(info);
            }));
        });
        Ok(RawMode { enabled: true })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if self.enabled {
            let _ = crossterm::terminal::disable_raw_mode();
        }
    }
}

/// How a session over one socket ended.
enum SessionEnd {
    /// The agent closed the terminal: the remote exit code, or a message and status 1.
    Closed {
        exit_code: i32,
        message: Option<String>,
    },
    /// The connection broke; reattach.
    Dropped,
}

/// Where the output stream stands, for reattaching.
struct Position {
    terminal: Option<String>,
    next_offset: u64,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (client, name) = context.locate(&args.name).await?;
    let end = open(&client, &name, &args.command).await?;
    if let Some(message) = end.message {
        eprintln!("perry: {message}");
    }
    Ok(exit_code_of(end.exit_code))
}

/// How a shell ended: the remote exit code, and why the agent closed it when it was not the
/// shell's own exit (a workspace stopped under it).
#[derive(Debug)]
pub struct ShellEnd {
    pub exit_code: i32,
    pub message: Option<String>,
}

/// A process exit code for a remote one: a shell's status is 0–255 already, anything else
/// (never expected) maps to failure rather than wrapping around to success.
fn exit_code_of(code: i32) -> ExitCode {
    u8::try_from(code).map_or(ExitCode::FAILURE, ExitCode::from)
}

/// Runs a shell (or `command`) in workspace `name` in this terminal until it ends. `perry shell`
/// and the TUI's "open" both come here; the caller decides what to do with the exit code.
pub async fn open(
    client: &AgentClient,
    name: &str,
    command: &[String],
) -> anyhow::Result<ShellEnd> {
    let mut input = Input::open();
    let mut resizes = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        .context("cannot watch terminal resizes")?;

    let raw_mode = RawMode::enable()?;
    let mut position = Position {
        terminal: None,
        next_offset: 0,
    };
    let mut dropped_since: Option<std::time::Instant> = None;
    let end = loop {
        let url = terminal_url(client, name, command, &position);
        let socket = match client.connect_websocket(&url).await {
            Ok(socket) => socket,
            Err(error) => {
                let Some(since) = dropped_since else {
                    break Err(error);
                };
                if since.elapsed() > REATTACH_FOR || position.terminal.is_none() {
                    break Err(error.context("the connection to the agent is lost"));
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if dropped_since.take().is_some() {
            eprint!("\r\n[perry: reattached]\r\n");
        }
        match session(socket, &mut position, &mut input, &mut resizes).await {
            SessionEnd::Closed { exit_code, message } => break Ok(ShellEnd { exit_code, message }),
            SessionEnd::Dropped => {
                eprint!("\r\n[perry: connection lost, reattaching…]\r\n");
                dropped_since = Some(std::time::Instant::now());
            }
        }
    };
    drop(raw_mode);
    end
}

fn terminal_url(
    client: &AgentClient,
    name: &str,
    command: &[String],
    position: &Position,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    match &position.terminal {
        Some(id) => {
            query.append_pair("terminal", id);
            query.append_pair("since", &position.next_offset.to_string());
        }
        None => {
            if let Ok((cols, rows)) = crossterm::terminal::size() {
                query.append_pair("cols", &cols.to_string());
                query.append_pair("rows", &rows.to_string());
            }
            if !command.is_empty() {
                let json = serde_json::to_string(command).unwrap_or_default();
                query.append_pair("cmd", &json);
            }
        }
    }
    client.websocket_url(&format!(
        "/terminal/{}?{}",
        utf8_percent_encode(name, PATH_SEGMENT),
        query.finish()
    ))
}

/// What a path segment keeps as it is: RFC 3986's unreserved characters.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

use crate::client::Socket;

/// Output acked at once once this much is unacknowledged; less is acked on the next tick.
const ACK_EVERY_BYTES: u64 = 32 * 1024;
/// How often output below [`ACK_EVERY_BYTES`] is acked.
const ACK_TICK: Duration = Duration::from_millis(100);

/// Copies bytes between the socket and this terminal until either side ends. Output is acked
/// (`TerminalControl::Ack`, once written to the terminal), so the agent keeps little of a flood
/// in flight and Ctrl-C is answered quickly over a slow link.
async fn session(
    mut socket: Socket,
    position: &mut Position,
    input: &mut Input,
    resizes: &mut tokio::signal::unix::Signal,
) -> SessionEnd {
    let mut stdout = std::io::stdout();
    let mut stdin_open = true;
    let mut unacked: u64 = 0;
    // Whether the agent takes acks (it says so when it attaches); an older one would type them.
    let mut agent_acks = false;
    let mut ack_tick = tokio::time::interval(ACK_TICK);
    ack_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ack = |bytes: u64| {
        websocket::json(&TerminalControl::Ack {
            bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
        })
    };
    loop {
        tokio::select! {
            frame = socket.next_frame() => match frame {
                Err(_) => return SessionEnd::Dropped,
                Ok(frame) => match frame.opcode() {
                    OpCode::Binary => {
                        let bytes = frame.payload();
                        position.next_offset += bytes.len() as u64;
                        let _ = stdout.write_all(bytes);
                        let _ = stdout.flush();
                        if agent_acks {
                            unacked += bytes.len() as u64;
                        }
                        if unacked >= ACK_EVERY_BYTES {
                            if socket.send(ack(unacked)).await.is_err() {
                                return after_failed_send(&mut socket).await;
                            }
                            unacked = 0;
                        }
                    }
                    OpCode::Text => match serde_json::from_str::<TerminalControl>(websocket::text(&frame)) {
                        Ok(TerminalControl::Attached { id, offset, cols, rows, pings, .. }) => {
                            agent_acks = pings;
                            position.terminal = Some(id);
                            position.next_offset = offset;
                            // The window may have changed while the connection was down.
                            if let Ok(size) = crossterm::terminal::size()
                                && size != (cols, rows)
                            {
                                let resize = TerminalControl::Resize { cols: size.0, rows: size.1 };
                                if socket.send(websocket::json(&resize)).await.is_err() {
                                    return after_failed_send(&mut socket).await;
                                }
                            }
                        }
                        Ok(TerminalControl::Dropped { bytes }) => {
                            eprint!("\r\n[perry: {bytes} bytes of output were skipped]\r\n");
                        }
                        _ => {}
                    },
                    OpCode::Close => return closed(&frame),
                    _ => {}
                },
            },
            bytes = input.recv(), if stdin_open => match bytes {
                Some(bytes) => {
                    if socket.send(Frame::binary(bytes)).await.is_err() {
                        return after_failed_send(&mut socket).await;
                    }
                }
                // Local stdin ended (a pipe): the remote side sees EOF as Ctrl-D.
                None => {
                    stdin_open = false;
                    let _ = socket.send(Frame::binary(vec![4u8])).await;
                }
            },
            _ = ack_tick.tick(), if unacked > 0 => {
                if socket.send(ack(unacked)).await.is_err() {
                    return after_failed_send(&mut socket).await;
                }
                unacked = 0;
            }
            _ = resizes.recv() => {
                if let Ok((cols, rows)) = crossterm::terminal::size() {
                    let resize = TerminalControl::Resize { cols, rows };
                    if socket.send(websocket::json(&resize)).await.is_err() {
                        return after_failed_send(&mut socket).await;
                    }
                }
            }
        }
    }
}

/// After a send failed: the agent may have closed the socket (the shell exited) with a close
/// frame this end has not read yet; that frame says how it ended. Without one, the connection
/// dropped.
async fn after_failed_send(socket: &mut Socket) -> SessionEnd {
    let close = async {
        loop {
            match socket.next_frame().await {
                Ok(frame) if frame.opcode() == OpCode::Close => return closed(&frame),
                Ok(_) => {}
                Err(_) => return SessionEnd::Dropped,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(1), close)
        .await
        .unwrap_or(SessionEnd::Dropped)
}

/// The exit status carried by the agent's close frame.
fn closed(frame: &Frame) -> SessionEnd {
    let Some(code) = frame.close_code() else {
        return SessionEnd::Dropped;
    };
    let reason = websocket::close_reason(frame);
    match u16::from(code) {
        1000 => {
            let exit_code = reason
                .strip_prefix("exit ")
                .and_then(|code| code.parse().ok())
                .unwrap_or(0);
            SessionEnd::Closed {
                exit_code,
                message: None,
            }
        }
        1001 => SessionEnd::Closed {
            exit_code: 1,
            message: Some(format!("the terminal closed: {reason}")),
        },
        code => SessionEnd::Closed {
            exit_code: 1,
            message: Some(format!("the terminal closed ({code}): {reason}")),
        },
    }
}

/// What the user types: the terminal itself, read on this thread without blocking it, or (when
/// stdin is not a terminal, e.g. a pipe) stdin read on a thread of its own.
///
/// Reading the terminal in the runtime saves two thread handoffs per keystroke, which is most of
/// what a CLI adds to the echo round trip. The terminal is opened anew as `/dev/tty`, so its
/// non-blocking flag is on a file description of our own, never on the shell's stdin. Tokio's
/// pipe receiver reads it: it only registers a non-blocking descriptor with the reactor, which
/// is all a terminal needs (its `AsyncFd` constructor is deprecated for unsafe registration).
enum Input {
    Terminal(tokio::net::unix::pipe::Receiver),
    Thread(mpsc::Receiver<Vec<u8>>),
}

impl Input {
    fn open() -> Input {
        if std::io::stdin().is_terminal() {
            match std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open("/dev/tty")
                .and_then(tokio::net::unix::pipe::Receiver::from_file_unchecked)
            {
                Ok(terminal) => return Input::Terminal(terminal),
                Err(error) => tracing::debug!("cannot read /dev/tty directly: {error}"),
            }
        }
        let (sender, receiver) = mpsc::channel::<Vec<u8>>(64);
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buffer = [0u8; 4096];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) | Err(_) => return,
                    Ok(read) => {
                        if sender.blocking_send(buffer[..read].to_vec()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Input::Thread(receiver)
    }

    /// The next bytes typed; `None` once input has ended.
    async fn recv(&mut self) -> Option<Vec<u8>> {
        match self {
            Input::Thread(receiver) => receiver.recv().await,
            Input::Terminal(terminal) => {
                let mut buffer = [0u8; 4096];
                match terminal.read(&mut buffer).await {
                    Ok(0) | Err(_) => None,
                    Ok(read) => Some(buffer[..read].to_vec()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::WorkerSource;

    #[test]
    fn the_terminal_url_carries_any_command_and_name_exactly() {
        let client = AgentClient::new("box:7391", WorkerSource::Flag, None, None).unwrap();
        let command = vec![
            "sh".to_owned(),
            "-c".to_owned(),
            "echo a+b & echo 'c d' # ü=%20".to_owned(),
        ];
        let new = Position {
            terminal: None,
            next_offset: 0,
        };
        let url = terminal_url(&client, "alpha beta/ü", &command, &new);
        let (path, query) = url.split_once('?').unwrap();
        assert_eq!(path, "ws://box:7391/terminal/alpha%20beta%2F%C3%BC");
        let cmd = form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "cmd")
            .map(|(_, value)| value.into_owned())
            .unwrap();
        assert_eq!(serde_json::from_str::<Vec<String>>(&cmd).unwrap(), command);

        let again = Position {
            terminal: Some("t1".to_owned()),
            next_offset: 42,
        };
        let url = terminal_url(&client, "alpha", &command, &again);
        assert_eq!(url, "ws://box:7391/terminal/alpha?terminal=t1&since=42");
    }
}
