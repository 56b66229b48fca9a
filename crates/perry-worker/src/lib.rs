//! `perry-worker` as a library: finds the coding-agent sessions in a workspace's home directory
//! and keeps an index of them current, for the worker binary to serve to the Perry agent.
//!
//! # Layout
//! - [`index`]: [`SessionIndex`], every session under one home directory: `scan`, `apply` (one
//!   changed path → events), `list`, `messages`, `search`, `delete`, `snapshot`.
//! - [`watch`]: [`Watch`], inotify (through `notify`) feeding the index, debounced.
//! - [`claude`], [`codex`], [`opencode`], [`opencode_db`]: each tool's on-disk format (the module
//!   docs say where the facts come from); OpenCode's is JSON files before 1.2, SQLite since.
//! - [`removal`]: removing a deleted session's files (no link followed; gone is removed).
//! - [`jsonl`]: incremental reading of append-only JSONL files (partial and corrupt lines, byte
//!   spans of messages).
//! - [`attention`]: what each coding agent's own hook says (a permission asked, a turn ended),
//!   read into one status report for the session.
//! - [`hooks`]: installs the hooks that run `perry-worker event` into each coding agent's own
//!   configuration, beside the person's entries.
//! - [`settings`]: applies what the agent's settings put into the workspace: [`accounts`] (keys
//!   and logins where each coding agent reads them, git's credentials) and [`extensions`] (MCP
//!   servers and skills), remembering what Perry wrote so only that is ever taken out again.
//! - [`server`]: `serve` (the daemon: index + watcher on a private unix socket) and `attach`
//!   (relays a Docker exec's stdio to that socket for the agent).
//! - [`text`]: titles, tool call summaries, search matching.
//! - [`time`]: RFC 3339 without a date crate.
//!
//! # How the agent is meant to use it
//! Every value the index produces is a `perry_api::sessions` type (serde, camelCase), so the
//! worker writes them to its pipe as they are and the agent relays them unchanged. The worker
//! opens no TCP port: the agent talks to it over a Docker exec's stdio (see `perry_api::worker`
//! for the line protocol, and [`server`] for the daemon and the relay). The split:
//!
//! - **Events** (worker → agent, unprompted): first [`SessionIndex::snapshot`], then every batch
//!   the [`Watch`] callback receives (`added` / `updated` / `removed`, one per session per batch).
//!   The agent keeps its per-workspace list from these, so `sessions.list` (filter, limit,
//!   offset, newest first) and the `/sessions/:workspace` snapshot are answered agent-side without
//!   a round trip; [`SessionIndex::list`] is the same computation for the worker's own use.
//! - **Calls** (agent → worker → reply): [`SessionIndex::messages`] (a page counted from the
//!   newest; [`LookupError::UnknownSession`] is NOT_FOUND), [`SessionIndex::search`] and
//!   [`SessionIndex::delete`] (removes the session's files or database rows, then returns its
//!   `removed` event, which the server sends before the reply).
//!
//! Inside the worker that is:
//!
//! ```no_run
//! use std::sync::{Arc, Mutex};
//! use perry_worker::{Roots, SessionIndex, Watch, WatchConfig};
//!
//! let mut index = SessionIndex::new(Roots::for_home(std::path::Path::new("/home/workspace")));
//! index.scan();
//! let snapshot = index.snapshot(); // the first event to write
//! let index = Arc::new(Mutex::new(index));
//! let watch = Watch::spawn(index.clone(), WatchConfig::default(), |events| {
//!     for event in events {
//!         let _ = event; // write one line per event
//!     }
//! })?;
//! // The request loop answers from the same index:
//! let page = index.lock().unwrap().messages("4f35e220-c435-4cf7-b9b9-f40426042847", 50, 0);
//! let hits = index.lock().unwrap().search("login", 50);
//! # let _ = (snapshot, page, hits, watch);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The writer must be shared by the watch callback and the request loop (one mutex, one whole
//! line per write) so events and replies never interleave mid-line. Events are produced after the
//! index changed, under its lock, so a reply computed later never contradicts an event already
//! written before it.
//!
//! # Costs
//! - Memory: per session its metadata plus 16 bytes per message (the byte span of its lines);
//!   message text is never kept. A 222 MB transcript of 100,000 messages scans in 0.7 s with 3 MB
//!   peak RSS (release build).
//! - An appended line is read alone; a page of messages reads only its own lines; a search reads
//!   every session file whose title does not match (O(bytes on disk)).
//! - OpenCode's database is read on each change of `opencode.db` or its WAL: the session table
//!   through, then message counts only of the sessions that changed (from OpenCode's index).

pub mod accounts;
pub mod attention;
pub mod claude;
pub mod codex;
pub mod extensions;
pub mod hooks;
pub mod index;
pub mod jsonl;
pub mod opencode;
pub mod opencode_db;
pub mod removal;
pub mod server;
pub mod settings;
pub mod text;
pub mod time;
pub mod watch;

pub use index::{DeleteError, IndexStats, LookupError, Roots, SessionIndex};
pub use watch::{Watch, WatchConfig};
