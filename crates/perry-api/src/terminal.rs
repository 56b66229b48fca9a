//! Terminals: shells in workspaces, reached over `/terminal/:workspace`.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// One open terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct TerminalInfo {
    /// Pass as `?terminal=<id>` to reattach.
    pub id: String,
    pub workspace_name: String,
    /// RFC 3339 time it was opened.
    pub created: String,
    /// How many sockets watch it now.
    pub clients: u32,
    pub cols: u16,
    pub rows: u16,
    /// Bytes of recent output kept for replay.
    pub buffered_bytes: u32,
}

/// Input of `terminals.list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsListInput {
    pub workspace_name: String,
}

/// Input of `terminals.kill`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalKillInput {
    pub workspace_name: String,
    pub id: String,
}

/// Control messages in text frames on `/terminal/:workspace`, both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum TerminalControl {
    /// Client → agent: the terminal's size in cells.
    Resize { cols: u16, rows: u16 },
    /// Agent → client, first message: which terminal this socket is attached to.
    #[serde(rename_all = "camelCase")]
    Attached {
        id: String,
        cols: u16,
        rows: u16,
        replayed_bytes: u32,
        /// Absolute output offset of the first byte this socket sends; a client that reconnects
        /// with `?since=<offset + bytes it got>` receives only what it has not seen.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        offset: u64,
        /// The agent answers `ping` and takes `ack` (agents since #22 do). Clients send neither
        /// without it: an older agent writes control messages it does not know into the shell.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
        pings: bool,
    },
    /// Agent → client: output this client was too slow to read was overwritten, or skipped
    /// because the client typed while far behind (the present matters more than the backlog).
    Dropped { bytes: u32 },
    /// Client → agent: measure the round trip; the agent answers `pong` with the same id at once.
    Ping { id: u32 },
    /// Agent → client: the answer to `ping`.
    Pong { id: u32 },
    /// Client → agent: this many more output bytes arrived (and were written to the screen)
    /// since the last ack. A client that acks once gets flow control: the agent keeps at most a
    /// window of unacknowledged output on the wire, so a keystroke's answer never queues behind
    /// seconds of a flood. Clients that never ack get output as fast as the socket takes it.
    Ack { bytes: u32 },
}
