//! OpenCode's SQLite store: `~/.local/share/opencode/opencode.db` (OpenCode 1.2 and later).
//!
//! # The schema
//! Verified against OpenCode 1.18.33, the version in the workspace image: with no network, a
//! stand-in model server on 127.0.0.1 (an OpenAI-compatible provider in `opencode.json`) answered
//! `opencode run` with a text, a `read` call and a `task` call (a sub-agent), and the database
//! OpenCode wrote was read with Python's `sqlite3` (`tests/fixtures/opencode-db/` holds its dump and
//! how it was made). `opencode db path` prints the path; it follows `XDG_DATA_HOME`
//! (`$XDG_DATA_HOME/opencode/opencode.db`), which the worker does not, as for the JSON storage.
//! The tables read, as OpenCode's drizzle schema (`packages/opencode/src/session/session.sql.ts`)
//! and its first migration (`20260127222353_familiar_lady_ursula`, the 1.2 schema, found in the
//! 1.18.33 binary) create them:
//! - `session (id, project_id, parent_id, slug, directory, title, version, …, time_created,
//!   time_updated, time_compacting, time_archived)`: a sub-agent's session has a `parent_id`
//!   (its title is `<description> (@<agent> subagent)`) and is not listed. The title is
//!   `New session - <ISO time>` until OpenCode generates one.
//! - `message (id, session_id, time_created, time_updated, data)`: `data` is the JSON the storage
//!   files held less `id` and `sessionID`: `{role, time: {created, completed?}, …}`.
//! - `part (id, message_id, session_id, time_created, time_updated, data)`: `data` is the part less
//!   `id`, `sessionID` and `messageID`: `{type: "text", text, synthetic?}`, `{type: "tool", tool,
//!   callID, state: {status, input, output?, …}}`, `step-start`, `step-finish`, …
//!
//! Times are integers, epoch milliseconds. Ids are time-ordered as in the files. Messages are in
//! order by `(time_created, id)` (OpenCode's own index), parts by `id`. OpenCode opens the database
//! in WAL mode: while it runs, commits land in `opencode.db-wal` and reach `opencode.db` at
//! checkpoints, so the watcher follows both. 1.18.33 also has a `session_message` table (a newer
//! message format); it stayed empty in the runs made, so it is not read. `tests/opencode_db.rs`
//! loads that real database, and builds others with its `CREATE TABLE` statements.
//!
//! # How it is read
//! - Read-only, opened for each refresh or request and closed after: the worker holds nothing open
//!   while idle and writes nothing but a session a person deletes ([`delete_session`]). A
//!   [`Store`] is one read transaction, so its queries agree with each other; in WAL mode a reader
//!   never blocks OpenCode's writer, and the transaction lasts milliseconds, so checkpoints are
//!   not held back either.
//! - A lock held past [`BUSY_TIMEOUT`] (recovery after a crash, a truncating checkpoint) is
//!   [`StoreError::Busy`]: the index keeps what it had and reads again at the next change.
//! - The tables and columns read are checked first; a database without them (an OpenCode older or
//!   newer than known) is [`StoreError::Unsupported`], with the reason for the log.
//! - A session is listed once it has a message. Until OpenCode titles it, its title is its first
//!   prompt, whose text part OpenCode writes a second or two after the message row: meanwhile it
//!   is listed untitled.
//! - Run as root, SQLite chowns the WAL to the database's owner each time it opens it, even to
//!   read: the watcher ignores such metadata-only changes, or each read would wake it again.

use std::cell::Cell;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use perry_api::sessions::Message;
use rusqlite::{Connection, ErrorCode, OpenFlags, Row, TransactionBehavior, params};
use serde_json::Value;

use crate::opencode::{self, MessageBody};

/// The database's name in OpenCode's data directory (`opencode-<channel>.db` for builds of other
/// channels than `latest` and `beta`, and `OPENCODE_DB` overrides it: neither is followed).
pub const FILE_NAME: &str = "opencode.db";

/// How long a query waits for a lock before the read is given up until the next change.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(250);

/// The columns read, per table.
const REQUIRED_COLUMNS: [(&str, &[&str]); 3] = [
    (
        "session",
        &[
            "id",
            "parent_id",
            "title",
            "directory",
            "time_created",
            "time_updated",
        ],
    ),
    ("message", &["id", "session_id", "time_created", "data"]),
    ("part", &["id", "message_id", "data"]),
];

