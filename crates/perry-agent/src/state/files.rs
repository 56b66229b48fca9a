//! Crash-safe JSON files: every write takes an exclusive lock, writes a temp file, fsyncs it and
//! renames it over the old one, so a reader never sees half a file and a crash loses nothing that
//! was acknowledged.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::{Map, Value};

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

/// Changes the JSON object in `path` under its write lock: reads the file as it is now (an
/// absent file is an empty object), lets `change` edit it, and writes it back atomically when
/// `change` changed anything or the file was absent. Keys `change` leaves alone stay exactly as
/// the file has them, so what a person wrote into it since the caller last read it survives.
/// When `change` fails, or the file is not a JSON object, nothing is written.
pub fn update_json_object(
    path: &Path,
    change: impl FnOnce(&mut Map<String, Value>) -> anyhow::Result<()>,
) -> anyhow::Result<Map<String, Value>> {
    let _lock = lock_for_write(path)?;
    let existing = read_if_exists(path)?;
    let mut object = match &existing {
        None => Map::new(),
        Some(bytes) => match serde_json::from_slice(bytes) {
            Ok(Value::Object(object)) => object,
            Ok(_) => bail!(
                "{} does not hold a JSON object; fix or remove it",
                path.display()
            ),
            Err(error) => bail!(
                "{} is not valid JSON ({error}); fix or remove it",
                path.display()
            ),
        },
    };
    let before = object.clone();
    change(&mut object)?;
    if existing.is_none() || object != before {
        let mut bytes = serde_json::to_vec_pretty(&object).context("cannot serialize JSON")?;
        bytes.push(b'\n');
        write_bytes_atomic_locked(path, &bytes)?;
    }
    Ok(object)
}

/// The contents of `path`, made by `make` and written (private, atomically) when there is no
/// such file yet; under the file's write lock, so two callers make one.
pub fn read_or_create(path: &Path, make: impl FnOnce() -> Vec<u8>) -> anyhow::Result<Vec<u8>> {
    let _lock = lock_for_write(path)?;
    if let Some(bytes) = read_if_exists(path)? {
        return Ok(bytes);
    }
    let bytes = make();
    write_bytes_atomic_locked(path, &bytes)?;
    Ok(bytes)
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
    fn an_update_keeps_every_key_it_does_not_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"a": 1, "person": {"added": true}, "z": "last"}"#).unwrap();
        update_json_object(&path, |object| {
            object.insert("a".to_owned(), 2.into());
            Ok(())
        })
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"a": 2, "person": {"added": true}, "z": "last"})
        );
        assert!(
            text.find("\"a\"") < text.find("\"z\""),
            "the keys keep their order: {text}"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    }

    #[test]
    fn an_update_that_fails_or_finds_no_object_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"a": 1}"#).unwrap();
        let error = update_json_object(&path, |object| {
            object.insert("a".to_owned(), 2.into());
            anyhow::bail!("refused")
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "refused");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), r#"{"a": 1}"#);
        for bad in ["[1, 2]", "{not json"] {
            std::fs::write(&path, bad).unwrap();
            let error = update_json_object(&path, |_| Ok(()))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("config.json") && error.contains("fix or remove it"),
                "{error}"
            );
            assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
        }
    }

    #[test]
    fn concurrent_updates_lose_none_of_each_others_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::thread::scope(|scope| {
            for writer in 0..4 {
                let path = &path;
                scope.spawn(move || {
                    for round in 0..25 {
                        update_json_object(path, |object| {
                            object.insert(format!("w{writer}-{round}"), round.into());
                            Ok(())
                        })
                        .unwrap();
                    }
                });
            }
        });
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(value.as_object().unwrap().len(), 100);
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
