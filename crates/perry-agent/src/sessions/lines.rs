//! Splits what a workspace's perry-worker prints into lines, holding at most a fixed number of
//! bytes of one line.
//!
//! The worker runs inside the workspace, whose user is root there: whatever it prints is
//! untrusted. A line longer than the limit is dropped as it streams by, never held whole, and
//! reported with its first bytes (enough to tell whose reply it was). Every byte is looked at
//! once, so a long line costs time in proportion to its length, not its square.

/// How many leading bytes of a dropped line are kept to say what it was.
pub const HEAD_BYTES: usize = 64;

/// One piece of the worker's output.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// A whole line, without its newline.
    Line(Vec<u8>),
    /// A line longer than the limit, dropped: its first bytes and its length (without the
    /// newline).
    TooLong { head: Vec<u8>, bytes: u64 },
}

/// A line splitter over a stream of chunks.
#[derive(Debug)]
pub struct LineSplitter {
    max_line_bytes: usize,
    /// The start of the current line, while it fits.
    partial: Vec<u8>,
    /// Set while the rest of a too-long line streams by.
    dropping: Option<Dropped>,
}

#[derive(Debug)]
struct Dropped {
    head: Vec<u8>,
    bytes: u64,
}

impl LineSplitter {
    /// A splitter that drops lines longer than `max_line_bytes` (newline not counted).
    pub fn new(max_line_bytes: usize) -> LineSplitter {
        LineSplitter {
            max_line_bytes,
            partial: Vec::new(),
            dropping: None,
        }
    }

    /// Takes the next chunk of output and hands every line it completes to `piece`.
    pub fn push(&mut self, mut chunk: &[u8], mut piece: impl FnMut(Piece)) {
        while !chunk.is_empty() {
            let newline = chunk.iter().position(|byte| *byte == b'\n');
            let (part, rest) = match newline {
                Some(at) => (&chunk[..at], &chunk[at + 1..]),
                None => (chunk, &[][..]),
            };
            chunk = rest;
            if let Some(dropped) = &mut self.dropping {
                dropped.bytes += part.len() as u64;
            } else if self.partial.len() + part.len() <= self.max_line_bytes {
                self.partial.extend_from_slice(part);
            } else {
                self.start_dropping(part);
            }
            if newline.is_none() {
                return;
            }
            match self.dropping.take() {
                Some(Dropped { head, bytes }) => piece(Piece::TooLong { head, bytes }),
                None => piece(Piece::Line(std::mem::take(&mut self.partial))),
            }
        }
    }

    /// The current line went over the limit with `part`: keep its head, let go of the rest
    /// (and of the memory it took).
    fn start_dropping(&mut self, part: &[u8]) {
        let held = std::mem::take(&mut self.partial);
        let bytes = (held.len() + part.len()) as u64;
        let mut head: Vec<u8> = held.into_iter().take(HEAD_BYTES).collect();
        let missing = HEAD_BYTES - head.len();
        head.extend_from_slice(&part[..part.len().min(missing)]);
        self.dropping = Some(Dropped { head, bytes });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(max: usize, chunks: &[&[u8]]) -> Vec<Piece> {
        let mut splitter = LineSplitter::new(max);
        let mut pieces = Vec::new();
        for chunk in chunks {
            splitter.push(chunk, |piece| pieces.push(piece));
        }
        pieces
    }

    fn line(text: &str) -> Piece {
        Piece::Line(text.as_bytes().to_vec())
    }

    #[test]
    fn lines_across_chunks_come_out_whole_and_a_partial_last_line_waits() {
        assert_eq!(
            split(100, &[b"one\ntw", b"o\n", b"\nthree\nfou"]),
            [line("one"), line("two"), line(""), line("three")]
        );
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_kept() {
        assert_eq!(split(5, &[b"12345\n"]), [line("12345")]);
        assert_eq!(split(5, &[b"123", b"45\n"]), [line("12345")]);
    }

    #[test]
    fn a_longer_line_is_dropped_with_its_head_and_length_and_the_next_line_is_read() {
        let long = "x".repeat(10_000);
        let text = format!("{{\"type\":\"reply\",\"id\":7,{long}\nnext\n");
        let chunks: Vec<&[u8]> = text.as_bytes().chunks(333).collect();
        let pieces = split(1000, &chunks);
        let [Piece::TooLong { head, bytes }, next] = &pieces[..] else {
            panic!("{pieces:?}");
        };
        assert_eq!(*bytes, text.len() as u64 - "\nnext\n".len() as u64);
        assert_eq!(head.len(), HEAD_BYTES);
        assert!(head.starts_with(b"{\"type\":\"reply\",\"id\":7,"));
        assert_eq!(*next, line("next"));
    }

    #[test]
    fn a_dropped_line_holds_no_more_than_the_limit_while_it_streams() {
        let mut splitter = LineSplitter::new(1024);
        let chunk = [b'y'; 4096];
        for _ in 0..1000 {
            splitter.push(&chunk, |piece| panic!("no line ended: {piece:?}"));
            assert!(splitter.partial.capacity() <= 2048);
        }
        let mut pieces = Vec::new();
        splitter.push(b"\n", |piece| pieces.push(piece));
        assert!(
            matches!(
                &pieces[..],
                [Piece::TooLong {
                    bytes: 4_096_000,
                    ..
                }]
            ),
            "{pieces:?}"
        );
    }
}
