//! Commands in workspace pods through the Kubernetes exec API (a WebSocket per command).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::SinkExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams, AttachedProcess, TerminalSize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{CONTAINER, from_kube, lock};
use crate::engine::{EngineError, ExecState, SplitOutput, StdioExec, TtyExecStreams};

/// The image's own user, whom exec runs as without being told otherwise.
const IMAGE_USER: &str = "root";
/// GNU tar reads whole records of 20 blocks; an archive padded to them needs no end of input,
/// which the exec API (before its v5 protocol) cannot send.
const TAR_RECORD: usize = 20 * 512;
/// What [`read_file`]'s script exits with when the file is not there, or too large.
const MISSING: i64 = 3;
const TOO_LARGE: i64 = 4;

/// The command line that runs `cmd` as `user` in `working_dir` with `env`: the exec API has no
/// fields for them. `runuser` sets HOME, USER and SHELL as Docker's `--user` does not, which
/// is what a person's shell expects anyway.
pub(super) fn command(
    user: &str,
    working_dir: Option<&str>,
    env: &[String],
    cmd: &[String],
) -> Vec<String> {
    let mut command = Vec::new();
    if user != IMAGE_USER {
        command.extend(["/usr/sbin/runuser", "-u", user, "--"].map(str::to_owned));
    }
    if working_dir.is_some() || !env.is_empty() {
        command.push("/usr/bin/env".to_owned());
        if let Some(dir) = working_dir {
            command.extend(["-C".to_owned(), dir.to_owned()]);
        }
        command.extend(env.iter().cloned());
    }
    command.extend(cmd.iter().cloned());
    command
}

fn attach(stdin: bool, tty: bool) -> AttachParams {
    AttachParams {
        container: Some(CONTAINER.to_owned()),
        stdin,
        stdout: true,
        // With a TTY the terminal carries both; the API refuses stderr beside a TTY.
        stderr: !tty,
        tty,
        ..AttachParams::default()
    }
}

/// How a finished command ended, from the status the API sends on its last channel.
fn exit_code(status: Option<Status>) -> Option<i64> {
    let status = status?;
    if status.status.as_deref() == Some("Success") {
        return Some(0);
    }
    status
        .details
        .and_then(|details| details.causes)
        .into_iter()
        .flatten()
        .find(|cause| cause.reason.as_deref() == Some("ExitCode"))
        .and_then(|cause| cause.message?.parse().ok())
        .or(Some(-1))
}

async fn start(
    pods: &Api<Pod>,
    pod: &str,
    command: Vec<String>,
    stdin: bool,
    tty: bool,
) -> Result<AttachedProcess, EngineError> {
    pods.exec(pod, command, &attach(stdin, tty))
        .await
        .map_err(|error| match from_kube(error) {
            // A pod that is not (yet) running answers 400 or 404 to exec: the workspace is
            // not there to run commands in, as Docker's 409 for a stopped container says.
            EngineError::Refused {
                status: 400,
                message,
            }
            | EngineError::NotFound(message) => EngineError::Conflict(message),
            other => other,
        })
}

/// Runs `command` to its end, feeding it `input`, with stdout and stderr apart, each cut at
/// `limit` bytes (the rest is read and dropped).
pub(super) async fn run_to_end(
    pods: &Api<Pod>,
    pod: &str,
    command: Vec<String>,
    input: Option<Vec<u8>>,
    limit: usize,
) -> Result<SplitOutput, EngineError> {
    let mut process = start(pods, pod, command, input.is_some(), false).await?;
    let status = process.take_status();
    if let (Some(input), Some(mut stdin)) = (input, process.stdin()) {
        stdin.write_all(&input).await.map_err(|error| {
            EngineError::Failed(format!("cannot write to the command: {error}"))
        })?;
    }
    let (stdout, stderr) = (process.stdout(), process.stderr());
    let (stdout, stderr) = tokio::join!(read_capped(stdout, limit), read_capped(stderr, limit));
    let (stdout, stdout_cut) = stdout?;
    let (stderr, stderr_cut) = stderr?;
    let exit_code = match status {
        Some(status) => exit_code(status.await),
        None => None,
    };
    Ok(SplitOutput {
        exit_code: exit_code.unwrap_or(-1),
        stdout,
        stderr,
        truncated: stdout_cut || stderr_cut,
    })
}

