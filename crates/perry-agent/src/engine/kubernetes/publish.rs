//! Reaching ports of workspace pods from the agent's machine, through the API server's
//! port-forward (so the agent needs no route to the pods), and publishing each running
//! workspace's sshd on its SSH host port, as Docker publishes a container's port.
//!
//! Publishing follows what the engine sees: a start publishes (and tells a taken port as
//! [`EngineError::PortInUse`], as Docker does), a stop or removal withdraws, and every listing
//! publishes what runs and withdraws what does not, so an agent that restarts publishes its
//! running workspaces again.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Portforwarder};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::net::TcpListener;

use super::{Kubernetes, from_kube, lock};
use crate::engine::{Connection, ContainerInfo, EngineError, SSH_PORT_LABEL};

/// The port sshd listens on in a workspace.
const SSH_PORT: u16 = 22;

/// A port-forwarded stream, with the forwarder that carries it.
struct Forwarded {
    stream: DuplexStream,
    _forwarder: Portforwarder,
}

impl AsyncRead for Forwarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(context, buffer)
    }
}

impl AsyncWrite for Forwarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(context, buffer)
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

/// A connection to `port` of `pod` through the API server.
pub(super) async fn forward(
    pods: &Api<Pod>,
    pod: &str,
    port: u16,
) -> Result<Box<dyn Connection>, EngineError> {
    let mut forwarder = pods.portforward(pod, &[port]).await.map_err(from_kube)?;
    let stream = forwarder
        .take_stream(port)
        .ok_or_else(|| EngineError::Failed(format!("no stream to port {port} of {pod}")))?;
    Ok(Box::new(Forwarded {
        stream,
        _forwarder: forwarder,
    }))
}

/// The SSH listeners of running workspaces, by container name.
#[derive(Default)]
pub(super) struct Published {
    listeners: Mutex<HashMap<String, (u16, tokio::task::AbortHandle)>>,
}

impl Drop for Published {
    fn drop(&mut self) {
        for (_, (_, task)) in lock(&self.listeners).drain() {
            task.abort();
        }
    }
}

impl Published {
    /// Publishes `container`'s sshd on `port` unless it already is.
    pub(super) async fn publish(
        &self,
        pods: Api<Pod>,
        container: &str,
        port: u16,
    ) -> Result<(), EngineError> {
        if lock(&self.listeners)
            .get(container)
            .is_some_and(|(published, _)| *published == port)
        {
            return Ok(());
        }
        let listener = TcpListener::bind(("0.0.0.0", port))
            .await
            .map_err(|error| {
                EngineError::PortInUse(format!("cannot listen on SSH port {port}: {error}"))
            })?;
        let pod = Kubernetes::pod_name(container);
        let task = tokio::spawn(serve(listener, pods, pod));
        if let Some((_, previous)) =
            lock(&self.listeners).insert(container.to_owned(), (port, task.abort_handle()))
        {
            previous.abort();
        }
        Ok(())
    }

    /// Stops publishing `container`'s sshd.
    pub(super) fn withdraw(&self, container: &str) {
        if let Some((_, task)) = lock(&self.listeners).remove(container) {
            task.abort();
        }
    }

    /// Publishes every running workspace's sshd and withdraws the others': what a listing saw.
    pub(super) async fn follow(&self, pods: &Api<Pod>, containers: &[ContainerInfo]) {
        let running: HashMap<&str, u16> = containers
            .iter()
            .filter(|container| container.running)
            .filter_map(|container| {
                let port = container.labels.get(SSH_PORT_LABEL)?.parse().ok()?;
                Some((container.name.as_str(), port))
            })
            .collect();
        let gone: Vec<String> = lock(&self.listeners)
            .keys()
            .filter(|name| !running.contains_key(name.as_str()))
            .cloned()
            .collect();
        for name in gone {
            self.withdraw(&name);
        }
        for (name, port) in running {
            if let Err(error) = self.publish(pods.clone(), name, port).await {
                tracing::warn!("cannot publish the SSH port of {name}: {error}");
            }
        }
    }
}

/// Relays every connection to the listener to the pod's sshd.
async fn serve(listener: TcpListener, pods: Api<Pod>, pod: String) {
    loop {
        let Ok((mut client, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let _ = client.set_nodelay(true);
        let (pods, pod) = (pods.clone(), pod.clone());
        tokio::spawn(async move {
            match forward(&pods, &pod, SSH_PORT).await {
                Ok(mut upstream) => {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
                Err(error) => tracing::debug!("SSH connection to {pod}: {error}"),
            }
        });
    }
}
