//! `workspaces.clone`: a new workspace whose home and inner-Docker volumes are copies of
//! another's, with its own name and SSH port.
//!
//! The copy is consistent: a running source is paused (every process frozen, as by `docker
//! pause`; on Kubernetes, which cannot freeze a pod, stopped) for the copy and let go after, on
//! every path; a stopped one stays stopped. Both
//! volumes are copied at once by one throwaway container (`cp -a`, which keeps owners, modes,
//! links, device nodes and the inner Docker's attributes), which reports how far it is; that is
//! the clone's `progress` on every list. A failure removes what the clone made, as a failed
//! create does.

use std::sync::Arc;

use perry_api::{Workspace, WorkspaceProgress};

use super::{MadeObjects, WorkspaceService, lock, validate_name};
use crate::engine::{Engine, TaskSpec};
use crate::error::ApiError;

/// Where the task mounts the source's volumes and the clone's, numbered as
/// [`WorkspaceService::volumes`] lists them.
const FROM: &str = "/perry-clone/from";
const TO: &str = "/perry-clone/to";

/// The copy, in POSIX sh: the size of what is to be copied, then every volume copied at once
/// while the bytes copied so far are told each second, then `done`.
const COPY_SCRIPT: &str = r#"set -eu
cd /perry-clone
echo "total $(du -sb from | cut -f1)"
pids=""
for volume in from/*; do
  cp -a "$volume/." "to/${volume#from/}/" &
  pids="$pids $!"
done
running() { for pid in $pids; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
while running; do
  sleep 1
  echo "copied $(du -sb to | cut -f1)"
done
for pid in $pids; do wait "$pid"; done
echo done
"#;

/// Lets a paused source run again when the clone ends, however it ends (a client that went
/// away drops the clone half-way).
struct Unpause {
    engine: Arc<dyn Engine>,
    container: Option<String>,
}

impl Drop for Unpause {
    fn drop(&mut self) {
        let Some(container) = self.container.take() else {
            return;
        };
        let engine = self.engine.clone();
        tokio::spawn(async move {
            if let Err(error) = engine.unpause_container(&container).await {
                tracing::error!("cannot unpause {container} after a clone: {error}");
            }
        });
    }
}

impl WorkspaceService {
    /// Makes workspace `name` a copy of `source` and waits until it is ready.
    pub async fn clone_workspace(&self, source: &str, name: &str) -> Result<Workspace, ApiError> {
        self.after_change(self.clone_serialized(source, name).await)
            .await
    }

    async fn clone_serialized(&self, source: &str, name: &str) -> Result<Workspace, ApiError> {
        validate_name(source).map_err(|error| error.in_field("source"))?;
        validate_name(name)?;
        if source == name {
            return Err(ApiError::WorkspaceExists(name.to_owned()));
        }
        // Both names, always in the same order, so two clones of each other never wait on each
        // other.
        let (first, second) = if source < name {
            (source, name)
        } else {
            (name, source)
        };
        let _first = self.lock_name(first).await;
        let _second = self.lock_name(second).await;
        let original = self.require_record(source)?;
        if self.state.workspace(name).is_some() {
            return Err(ApiError::WorkspaceExists(name.to_owned()));
        }
        if !self.engine.image_exists(&original.image).await? {
            return Err(ApiError::PreconditionFailed(format!(
                "The image of {source:?}, {:?}, does not exist on this Docker host any more; run `perry build` first",
                original.image
            )));
        }
        let mode = self.dind_mode_for(&original.image).await?;
        let _busy = self.mark_busy(name);
        let mut record = self.reserve(
            name,
            &original.image,
            original.limits.unwrap_or_default(),
            &Default::default(),
        )?;
        record.clone = original.clone.clone();
        record.devcontainer = original.devcontainer.clone();
        let mut made = MadeObjects::default();
        let made_workspace = async {
            let labels = self.object_labels(&record);
            for (volume, _) in self.volumes(name) {
                if self.engine.volume_exists(&volume).await? {
                    return Err(ApiError::Conflict(format!(
                        "A volume named {volume} exists already (left by a workspace deleted outside Perry?); remove it, or clone under another name"
                    )));
                }
                self.engine.create_volume(&volume, labels.clone()).await?;
                made.volumes.push(volume);
            }
            self.copy_volumes(&original, name).await?;
            self.state.update(|state| {
                if let Some(names) = state.session_names.get(source).cloned() {
                    state.session_names.insert(name.to_owned(), names);
                }
            })?;
            self.set_progress(name, "starting", None);
            self.provision(record, mode, &mut made).await
        };
        match made_workspace.await {
            Ok(workspace) => {
                // A new container: its image's creation commands run again.
                let hooks = self.lifecycle_steps(&workspace.image, true).await;
                Ok(self.start_post_start_scripts(workspace, hooks))
            }
            Err(error) => {
                tracing::warn!("cloning {source:?} to {name:?} failed, rolling back: {error}");
                self.roll_back(name, made).await;
                Err(error)
            }
        }
    }

    /// Copies every volume of `original` onto the (new, empty) volumes of `name`, with the
    /// source paused while it runs.
    async fn copy_volumes(&self, original: &Workspace, name: &str) -> Result<(), ApiError> {
        let container = self.container_name(&original.name);
        let running = self
            .engine
            .inspect_container(&container)
            .await?
            .is_some_and(|info| info.running);
        let mut unpause = Unpause {
            engine: self.engine.clone(),
            container: None,
        };
        if running {
            self.set_progress(name, &format!("pausing {}", original.name), None);
            self.engine.pause_container(&container).await?;
            unpause.container = Some(container);
        }
        let mut volumes = Vec::new();
        for (index, ((from, _), (to, _))) in self
            .volumes(&original.name)
            .into_iter()
            .zip(self.volumes(name))
            .enumerate()
        {
            volumes.push((from, format!("{FROM}/{index}"), true));
            volumes.push((to, format!("{TO}/{index}"), false));
        }
        let task = TaskSpec {
            // A '.' no workspace name has: never another workspace's container.
            name: format!("{}.clone", self.container_name(name)),
            image: original.image.clone(),
            labels: self.prefix_labels(),
            volumes,
            command: vec![
                "/bin/sh".to_owned(),
                "-c".to_owned(),
                COPY_SCRIPT.to_owned(),
            ],
            ..Default::default()
        };
        self.set_progress(name, "copying", Some(0));
        let (lines, mut told) = tokio::sync::mpsc::unbounded_channel();
        let copy = self.engine.run_task(&task, lines);
        let follow = async {
            let mut total: Option<u64> = None;
            while let Some(line) = told.recv().await {
                if let Some(bytes) = line.strip_prefix("total ") {
                    total = bytes.trim().parse().ok();
                } else if let Some(bytes) = line.strip_prefix("copied ")
                    && let (Some(total), Ok(copied)) = (total, bytes.trim().parse::<u64>())
                {
                    self.set_progress(name, "copying", Some(copy_percent(copied, total)));
                }
            }
        };
        let (outcome, ()) = tokio::join!(copy, follow);
        let outcome = outcome?;
        drop(unpause);
        if outcome.exit_code != 0 {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "copying the volumes of {:?} failed (exit {}): {}",
                original.name,
                outcome.exit_code,
                outcome.stderr_tail
            )));
        }
        Ok(())
    }

    /// Tells every list what the create or clone of `name` is doing now.
    pub(super) fn set_progress(&self, name: &str, step: &str, percent: Option<u32>) {
        tracing::debug!(
            "{name:?}: {step} {}",
            percent.map(|p| format!("{p}%")).unwrap_or_default()
        );
        if let Some(progress) = lock(&self.busy).get_mut(name) {
            *progress = Some(WorkspaceProgress {
                step: step.to_owned(),
                percent,
            });
        }
    }
}

/// How far a copy is, 0–99 while it runs (the last percent is the copy ending). What is copied
/// may outgrow what was measured (sparse files, a directory's own size): never past 99.
fn copy_percent(copied: u64, total: u64) -> u32 {
    if total == 0 {
        return 0;
    }
    u32::try_from(copied.saturating_mul(100) / total)
        .unwrap_or(u32::MAX)
        .min(99)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_percent_stays_below_100_until_the_copy_ends() {
        assert_eq!(copy_percent(0, 1000), 0);
        assert_eq!(copy_percent(500, 1000), 50);
        assert_eq!(copy_percent(1000, 1000), 99);
        assert_eq!(copy_percent(5000, 1000), 99);
        assert_eq!(copy_percent(5, 0), 0);
        assert_eq!(copy_percent(u64::MAX, 3), 99);
    }
}