async fn read_capped(
    reader: Option<impl tokio::io::AsyncRead + Unpin>,
    limit: usize,
) -> Result<(Vec<u8>, bool), EngineError> {
    let Some(mut reader) = reader else {
        return Ok((Vec::new(), false));
    };
    let mut kept = Vec::new();
    let mut cut = false;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let read = reader
            .read(&mut chunk)
            .await
            .map_err(|error| EngineError::Failed(format!("exec stream broke: {error}")))?;
        if read == 0 {
            return Ok((kept, cut));
        }
        let room = limit.saturating_sub(kept.len());
        cut |= read > room;
        kept.extend_from_slice(&chunk[..read.min(room)]);
    }
}

/// Unpacks `archive` at `dir` as root, keeping its owners and modes.
pub(super) async fn extract(
    pods: &Api<Pod>,
    pod: &str,
    dir: &str,
    mut archive: Vec<u8>,
) -> Result<(), EngineError> {
    archive.resize(archive.len().div_ceil(TAR_RECORD) * TAR_RECORD, 0);
    let command = [
        "/usr/bin/tar",
        "-x",
        "--same-owner",
        "-p",
        "-C",
        dir,
        "-f",
        "-",
    ]
    .map(str::to_owned)
    .to_vec();
    let output = run_to_end(pods, pod, command, Some(archive), 64 * 1024).await?;
    if output.exit_code != 0 {
        return Err(EngineError::Failed(format!(
            "cannot unpack into {dir}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// The contents of one file, `None` when it does not exist; larger than `limit` is an error.
pub(super) async fn read_file(
    pods: &Api<Pod>,
    pod: &str,
    path: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, EngineError> {
    let script = format!(
        "[ -e \"$1\" ] || exit {MISSING}; [ \"$(/usr/bin/stat -c %s \"$1\")\" -le {limit} ] || exit {TOO_LARGE}; exec /usr/bin/head -c {limit} \"$1\""
    );
    let command = ["/bin/sh", "-c", &script, "perry-read", path]
        .map(str::to_owned)
        .to_vec();
    let limit_bytes = usize::try_from(limit).unwrap_or(usize::MAX);
    let output = run_to_end(pods, pod, command, None, limit_bytes).await?;
    match output.exit_code {
        0 => Ok(Some(output.stdout)),
        MISSING => Ok(None),
        TOO_LARGE => Err(EngineError::Failed(format!(
            "{path} in {pod} is larger than {limit} bytes, the most Perry reads of it"
        ))),
        _ => Err(EngineError::Failed(format!(
            "cannot read {path} in {pod}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))),
    }
}

/// A command started with a TTY or with stdin: the exec API gives it no id and no state, so
/// the engine keeps both.
struct Running {
    state: Mutex<ExecState>,
    resize: tokio::sync::Mutex<Option<futures_channel::mpsc::Sender<TerminalSize>>>,
}

/// The commands the engine started and follows.
#[derive(Default)]
pub(super) struct Execs {
    next: AtomicU64,
    running: Mutex<HashMap<String, Arc<Running>>>,
}

impl Execs {
    /// Follows `process` until it ends, under a new id.
    fn follow(&self, mut process: AttachedProcess) -> (String, Arc<Running>) {
        let id = format!("k8s-exec-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let running = Arc::new(Running {
            state: Mutex::new(ExecState {
                running: true,
                pid: 0,
                exit_code: None,
            }),
            resize: tokio::sync::Mutex::new(process.terminal_size()),
        });
        lock(&self.running).insert(id.clone(), running.clone());
        let status = process.take_status();
        let follower = running.clone();
        // The process is kept alive here (dropping it ends the command) until its status
        // comes, or its connection ends.
        tokio::spawn(async move {
            let exit_code = match status {
                Some(status) => exit_code(status.await),
                None => None,
            };
            *lock(&follower.state) = ExecState {
                running: false,
                pid: 0,
                exit_code,
            };
            drop(process);
        });
        (id, running)
    }

    pub(super) async fn start_tty(
        &self,
        pods: &Api<Pod>,
        pod: &str,
        command: Vec<String>,
    ) -> Result<TtyExecStreams, EngineError> {
        let mut process = start(pods, pod, command, true, true).await?;
        let (Some(input), Some(output)) = (process.stdin(), process.stdout()) else {
            return Err(EngineError::Failed("the exec has no streams".to_owned()));
        };
        let (exec_id, _) = self.follow(process);
        Ok(TtyExecStreams {
            exec_id,
            output: Box::pin(output),
            input: Box::pin(input),
        })
    }

    pub(super) async fn start_stdio(
        &self,
        pods: &Api<Pod>,
        pod: &str,
        command: Vec<String>,
    ) -> Result<StdioExec, EngineError> {
        let mut process = start(pods, pod, command, true, false).await?;
        let (Some(input), Some(output)) = (process.stdin(), process.stdout()) else {
            return Err(EngineError::Failed("the exec has no streams".to_owned()));
        };
        if let Some(mut stderr) = process.stderr() {
            tokio::spawn(async move {
                let mut text = Vec::new();
                let _ = stderr.read_to_end(&mut text).await;
                if !text.is_empty() {
                    tracing::debug!("exec stderr: {}", String::from_utf8_lossy(&text).trim_end());
                }
            });
        }
        let (exec_id, _) = self.follow(process);
        let stdout =
            futures_util::StreamExt::map(tokio_util::io::ReaderStream::new(output), |chunk| {
                chunk.map_err(|error| EngineError::Failed(format!("exec stream broke: {error}")))
            });
        Ok(StdioExec {
            exec_id,
            stdout: Box::pin(stdout),
            stdin: Box::pin(input),
        })
    }

    pub(super) async fn resize(
        &self,
        exec_id: &str,
        cols: u16,
        rows: u16,
    ) -> Result<(), EngineError> {
        let running = lock(&self.running)
            .get(exec_id)
            .cloned()
            .ok_or_else(|| EngineError::NotFound(format!("no exec {exec_id}")))?;
        let mut resize = running.resize.lock().await;
        let Some(sender) = resize.as_mut() else {
            return Err(EngineError::Conflict(format!("exec {exec_id} has no TTY")));
        };
        sender
            .send(TerminalSize {
                width: cols,
                height: rows,
            })
            .await
            .map_err(|_| EngineError::Conflict(format!("exec {exec_id} has ended")))
    }

    pub(super) fn state(&self, exec_id: &str) -> Result<ExecState, EngineError> {
        let mut running = lock(&self.running);
        let Some(exec) = running.get(exec_id) else {
            return Err(EngineError::NotFound(format!("no exec {exec_id}")));
        };
        let state = *lock(&exec.state);
        // Asked about once more after it ended (a terminal's last look): then forgotten.
        if !state.running {
            running.remove(exec_id);
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_run_as_the_user_in_the_directory_with_the_environment_asked_for() {
        let cmd = ["bash".to_owned(), "-l".to_owned()];
        assert_eq!(command("root", None, &[], &cmd), cmd.to_vec());
        assert_eq!(
            command(
                "workspace",
                Some("/home/workspace"),
                &["TERM=xterm".to_owned()],
                &cmd
            ),
            [
                "/usr/sbin/runuser",
                "-u",
                "workspace",
                "--",
                "/usr/bin/env",
                "-C",
                "/home/workspace",
                "TERM=xterm",
                "bash",
                "-l"
            ]
            .map(str::to_owned)
            .to_vec()
        );
    }

    #[test]
    fn the_exit_code_comes_from_the_status_causes() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};
        assert_eq!(
            exit_code(Some(Status {
                status: Some("Success".to_owned()),
                ..Status::default()
            })),
            Some(0)
        );
        let failed = Status {
            status: Some("Failure".to_owned()),
            reason: Some("NonZeroExitCode".to_owned()),
            details: Some(StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".to_owned()),
                    message: Some("42".to_owned()),
                    ..StatusCause::default()
                }]),
                ..StatusDetails::default()
            }),
            ..Status::default()
        };
        assert_eq!(exit_code(Some(failed)), Some(42));
        assert_eq!(exit_code(None), None);
    }
}
