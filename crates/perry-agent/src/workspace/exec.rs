//! `workspaces.exec` and `workspaces.logs`: one command run to completion, and the container's
//! own output.

use std::time::{Duration, SystemTime};

use perry_api::{ExecInput, ExecOutput, LogLine, LogsInput, LogsOutput};

use super::WorkspaceService;
use crate::error::ApiError;

/// The timeout when the call names none.
const DEFAULT_TIMEOUT_SECONDS: u32 = 60;
const MAX_TIMEOUT_SECONDS: u32 = 3600;
/// Bytes kept per stream; the rest is drained and dropped, and the output says so. A command
/// may print without end, and a reply of NUL bytes grows sixfold as JSON (`\u0000`).
const OUTPUT_LIMIT: usize = 1024 * 1024;
const DEFAULT_TAIL: u32 = 200;
const MAX_TAIL: u32 = 10_000;

/// Runs the command as a child of a shell that records its own pid, so a command that runs past
/// its timeout can be killed with everything it started. The tools the agent itself needs are
/// named by absolute path, never found through the workspace's PATH.
const RECORD_PID: &str = "echo $$ > \"$0\"; \"$@\"; status=$?; /usr/bin/rm -f \"$0\"; exit $status";
/// Kills a process tree from its root's pid file, children first (run as root).
const KILL_TREE: &str = "kill_tree() { for child in $(/usr/bin/pgrep -P \"$1\"); do kill_tree \"$child\"; done; kill -KILL \"$1\" 2>/dev/null; }; \
     [ -f \"$0\" ] && kill_tree \"$(/usr/bin/cat \"$0\")\"; /usr/bin/rm -f \"$0\"";

pub(crate) fn valid_user(user: &str) -> bool {
    let mut bytes = user.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'_'))
        && bytes.all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
        && user.len() <= 32
}

/// The checks of a `workspaces.exec` input that need no workspace: a command, a timeout in
/// range, a user name that is a Linux user name.
pub(crate) fn check_exec_input(input: &ExecInput) -> Result<(), ApiError> {
    if input.command.first().is_none_or(String::is_empty) {
        return Err(ApiError::InvalidField {
            field: "command",
            message: "Give the command to run, e.g. [\"ls\", \"-la\"]".to_owned(),
        });
    }
    let timeout = input.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    if !(1..=MAX_TIMEOUT_SECONDS).contains(&timeout) {
        return Err(ApiError::InvalidField {
            field: "timeoutSeconds",
            message: format!("timeoutSeconds must be from 1 to {MAX_TIMEOUT_SECONDS}"),
        });
    }
    let user = input.user.as_deref().unwrap_or(super::sync::USER);
    if !valid_user(user) {
        return Err(ApiError::InvalidField {
            field: "user",
            message: format!("Invalid user {user:?}: a Linux user name such as workspace or root"),
        });
    }
    Ok(())
}

/// The `since` of a `workspaces.logs` input as a time, if it gives one.
pub(crate) fn logs_since(input: &LogsInput) -> Result<Option<SystemTime>, ApiError> {
    let Some(text) = input.since.as_deref() else {
        return Ok(None);
    };
    humantime::parse_rfc3339(text)
        .map(Some)
        .map_err(|_| ApiError::InvalidField {
            field: "since",
            message: format!(
                "since must be an RFC 3339 time such as 2026-01-01T00:00:00.123Z, not {text:?}"
            ),
        })
}

