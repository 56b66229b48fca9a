//! What `/terminal` does for slow links, against a real workspace: permessage-deflate when the
//! client offers it (bytes counted on the socket), `ping` → `pong`, flow control for a client
//! that acks, and Ctrl-C far behind a flood skipping to the present. The same with a
//! real browser over a real slow link (netem) is web/e2e/slow-link.e2e.ts.

mod common;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use perry_api::procedures::WorkspacesCreate;
use perry_api::{TerminalControl, Workspace};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use yawc::{Frame, OpCode};

use common::TestAgent;

/// A TCP stream that counts the bytes read from it: what came over the wire.
struct Counted {
    stream: TcpStream,
    read: Arc<AtomicU64>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buffer.filled().len();
        let poll = Pin::new(&mut self.stream).poll_read(context, buffer);
        let read = (buffer.filled().len() - before) as u64;
        self.read.fetch_add(read, Ordering::Relaxed);
        poll
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(context, data)
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

/// Opens `path` as a browser does, offering permessage-deflate; returns the socket, the
/// extensions the agent agreed to (the response's header), and the count of bytes read.
async fn open_offering_deflate(
    agent: &TestAgent,
    path: &str,
) -> (yawc::WebSocket<Counted>, Option<String>, Arc<AtomicU64>) {
    let mut stream = TcpStream::connect(("127.0.0.1", agent.port()))
        .await
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Authorization: Bearer {}\r\n\r\n",
        agent.port(),
        agent.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Byte by byte up to the blank line, so no frame after the response is read here.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let extensions = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("sec-websocket-extensions")
            .then(|| value.trim().to_owned())
    });
    let read = Arc::new(AtomicU64::new(head.len() as u64));
    let counted = Counted {
        stream,
        read: read.clone(),
    };
    let socket = yawc::WebSocket::from_stream_with_extensions(
        counted,
        yawc::Role::Client,
        extensions.as_deref(),
        yawc::Options::default().with_low_latency_compression(),
    )
    .unwrap();
    (socket, extensions, read)
}

fn control(frame: &Frame) -> Option<TerminalControl> {
    (frame.opcode() == OpCode::Text)
        .then(|| serde_json::from_slice(frame.payload()).ok())
        .flatten()
}

fn text_frame(control: &TerminalControl) -> Frame {
    Frame::text(serde_json::to_string(control).unwrap())
}

async fn next_frame(socket: &mut yawc::WebSocket<Counted>) -> Frame {
    tokio::time::timeout(Duration::from_secs(30), socket.next())
        .await
        .expect("the agent keeps talking")
        .expect("the socket stays open")
}

/// The ack of `bytes` bytes of output.
fn ack(bytes: usize) -> Frame {
    text_frame(&TerminalControl::Ack {
        bytes: u32::try_from(bytes).unwrap(),
    })
}

/// Reads until the output holds `needle`, acking each frame of output as a browser does;
/// returns the output bytes read (decompressed).
async fn read_until(socket: &mut yawc::WebSocket<Counted>, needle: &str) -> u64 {
    let mut payload = 0u64;
    let mut tail = String::new();
    loop {
        let frame = next_frame(socket).await;
        if frame.opcode() == OpCode::Binary {
            socket.send(ack(frame.payload().len())).await.unwrap();
            payload += frame.payload().len() as u64;
            tail.push_str(&String::from_utf8_lossy(frame.payload()));
            if tail.contains(needle) {
                return payload;
            }
            let keep = tail.len().saturating_sub(needle.len());
            tail.drain(..tail.floor_char_boundary(keep));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_compresses_answers_pings_and_keeps_an_acking_client_within_its_window() {
    let agent = TestAgent::start("slowlink").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "far"})).await;
    let (mut socket, extensions, wire) = open_offering_deflate(&agent, "/terminal/far").await;
    assert_eq!(
        extensions.as_deref(),
        Some("permessage-deflate"),
        "the agent agrees to compress"
    );
    let hello = next_frame(&mut socket).await;
    assert!(
        matches!(control(&hello), Some(TerminalControl::Attached { .. })),
        "{:?}",
        hello.payload()
    );

    // This client acks all the output it gets, from the first byte: it gets flow control.
    socket.send(ack(0)).await.unwrap();

    // A ping is answered with its own id.
    socket
        .send(text_frame(&TerminalControl::Ping { id: 7 }))
        .await
        .unwrap();
    loop {
        let frame = next_frame(&mut socket).await;
        if frame.opcode() == OpCode::Binary {
            socket.send(ack(frame.payload().len())).await.unwrap();
        }
        if let Some(TerminalControl::Pong { id }) = control(&frame) {
            assert_eq!(id, 7);
            break;
        }
    }

    // Terminal text compresses: count what the wire carried for 1.3 MB of output.
    socket
        .send(Frame::binary(
            &b"seq 1 200000; echo seq-$((6*7))-done\n"[..],
        ))
        .await
        .unwrap();
    let wire_before = wire.load(Ordering::Relaxed);
    let payload = read_until(&mut socket, "seq-42-done").await;
    let on_wire = wire.load(Ordering::Relaxed) - wire_before;
    println!(
        "compressed: {payload} bytes of output took {on_wire} bytes on the wire ({:.1} %)",
        on_wire as f64 * 100.0 / payload as f64
    );
    assert!(payload > 1_200_000, "all of seq's output came: {payload}");
    assert!(
        on_wire * 100 < payload * 35,
        "{on_wire} bytes on the wire for {payload} bytes of output"
    );

    // The agent keeps at most a window of unacknowledged output in flight: a client that stops
    // acking stops getting output, and gets it again when it acks.
    socket
        .send(Frame::binary(
            &b"yes flowing-output | head -c 4000000; echo; echo flow-$((6*7))-done\n"[..],
        ))
        .await
        .unwrap();
    let mut unacked = 0u64;
    let stall_until = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Some(frame)) = tokio::time::timeout_at(stall_until, socket.next()).await {
        if frame.opcode() == OpCode::Binary {
            unacked += frame.payload().len() as u64;
        }
    }
    println!("without acks the agent sent {unacked} bytes and stopped");
    assert!(
        (64 * 1024..=(256 + 64) * 1024).contains(&unacked),
        "a window of output, then nothing until acked: {unacked} bytes"
    );
    socket
        .send(ack(usize::try_from(unacked).unwrap()))
        .await
        .unwrap();
    let mut tail = String::new();
    let mut after = 0u64;
    loop {
        let frame = next_frame(&mut socket).await;
        if frame.opcode() == OpCode::Binary {
            after += frame.payload().len() as u64;
            socket.send(ack(frame.payload().len())).await.unwrap();
            tail.push_str(&String::from_utf8_lossy(frame.payload()));
            if tail.contains("flow-42-done") {
                break;
            }
            let keep = tail.len().saturating_sub(64);
            tail.drain(..tail.floor_char_boundary(keep));
        }
    }
    assert!(
        unacked + after >= 4_000_000,
        "all the output came once acked: {}",
        unacked + after
    );
}

type PlainSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What typing during a flood did: the bytes the agent said it skipped before the marker came,
/// and the output bytes that came after its (last) notice.
struct Typed {
    skipped: u64,
    after_notice: u64,
}

/// Runs `flood`, reads nothing for a second (the flood fills the terminal's ring, 1 MiB, and
/// waits on this client: the pump's patience is longer, so nothing is overwritten yet), types
/// `keys` and then `after`, and reads until `marker`.
async fn skipped_when_typing(
    socket: &mut PlainSocket,
    flood: &str,
    keys: &[u8],
    after: &str,
    marker: &str,
) -> Typed {
    let send = |bytes: &[u8]| Message::Binary(bytes.to_vec().into());
    socket.send(send(flood.as_bytes())).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    socket.send(send(keys)).await.unwrap();
    socket.send(send(after.as_bytes())).await.unwrap();
    let mut skipped = 0u64;
    let mut after_notice = 0u64;
    let mut tail = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("the prompt comes back")
            .expect("the socket stays open")
            .unwrap();
        match message {
            Message::Text(text) => {
                if let Ok(TerminalControl::Dropped { bytes }) = serde_json::from_str(&text) {
                    skipped += u64::from(bytes);
                    after_notice = 0;
                }
            }
            Message::Binary(bytes) => {
                after_notice += bytes.len() as u64;
                tail.push_str(&String::from_utf8_lossy(&bytes));
                if tail.contains(marker) {
                    return Typed {
                        skipped,
                        after_notice,
                    };
                }
                let keep = tail.len().saturating_sub(marker.len());
                tail.drain(..tail.floor_char_boundary(keep));
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_far_behind_a_flood_skips_to_the_present_other_keys_and_full_screen_programs_do_not()
{
    let agent = TestAgent::start("slowskip").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "flood"})).await;
    let url = format!(
        "{}/terminal/flood?token={}",
        agent.url.replace("http://", "ws://"),
        agent.token
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();

    let interrupted = skipped_when_typing(
        &mut socket,
        "yes 0123456789abcdef\n",
        b"\x03",
        "echo MARK-$((6*7))\n",
        "MARK-42",
    )
    .await;
    println!(
        "Ctrl-C during the flood skipped {} bytes of backlog; {} bytes came after the notice",
        interrupted.skipped, interrupted.after_notice
    );
    assert!(
        interrupted.skipped >= 64 * 1024,
        "the backlog behind Ctrl-C was skipped: {} bytes",
        interrupted.skipped
    );
    // What the flood had written before it died, still draining from the pty and the engine's
    // stream, was dropped too: after the notice come the flood's last lines and the prompt.
    assert!(
        interrupted.after_notice < 32 * 1024,
        "{} bytes of the flood came after the notice",
        interrupted.after_notice
    );

    // A key that is not an interrupt (typed ahead: a space before the next command) skips
    // nothing: all of a flood that ends by itself arrives.
    let plain = skipped_when_typing(
        &mut socket,
        "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo PLAIN-$((6*7))\n",
        b" ",
        "echo typed-ahead\n",
        "PLAIN-42",
    )
    .await;
    assert_eq!(
        plain.skipped, 0,
        "a space typed during a flood skips nothing"
    );

    // In the alternate screen (vim, less) a cut would stay on the screen: Ctrl-C skips nothing.
    let full_screen = skipped_when_typing(
        &mut socket,
        "printf '\\033[?1049h'; yes full-screen\n",
        b"\x03",
        "printf '\\033[?1049l'; echo ALT-$((6*7))\n",
        "ALT-42",
    )
    .await;
    assert_eq!(
        full_screen.skipped, 0,
        "Ctrl-C in the alternate screen skips nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn compression_can_be_turned_off_in_config() {
    let mut extra = serde_json::Map::new();
    extra.insert("terminalCompression".into(), json!(false));
    let agent = TestAgent::start_with(
        "nodeflate",
        common::TestAgentConfig {
            extra,
            ..Default::default()
        },
    )
    .await;
    let (mut socket, extensions, _) = open_offering_deflate(&agent, "/events").await;
    assert_eq!(extensions, None, "the agent does not agree to compress");
    let snapshot = next_frame(&mut socket).await;
    assert_eq!(snapshot.opcode(), OpCode::Text);
    assert!(
        String::from_utf8_lossy(snapshot.payload()).contains("snapshot"),
        "{:?}",
        snapshot.payload()
    );
}
