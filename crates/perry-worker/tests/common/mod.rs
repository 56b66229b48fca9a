//! Shared by the integration tests: a temp home holding copies of the fixtures.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use perry_api::sessions::{SessionEvent, SessionInfo};
use perry_worker::{Roots, SessionIndex};

pub const CLAUDE_CONFIG: &str = "4f35e220-c435-4cf7-b9b9-f40426042847";
pub const CLAUDE_CHAT: &str = "c7d1fb1a-0885-4d8b-8427-0f09a0c1a94f";
pub const CLAUDE_FLAKY: &str = "0b0e7a54-1d3c-4f0e-9a77-2d4c1b6e8f10";
pub const CODEX_HEALTH: &str = "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5";
pub const CODEX_VITE: &str = "5973b6c0-94b8-487b-a530-2aeb6098ae0e";
pub const OPENCODE_DARK: &str = "ses_5f1e2d3c4b5a6ffeABCDEFGHIJ";
pub const OPENCODE_SLOW: &str = "ses_5f1e2d3c4b5a6ffdKLMNOPQRST";
pub const OPENCODE_CHILD: &str = "ses_5f1e2d3c4b5a6ffcUVWXYZABCD";

/// A temp home with the fixtures where the tools keep them: `.claude`, `.codex`,
/// `.local/share/opencode`.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn with_fixtures() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        copy_tree(&fixtures.join("claude"), &dir.path().join(".claude"));
        copy_tree(&fixtures.join("codex"), &dir.path().join(".codex"));
        copy_tree(
            &fixtures.join("opencode"),
            &dir.path().join(".local/share/opencode"),
        );
        Home { dir }
    }

    pub fn empty() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn roots(&self) -> Roots {
        Roots::for_home(self.path())
    }

    pub fn scanned_index(&self) -> SessionIndex {
        let mut index = SessionIndex::new(self.roots());
        index.scan();
        index
    }

    pub fn claude_file(&self, project: &str, session_id: &str) -> PathBuf {
        self.path()
            .join(".claude/projects")
            .join(project)
            .join(format!("{session_id}.jsonl"))
    }

    pub fn codex_file(&self, day: &str, stamp: &str, session_id: &str) -> PathBuf {
        self.path()
            .join(".codex/sessions")
            .join(day)
            .join(format!("rollout-{stamp}-{session_id}.jsonl"))
    }

    pub fn opencode_storage(&self) -> PathBuf {
        self.path().join(".local/share/opencode/storage")
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn append(path: &Path, text: &str) {
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// The session an `added` or `updated` event carries.
pub fn session_of(event: &SessionEvent) -> Option<&SessionInfo> {
    match event {
        SessionEvent::Added { session } | SessionEvent::Updated { session } => Some(session),
        _ => None,
    }
}

/// A Claude Code user line in the shape the CLI writes.
pub fn claude_user_line(session_id: &str, uuid: &str, text: &str, timestamp: &str) -> String {
    format!(
        "{}\n",
        serde_json::json!({
            "parentUuid": null, "isSidechain": false, "userType": "external",
            "cwd": "/home/workspace/w", "sessionId": session_id, "version": "2.0.61",
            "type": "user", "message": {"role": "user", "content": text},
            "uuid": uuid, "timestamp": timestamp
        })
    )
}

/// A Claude Code assistant line (one text block of reply `message_id`).
pub fn claude_assistant_line(
    session_id: &str,
    uuid: &str,
    message_id: &str,
    text: &str,
    timestamp: &str,
) -> String {
    format!(
        "{}\n",
        serde_json::json!({
            "parentUuid": null, "isSidechain": false, "userType": "external",
            "cwd": "/home/workspace/w", "sessionId": session_id, "version": "2.0.61",
            "type": "assistant",
            "message": {"id": message_id, "role": "assistant", "content": [{"type": "text", "text": text}]},
            "uuid": uuid, "timestamp": timestamp
        })
    )
}

/// The session tables of OpenCode's database and their indexes, as OpenCode 1.18.33 creates them
/// (copied from `fixtures/opencode-db/opencode-1.18.33.sql`), and the project sessions belong to.
pub const OPENCODE_DB_SCHEMA: &str = "
CREATE TABLE `project` (
          `id` text PRIMARY KEY,
          `worktree` text NOT NULL,
          `vcs` text,
          `name` text,
          `icon_url` text,
          `icon_url_override` text,
          `icon_color` text,
          `time_created` integer NOT NULL,
          `time_updated` integer NOT NULL,
          `time_initialized` integer,
          `sandboxes` text NOT NULL,
          `commands` text
        );
INSERT INTO \"project\" VALUES('global','/',NULL,NULL,NULL,NULL,NULL,1795686254744,1795686254744,NULL,'[]',NULL);
CREATE TABLE `message` (
          `id` text PRIMARY KEY,
          `session_id` text NOT NULL,
          `time_created` integer NOT NULL,
          `time_updated` integer NOT NULL,
          `data` text NOT NULL,
          CONSTRAINT `fk_message_session_id_session_id_fk` FOREIGN KEY (`session_id`) REFERENCES `session`(`id`) ON DELETE CASCADE
        );
CREATE TABLE `part` (
          `id` text PRIMARY KEY,
          `message_id` text NOT NULL,
          `session_id` text NOT NULL,
          `time_created` integer NOT NULL,
          `time_updated` integer NOT NULL,
          `data` text NOT NULL,
          CONSTRAINT `fk_part_message_id_message_id_fk` FOREIGN KEY (`message_id`) REFERENCES `message`(`id`) ON DELETE CASCADE
        );
CREATE TABLE `session` (
          `id` text PRIMARY KEY,
          `project_id` text NOT NULL,
          `workspace_id` text,
          `parent_id` text,
          `slug` text NOT NULL,
          `directory` text NOT NULL,
          `path` text,
          `title` text NOT NULL,
          `version` text NOT NULL,
          `share_url` text,
          `summary_additions` integer,
          `summary_deletions` integer,
          `summary_files` integer,
          `summary_diffs` text,
          `metadata` text,
          `cost` real DEFAULT 0 NOT NULL,
          `tokens_input` integer DEFAULT 0 NOT NULL,
          `tokens_output` integer DEFAULT 0 NOT NULL,
          `tokens_reasoning` integer DEFAULT 0 NOT NULL,
          `tokens_cache_read` integer DEFAULT 0 NOT NULL,
          `tokens_cache_write` integer DEFAULT 0 NOT NULL,
          `revert` text,
          `permission` text,
          `agent` text,
          `model` text,
          `time_created` integer NOT NULL,
          `time_updated` integer NOT NULL,
          `time_compacting` integer,
          `time_archived` integer,
          CONSTRAINT `fk_session_project_id_project_id_fk` FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON DELETE CASCADE
        );
CREATE INDEX `message_session_time_created_id_idx` ON `message` (`session_id`,`time_created`,`id`);
CREATE INDEX `part_message_id_id_idx` ON `part` (`message_id`,`id`);
CREATE INDEX `part_session_idx` ON `part` (`session_id`);
CREATE INDEX `session_parent_idx` ON `session` (`parent_id`);
";

/// OpenCode's database as OpenCode keeps it while it runs: in WAL mode, with a connection open,
/// so that every commit lands in `opencode.db-wal`.
pub struct OpencodeDb {
    pub connection: rusqlite::Connection,
}

impl OpencodeDb {
    /// Creates `~/.local/share/opencode/opencode.db` under `home` from `sql` (a schema, or a dump).
    pub fn create(home: &Path, sql: &str) -> OpencodeDb {
        let path = Self::path(home);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        // A dump lists tables alphabetically, not in the order their foreign keys need.
        connection
            .execute_batch("PRAGMA foreign_keys = OFF")
            .unwrap();
        connection.execute_batch(sql).unwrap();
        // As OpenCode runs: deleting a session deletes its messages, and theirs their parts.
        connection
            .execute_batch("PRAGMA foreign_keys = ON")
            .unwrap();
        OpencodeDb { connection }
    }

    /// An empty database with the session tables of OpenCode 1.18.33.
    pub fn with_schema(home: &Path) -> OpencodeDb {
        Self::create(home, OPENCODE_DB_SCHEMA)
    }

    /// The database OpenCode 1.18.33 wrote for one real run (see the fixture's SOURCES.md).
    pub fn real(home: &Path) -> OpencodeDb {
        let dump = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/opencode-db/opencode-1.18.33.sql"),
        )
        .unwrap();
        Self::create(home, &dump)
    }

    pub fn path(home: &Path) -> PathBuf {
        home.join(".local/share/opencode/opencode.db")
    }

    pub fn wal(home: &Path) -> PathBuf {
        home.join(".local/share/opencode/opencode.db-wal")
    }

    /// A session row as OpenCode inserts it; `parent` makes it a sub-agent's.
    pub fn add_session(
        &self,
        id: &str,
        parent: Option<&str>,
        title: &str,
        directory: &str,
        created: i64,
    ) {
        self.connection
            .execute(
                "INSERT INTO session (id, project_id, parent_id, slug, directory, path, title, \
                 version, time_created, time_updated) \
                 VALUES (?1, 'global', ?2, 'calm-river', ?3, ?3, ?4, '1.18.33', ?5, ?5)",
                rusqlite::params![id, parent, directory, title, created],
            )
            .unwrap();
    }

    /// A message with its parts (`part.data` values, in order), and the session's
    /// `time_updated` moved to the message's time as OpenCode does.
    pub fn add_message(
        &self,
        session_id: &str,
        id: &str,
        role: &str,
        created: i64,
        parts: &[serde_json::Value],
    ) {
        self.add_message_rows(session_id, id, role, created, parts);
        self.touch_session(session_id, created);
    }

    /// A message and its parts without touching the session row.
    pub fn add_message_rows(
        &self,
        session_id: &str,
        id: &str,
        role: &str,
        created: i64,
        parts: &[serde_json::Value],
    ) {
        let info =
            serde_json::json!({"role": role, "time": {"created": created}, "agent": "build"});
        self.connection
            .execute(
                "INSERT INTO message (id, session_id, time_created, time_updated, data) \
                 VALUES (?1, ?2, ?3, ?3, ?4)",
                rusqlite::params![id, session_id, created, info.to_string()],
            )
            .unwrap();
        for (index, part) in parts.iter().enumerate() {
            self.connection
                .execute(
                    "INSERT INTO part (id, message_id, session_id, time_created, time_updated, \
                     data) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                    rusqlite::params![
                        format!("prt_{id}_{index:02}"),
                        id,
                        session_id,
                        created,
                        part.to_string()
                    ],
                )
                .unwrap();
        }
    }

    pub fn touch_session(&self, session_id: &str, updated: i64) {
        self.connection
            .execute(
                "UPDATE session SET time_updated = ?2 WHERE id = ?1",
                rusqlite::params![session_id, updated],
            )
            .unwrap();
    }
}

/// A text part as OpenCode stores it in `part.data`.
pub fn opencode_text(text: &str) -> serde_json::Value {
    serde_json::json!({"type": "text", "text": text})
}

/// A finished tool call part as OpenCode stores it in `part.data`.
pub fn opencode_tool(tool: &str, input: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "type": "tool", "tool": tool, "callID": "call_1",
        "state": {"status": "completed", "input": input, "output": "ok", "title": tool}
    })
}