impl WorkspaceService {
    /// Runs one command in a running workspace and returns its exit code and output.
    pub async fn exec(&self, input: ExecInput) -> Result<ExecOutput, ApiError> {
        self.require_record(&input.name)?;
        check_exec_input(&input)?;
        let timeout = input.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        let user = input.user.as_deref().unwrap_or(super::sync::USER);
        let container = self.container_name(&input.name);
        self.require_running(&input.name, &container).await?;
        let pid_file = format!("/tmp/.perry-exec-{}.pid", random_id());
        // Without a workdir Docker would use the image's (`/`): start in the user's home instead.
        let script = match input.workdir {
            Some(_) => RECORD_PID.to_owned(),
            None => format!("cd \"$HOME\" 2>/dev/null; {RECORD_PID}"),
        };
        let cmd: Vec<String> = ["/bin/sh", "-c", &script, &pid_file]
            .into_iter()
            .map(str::to_owned)
            .chain(input.command.iter().cloned())
            .collect();
        let run = self.engine.exec_split(
            &container,
            user,
            input.workdir.as_deref(),
            &cmd,
            OUTPUT_LIMIT,
        );
        match tokio::time::timeout(Duration::from_secs(u64::from(timeout)), run).await {
            Ok(output) => {
                let output = output?;
                Ok(ExecOutput {
                    exit_code: output.exit_code,
                    stdout: text(output.stdout),
                    stderr: text(output.stderr),
                    truncated: output.truncated,
                })
            }
            Err(_) => {
                let killed = self
                    .engine
                    .exec(&container, "root", &["/bin/sh", "-c", KILL_TREE, &pid_file])
                    .await;
                if let Err(error) = killed {
                    tracing::warn!("cannot kill a timed-out command in {container}: {error}");
                }
                Err(ApiError::Timeout(format!(
                    "The command did not finish within {timeout} s and was killed; give a longer timeoutSeconds if it needs more"
                )))
            }
        }
    }

    /// The workspace container's own output, optionally only what came after `since`.
    pub async fn logs(&self, input: LogsInput) -> Result<LogsOutput, ApiError> {
        self.require_record(&input.name)?;
        let since = logs_since(&input)?;
        let tail = match (input.tail, since) {
            (Some(tail), _) => tail.clamp(1, MAX_TAIL),
            (None, Some(_)) => MAX_TAIL,
            (None, None) => DEFAULT_TAIL,
        };
        if input.build == Some(true) {
            let lines = self.build_log_lines(&input.name, tail, since)?;
            let until = newest_time(&lines).or(input.since);
            return Ok(LogsOutput { lines, until });
        }
        let since_seconds = since.map(|since| {
            since
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs() as i64)
        });
        let container = self.container_name(&input.name);
        let raw = self
            .engine
            .container_logs(&container, tail, since_seconds)
            .await?;
        // Docker's `since` counts whole seconds: drop the lines of that second already seen.
        let lines: Vec<LogLine> = raw
            .into_iter()
            .filter(
                |(_, time, _)| match (since, humantime::parse_rfc3339(time)) {
                    (Some(since), Ok(time)) => time > since,
                    _ => true,
                },
            )
            .map(|(stream, time, text)| LogLine { stream, time, text })
            .collect();
        let until = newest_time(&lines).or(input.since);
        Ok(LogsOutput { lines, until })
    }

    /// Conflict unless the workspace's container runs.
    async fn require_running(&self, name: &str, container: &str) -> Result<(), ApiError> {
        let running = self
            .engine
            .inspect_container(container)
            .await?
            .is_some_and(|info| info.running);
        if running {
            return Ok(());
        }
        Err(ApiError::Conflict(format!(
            "Workspace {name:?} is not running; start it first"
        )))
    }
}

/// Output as text without a second copy when it is UTF-8 already (it may be cut mid-character).
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The newest line's time, which is not always the last line's: Docker interleaves stdout and
/// stderr as they come, so following from the last one would give some lines twice. Compared
/// as times: Docker trims trailing zeros of the nanoseconds, so the texts do not sort.
fn newest_time(lines: &[LogLine]) -> Option<String> {
    lines
        .iter()
        .filter_map(|line| Some((humantime::parse_rfc3339(&line.time).ok()?, &line.time)))
        .max_by_key(|(time, _)| *time)
        .map(|(_, time)| time.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_linux_user_names() {
        for good in ["workspace", "root", "_apt", "a-b_1"] {
            assert!(valid_user(good), "{good}");
        }
        for bad in ["", "Root", "1abc", "a b", "a;rm", "x:y", &"a".repeat(33)] {
            assert!(!valid_user(bad), "{bad}");
        }
    }

    #[test]
    fn following_goes_on_from_the_newest_line_not_the_last() {
        let line = |stream: &str, time: &str| LogLine {
            stream: stream.to_owned(),
            time: time.to_owned(),
            text: String::new(),
        };
        let lines = [
            line("stdout", "2026-12-06T03:00:00.1Z"),
            line("stdout", "2026-12-06T03:00:00.25Z"),
            line("stderr", "2026-12-06T03:00:00.123456789Z"),
        ];
        assert_eq!(
            newest_time(&lines).as_deref(),
            Some("2026-12-06T03:00:00.25Z")
        );
        assert_eq!(newest_time(&[]), None);
    }
}
