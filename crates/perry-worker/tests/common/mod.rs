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
