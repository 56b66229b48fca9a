//! state.json survives SIGKILL at any instant: a child process writes state as fast as it can
//! and is killed at random moments; after every kill the file must parse and hold every
//! acknowledged change up to some point, with nothing half-written.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use perry_agent::state::StateStore;
use perry_api::{Workspace, WorkspacePorts, WorkspaceStatus};
use rand::Rng;

const CHILD_DIR_VAR: &str = "PERRY_STATE_WRITER_DIR";

fn workspace(index: u32) -> Workspace {
    Workspace {
        name: format!("w{index}"),
        status: WorkspaceStatus::Running,
        container_id: Some(format!("{index:064x}")),
        created: "2026-01-01T00:00:00Z".into(),
        image: "workspace-base".into(),
        ports: WorkspacePorts {
            ssh: 2200 + (index % 200) as u16,
            forwards: Vec::new(),
            labels: Default::default(),
        },
        error: None,
        clone: None,
        limits: None,
        post_start: None,
        last_used: None,
        progress: None,
        devcontainer: None,
    }
}

/// Adds workspaces w<n>, w<n+1>, … one write each, `limit` times or until killed.
fn write_workspaces(dir: &Path, limit: Option<u32>) -> u32 {
    let store = StateStore::open(dir).unwrap();
    let mut next = store.snapshot().workspaces.len() as u32;
    let mut written = 0;
    while limit.is_none_or(|limit| written < limit) {
        store
            .update(|state| state.workspaces.insert(format!("w{next}"), workspace(next)))
            .unwrap();
        next += 1;
        written += 1;
    }
    next
}

/// The workspaces in the file must be exactly w0..wN: a prefix of what was written.
fn assert_whole_prefix(dir: &Path) -> usize {
    let store = StateStore::open(dir).unwrap();
    let corrupt: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.unwrap().file_name().into_string().ok())
        .filter(|name| name.contains("corrupt"))
        .collect();
    assert!(
        corrupt.is_empty(),
        "state.json was found corrupt: {corrupt:?}"
    );
    let state = store.snapshot();
    for index in 0..state.workspaces.len() as u32 {
        assert_eq!(
            state.workspaces.get(&format!("w{index}")),
            Some(&workspace(index)),
            "w{index} missing or damaged"
        );
    }
    state.workspaces.len()
}

#[test]
fn writes_are_all_kept_when_nobody_kills_the_writer() {
    // Also the body of the child process that the crash test kills.
    if let Some(dir) = std::env::var_os(CHILD_DIR_VAR) {
        write_workspaces(Path::new(&dir), None);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(write_workspaces(dir.path(), Some(50)), 50);
    assert_eq!(assert_whole_prefix(dir.path()), 50);
}

#[test]
fn sigkill_in_the_middle_of_writes_never_damages_state() {
    let dir = tempfile::tempdir().unwrap();
    let test_binary = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    let mut kept = 0;
    let kills = 40;
    for _ in 0..kills {
        let mut child = Command::new(&test_binary)
            .args([
                "--exact",
                "writes_are_all_kept_when_nobody_kills_the_writer",
                "--nocapture",
            ])
            .env(CHILD_DIR_VAR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(5..60)));
        child.kill().unwrap();
        child.wait().unwrap();
        let now = assert_whole_prefix(dir.path());
        assert!(
            now >= kept,
            "acknowledged writes were lost: {kept} before, {now} after"
        );
        kept = now;
    }
    println!("{kills} SIGKILLs during writes; {kept} workspaces written, none lost or damaged");
    assert!(
        kept > 0,
        "the writer never got to write: the test proved nothing"
    );
}