/// Why the database could not be read.
#[derive(Debug)]
pub enum StoreError {
    /// A table or column read here is missing: the reason, for the log.
    Unsupported(String),
    /// OpenCode held a lock longer than [`BUSY_TIMEOUT`].
    Busy,
    /// Anything else SQLite reported (an unreadable or corrupt file).
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            _ => StoreError::Sqlite(error),
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unsupported(reason) => {
                write!(
                    formatter,
                    "{reason} (an OpenCode version this worker does not know)"
                )
            }
            StoreError::Busy => write!(
                formatter,
                "OpenCode held a lock for more than {} ms; reading again at the next change",
                BUSY_TIMEOUT.as_millis()
            ),
            StoreError::Sqlite(error) => write!(formatter, "{error}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// A session that is not a sub-agent's, as its row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub title: String,
    pub directory: String,
    pub created_millis: Option<i64>,
    pub updated_millis: Option<i64>,
}

/// How many messages a session has, and when the newest was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageStats {
    pub count: u32,
    pub last_created_millis: Option<i64>,
}

/// The database opened for reading: one read transaction, ended when dropped.
pub struct Store {
    connection: Connection,
    bytes_read: Cell<u64>,
}

impl Store {
    /// Opens the database at `path` read-only. `Ok(None)` when there is none yet (no file, or a
    /// file OpenCode has not created any table in).
    pub fn open(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.is_file() {
            return Ok(None);
        }
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.execute_batch("BEGIN")?;
        let tables: i64 = connection.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |row| row.get(0),
        )?;
        if tables == 0 {
            return Ok(None);
        }
        check_schema(&connection)?;
        Ok(Some(Store {
            connection,
            bytes_read: Cell::new(0),
        }))
    }

    /// Bytes of message and part JSON read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.get()
    }

    /// Every session but sub-agents' (those with a parent).
    pub fn sessions(&self) -> Result<Vec<SessionRow>, StoreError> {
        // Filtered here rather than in SQL: `parent_id IS NULL` makes SQLite walk the parent index
        // and look every row up, several times slower than reading the small table through.
        let mut statement = self.connection.prepare(
            "SELECT id, parent_id, title, directory, time_created, time_updated FROM session",
        )?;
        let rows = statement.query_map([], |row| {
            let parent = text_at(row, 1).filter(|parent| !parent.is_empty());
            Ok(parent.is_none().then(|| SessionRow {
                id: text_at(row, 0).unwrap_or_default(),
                title: text_at(row, 2).unwrap_or_default(),
                directory: text_at(row, 3).unwrap_or_default(),
                created_millis: integer_at(row, 4),
                updated_millis: integer_at(row, 5),
            }))
        })?;
        let mut sessions = Vec::new();
        for row in rows {
            if let Some(session) = row?.filter(|session| !session.id.is_empty()) {
                sessions.push(session);
            }
        }
        Ok(sessions)
    }

    /// The highest rowid of `message` (0 when it is empty): rows added later have higher ones.
    pub fn newest_message_rowid(&self) -> Result<i64, StoreError> {
        let newest: Option<i64> =
            self.connection
                .query_row("SELECT max(rowid) FROM message", [], |row| row.get(0))?;
        Ok(newest.unwrap_or(0))
    }

    /// The sessions that gained a message since `rowid` was the newest.
    pub fn sessions_with_messages_after(&self, rowid: i64) -> Result<HashSet<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT DISTINCT session_id FROM message WHERE rowid > ?1")?;
        let ids = statement.query_map([rowid], |row| Ok(text_at(row, 0)))?;
        let mut sessions = HashSet::new();
        for id in ids {
            sessions.extend(id?);
        }
        Ok(sessions)
    }

    /// How many messages a session has (read from OpenCode's index, not the rows).
    pub fn message_stats(&self, session_id: &str) -> Result<MessageStats, StoreError> {
        let stats = self.connection.query_row(
            "SELECT count(*), max(time_created) FROM message WHERE session_id = ?1",
            [session_id],
            |row| {
                Ok(MessageStats {
                    count: u32::try_from(integer_at(row, 0).unwrap_or(0)).unwrap_or(u32::MAX),
                    last_created_millis: integer_at(row, 1),
                })
            },
        )?;
        Ok(stats)
    }

    /// The text of the first user message that has any, for a session without a title yet.
    pub fn first_user_text(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        let mut messages = self.connection.prepare(
            "SELECT id, data FROM message WHERE session_id = ?1 ORDER BY time_created, id",
        )?;
        let mut parts = self.parts_statement()?;
        let mut rows = messages.query([session_id])?;
        while let Some(row) = rows.next()? {
            let info = self.json_at(row, 1);
            if info.get("role").and_then(Value::as_str) != Some("user") {
                continue;
            }
            let body = self.body(&mut parts, &text_at(row, 0).unwrap_or_default())?;
            if !body.text.trim().is_empty() {
                return Ok(Some(body.text));
            }
        }
        Ok(None)
    }

    /// Messages `range` (indices in conversation order) of a session.
    pub fn messages(
        &self,
        session_id: &str,
        range: std::ops::Range<usize>,
    ) -> Result<Vec<Message>, StoreError> {
        let mut statement = self.connection.prepare(
            "SELECT id, data FROM message WHERE session_id = ?1 \
             ORDER BY time_created, id LIMIT ?2 OFFSET ?3",
        )?;
        let limit = i64::try_from(range.len()).unwrap_or(i64::MAX);
        let offset = i64::try_from(range.start).unwrap_or(i64::MAX);
        let rows = statement.query_map(params![session_id, limit, offset], |row| {
            Ok((text_at(row, 0).unwrap_or_default(), self.json_at(row, 1)))
        })?;
        let mut parts = self.parts_statement()?;
        let mut messages = Vec::with_capacity(range.len());
        for row in rows {
            let (id, info) = row?;
            let body = self.body(&mut parts, &id)?;
            messages.push(opencode::message(id, &info, body));
        }
        Ok(messages)
    }

    fn parts_statement(&self) -> Result<rusqlite::Statement<'_>, StoreError> {
        Ok(self
            .connection
            .prepare("SELECT data FROM part WHERE message_id = ?1 ORDER BY id")?)
    }

    fn body(
        &self,
        parts: &mut rusqlite::Statement<'_>,
        message_id: &str,
    ) -> Result<MessageBody, StoreError> {
        let mut body = MessageBody::default();
        let mut rows = parts.query([message_id])?;
        while let Some(row) = rows.next()? {
            body.add_part(&self.json_at(row, 0));
        }
        Ok(body)
    }

    /// The JSON text in column `index`, parsed; `Null` when it is not JSON.
    fn json_at(&self, row: &Row<'_>, index: usize) -> Value {
        let Some(text) = text_at(row, index) else {
            return Value::Null;
        };
        self.bytes_read
            .set(self.bytes_read.get() + text.len() as u64);
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

/// How long a delete waits for OpenCode to finish a write: longer than a read, as a person is
/// waiting for it and it cannot be done again at the next change.
pub const DELETE_BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Deletes a session from the database at `path` as OpenCode's own `Session.remove` does, in one
/// transaction: its sub-agents' sessions (by `parent_id`, at any depth) with it, and for each its
/// parts, messages and session row; with foreign keys on, as OpenCode runs, that also takes the
/// rows of its other tables keyed by session (todo, share, inputs …). Its event log
/// (`event_sequence` and `event`, whose aggregate is the session id) goes too, where the
/// database has one, as it holds a copy of every message. False when there is no such session.
///
/// The only write the worker ever makes to OpenCode's files. Run as root, SQLite gives a WAL or
/// journal it creates the database's owner.
pub fn delete_session(path: &Path, session_id: &str) -> Result<bool, StoreError> {
    if !path.is_file() {
        return Ok(false);
    }
    let mut connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(DELETE_BUSY_TIMEOUT)?;
    // Off by default in SQLite, on in OpenCode: only outside a transaction does it take effect.
    connection.pragma_update(None, "foreign_keys", true)?;
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_schema(&transaction)?;
    let doomed: Vec<String> = {
        let mut statement = transaction.prepare(
            "WITH RECURSIVE doomed(id, depth) AS ( \
               SELECT id, 0 FROM session WHERE id = ?1 \
               UNION SELECT session.id, doomed.depth + 1 FROM session \
                 JOIN doomed ON session.parent_id = doomed.id WHERE doomed.depth < 64 \
             ) SELECT DISTINCT id FROM doomed",
        )?;
        let ids = statement.query_map([session_id], |row| row.get::<_, String>(0))?;
        ids.collect::<Result<_, _>>()?
    };
    if doomed.is_empty() {
        return Ok(false);
    }
    let event_log = has_columns(&transaction, "event_sequence", &["aggregate_id"])?;
    let events = has_columns(&transaction, "event", &["aggregate_id"])?;
    for id in &doomed {
        // Explicit rather than left to the foreign keys, which a database may lack.
        transaction.execute(
            "DELETE FROM part WHERE message_id IN (SELECT id FROM message WHERE session_id = ?1)",
            [id],
        )?;
        transaction.execute("DELETE FROM message WHERE session_id = ?1", [id])?;
        if events {
            transaction.execute("DELETE FROM event WHERE aggregate_id = ?1", [id])?;
        }
        if event_log {
            transaction.execute("DELETE FROM event_sequence WHERE aggregate_id = ?1", [id])?;
        }
        transaction.execute("DELETE FROM session WHERE id = ?1", [id])?;
    }
    transaction.commit()?;
    Ok(true)
}

/// Whether `table` exists with every one of `columns`.
fn has_columns(connection: &Connection, table: &str, columns: &[&str]) -> Result<bool, StoreError> {
    let mut statement = connection.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let present = statement
        .query_map([table], |row| row.get::<_, String>(0))?
        .collect::<Result<HashSet<String>, _>>()?;
    Ok(columns.iter().all(|column| present.contains(*column)))
}

/// Fails with the reason when a table or column read here is missing.
fn check_schema(connection: &Connection) -> Result<(), StoreError> {
    let mut statement = connection.prepare("SELECT name FROM pragma_table_info(?1)")?;
    for (table, columns) in REQUIRED_COLUMNS {
        let present = statement
            .query_map([table], |row| row.get::<_, String>(0))?
            .collect::<Result<HashSet<String>, _>>()?;
        if present.is_empty() {
            return Err(StoreError::Unsupported(format!(
                "it has no `{table}` table"
            )));
        }
        let missing: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|column| !present.contains(*column))
            .collect();
        if !missing.is_empty() {
            return Err(StoreError::Unsupported(format!(
                "its `{table}` table has no `{}` column",
                missing.join("`, `")
            )));
        }
    }
    Ok(())
}

