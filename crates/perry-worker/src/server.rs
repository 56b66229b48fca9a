//! `perry-worker serve` and `perry-worker attach`: the session index, served to the agent over a
//! unix socket that only the workspace's own processes can open (see [`perry_api::worker`]).
//!
//! `serve` is the daemon the workspace's entrypoint keeps running: it scans and watches the
//! session files and listens on [`socket_path`]. `attach` is what the agent runs through a
//! Docker exec: it relays its stdin and stdout to that socket, so the agent talks to the daemon
//! without any network port.
//!
//! Every connection gets a hello, a snapshot, then every change as it happens, interleaved with
//! the replies to its requests. The snapshot is taken, and the connection registered for
//! changes, under the index's lock: a change is either in the snapshot or sent after it (or,
//! harmlessly, both), never lost.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perry_api::worker::{
    StatusReport, WorkerCall, WorkerFailure, WorkerOutput, WorkerRequest, WorkerResult,
};

use crate::index::{DeleteError, LookupError, Roots, SessionIndex};
use crate::watch::{Watch, WatchConfig};

/// How long `attach` waits for the daemon's socket (the daemon may be starting).
const ATTACH_PATIENCE: Duration = Duration::from_secs(10);
/// How long a report may take to write or read: a hook never waits longer.
const REPORT_PATIENCE: Duration = Duration::from_millis(500);

/// Where the daemon listens: in the user's home, in a directory only the user can enter.
pub fn socket_path(home: &Path) -> PathBuf {
    home.join(".perry").join("worker.sock")
}

/// Where the daemon takes hooks' reports (beside [`socket_path`]): a socket of its own, so a
/// hook is never sent the snapshot every agent connection starts with.
pub fn report_socket_path(home: &Path) -> PathBuf {
    home.join(".perry").join("report.sock")
}

/// The home directory the worker serves: `$HOME`, else `/home/workspace`.
pub fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/home/workspace"))
}

type Clients = Arc<Mutex<Vec<mpsc::Sender<Arc<str>>>>>;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn line(output: &WorkerOutput) -> Arc<str> {
    let mut text = serde_json::to_string(output).unwrap_or_default();
    text.push('\n');
    Arc::from(text)
}

/// Runs the daemon for the sessions under `home` until the process is stopped.
pub fn serve(home: &Path) -> io::Result<()> {
    let index = Arc::new(Mutex::new(SessionIndex::new(Roots::for_home(home))));
    lock(&index).scan();
    let clients: Clients = Arc::default();
    let broadcast_to = clients.clone();
    let _watch = Watch::spawn(index.clone(), WatchConfig::default(), move |events| {
        broadcast(&broadcast_to, events);
    })?;

    let reports = bind(&report_socket_path(home))?;
    let (report_index, report_clients) = (index.clone(), clients.clone());
    std::thread::Builder::new()
        .name("reports".to_owned())
        .spawn(move || take_reports(&reports, &report_index, &report_clients))?;

    let path = socket_path(home);
    let listener = bind(&path)?;
    eprintln!(
        "perry-worker {}: serving {} on {}",
        env!("CARGO_PKG_VERSION"),
        home.display(),
        path.display()
    );
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                eprintln!("perry-worker: accept failed: {error}");
                continue;
            }
        };
        let (index, clients) = (index.clone(), clients.clone());
        let spawned = std::thread::Builder::new()
            .name("session-client".to_owned())
            .spawn(move || {
                if let Err(error) = serve_client(stream, &index, &clients) {
                    eprintln!("perry-worker: a connection ended: {error}");
                }
            });
        if let Err(error) = spawned {
            eprintln!("perry-worker: cannot start a connection thread: {error}");
        }
    }
    Ok(())
}

/// Listens at `path`: its directory private to the user, a socket left by an earlier run
/// replaced.
fn bind(path: &Path) -> io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Takes in hooks' reports ([`StatusReport`] lines, from `perry-worker event`), one connection
/// at a time: each is a line or two, and a hook never waits for an answer.
fn take_reports(listener: &UnixListener, index: &Mutex<SessionIndex>, clients: &Clients) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        // A hook that connects and hangs must not hold up the next one.
        let _ = stream.set_read_timeout(Some(REPORT_PATIENCE));
        for report in BufReader::new(stream).lines().map_while(Result::ok) {
            match serde_json::from_str::<StatusReport>(&report) {
                Ok(report) => {
                    let mut index = lock(index);
                    let events = index.report(report, crate::time::now_millis());
                    broadcast(clients, events);
                }
                Err(error) => eprintln!("perry-worker: unreadable report ({error})"),
            }
        }
    }
}

/// Sends `report` to the daemon of `home`, for a hook: gives up quietly (false) when no daemon
/// answers at once, as a hook must never slow its coding agent down.
pub fn send_report(home: &Path, report: &StatusReport) -> bool {
    let Ok(mut stream) = UnixStream::connect(report_socket_path(home)) else {
        return false;
    };
    let _ = stream.set_write_timeout(Some(REPORT_PATIENCE));
    let Ok(mut line) = serde_json::to_string(report) else {
        return false;
    };
    line.push('\n');
    stream.write_all(line.as_bytes()).is_ok()
}

