//! Incremental reading of JSONL session files (Claude Code, Codex): one record per line, only
//! ever appended to by the tool.
//!
//! A [`JsonlFile`] remembers the byte offset after its last complete line, so an update reads
//! only what was appended since. A line without its newline yet is an agent mid-write: it is left
//! for the next update. A file that shrank or whose inode changed was replaced and is read again
//! from the start. Messages are not kept: each one is a byte [`Span`] of its lines, so a page of
//! messages reads exactly its own lines from disk.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use perry_api::sessions::Message;

/// A line longer than this is skipped (and counted as corrupt) without being held in memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// Where a title came from; a higher kind wins, and the latest of the same kind wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TitleKind {
    /// A summary the tool wrote of the conversation (Claude Code `summary` records).
    Summary,
    /// A title the tool generated (Claude Code `ai-title`).
    Generated,
    /// A title the user gave (Claude Code `/rename`).
    Custom,
}

/// What one complete line of a session file contributes.
#[derive(Debug, Default)]
pub struct Record {
    /// The session's own id, when the line names it (Codex `session_meta`).
    pub session_id: Option<String>,
    pub project_path: Option<String>,
    /// The time of a message line, in milliseconds since the epoch.
    pub timestamp_millis: Option<i64>,
    pub title: Option<(TitleKind, String)>,
    pub piece: Option<Piece>,
    /// What the line says the session is doing (a turn started, ended, failed), for sessions
    /// whose coding agent has no hook reporting.
    pub turn: Option<Turn>,
}

/// A session's state as its transcript tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub state: perry_api::sessions::SessionState,
    pub detail: Option<String>,
}

/// A message, or a part of one, read from one line.
#[derive(Debug)]
pub struct Piece {
    pub message: Message,
    /// Consecutive pieces with the same group are one message (Claude Code writes each content
    /// block of an assistant reply as its own line with the same `message.id`).
    pub group: Option<String>,
    /// The text this piece offers as a fallback title (a user's own prompt, not a command).
    pub title_text: Option<String>,
}

/// A line that is not JSON (cut by a crash, or garbage): skipped and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJson;

/// How a line parses: a record (empty for unknown types), or not JSON at all.
pub type ParsedLine = Result<Record, NotJson>;

/// A JSONL format: turns one line (without its newline) at a byte offset into a record.
pub type LineParser = fn(line: &[u8], offset: u64) -> ParsedLine;

/// The bytes of one message's lines in its file: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: u64,
}

/// Everything the index keeps about one JSONL session file between updates.
#[derive(Debug, Default)]
pub struct JsonlFile {
    /// Device and inode of the file last read, to notice a replaced file.
    identity: Option<(u64, u64)>,
    /// Byte offset just after the last complete line.
    pub offset: u64,
    pub spans: Vec<Span>,
    last_group: Option<String>,
    pub corrupt_lines: u64,
    pub session_id: Option<String>,
    pub project_path: Option<String>,
    pub title: Option<(TitleKind, String)>,
    pub first_user_text: Option<String>,
    pub last_activity_millis: Option<i64>,
    /// The state the last line that told one says, and that line's time.
    pub turn: Option<(Turn, Option<i64>)>,
    /// Modification time of the file, for sessions whose lines carry no time.
    pub modified_millis: Option<i64>,
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// Bytes read from the file by this update.
    pub bytes_read: u64,
    /// The file had been replaced or truncated and was read again from the start.
    pub restarted: bool,
}

