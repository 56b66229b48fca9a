//! The Docker-in-Docker probe: whether this runtime grants `--privileged`, found out with a
//! throwaway container that is removed on every path.
//!
//! The probe runs in a task of its own, so a caller that gives up (a request whose client went
//! away, a shutdown) does not stop it between create and remove; and a guard in that task removes
//! the container when even the task is dropped half-way, as when the runtime shuts down.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::CreateContainerOptionsBuilder;
use perry_api::{DindMode, WorkspaceLimits};

use super::{ContainerSpec, Docker, Engine, EngineError, workspace_host_config};

impl Docker {
    /// Who the daemon is: its ID, version and kernel. A probe's result holds for the daemon that
    /// gave it; another daemon (or this one upgraded, or on another kernel) is probed again.
    pub async fn daemon_identity(&self) -> Result<String, EngineError> {
        let info = self
            .call(|docker| async move { docker.info().await })
            .await?;
        Ok(format!(
            "{} {} {}",
            info.id.unwrap_or_default(),
            info.server_version.unwrap_or_default(),
            info.kernel_version.unwrap_or_default()
        ))
    }

    /// Finds out whether this runtime grants `--privileged`, with a throwaway container
    /// `probe_name` of `image` that runs `true`. Runtimes without CAP_SYS_RESOURCE (some VMs)
    /// refuse it. The container is gone when this returns, and also when this future is dropped
    /// before it returns: the probe goes on in its own task and removes it.
    pub(super) async fn probe_in_own_task(
        &self,
        image: &str,
        probe_name: &str,
        labels: HashMap<String, String>,
    ) -> Result<DindMode, EngineError> {
        let docker = self.clone();
        let image = image.to_owned();
        let probe_name = probe_name.to_owned();
        tokio::spawn(async move { docker.probe(&image, &probe_name, labels).await })
            .await
            .map_err(|error| EngineError::Failed(format!("the probe's task ended: {error}")))?
    }

    /// Removes the probe container an agent killed in the middle of its probe left behind;
    /// waits for a probe of this agent that is using the name.
    pub async fn remove_probe_container(&self, probe_name: &str) -> Result<(), EngineError> {
        let _one_probe_at_a_time = self.probing.lock().await;
        self.remove_container(probe_name).await
    }

    async fn probe(
        &self,
        image: &str,
        probe_name: &str,
        labels: HashMap<String, String>,
    ) -> Result<DindMode, EngineError> {
        let _one_probe_at_a_time = self.probing.lock().await;
        let guard = ProbeContainerGuard {
            name: Some(probe_name.to_owned()),
        };
        let mode = self.create_and_start_probe(image, probe_name, labels).await;
        let removed = self.remove_container(probe_name).await;
        guard.disarm();
        removed?;
        mode
    }

    async fn create_and_start_probe(
        &self,
        image: &str,
        probe_name: &str,
        labels: HashMap<String, String>,
    ) -> Result<DindMode, EngineError> {
        let spec = ContainerSpec {
            name: probe_name.to_owned(),
            hostname: "perry-probe".to_owned(),
            image: image.to_owned(),
            labels: labels.clone(),
            env: Vec::new(),
            network: "none".to_owned(),
            volumes: Vec::new(),
            ssh_host_port: 0,
            limits: WorkspaceLimits::default(),
        };
        let mut host_config = workspace_host_config(&spec, DindMode::Privileged);
        host_config.port_bindings = None;
        host_config.restart_policy = None;
        let body = ContainerCreateBody {
            image: Some(image.to_owned()),
            entrypoint: Some(vec!["true".to_owned()]),
            labels: Some(labels),
            host_config: Some(host_config),
            ..Default::default()
        };
        // A probe of an agent killed a moment ago may still be in Docker's hands (its create or
        // its removal still running): remove it, and again if its name is still taken.
        let mut attempts = 0;
        loop {
            self.remove_container(probe_name).await?;
            let options = CreateContainerOptionsBuilder::default()
                .name(probe_name)
                .build();
            let body = body.clone();
            match self
                .call(|docker| async move { docker.create_container(Some(options), body).await })
                .await
            {
                Ok(_) => break,
                Err(EngineError::Conflict(message)) if attempts < 10 => {
                    tracing::info!("the probe's name is still taken ({message}); trying again");
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(other) => return Err(other),
            }
        }
        match self.start_container(probe_name).await {
            Ok(()) => Ok(DindMode::Privileged),
            // Docker answered, and refused the privileged container ("unable to apply caps").
            Err(EngineError::Refused { message, .. }) => {
                tracing::info!(
                    "the runtime refused --privileged ({message}); workspaces get an explicit capability set"
                );
                Ok(DindMode::Capabilities)
            }
            Err(other) => Err(other),
        }
    }
}

/// Removes the probe container when the probe's task is dropped before it removed it itself
/// (the runtime shut down under it). Drop cannot await, and the runtime may be going away, so
/// the removal runs on a thread of its own with its own runtime and client.
struct ProbeContainerGuard {
    name: Option<String>,
}

impl ProbeContainerGuard {
    /// The probe removed its container (or tried, and says so): nothing left to do.
    fn disarm(mut self) {
        self.name = None;
    }
}

impl Drop for ProbeContainerGuard {
    fn drop(&mut self) {
        let Some(name) = self.name.take() else {
            return;
        };
        let removal = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| EngineError::Failed(format!("no runtime: {error}")))?;
            runtime.block_on(Docker::new().remove_container(&name))?;
            Ok::<_, EngineError>(name)
        });
        match removal.join() {
            Ok(Ok(name)) => tracing::info!("removed the interrupted probe container {name}"),
            Ok(Err(error)) => tracing::warn!(
                "cannot remove the interrupted probe container ({error}); the next agent start removes it"
            ),
            Err(_) => tracing::warn!("the removal of the interrupted probe container panicked"),
        }
    }
}
