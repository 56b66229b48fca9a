//! Keeps a [`SessionIndex`] current from inotify (through `notify`), debounced.
//!
//! Each tool's tree (see [`Roots::trees`]) is watched recursively once it exists, and the
//! directories of single files ([`Roots::watched_files`]: Codex's thread names, OpenCode's
//! database and its WAL) without their subdirectories. A directory that does not exist yet (a
//! tool not used yet) is waited for by watching its deepest existing ancestor, usually the home
//! directory, non-recursively; when a path component appears the watches move down, and the index
//! rescans so files created before the watch are not missed.
//!
//! Events are gathered until [`WatchConfig::quiet`] passes without a new one (at most
//! [`WatchConfig::max_delay`] after the first), then each changed path is applied once: a burst
//! of appends to one transcript becomes one `updated` event.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::ModifyKind;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use perry_api::sessions::SessionEvent;

use crate::index::{Roots, SessionIndex};

/// How the watcher batches file system events.
#[derive(Debug, Clone, Copy)]
pub struct WatchConfig {
    /// Apply a batch once no event arrived for this long.
    pub quiet: Duration,
    /// Apply a batch at the latest this long after its first event, even while writes go on.
    pub max_delay: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            quiet: Duration::from_millis(50),
            max_delay: Duration::from_millis(250),
        }
    }
}

enum Signal {
    Fs(notify::Result<notify::Event>),
    Stop,
}

