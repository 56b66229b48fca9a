//! The agent's WebSockets (`/terminal`, `/sessions`, `/events`): one upgrade with one set of
//! options, and the frames they send.
//!
//! They speak yawc rather than axum's tungstenite, for permessage-deflate (RFC 7692), which
//! tungstenite lacks: terminal output and session events are text that deflate shrinks to a
//! fraction, and the people who need that are the ones on a slow or metered link. A client that
//! does not offer the extension (the CLI of an older release, a plain tungstenite client) gets
//! frames as before.
//!
//! The deflate settings are for many small messages: the context is kept from message to
//! message (a keystroke's echo or a status change compresses against what came before), level 6
//! ([`COMPRESSION_LEVEL`]), and messages under a few dozen bytes go uncompressed (deflate would
//! not shrink them).

use axum::response::{IntoResponse, Response};
use serde::Serialize;
pub use yawc::{Frame, IncomingUpgrade, OpCode, WebSocketError};

use crate::Agent;
use crate::error::ApiError;

/// An accepted WebSocket.
pub type WebSocket = yawc::WebSocket<yawc::HttpStream>;

/// The sending half of a split [`WebSocket`].
pub type Sink = futures_util::stream::SplitSink<WebSocket, Frame>;

/// The largest message a client may send (a paste into a terminal); larger closes with 1009.
const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Deflate's level: 6 takes 10 MB of source code to 25 % where 1 leaves 31 %, at a CPU cost
/// (tens of MB a second) far above what a terminal sends.
const COMPRESSION_LEVEL: u32 = 6;
/// Messages shorter than this are sent as they are: deflate cannot shrink a keystroke's echo.
const COMPRESSION_THRESHOLD: usize = 32;

/// The options every socket of the agent is accepted with, and the CLI's end of them: the same
/// message limit and deflate settings on both sides.
pub fn options(compression: bool) -> yawc::Options {
    let options = yawc::Options::default()
        .with_limits(MAX_MESSAGE_BYTES, 2 * MAX_MESSAGE_BYTES)
        .with_utf8();
    if !compression {
        return options.without_compression();
    }
    options
        .with_low_latency_compression()
        .with_compression_level(yawc::CompressionLevel::new(COMPRESSION_LEVEL))
        .with_compression_threshold(COMPRESSION_THRESHOLD)
}

/// Accepts the upgrade (compressed when the client offers it and config.json's
/// `terminalCompression` allows) and runs `serve` with the socket once the client has it.
pub fn accept<F, Serve>(agent: &Agent, upgrade: IncomingUpgrade, serve: F) -> Response
where
    F: FnOnce(WebSocket) -> Serve + Send + 'static,
    Serve: Future<Output = ()> + Send + 'static,
{
    match upgrade.upgrade(options(agent.config().terminal_compression)) {
        Ok((response, socket)) => {
            tokio::spawn(async move {
                match socket.await {
                    Ok(socket) => serve(socket).await,
                    Err(error) => tracing::debug!("a WebSocket upgrade failed: {error}"),
                }
            });
            response.map(axum::body::Body::new).into_response()
        }
        Err(error) => {
            ApiError::BadRequest(format!("Cannot open a WebSocket here: {error}")).into_response()
        }
    }
}

/// The text of a text frame (the agent's sockets accept only valid UTF-8 in text frames).
pub fn text(frame: &Frame) -> &str {
    std::str::from_utf8(frame.payload()).unwrap_or_default()
}

/// The reason a close frame gives ("" when none, or not UTF-8).
pub fn close_reason(frame: &Frame) -> String {
    frame
        .close_reason()
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_owned()
}

/// A text frame of `value` as JSON.
pub fn json(value: &impl Serialize) -> Frame {
    Frame::text(serde_json::to_string(value).unwrap_or_default())
}

/// A close frame with `code` and `reason`.
pub fn close(code: u16, reason: &str) -> Frame {
    Frame::close(code.into(), reason)
}
