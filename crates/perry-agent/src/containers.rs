//! This agent's containers as Docker last said, kept current by Docker's event stream, so that
//! `workspaces.list` answers from memory instead of asking Docker on every call.
//!
//! The view is *live* only while the event stream is connected; otherwise (Docker down, the stream
//! broke, the watcher not started) every read asks Docker directly, so a stopped daemon still
//! answers 503 and never a stale list. Every operation of the agent's own refreshes the view
//! before it returns, so a client reads its own writes; changes made outside Perry show up as soon
//! as their event arrives.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;

use crate::engine::{Connection, ContainerInfo, Engine, EngineError};

/// How long the watcher waits before it subscribes again after the stream broke.
const RESUBSCRIBE_DELAY: Duration = Duration::from_secs(1);
/// The least time between two listings that events ask for (a listing of 100 workspaces on
/// Kubernetes parses a few hundred kilobytes).
const LISTING_INTERVAL: Duration = Duration::from_millis(250);
/// Starts a slow subscriber may fall behind by before it misses some.
const STARTED_BACKLOG: usize = 256;

/// The containers carrying `dev.perry.prefix=<prefix>`.
#[derive(Debug)]
pub struct ContainerView {
    engine: Arc<dyn Engine>,
    prefix: String,
    /// Numbers every Docker listing in the order it was asked for.
    next_listing: AtomicU64,
    current: Mutex<Current>,
    watcher: Mutex<Option<tokio::task::AbortHandle>>,
    /// The name of each container seen running that was not in the listing before.
    started: tokio::sync::broadcast::Sender<String>,
}

#[derive(Debug, Default)]
struct Current {
    /// `None` while the event stream is not connected.
    containers: Option<Arc<Vec<ContainerInfo>>>,
    /// The number of the listing `containers` came from: an older listing that answers late
    /// must not overwrite a newer one.
    listing: u64,
    /// The containers running in the last listing kept, across dark spells too.
    running: HashSet<String>,
}

impl Current {
    /// Keeps `containers` as the view; the names of those that run now and did not before.
    fn keep(&mut self, containers: Arc<Vec<ContainerInfo>>, listing: u64) -> Vec<String> {
        let running: HashSet<String> = containers
            .iter()
            .filter(|container| container.running)
            .map(|container| container.name.clone())
            .collect();
        let started = running.difference(&self.running).cloned().collect();
        self.running = running;
        self.containers = Some(containers);
        self.listing = listing;
        started
    }
}

