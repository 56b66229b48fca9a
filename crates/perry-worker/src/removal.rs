//! Removing what a coding agent keeps for a session, for [`crate::SessionIndex::delete`]: never
//! through a symbolic link, and something already gone counts as removed.
//!
//! The worker may run as root while the files belong to user `workspace`: it only ever removes,
//! so it never leaves a file of its own behind in the person's directories.

use std::fs;
use std::io;
use std::path::Path;

/// Removes the file (or symbolic link) at `path`; nothing there is fine.
pub fn remove_file(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(with_path(error, path)),
        _ => Ok(()),
    }
}

/// Removes the directory at `path` with everything in it, links inside removed as links
/// (`fs::remove_dir_all` follows none). Nothing there, or something that is not a directory
/// (a file, or a link even to a directory), is left alone: it is not what was meant.
pub fn remove_directory(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(with_path(error, path)),
    }
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(with_path(error, path)),
        _ => Ok(()),
    }
}

/// Whether `name` can name a file or directory of its own: letters, digits, `_` and `-`, as the
/// coding agents' ids are, so joined to a directory it never leads out of it.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_already_gone_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        remove_file(&dir.path().join("nothing")).unwrap();
        remove_directory(&dir.path().join("nothing")).unwrap();
    }

    #[test]
    fn a_link_in_place_of_a_directory_is_left_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::write(elsewhere.join("keep"), b"x").unwrap();
        let link = dir.path().join("session");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        remove_directory(&link).unwrap();
        assert!(elsewhere.join("keep").is_file());

        // Inside a directory removed, a link goes and its target stays.
        let session = dir.path().join("real");
        fs::create_dir(&session).unwrap();
        std::os::unix::fs::symlink(&elsewhere, session.join("link")).unwrap();
        remove_directory(&session).unwrap();
        assert!(!session.exists());
        assert!(elsewhere.join("keep").is_file());
    }

    #[test]
    fn plain_names_cannot_leave_their_directory() {
        assert!(is_plain_name("msg_a1b2c3"));
        assert!(is_plain_name("4f35e220-c435-4cf7-b9b9-f40426042847"));
        for name in ["", ".", "..", "a/b", "a.json", " x"] {
            assert!(!is_plain_name(name), "{name:?}");
        }
    }
}
