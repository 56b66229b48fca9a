//! Tasks: a throwaway container that runs one command to its end with volumes mounted (the copy
//! of a workspace clone, the checkout of a new workspace's repository), and pausing a container
//! so its volumes hold still meanwhile.
//!
//! A task runs in a task of its own, so a caller that gives up cannot leave its container
//! behind: the container is removed on every path (but the end of one the caller keeps), and
//! stopped early when nobody listens to its lines any more.

use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType, MountVolumeOptions};
use bollard::query_parameters::{CreateContainerOptionsBuilder, LogsOptionsBuilder};
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::{Docker, Engine, EngineError};
use crate::engine::{TaskOutcome, TaskSpec};

/// How much of a task's stderr is kept to say why it failed.
const STDERR_TAIL_BYTES: usize = 4096;

/// How often a pause that cgroup v1's freezer refused is tried, and the first wait between
/// tries (doubled each time: 0.1 + 0.2 + 0.4 + 0.8 s at most).
const FREEZE_ATTEMPTS: u32 = 5;
const FREEZE_RETRY_FIRST_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// runc's answer when the kernel could not freeze every process of the container in time.
fn is_freeze_refusal(error: &EngineError) -> bool {
    error.to_string().contains("unable to freeze")
}

impl Docker {
    pub(super) async fn run_task_in_own_task(
        &self,
        task: &TaskSpec,
        lines: UnboundedSender<String>,
    ) -> Result<TaskOutcome, EngineError> {
        let docker = self.clone();
        let task = task.clone();
        tokio::spawn(async move {
            let listened = lines.clone();
            let outcome = docker.run(&task, lines).await;
            // Kept only for a caller still there to read from it and remove it.
            if task.keep && outcome.is_ok() && !listened.is_closed() {
                return outcome;
            }
            let removed = docker.remove_container(&task.name).await;
            let outcome = outcome?;
            removed?;
            Ok(outcome)
        })
        .await
        .map_err(|error| EngineError::Failed(format!("the task's runner ended: {error}")))?
    }

    async fn run(
        &self,
        task: &TaskSpec,
        lines: UnboundedSender<String>,
    ) -> Result<TaskOutcome, EngineError> {
        let host_config = HostConfig {
            network_mode: Some(task.network.clone().unwrap_or_else(|| "none".to_owned())),
            // The inner Docker's data has overlay whiteouts and `trusted.*` attributes, which
            // only CAP_SYS_ADMIN may copy.
            cap_add: Some(vec!["SYS_ADMIN".to_owned()]),
            mounts: Some(
                task.volumes
                    .iter()
                    .map(|(volume, target, read_only)| Mount {
                        target: Some(target.clone()),
                        source: Some(volume.clone()),
                        typ: Some(MountType::VOLUME),
                        read_only: Some(*read_only),
                        // A task never seeds a new volume with its image's files there: the
                        // workspace's own image does, at its first start.
                        volume_options: Some(MountVolumeOptions {
                            no_copy: Some(true),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(task.image.clone()),
            entrypoint: Some(task.command.clone()),
            cmd: Some(Vec::new()),
            user: Some("root".to_owned()),
            labels: Some(task.labels.clone()),
            host_config: Some(host_config),
            ..Default::default()
        };
        // A task of an agent killed a moment ago may still be there under this name.
        self.remove_container(&task.name).await?;
        let options = CreateContainerOptionsBuilder::default()
            .name(&task.name)
            .build();
        self.call(|docker| async move { docker.create_container(Some(options), body).await })
            .await?;
        if !task.files.is_empty() {
            self.upload_archive(&task.name, "/", task.files.clone())
                .await?;
        }
        self.start_container(&task.name).await?;
        let client = self.client().await?;
        let options = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut output = client.logs(&task.name, Some(options));
        let mut partial = Vec::new();
        let mut stderr = Vec::new();
        while let Some(chunk) = output.next().await {
            match chunk.map_err(EngineError::from)? {
                bollard::container::LogOutput::StdOut { message } => {
                    partial.extend_from_slice(&message);
                    while let Some(end) = partial.iter().position(|byte| *byte == b'\n') {
                        let line: Vec<u8> = partial.drain(..=end).collect();
                        let line = String::from_utf8_lossy(&line[..end]).into_owned();
                        if lines.send(line).is_err() {
                            return Err(EngineError::Failed(
                                "the task was given up before it ended".to_owned(),
                            ));
                        }
                    }
                }
                bollard::container::LogOutput::StdErr { message } => {
                    stderr.extend_from_slice(&message);
                    let excess = stderr.len().saturating_sub(STDERR_TAIL_BYTES);
                    stderr.drain(..excess);
                }
                _ => {}
            }
        }
        let name = task.name.as_str();
        let inspect = self
            .call(|docker| async move { docker.inspect_container(name, None).await })
            .await?;
        let state = inspect.state.unwrap_or_default();
        if state.running == Some(true) {
            return Err(EngineError::Failed(format!(
                "the output of task {name} ended while it still runs"
            )));
        }
        Ok(TaskOutcome {
            exit_code: state.exit_code.unwrap_or(-1),
            stderr_tail: String::from_utf8_lossy(&stderr).trim().to_owned(),
        })
    }

    /// Pauses (freezes) a container. On cgroup v1 a freeze is a game of chances: a process the
    /// kernel cannot stop at that moment (in the middle of a fork or an uninterruptible wait,
    /// common on a busy machine) makes runc give up, thaw and answer "unable to freeze". runc's
    /// own advice is to try again, so this does, a few times with a growing pause between, and
    /// then says plainly that the container's processes would not stop.
    pub(super) async fn pause(&self, name: &str) -> Result<(), EngineError> {
        let mut wait = FREEZE_RETRY_FIRST_WAIT;
        let mut attempt = 1;
        loop {
            match self
                .call(|docker| async move { docker.pause_container(name).await })
                .await
            {
                Err(error) if is_freeze_refusal(&error) && attempt < FREEZE_ATTEMPTS => {
                    tracing::debug!("pausing {name}, try {attempt}: {error}; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                Err(error) if is_freeze_refusal(&error) => {
                    return Err(EngineError::Conflict(format!(
                        "{name} could not be paused: some of its processes would not stop after \
                         {FREEZE_ATTEMPTS} tries (the machine is busy); try again in a moment \
                         ({error})"
                    )));
                }
                other => return other,
            }
        }
    }

    pub(super) async fn unpause(&self, name: &str) -> Result<(), EngineError> {
        match self
            .call(|docker| async move { docker.unpause_container(name).await })
            .await
        {
            // Not paused (any more): what was asked for holds.
            Ok(()) | Err(EngineError::Conflict(_)) => Ok(()),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_runcs_freeze_refusal_is_tried_again() {
        let refusal = EngineError::Refused {
            status: 500,
            message: "Cannot pause container 47e3: OCI runtime pause failed: unable to freeze: \
                      unknown"
                .to_owned(),
        };
        assert!(is_freeze_refusal(&refusal));
        assert!(!is_freeze_refusal(&EngineError::NotFound(
            "No such container: x".to_owned()
        )));
        assert!(!is_freeze_refusal(&EngineError::Conflict(
            "Container x is not running".to_owned()
        )));
    }
}