impl JsonlFile {
    /// Reads the lines appended to `path` since the last update. Fails when the file cannot be
    /// opened (e.g. it was removed).
    pub fn update(&mut self, path: &Path, parse: LineParser) -> io::Result<UpdateOutcome> {
        let mut file = File::open(path)?;
        let metadata = file.metadata()?;
        let identity = Some((metadata.dev(), metadata.ino()));
        let length = metadata.len();
        let restarted =
            self.identity.is_some_and(|known| Some(known) != identity) || length < self.offset;
        if restarted {
            *self = JsonlFile::default();
        }
        self.identity = identity;
        self.modified_millis = crate::time::modified_millis(&metadata);
        if length == self.offset {
            return Ok(UpdateOutcome {
                bytes_read: 0,
                restarted,
            });
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut counted = CountingReader {
            inner: file.take(length - self.offset),
            count: 0,
        };
        let mut lines = LineReader::new(&mut counted, self.offset);
        while let Some(line) = lines.next_line()? {
            match line {
                Line::Oversized => self.corrupt_lines += 1,
                Line::Complete { start, end, bytes } => {
                    self.absorb(start, end, &bytes, parse);
                }
            }
            self.offset = lines.position;
        }
        Ok(UpdateOutcome {
            bytes_read: counted.count,
            restarted,
        })
    }

    fn absorb(&mut self, start: u64, end: u64, bytes: &[u8], parse: LineParser) {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let Ok(record) = parse(bytes, start) else {
            self.corrupt_lines += 1;
            return;
        };
        if let Some(id) = record.session_id {
            self.session_id = Some(id);
        }
        if let Some(path) = record.project_path {
            self.project_path = Some(path);
        }
        if let Some(title) = record.title
            && self.title.as_ref().is_none_or(|(kind, _)| title.0 >= *kind)
        {
            self.title = Some(title);
        }
        if let Some(turn) = record.turn {
            self.turn = Some((turn, record.timestamp_millis));
        }
        let Some(piece) = record.piece else {
            return;
        };
        if let Some(millis) = record.timestamp_millis {
            self.last_activity_millis =
                Some(self.last_activity_millis.map_or(millis, |m| m.max(millis)));
        }
        if self.first_user_text.is_none() {
            self.first_user_text = piece.title_text;
        }
        let joins_last = piece.group.is_some() && piece.group == self.last_group;
        match self.spans.last_mut() {
            Some(last) if joins_last => last.end = end,
            _ => self.spans.push(Span { start, end }),
        }
        self.last_group = piece.group;
    }
}

/// Reads the messages of `spans` (consecutive spans of one file) with one sequential read of
/// their bytes. Returns the messages and the bytes read.
pub fn read_messages(
    path: &Path,
    spans: &[Span],
    parse: LineParser,
) -> io::Result<(Vec<Message>, u64)> {
    let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
        return Ok((Vec::new(), 0));
    };
    let mut messages: Vec<Message> = Vec::with_capacity(spans.len());
    let bytes_read = for_each_piece(path, first.start, last.end, parse, |piece, joins_last| {
        match messages.last_mut() {
            Some(previous) if joins_last => merge(previous, piece.message),
            _ => messages.push(piece.message),
        }
        true
    })?;
    Ok((messages, bytes_read))
}

/// Calls `visit` with every message piece between `start` and `end`, and whether it continues
/// the previous piece's message; stops early when `visit` returns false. Returns bytes read.
pub fn for_each_piece(
    path: &Path,
    start: u64,
    end: u64,
    parse: LineParser,
    mut visit: impl FnMut(Piece, bool) -> bool,
) -> io::Result<u64> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut counted = CountingReader {
        inner: file.take(end.saturating_sub(start)),
        count: 0,
    };
    let mut lines = LineReader::new(&mut counted, start);
    let mut last_group: Option<String> = None;
    while let Some(line) = lines.next_line()? {
        let Line::Complete { start, bytes, .. } = line else {
            continue;
        };
        let Ok(Record {
            piece: Some(piece), ..
        }) = parse(&bytes, start)
        else {
            continue;
        };
        let joins_last = piece.group.is_some() && piece.group == last_group;
        last_group.clone_from(&piece.group);
        if !visit(piece, joins_last) {
            break;
        }
    }
    Ok(counted.count)
}

/// Folds a continuation piece into the message it continues.
pub fn merge(message: &mut Message, continuation: Message) {
    if !continuation.text.is_empty() {
        if !message.text.is_empty() {
            message.text.push_str("\n\n");
        }
        message.text.push_str(&continuation.text);
    }
    message.tool_calls.extend(continuation.tool_calls);
}

enum Line {
    Complete {
        start: u64,
        end: u64,
        bytes: Vec<u8>,
    },
    Oversized,
}

/// Splits a reader into newline-terminated lines, tracking absolute byte positions, and never
/// holding more than [`MAX_LINE_BYTES`] of one line. A last line without a newline is not
/// returned: its bytes belong to the next update.
struct LineReader<'a, R: Read> {
    reader: BufReader<&'a mut R>,
    /// Absolute position just after the last line returned.
    position: u64,
}

impl<'a, R: Read> LineReader<'a, R> {
    fn new(reader: &'a mut R, position: u64) -> Self {
        LineReader {
            reader: BufReader::with_capacity(READ_BUFFER_BYTES, reader),
            position,
        }
    }

