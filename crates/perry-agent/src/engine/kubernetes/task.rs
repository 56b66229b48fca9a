//! Tasks on Kubernetes: a throwaway pod that runs one command to its end with claims mounted
//! (a clone's copy), and holding a workspace still for it. A pod cannot be frozen, so "pause"
//! stops the workspace (its claims stay) and "unpause" starts it again.
//!
//! The task runs in a task of its own: a caller that gives up cannot leave its pod behind; the
//! pod is removed on every path, and early when nobody reads its lines any more.

use std::time::Instant;

use futures_util::StreamExt;
use futures_util::io::AsyncBufReadExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, LogParams, PostParams};
use tokio::sync::mpsc::UnboundedSender;

use super::{
    CONTAINER, Kubernetes, POD_POLL, POD_WAIT, UNSCHEDULABLE_GRACE, from_kube, ignore_not_found,
    objects,
};
use crate::engine::{EngineError, TaskOutcome, TaskSpec};

/// How much of a task's output is kept to say why it failed (the cluster keeps one stream).
const OUTPUT_TAIL_BYTES: usize = 4096;

impl Kubernetes {
    pub(super) async fn run_task_pod(
        &self,
        task: &TaskSpec,
        lines: UnboundedSender<String>,
    ) -> Result<TaskOutcome, EngineError> {
        if task.keep || !task.files.is_empty() {
            return Err(EngineError::Failed(format!(
                "task {}: the Kubernetes engine runs tasks without files put in first and does not keep their pods",
                task.name
            )));
        }
        let pods = self.pods();
        let pod = objects::task_pod(task, &self.config);
        let name = task.name.clone();
        tokio::spawn(async move {
            remove_pod(&pods, &name).await?;
            pods.create(&PostParams::default(), &pod)
                .await
                .map_err(from_kube)?;
            let outcome = follow(&pods, &name, &lines).await;
            let removed = remove_pod(&pods, &name).await;
            let outcome = outcome?;
            removed?;
            Ok(outcome)
        })
        .await
        .map_err(|error| EngineError::Failed(format!("the task's runner ended: {error}")))?
    }
}

/// Removes a task's pod at once and waits until it is gone; a missing one is fine.
async fn remove_pod(pods: &Api<Pod>, name: &str) -> Result<(), EngineError> {
    ignore_not_found(
        pods.delete(name, &DeleteParams::default().grace_period(0))
            .await
            .map(drop)
            .map_err(from_kube),
    )?;
    let deadline = Instant::now() + POD_WAIT;
    while pods.get_opt(name).await.map_err(from_kube)?.is_some() {
        if Instant::now() > deadline {
            return Err(EngineError::RemovalInProgress(name.to_owned()));
        }
        tokio::time::sleep(POD_POLL).await;
    }
    Ok(())
}

/// Waits for the task's container to run, sends each line it prints, and tells how it ended.
async fn follow(
    pods: &Api<Pod>,
    name: &str,
    lines: &UnboundedSender<String>,
) -> Result<TaskOutcome, EngineError> {
    let deadline = Instant::now() + POD_WAIT;
    let mut unschedulable_since = None;
    loop {
        let pod = pods
            .get_opt(name)
            .await
            .map_err(from_kube)?
            .ok_or_else(|| EngineError::Failed(format!("the task's pod {name} vanished")))?;
        if objects::task_exit_code(&pod).is_some() {
            break;
        }
        match objects::pod_progress(&pod) {
            objects::PodProgress::Running => break,
            objects::PodProgress::Failed(why) => {
                return Err(EngineError::Refused {
                    status: 500,
                    message: format!("the task's pod {name} cannot run: {why}"),
                });
            }
            objects::PodProgress::Unschedulable(why) => {
                let since = *unschedulable_since.get_or_insert_with(Instant::now);
                if since.elapsed() > UNSCHEDULABLE_GRACE {
                    return Err(EngineError::Refused {
                        status: 503,
                        message: format!("no node can run the task's pod {name}: {why}"),
                    });
                }
            }
            objects::PodProgress::Starting => unschedulable_since = None,
        }
        if Instant::now() > deadline {
            return Err(EngineError::Failed(format!(
                "the task's pod {name} did not run within {} s",
                POD_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(POD_POLL).await;
    }
    let params = LogParams {
        container: Some(CONTAINER.to_owned()),
        follow: true,
        ..LogParams::default()
    };
    let output = pods.log_stream(name, &params).await.map_err(from_kube)?;
    let mut printed = output.lines();
    let mut tail = String::new();
    while let Some(line) = printed.next().await {
        let line = line.map_err(|error| {
            EngineError::Failed(format!("the output of task {name} broke: {error}"))
        })?;
        tail.push_str(&line);
        tail.push('\n');
        let excess = tail.len().saturating_sub(OUTPUT_TAIL_BYTES);
        if excess > 0 {
            let cut = tail.ceil_char_boundary(excess);
            tail.drain(..cut);
        }
        if lines.send(line).is_err() {
            return Err(EngineError::Failed(
                "the task was given up before it ended".to_owned(),
            ));
        }
    }
    // The output ends when the container does; its status may say so a moment later.
    let deadline = Instant::now() + POD_WAIT;
    loop {
        let pod = pods.get_opt(name).await.map_err(from_kube)?;
        if let Some(exit_code) = pod.as_ref().and_then(objects::task_exit_code) {
            return Ok(TaskOutcome {
                exit_code,
                stderr_tail: tail.trim().to_owned(),
            });
        }
        if pod.is_none() || Instant::now() > deadline {
            return Err(EngineError::Failed(format!(
                "the task's pod {name} ended without an exit code"
            )));
        }
        tokio::time::sleep(POD_POLL).await;
    }
}