/// Sends index events to every connected client, dropping the ones that are gone. Called with
/// the index locked, so events reach clients in the order the index made them.
fn broadcast(clients: &Clients, events: Vec<perry_api::sessions::SessionEvent>) {
    if events.is_empty() {
        return;
    }
    let lines: Vec<Arc<str>> = events
        .into_iter()
        .map(|event| line(&WorkerOutput::Event { event }))
        .collect();
    lock(clients).retain(|client| lines.iter().all(|line| client.send(line.clone()).is_ok()));
}

fn serve_client(
    stream: UnixStream,
    index: &Mutex<SessionIndex>,
    clients: &Clients,
) -> io::Result<()> {
    let (sender, outbox) = mpsc::channel::<Arc<str>>();
    sender
        .send(line(&WorkerOutput::Hello {
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
        .map_err(io::Error::other)?;
    {
        let index = lock(index);
        let snapshot = index.snapshot();
        sender
            .send(line(&WorkerOutput::Event { event: snapshot }))
            .map_err(io::Error::other)?;
        lock(clients).push(sender.clone());
    }
    let mut writer = stream.try_clone()?;
    let writing = std::thread::Builder::new()
        .name("session-writer".to_owned())
        .spawn(move || {
            for line in outbox {
                if writer.write_all(line.as_bytes()).is_err() {
                    return;
                }
            }
        })?;
    let result = read_requests(&stream, index, clients, &sender);
    // The writer ends once every sender is gone: ours here, and the broadcast's on its next send.
    drop(sender);
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = writing.join();
    result
}

fn read_requests(
    stream: &UnixStream,
    index: &Mutex<SessionIndex>,
    clients: &Clients,
    replies: &mpsc::Sender<Arc<str>>,
) -> io::Result<()> {
    for request in BufReader::new(stream).lines() {
        let request = request?;
        if request.trim().is_empty() {
            continue;
        }
        let request: WorkerRequest = match serde_json::from_str(&request) {
            Ok(request) => request,
            Err(error) => {
                eprintln!("perry-worker: unreadable request ({error})");
                continue;
            }
        };
        let result = answer(index, clients, request.call);
        let reply = line(&WorkerOutput::Reply {
            id: request.id,
            result,
        });
        if replies.send(reply).is_err() {
            break;
        }
    }
    Ok(())
}

/// Answers one call. A delete's events are sent to every client (this one included) before its
/// reply, under the index's lock, so whoever hears "deleted" has already heard "removed".
fn answer(index: &Mutex<SessionIndex>, clients: &Clients, call: WorkerCall) -> WorkerResult {
    let mut index = lock(index);
    match call {
        WorkerCall::Messages {
            session_id,
            limit,
            offset,
        } => match index.messages(&session_id, limit as usize, offset as usize) {
            Ok(page) => WorkerResult::Messages { page },
            Err(LookupError::UnknownSession) => WorkerResult::NotFound {
                message: format!("There is no session {session_id:?} in this workspace"),
            },
            Err(error) => WorkerResult::Failed {
                reason: match error {
                    LookupError::Database(_) => WorkerFailure::Database,
                    _ => WorkerFailure::Transcript,
                },
                message: error.to_string(),
            },
        },
        WorkerCall::Search { query, limit } => WorkerResult::Search {
            hits: index.search(&query, limit as usize),
        },
        WorkerCall::Delete { session_id } => match index.delete(&session_id) {
            Ok(events) => {
                broadcast(clients, crate::watch::coalesce(events));
                WorkerResult::Deleted {}
            }
            Err(DeleteError::UnknownSession) => WorkerResult::NotFound {
                message: format!("There is no session {session_id:?} in this workspace"),
            },
            Err(error) => {
                eprintln!("perry-worker: deleting session {session_id:?} failed: {error}");
                WorkerResult::Failed {
                    reason: match error {
                        DeleteError::Database(_) => WorkerFailure::Database,
                        _ => WorkerFailure::Transcript,
                    },
                    message: error.to_string(),
                }
            }
        },
    }
}

/// Relays stdin to the daemon's socket and the socket to stdout until either side ends.
pub fn attach(home: &Path) -> io::Result<()> {
    let path = socket_path(home);
    let deadline = Instant::now() + ATTACH_PATIENCE;
    let stream = loop {
        match UnixStream::connect(&path) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(error) => {
                return Err(io::Error::new(
                    error.kind(),
                    format!(
                        "the perry-worker daemon does not answer on {}: {error}",
                        path.display()
                    ),
                ));
            }
        }
    };
    let mut to_daemon = stream.try_clone()?;
    std::thread::Builder::new()
        .name("attach-stdin".to_owned())
        .spawn(move || {
            let _ = io::copy(&mut io::stdin().lock(), &mut to_daemon);
            let _ = to_daemon.shutdown(std::net::Shutdown::Write);
        })?;
    let mut from_daemon = stream;
    let mut stdout = io::stdout().lock();
    let mut buffer = [0u8; 64 * 1024];
    loop {
        let read = from_daemon.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        stdout.write_all(&buffer[..read])?;
        stdout.flush()?;
    }
}