/// A running watcher; dropping it (or [`Watch::stop`]) stops the thread.
pub struct Watch {
    signals: mpsc::Sender<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Watch {
    /// Starts watching the index's roots on a thread of its own. `on_events` runs on that thread
    /// with each non-empty batch of changes, after the index was updated (so a request answered
    /// from the index afterwards agrees with the events already sent).
    ///
    /// The caller should [`SessionIndex::scan`] before, to have a snapshot to send first.
    pub fn spawn(
        index: Arc<Mutex<SessionIndex>>,
        config: WatchConfig,
        on_events: impl FnMut(Vec<SessionEvent>) + Send + 'static,
    ) -> io::Result<Watch> {
        let (signals, receiver) = mpsc::channel();
        let sender = signals.clone();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = sender.send(Signal::Fs(event));
        })
        .map_err(io::Error::other)?;
        let roots = lock(&index).roots().clone();
        let mut watches = Watches {
            watcher,
            roots,
            active: HashMap::new(),
        };
        watches.reconcile();
        let thread = std::thread::Builder::new()
            .name("session-watch".to_owned())
            .spawn(move || run(watches, receiver, index, config, on_events))?;
        Ok(Watch {
            signals,
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.signals.send(Signal::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn lock(index: &Mutex<SessionIndex>) -> std::sync::MutexGuard<'_, SessionIndex> {
    // A panic while applying one change must not stop the worker from serving the rest.
    index
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn run(
    mut watches: Watches,
    receiver: mpsc::Receiver<Signal>,
    index: Arc<Mutex<SessionIndex>>,
    config: WatchConfig,
    mut on_events: impl FnMut(Vec<SessionEvent>),
) {
    loop {
        let Ok(first) = receiver.recv() else {
            return;
        };
        let mut batch = Batch::default();
        if !batch.add(first) {
            return;
        }
        let started = Instant::now();
        let mut stopping = false;
        loop {
            let left = config.max_delay.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            match receiver.recv_timeout(config.quiet.min(left)) {
                Ok(signal) => {
                    if !batch.add(signal) {
                        stopping = true;
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    stopping = true;
                    break;
                }
            }
        }
        let appeared = watches.reconcile();
        let mut events = Vec::new();
        {
            let mut index = lock(&index);
            if appeared || batch.rescan {
                events.extend(index.scan());
            }
            events.extend(index.apply_batch(batch.paths.iter().map(PathBuf::as_path)));
        }
        let events = coalesce(events);
        if !events.is_empty() {
            on_events(events);
        }
        if stopping {
            return;
        }
    }
}

#[derive(Default)]
struct Batch {
    paths: BTreeSet<PathBuf>,
    rescan: bool,
}

impl Batch {
    /// Adds a signal; false when it asks to stop.
    fn add(&mut self, signal: Signal) -> bool {
        match signal {
            Signal::Stop => false,
            // The watcher lost track (e.g. the inotify queue overflowed): look at everything.
            Signal::Fs(Err(_)) => {
                self.rescan = true;
                true
            }
            Signal::Fs(Ok(event)) => {
                if event.need_rescan() {
                    self.rescan = true;
                }
                // Opening, closing and metadata-only changes (owner, mode, times) change no
                // session. SQLite run as root chowns OpenCode's WAL each time it opens it, so the
                // worker's own reads of the database would otherwise wake the watcher again.
                let content_unchanged = matches!(
                    event.kind,
                    EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
                );
                if !content_unchanged {
                    self.paths.extend(event.paths);
                }
                true
            }
        }
    }
}

/// The watches in place: each tree recursively once it exists, else its deepest existing
/// ancestor; the directory of each single file (`~/.codex`, `~/.local/share/opencode`) alone.
struct Watches {
    watcher: RecommendedWatcher,
    roots: Roots,
    active: HashMap<PathBuf, RecursiveMode>,
}

impl Watches {
    /// Moves the watches to match what exists now; true when a tree appeared since last time.
    fn reconcile(&mut self) -> bool {
        let mut wanted: HashMap<PathBuf, RecursiveMode> = HashMap::new();
        let mut targets: Vec<(PathBuf, RecursiveMode)> = self
            .roots
            .trees()
            .into_iter()
            .map(|tree| (tree, RecursiveMode::Recursive))
            .collect();
        for file in self.roots.watched_files() {
            if let Some(directory) = file.parent() {
                targets.push((directory.to_path_buf(), RecursiveMode::NonRecursive));
            }
        }
        let mut appeared = false;
        for (target, mode) in targets {
            if target.is_dir() {
                if self.active.get(&target) != Some(&mode) {
                    appeared = true;
                }
                wanted.insert(target, mode);
            } else if let Some(anchor) = deepest_existing_ancestor(&target) {
                wanted.entry(anchor).or_insert(RecursiveMode::NonRecursive);
            }
        }
        // A recursive watch already covers directories below it.
        let recursive: Vec<PathBuf> = wanted
            .iter()
            .filter(|(_, mode)| **mode == RecursiveMode::Recursive)
            .map(|(path, _)| path.clone())
            .collect();
        wanted.retain(|path, mode| {
            *mode == RecursiveMode::Recursive
                || !recursive.iter().any(|tree| path.starts_with(tree))
        });
        let stale: Vec<PathBuf> = self
            .active
            .iter()
            .filter(|(path, mode)| wanted.get(*path) != Some(mode))
            .map(|(path, _)| path.clone())
            .collect();
        for path in stale {
            // The directory may be gone already, taking its watch with it.
            let _ = self.watcher.unwatch(&path);
            self.active.remove(&path);
        }
        for (path, mode) in wanted {
            if self.active.contains_key(&path) {
                continue;
            }
            if self.watcher.watch(&path, mode).is_ok() {
                self.active.insert(path, mode);
            }
        }
        appeared
    }
}

fn deepest_existing_ancestor(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|ancestor| ancestor.is_dir())
        .map(Path::to_path_buf)
}

/// One event per session per batch, saying where it ended up.
pub fn coalesce(events: Vec<SessionEvent>) -> Vec<SessionEvent> {
    let mut order: Vec<String> = Vec::new();
    let mut last: HashMap<String, SessionEvent> = HashMap::new();
    for event in events {
        let key = match &event {
            SessionEvent::Added { session } | SessionEvent::Updated { session } => {
                format!("{}:{}", session.agent.as_str(), session.session_id)
            }
            SessionEvent::Removed { session_id, agent } => {
                format!("{}:{}", agent.as_str(), session_id)
            }
            SessionEvent::Snapshot { .. } => String::new(),
        };
        let merged = match (last.remove(&key), event) {
            (None, event) => Some(event),
            (Some(SessionEvent::Added { .. }), SessionEvent::Updated { session }) => {
                Some(SessionEvent::Added { session })
            }
            (Some(SessionEvent::Added { .. }), SessionEvent::Removed { .. }) => None,
            (Some(SessionEvent::Removed { .. }), SessionEvent::Added { session }) => {
                Some(SessionEvent::Updated { session })
            }
            (Some(_), event) => Some(event),
        };
        if !order.contains(&key) {
            order.push(key.clone());
        }
        if let Some(merged) = merged {
            last.insert(key, merged);
        }
    }
    order
        .into_iter()
        .filter_map(|key| last.remove(&key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use perry_api::sessions::{SessionAgent, SessionInfo};

    fn info(id: &str, count: u32) -> SessionInfo {
        SessionInfo {
            session_id: id.to_owned(),
            title: "t".to_owned(),
            agent: SessionAgent::ClaudeCode,
            message_count: count,
            last_activity: String::new(),
            project_path: String::new(),
            resume_command: String::new(),
            status: None,
            name: None,
        }
    }

    #[test]
    fn a_burst_of_updates_is_one_event_with_the_last_state() {
        let events = coalesce(vec![
            SessionEvent::Updated {
                session: info("a", 1),
            },
            SessionEvent::Updated {
                session: info("b", 1),
            },
            SessionEvent::Updated {
                session: info("a", 3),
            },
        ]);
        assert_eq!(
            events,
            vec![
                SessionEvent::Updated {
                    session: info("a", 3)
                },
                SessionEvent::Updated {
                    session: info("b", 1)
                },
            ]
        );
    }

    #[test]
    fn added_then_updated_is_added_and_added_then_removed_is_nothing() {
        let events = coalesce(vec![
            SessionEvent::Added {
                session: info("a", 1),
            },
            SessionEvent::Updated {
                session: info("a", 2),
            },
            SessionEvent::Added {
                session: info("b", 1),
            },
            SessionEvent::Removed {
                session_id: "b".to_owned(),
                agent: SessionAgent::ClaudeCode,
            },
        ]);
        assert_eq!(
            events,
            vec![SessionEvent::Added {
                session: info("a", 2)
            }]
        );
    }

    #[test]
    fn a_replaced_file_is_an_update() {
        let events = coalesce(vec![
            SessionEvent::Removed {
                session_id: "a".to_owned(),
                agent: SessionAgent::ClaudeCode,
            },
            SessionEvent::Added {
                session: info("a", 1),
            },
        ]);
        assert_eq!(
            events,
            vec![SessionEvent::Updated {
                session: info("a", 1)
            }]
        );
    }
}
