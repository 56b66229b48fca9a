//! The `ports.*` procedures of a workspace: the forwards stored in its state record, bound by the
//! [`PortForwarder`] while it runs.
//!
//! Every change holds the workspace's name lock, like start, stop and delete, which bind and
//! close forwards themselves: so a start never writes back a record older than a forward.

use perry_api::{PortForward, PortForwardRequest, PortForwardStatus, Workspace};

use super::WorkspaceService;
use crate::error::ApiError;
use crate::ports::{ForwardTarget, PortForwarder, check_forwards, merge_forwards};

impl WorkspaceService {
    /// The forwarder that runs the forwards of every workspace.
    pub fn port_forwarder(&self) -> &PortForwarder {
        &self.ports
    }

    fn forward_target(&self, name: &str) -> ForwardTarget {
        ForwardTarget {
            workspace: name.to_owned(),
            container: self.container_name(name),
            network: self.network_name(),
            containers: self.containers.clone(),
        }
    }

    /// The forwards of workspace `name`, with whether each runs now.
    pub fn list_forwards(&self, name: &str) -> Result<Vec<PortForwardStatus>, ApiError> {
        let record = self.require_record(name)?;
        Ok(self
            .ports
            .statuses(name, &record.ports.forwards, &record.ports.labels))
    }

    /// Adds forwards to workspace `name`, or changes the workspace port of host ports it
    /// forwards already. Host ports are bound before anything is stored, so a port that cannot
    /// be had fails the whole call and changes nothing. Forwards of a stopped workspace are
    /// stored and bound when it starts.
    pub async fn forward_ports(
        &self,
        name: &str,
        requests: Vec<PortForwardRequest>,
    ) -> Result<Vec<PortForwardStatus>, ApiError> {
        if requests.is_empty() {
            return Err(ApiError::BadRequest(
                "Give at least one port to forward".to_owned(),
            ));
        }
        let requested: Vec<PortForward> = requests
            .into_iter()
            .map(PortForwardRequest::forward)
            .collect();
        let _serialized = self.lock_name(name).await;
        self.forward_locked(name, requested).await
    }

    /// [`Self::forward_ports`] for a caller that holds the workspace's lock.
    pub(super) async fn forward_locked(
        &self,
        name: &str,
        requested: Vec<PortForward>,
    ) -> Result<Vec<PortForwardStatus>, ApiError> {
        self.require_record(name)?;
        let rules = self.ports.rules();
        check_forwards(&requested, name, &rules, &self.state.snapshot().workspaces)?;
        let target = self.forward_target(name);
        let running = self
            .engine
            .inspect_container(&target.container)
            .await?
            .is_some_and(|container| container.running);
        // Bind first. A failure returns here and drops the listeners bound so far; for a stopped
        // workspace the bind only proves the port is free now and is let go again.
        let mut bound = Vec::new();
        for forward in &requested {
            if self.ports.is_active(name, forward.host_port) {
                continue;
            }
            let listener = self.ports.bind(*forward).await?;
            if running {
                bound.push((*forward, listener));
            }
        }
        let forwards = self.state.update(|state| {
            // Checked again under the state lock: another workspace may have taken a port since.
            check_forwards(&requested, name, &rules, &state.workspaces)?;
            let record = state
                .workspaces
                .get_mut(name)
                .ok_or_else(|| ApiError::WorkspaceNotFound(name.to_owned()))?;
            record.ports.forwards = merge_forwards(&record.ports.forwards, &requested);
            Ok::<_, ApiError>((record.ports.forwards.clone(), record.ports.labels.clone()))
        })??;
        let (forwards, labels) = forwards;
        for forward in &requested {
            self.ports.retarget(name, *forward);
        }
        for (forward, listener) in bound {
            self.ports.serve(&target, forward, listener);
        }
        Ok(self.ports.statuses(name, &forwards, &labels))
    }

    /// Stops forwarding `host_ports` of workspace `name` and forgets them; their listeners and
    /// connections are closed when this returns. A port the workspace does not forward is
    /// NOT_FOUND and nothing is removed.
    pub async fn remove_forwards(
        &self,
        name: &str,
        host_ports: Vec<u16>,
    ) -> Result<Vec<PortForwardStatus>, ApiError> {
        if host_ports.is_empty() {
            return Err(ApiError::BadRequest(
                "Give at least one host port to stop forwarding".to_owned(),
            ));
        }
        let _serialized = self.lock_name(name).await;
        let record = self.require_record(name)?;
        if let Some(unknown) = host_ports.iter().find(|port| {
            !record
                .ports
                .forwards
                .iter()
                .any(|forward| forward.host_port == **port)
        }) {
            return Err(ApiError::NotFound(format!(
                "Workspace {name:?} does not forward host port {unknown}; `perry ports {name}` lists its forwards"
            )));
        }
        let forwards = self.state.update(|state| {
            let record = state
                .workspaces
                .get_mut(name)
                .ok_or_else(|| ApiError::WorkspaceNotFound(name.to_owned()))?;
            record
                .ports
                .forwards
                .retain(|forward| !host_ports.contains(&forward.host_port));
            Ok::<_, ApiError>((record.ports.forwards.clone(), record.ports.labels.clone()))
        })??;
        let (forwards, labels) = forwards;
        self.ports.close(name, &host_ports).await;
        Ok(self.ports.statuses(name, &forwards, &labels))
    }

    /// Binds the stored forwards of a workspace that has just become ready. A port that cannot
    /// be bound is listed with its error; the start goes on.
    pub(super) async fn bind_forwards(&self, record: &Workspace) {
        let target = self.forward_target(&record.name);
        self.ports.bind_all(&target, &record.ports.forwards).await;
    }

    /// Binds the forwards of a running workspace again when the agent starts.
    pub async fn restore_forwards(&self, name: &str) {
        let _serialized = self.lock_name(name).await;
        let Some(record) = self.state.workspace(name) else {
            return;
        };
        if record.ports.forwards.is_empty() {
            return;
        }
        let running = self
            .engine
            .inspect_container(&self.container_name(name))
            .await
            .is_ok_and(|container| container.is_some_and(|container| container.running));
        if running {
            self.bind_forwards(&record).await;
        }
    }
}