/// Text in a column; `None` for NULL or a value of another type.
fn text_at(row: &Row<'_>, index: usize) -> Option<String> {
    row.get::<_, Option<String>>(index).ok().flatten()
}

/// An integer in a column; `None` for NULL or a value of another type.
fn integer_at(row: &Row<'_>, index: usize) -> Option<i64> {
    row.get::<_, Option<i64>>(index).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three tables as OpenCode 1.18.33 creates them (see the module doc).
    const SCHEMA: &str = "
        CREATE TABLE `session` (
          `id` text PRIMARY KEY,
          `project_id` text NOT NULL,
          `parent_id` text,
          `slug` text NOT NULL,
          `directory` text NOT NULL,
          `title` text NOT NULL,
          `version` text NOT NULL,
          `time_created` integer NOT NULL,
          `time_updated` integer NOT NULL
        );
        CREATE TABLE `message` (
          `id` text PRIMARY KEY,
          `session_id` text NOT NULL,
          `time_created` integer NOT NULL,
          `time_updated` integer NOT NULL,
          `data` text NOT NULL
        );
        CREATE TABLE `part` (
          `id` text PRIMARY KEY,
          `message_id` text NOT NULL,
          `session_id` text NOT NULL,
          `time_created` integer NOT NULL,
          `time_updated` integer NOT NULL,
          `data` text NOT NULL
        );";

    fn database(schema: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("opencode.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(schema)
            .unwrap();
        (dir, path)
    }

    #[test]
    fn no_file_and_a_file_without_tables_are_no_store_yet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("opencode.db");
        assert!(Store::open(&path).unwrap().is_none());
        std::fs::write(&path, b"").unwrap();
        assert!(Store::open(&path).unwrap().is_none());
    }

    #[test]
    fn a_missing_table_or_column_is_unsupported_with_the_reason() {
        let (_dir, path) = database(&SCHEMA.replace("`part`", "`part_v2`"));
        let Err(StoreError::Unsupported(reason)) = Store::open(&path) else {
            panic!("expected unsupported");
        };
        assert_eq!(reason, "it has no `part` table");

        let (_dir, path) = database(&SCHEMA.replace(
            "`data` text NOT NULL\n        );\n        CREATE TABLE `part`",
            "`payload` text NOT NULL\n        );\n        CREATE TABLE `part`",
        ));
        let Err(StoreError::Unsupported(reason)) = Store::open(&path) else {
            panic!("expected unsupported");
        };
        assert_eq!(reason, "its `message` table has no `data` column");
    }

    #[test]
    fn values_of_unexpected_types_read_as_missing() {
        let (_dir, path) = database(SCHEMA);
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "INSERT INTO session VALUES ('ses_1', 'global', NULL, 's', '/w', 'T', '1', 'soon', 5);",
            )
            .unwrap();
        let store = Store::open(&path).unwrap().unwrap();
        let sessions = store.sessions().unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(
            (sessions[0].created_millis, sessions[0].updated_millis),
            (None, Some(5))
        );
    }

    #[test]
    fn a_lock_is_busy_not_a_failure() {
        let error = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(matches!(StoreError::from(error), StoreError::Busy));
    }
}