impl Drop for ContainerView {
    fn drop(&mut self) {
        if let Some(watcher) = lock(&self.watcher).take() {
            watcher.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ContainerView {
    /// A view that is not live until [`ContainerView::watch`] connects it.
    pub fn new(engine: Arc<dyn Engine>, prefix: String) -> Arc<ContainerView> {
        Arc::new(ContainerView {
            engine,
            prefix,
            next_listing: AtomicU64::new(1),
            current: Mutex::new(Current::default()),
            watcher: Mutex::new(None),
            started: tokio::sync::broadcast::channel(STARTED_BACKLOG).0,
        })
    }

    /// The name of every container that is seen running and was not before, from the view's
    /// first listing on (which reports every running container): started by the agent, by
    /// hand, or made anew by the engine (a Kubernetes pod the cluster recreated).
    pub fn started(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.started.subscribe()
    }

    fn announce(&self, started: Vec<String>) {
        for name in started {
            // No subscriber is fine: nobody asked.
            let _ = self.started.send(name);
        }
    }

    /// The containers: from memory while live, else from Docker.
    pub async fn containers(&self) -> Result<Arc<Vec<ContainerInfo>>, EngineError> {
        if let Some(containers) = &lock(&self.current).containers {
            return Ok(containers.clone());
        }
        self.refresh().await
    }

    /// A connection to `port` of container `name` while it runs; `None` when it does not exist
    /// or does not run. The container is looked up in memory while live (a port forward asks
    /// for every connection it accepts), else asked of the engine.
    pub async fn connect(
        &self,
        name: &str,
        network: &str,
        port: u16,
    ) -> Result<Option<Box<dyn Connection>>, EngineError> {
        let containers = self.containers().await?;
        let Some(container) = containers
            .iter()
            .find(|container| container.name == name && container.running)
        else {
            return Ok(None);
        };
        self.engine
            .connect(container, network, port)
            .await
            .map(Some)
    }

    /// Asks Docker now and, while live, keeps the answer unless a newer one is already there.
    pub async fn refresh(&self) -> Result<Arc<Vec<ContainerInfo>>, EngineError> {
        let listing = self.next_listing.fetch_add(1, Ordering::SeqCst);
        let containers = Arc::new(self.engine.list_containers(&self.prefix).await?);
        let started = {
            let mut current = lock(&self.current);
            if current.containers.is_some() && listing > current.listing {
                current.keep(containers.clone(), listing)
            } else {
                Vec::new()
            }
        };
        self.announce(started);
        Ok(containers)
    }

    /// Refreshes after an operation of the agent's own; a failure only costs freshness, which the
    /// next event or read restores.
    pub async fn refresh_after_change(&self) {
        if let Err(error) = self.refresh().await {
            tracing::debug!("cannot refresh the container view: {error}");
            self.go_dark();
        }
    }

    fn go_live(&self, containers: Vec<ContainerInfo>, listing: u64) {
        let started = {
            let mut current = lock(&self.current);
            if listing > current.listing || current.containers.is_none() {
                let listing = current.listing.max(listing);
                current.keep(Arc::new(containers), listing)
            } else {
                Vec::new()
            }
        };
        self.announce(started);
    }

    fn go_dark(&self) {
        lock(&self.current).containers = None;
    }

    /// Starts following Docker's events; the view goes live once the stream is connected and
    /// dark whenever it breaks. The watcher stops when the view is dropped.
    pub fn watch(self: &Arc<Self>) {
        let view = Arc::downgrade(self);
        let task = tokio::spawn(async move { follow_events(view).await });
        if let Some(previous) = lock(&self.watcher).replace(task.abort_handle()) {
            previous.abort();
        }
    }
}

async fn follow_events(view: Weak<ContainerView>) {
    let mut reported_outage = false;
    loop {
        let Some(strong) = view.upgrade() else { return };
        let (engine, prefix) = (strong.engine.clone(), strong.prefix.clone());
        drop(strong);
        // Events since a second ago are replayed, so nothing that happens between the listing
        // below and the moment Docker registers the subscription is missed.
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            .saturating_sub(1);
        let subscribed = match engine.container_changes(since, &prefix).await {
            Ok(events) => match view.upgrade() {
                Some(strong) => {
                    let listing = strong.next_listing.fetch_add(1, Ordering::SeqCst);
                    match engine.list_containers(&prefix).await {
                        Ok(containers) => {
                            strong.go_live(containers, listing);
                            Ok(events)
                        }
                        Err(error) => Err(error),
                    }
                }
                None => return,
            },
            Err(error) => Err(error),
        };
        let outcome = match subscribed {
            Ok(mut events) => {
                if reported_outage {
                    tracing::info!("following Docker's container events again");
                    reported_outage = false;
                }
                let mut last_listing: Option<Instant> = None;
                loop {
                    match events.next().await {
                        Some(Ok(())) => {
                            // A change alone is listed at once; in a burst (a create, a
                            // cluster's controllers writing the status of 100 StatefulSets) the
                            // listings come at most every LISTING_INTERVAL, each covering all
                            // the changes that arrived meanwhile.
                            if let Some(wait) = last_listing
                                .map(|last| LISTING_INTERVAL.saturating_sub(last.elapsed()))
                                .filter(|wait| !wait.is_zero())
                            {
                                tokio::time::sleep(wait).await;
                            }
                            while let Some(Some(Ok(()))) =
                                futures_util::FutureExt::now_or_never(events.next())
                            {
                            }
                            last_listing = Some(Instant::now());
                            let Some(strong) = view.upgrade() else { return };
                            if let Err(error) = strong.refresh().await {
                                break Err(error);
                            }
                        }
                        Some(Err(error)) => break Err(error),
                        None => break Ok(()),
                    }
                }
            }
            Err(error) => Err(error),
        };
        let Some(strong) = view.upgrade() else { return };
        strong.go_dark();
        drop(strong);
        match outcome {
            Err(error) if !reported_outage => {
                tracing::warn!(
                    "lost Docker's container events ({error}); listing asks Docker directly until they are back"
                );
                reported_outage = true;
            }
            _ => {}
        }
        tokio::time::sleep(RESUBSCRIBE_DELAY).await;
    }
}