    fn next_line(&mut self) -> io::Result<Option<Line>> {
        let start = self.position;
        let mut bytes = Vec::new();
        let mut length: u64 = 0;
        let mut oversized = false;
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                // End of what there is: an unterminated line waits for its newline.
                return Ok(None);
            }
            let newline = available.iter().position(|&b| b == b'\n');
            let take = newline.map_or(available.len(), |at| at + 1);
            if !oversized {
                if bytes.len() + take > MAX_LINE_BYTES {
                    oversized = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(&available[..take]);
                }
            }
            self.reader.consume(take);
            length += take as u64;
            if newline.is_some() {
                self.position = start + length;
                if oversized {
                    return Ok(Some(Line::Oversized));
                }
                bytes.pop();
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
                return Ok(Some(Line::Complete {
                    start,
                    end: self.position,
                    bytes,
                }));
            }
        }
    }
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.count += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perry_api::sessions::MessageRole;
    use std::io::Write;

    /// A toy format: `{"text": "...", "group": "..."}` is a message, anything else JSON is
    /// ignored.
    fn toy(line: &[u8], offset: u64) -> ParsedLine {
        let value: serde_json::Value = serde_json::from_slice(line).map_err(|_| NotJson)?;
        let Some(text) = value.get("text").and_then(|t| t.as_str()) else {
            return Ok(Record::default());
        };
        Ok(Record {
            piece: Some(Piece {
                message: Message {
                    id: format!("b{offset}"),
                    role: MessageRole::User,
                    text: text.to_owned(),
                    tool_calls: Vec::new(),
                    timestamp: String::new(),
                },
                group: value
                    .get("group")
                    .and_then(|g| g.as_str())
                    .map(str::to_owned),
                title_text: Some(text.to_owned()),
            }),
            ..Record::default()
        })
    }

    fn append(path: &Path, text: &str) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn a_line_without_its_newline_waits_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        append(&path, "{\"text\":\"one\"}\n{\"text\":\"tw");
        let mut file = JsonlFile::default();
        file.update(&path, toy).unwrap();
        assert_eq!(file.spans.len(), 1);
        assert_eq!(file.corrupt_lines, 0);
        append(&path, "o\"}\n");
        file.update(&path, toy).unwrap();
        assert_eq!(file.spans.len(), 2);
        assert_eq!(file.corrupt_lines, 0);
    }

    #[test]
    fn an_appended_line_is_the_only_thing_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        append(&path, &"{\"text\":\"filler\"}\n".repeat(1000));
        let mut file = JsonlFile::default();
        let first = file.update(&path, toy).unwrap();
        assert_eq!(first.bytes_read, std::fs::metadata(&path).unwrap().len());
        let line = "{\"text\":\"new\"}\n";
        append(&path, line);
        let second = file.update(&path, toy).unwrap();
        assert_eq!(second.bytes_read, line.len() as u64);
        assert_eq!(file.spans.len(), 1001);
    }

    #[test]
    fn a_truncated_file_is_read_again_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        append(
            &path,
            "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\":\"c\"}\n",
        );
        let mut file = JsonlFile::default();
        file.update(&path, toy).unwrap();
        assert_eq!(file.spans.len(), 3);
        std::fs::write(&path, "{\"text\":\"z\"}\n").unwrap();
        let outcome = file.update(&path, toy).unwrap();
        assert!(outcome.restarted);
        assert_eq!(file.spans.len(), 1);
        assert_eq!(file.first_user_text.as_deref(), Some("z"));
    }

    #[test]
    fn a_replaced_file_of_the_same_size_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        append(&path, "{\"text\":\"a\"}\n");
        let mut file = JsonlFile::default();
        file.update(&path, toy).unwrap();
        let replacement = dir.path().join("new.jsonl");
        append(&replacement, "{\"text\":\"b\"}\n{\"text\":\"c\"}\n");
        std::fs::rename(&replacement, &path).unwrap();
        let outcome = file.update(&path, toy).unwrap();
        assert!(outcome.restarted);
        assert_eq!(file.spans.len(), 2);
        assert_eq!(file.first_user_text.as_deref(), Some("b"));
    }

    #[test]
    fn corrupt_and_oversized_lines_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let huge = format!("{{\"text\":\"{}\"}}\n", "x".repeat(MAX_LINE_BYTES));
        append(&path, "not json\n{\"text\":\"ok\"}\n\n");
        append(&path, &huge);
        append(&path, "{\"text\":\"after\"}\n");
        let mut file = JsonlFile::default();
        file.update(&path, toy).unwrap();
        assert_eq!(file.corrupt_lines, 2);
        assert_eq!(file.spans.len(), 2);
    }

    #[test]
    fn pieces_of_one_group_are_one_message_in_the_index_and_in_a_page() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        append(
            &path,
            "{\"text\":\"q\"}\n{\"text\":\"a1\",\"group\":\"m1\"}\n{\"other\":1}\n{\"text\":\"a2\",\"group\":\"m1\"}\n{\"text\":\"b\",\"group\":\"m2\"}\n",
        );
        let mut file = JsonlFile::default();
        file.update(&path, toy).unwrap();
        assert_eq!(file.spans.len(), 3);
        let (messages, _) = read_messages(&path, &file.spans[1..], toy).unwrap();
        let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["a1\n\na2", "b"]);
        // A group continued by a later append extends the last span instead of adding one.
        append(&path, "{\"text\":\"b2\",\"group\":\"m2\"}\n");
        file.update(&path, toy).unwrap();
        assert_eq!(file.spans.len(), 3);
        let (messages, _) = read_messages(&path, &file.spans[2..], toy).unwrap();
        assert_eq!(messages[0].text, "b\n\nb2");
    }
}
