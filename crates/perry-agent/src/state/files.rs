//! Crash-safe JSON files: every write takes an exclusive lock, writes a temp file, fsyncs it and
//! renames it over the old one, so a reader never sees half a file and a crash loses nothing that
//! was acknowledged.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

/// File mode of everything Perry writes under its config dir: it holds the auth token.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Holds the exclusive lock on `<file>.lock` until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

/// Takes the exclusive lock that guards writes of `path`, waiting for other writers.
pub fn lock_for_write(path: &Path) -> anyhow::Result<FileLock> {
    let lock_path = sibling(path, ".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(PRIVATE_FILE_MODE)
        .open(&lock_path)
        .with_context(|| format!("cannot open lock file {}", lock_path.display()))?;
    file.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    Ok(FileLock { _file: file })
}

/// Writes `value` as pretty JSON to `path` atomically (lock, temp file, fsync, rename, fsync dir).
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).context("cannot serialize JSON")?;
    bytes.push(b'\n');
    let _lock = lock_for_write(path)?;
    write_bytes_atomic_locked(path, &bytes)
}

/// The atomic write itself; the caller holds the lock from [`lock_for_write`].
pub fn write_bytes_atomic_locked(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().context("file has no parent directory")?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))?;
    let temp_path = sibling(path, &format!(".tmp.{}", std::process::id()));
    let mut temp = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(PRIVATE_FILE_MODE)
        .open(&temp_path)
        .with_context(|| format!("cannot create {}", temp_path.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.sync_all())
        .with_context(|| format!("cannot write {}", temp_path.display()))?;
    drop(temp);
    std::fs::rename(&temp_path, path)
        .with_context(|| format!("cannot move {} into place", temp_path.display()))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync directory {}", dir.display()))?;
    Ok(())
}

/// Makes sure `path` is readable by its owner only.
pub fn make_private(path: &Path) -> anyhow::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(PRIVATE_FILE_MODE))
        .with_context(|| format!("cannot chmod 600 {}", path.display()))
}

/// Reads `path` if it exists.
pub fn read_if_exists(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn atomic_write_replaces_content_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_json_atomic(&path, &serde_json::json!({"a": 1})).unwrap();
        write_json_atomic(&path, &serde_json::json!({"a": 2})).unwrap();
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(value["a"], 2);
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.contains(".tmp."))
            .collect();
        assert!(
            leftovers.is_empty(),
            "temp files left behind: {leftovers:?}"
        );
    }

    #[test]
    fn missing_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read_if_exists(&dir.path().join("nope.json"))
                .unwrap()
                .is_none()
        );
    }
}
