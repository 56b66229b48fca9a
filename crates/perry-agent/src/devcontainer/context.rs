//! A Dockerfile's build context as Perry sends it to the engine, made from the archive of the
//! context's directory in the repository: what `docker build` of that directory would send, and
//! a hash of it that says when the image must be built again.
//!
//! - Kept: regular files, directories and symbolic links, with their modes (a `COPY` of a
//!   linked file or an empty directory gives what Docker's would); a hard link becomes a copy of
//!   its file, so that it stands also when the ignore file leaves that file out.
//! - Left out: `.git`, and what the context's ignore file leaves out ([`super::dockerignore`]);
//!   the Dockerfile and the ignore file are sent all the same, as Docker's CLI sends them.
//! - Owners and times are dropped (root, time 0): two clones of one commit make the same bytes
//!   and the same hash.

use sha2::{Digest, Sha256};

use super::DevcontainerError;
use super::dockerignore::{IgnoreRules, ignore_file_candidates};

/// The context to build with.
#[derive(Debug)]
pub struct BuildContext {
    /// A tar archive, paths relative to the context.
    pub tar: Vec<u8>,
    /// SHA-256 (hex) of every entry's path, kind, mode, link and contents.
    pub hash: String,
    /// The ignore file read, with how many entries it left out of how many.
    pub ignored: Option<Ignored>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Ignored {
    pub file: String,
    pub left_out: usize,
    pub of: usize,
}

/// The build context of `archive` (Docker's archive of the context directory: its entries
/// under the directory's own name), `dockerfile` the Dockerfile's path relative to the context.
pub fn build_context(archive: &[u8], dockerfile: &str) -> Result<BuildContext, DevcontainerError> {
    let unreadable = |error: std::io::Error| {
        DevcontainerError(format!("the build context is unreadable: {error}"))
    };
    let entries = entries_of(archive).map_err(unreadable)?;
    let ignore_file = ignore_file_candidates(dockerfile)
        .into_iter()
        .find_map(|name| {
            let entry = file_at(&entries, &name)?;
            Some((name, String::from_utf8_lossy(&entry.contents).into_owned()))
        });
    let (entries, ignored) = match ignore_file {
        None => (entries, None),
        Some((file, text)) => {
            let rules = IgnoreRules::parse(&text).map_err(|why| {
                DevcontainerError(format!("the build context's {file} cannot be read: {why}"))
            })?;
            let of = entries.len();
            let kept: Vec<Entry> = entries
                .into_iter()
                .filter(|entry| {
                    entry.path == file || entry.path == dockerfile || !rules.excludes(&entry.path)
                })
                .collect();
            let left_out = of - kept.len();
            (kept, Some(Ignored { file, left_out, of }))
        }
    };
    let mut hasher = Sha256::new();
    let mut tar = tar::Builder::new(Vec::new());
    for entry in &entries {
        for part in [
            entry.path.as_bytes(),
            &[entry.kind.as_byte()],
            &entry.mode.to_le_bytes(),
            entry.link.as_bytes(),
            &entry.contents,
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(entry.kind);
        header.set_mode(entry.mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(entry.contents.len() as u64);
        let written = if entry.link.is_empty() {
            tar.append_data(&mut header, &entry.path, entry.contents.as_slice())
        } else {
            tar.append_link(&mut header, &entry.path, &entry.link)
        };
        written.map_err(unreadable)?;
    }
    Ok(BuildContext {
        tar: tar.into_inner().map_err(unreadable)?,
        hash: hex::encode(hasher.finalize()),
        ignored,
    })
}

/// The regular file at `path`, through a symbolic link inside the context (a `.dockerignore`
/// that links to `.gitignore`, say).
fn file_at<'a>(entries: &'a [Entry], path: &str) -> Option<&'a Entry> {
    let mut path = path.to_owned();
    for _ in 0..8 {
        let entry = entries.iter().find(|entry| entry.path == path)?;
        match entry.kind {
            tar::EntryType::Regular => return Some(entry),
            tar::EntryType::Symlink if !entry.link.starts_with('/') => {
                let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                path = super::dockerignore::clean(&format!("{dir}/{}", entry.link));
                path = path.trim_start_matches('/').to_owned();
            }
            _ => return None,
        }
    }
    None
}

#[derive(Debug)]
struct Entry {
    /// Relative to the context, no trailing `/`.
    path: String,
    kind: tar::EntryType,
    mode: u32,
    /// A symbolic link's target, as written.
    link: String,
    contents: Vec<u8>,
}

/// The entries of Docker's archive of a directory, relative to it, without `.git`; other kinds
/// than files, directories and links (devices, FIFOs) are not a build's business.
fn entries_of(archive: &[u8]) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut reader = tar::Archive::new(archive);
    for entry in reader.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        let Some(path) = inside(&entry.path()?.to_string_lossy()) else {
            continue;
        };
        let mode = entry.header().mode()?;
        let link_name = entry
            .link_name()?
            .map(|target| target.to_string_lossy().into_owned());
        let (kind, link, contents) = match (kind, link_name) {
            (tar::EntryType::Link, Some(target)) => {
                // Named the way the archive names entries; always an earlier one.
                let target = inside(&target);
                let Some(file) = entries.iter().find(|file: &&Entry| {
                    Some(&file.path) == target.as_ref() && file.kind == tar::EntryType::Regular
                }) else {
                    continue;
                };
                (
                    tar::EntryType::Regular,
                    String::new(),
                    file.contents.clone(),
                )
            }
            (tar::EntryType::Symlink, Some(target)) => (kind, target, Vec::new()),
            (tar::EntryType::Regular, _) => {
                let mut contents = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut contents)?;
                (kind, String::new(), contents)
            }
            (tar::EntryType::Directory, _) => (kind, String::new(), Vec::new()),
            _ => continue,
        };
        entries.push(Entry {
            path,
            kind,
            mode,
            link,
            contents,
        });
    }
    Ok(entries)
}

/// An archive path relative to the archived directory (its first part dropped); `None` for the
/// directory itself and for `.git`.
fn inside(path: &str) -> Option<String> {
    let (_, rest) = path.split_once('/')?;
    let rest = rest.trim_end_matches('/');
    let git = rest == ".git" || rest.starts_with(".git/");
    (!rest.is_empty() && !git).then(|| rest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An archive of `entries` (path, kind, mode, link target, contents) with the owner and
    /// time of a real file, as Docker's archive of a directory has them.
    fn archive_of(entries: &[(&str, tar::EntryType, u32, &str, &[u8])]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, kind, mode, link, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_mode(*mode);
            header.set_mtime(1_700_000_000);
            header.set_uid(1000);
            header.set_size(data.len() as u64);
            if link.is_empty() {
                tar.append_data(&mut header, path, *data).unwrap();
            } else {
                tar.append_link(&mut header, path, link).unwrap();
            }
        }
        tar.into_inner().unwrap()
    }

    /// An archive the way Docker makes one of directory `app`, with `extra` files.
    fn docker_archive(extra: &[(&str, &str)]) -> Vec<u8> {
        use tar::EntryType::{Directory, Link, Regular, Symlink};
        let mut entries: Vec<(&str, tar::EntryType, u32, &str, &[u8])> = vec![
            ("app/", Directory, 0o755, "", b""),
            ("app/.git/", Directory, 0o755, "", b""),
            ("app/.git/HEAD", Regular, 0o644, "", b"ref"),
            ("app/Dockerfile", Regular, 0o644, "", b"FROM x"),
            ("app/bin/", Directory, 0o755, "", b""),
            ("app/bin/run", Regular, 0o755, "", b"#!/bin/sh"),
            ("app/current", Symlink, 0o777, "bin/run", b""),
            ("app/again", Link, 0o755, "app/bin/run", b""),
            ("app/empty/", Directory, 0o700, "", b""),
        ];
        for (path, data) in extra {
            entries.push((path, Regular, 0o644, "", data.as_bytes()));
        }
        archive_of(&entries)
    }

    /// (path, kind, mode, link, contents) of a context's tar.
    fn listing(tar: &[u8]) -> Vec<(String, tar::EntryType, u32, String, String)> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let mut entry = entry.unwrap();
                let header = entry.header();
                assert_eq!(
                    (header.mtime().unwrap(), header.uid().unwrap()),
                    (0, 0),
                    "no times, no owners"
                );
                let kind = header.entry_type();
                let mode = header.mode().unwrap();
                let link = entry
                    .link_name()
                    .unwrap()
                    .map(|link| link.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let path = entry.path().unwrap().to_string_lossy().into_owned();
                let mut contents = String::new();
                std::io::Read::read_to_string(&mut entry, &mut contents).unwrap();
                (path, kind, mode, link, contents)
            })
            .collect()
    }

    #[test]
    fn links_directories_and_modes_are_kept_and_git_owners_and_times_are_not() {
        let context = build_context(&docker_archive(&[]), "Dockerfile").unwrap();
        let entries = listing(&context.tar);
        let names: Vec<&str> = entries.iter().map(|entry| entry.0.as_str()).collect();
        assert_eq!(
            names,
            ["Dockerfile", "bin", "bin/run", "current", "again", "empty"]
        );
        assert_eq!(
            entries[3],
            (
                "current".to_owned(),
                tar::EntryType::Symlink,
                0o777,
                "bin/run".to_owned(),
                String::new()
            )
        );
        assert_eq!(
            (entries[4].1, entries[4].4.as_str()),
            (tar::EntryType::Regular, "#!/bin/sh"),
            "a hard link is a copy of its file"
        );
        assert_eq!((entries[2].2, entries[2].4.as_str()), (0o755, "#!/bin/sh"));
        assert_eq!(entries[5].2, 0o700);
        assert!(context.ignored.is_none());
    }

    #[test]
    fn the_ignore_file_leaves_entries_out_but_never_the_dockerfile_or_itself() {
        let archive = docker_archive(&[("app/.dockerignore", "*\n!bin\n"), ("app/notes.md", "x")]);
        let context = build_context(&archive, "Dockerfile").unwrap();
        let names: Vec<String> = listing(&context.tar)
            .into_iter()
            .map(|entry| entry.0)
            .collect();
        assert_eq!(names, ["Dockerfile", "bin", "bin/run", ".dockerignore"]);
        assert_eq!(
            context.ignored,
            Some(Ignored {
                file: ".dockerignore".to_owned(),
                left_out: 4,
                of: 8
            })
        );
        // A link to a file in the context is followed.
        let entries: [(&str, tar::EntryType, u32, &str, &[u8]); 4] = [
            ("app/", tar::EntryType::Directory, 0o755, "", b""),
            (
                "app/.gitignore",
                tar::EntryType::Regular,
                0o644,
                "",
                b"*.log\n",
            ),
            (
                "app/.dockerignore",
                tar::EntryType::Symlink,
                0o777,
                ".gitignore",
                b"",
            ),
            ("app/a.log", tar::EntryType::Regular, 0o644, "", b"x"),
        ];
        let linked = archive_of(&entries);
        let linked = build_context(&linked, "Dockerfile").unwrap();
        assert_eq!(linked.ignored.unwrap().left_out, 1);
        // The Dockerfile's own ignore file comes first.
        let archive = docker_archive(&[
            ("app/.dockerignore", "*\n"),
            ("app/Dockerfile.dockerignore", "bin\n"),
        ]);
        let context = build_context(&archive, "Dockerfile").unwrap();
        assert_eq!(context.ignored.unwrap().file, "Dockerfile.dockerignore");
    }

    #[test]
    fn the_hash_follows_what_is_sent_and_nothing_else() {
        let hash = |extra: &[(&str, &str)]| {
            build_context(&docker_archive(extra), "Dockerfile")
                .unwrap()
                .hash
        };
        let ignoring = ("app/.dockerignore", "*.log\n");
        assert_eq!(hash(&[]), hash(&[]));
        assert_ne!(hash(&[]), hash(&[("app/a.txt", "1")]));
        assert_ne!(hash(&[("app/a.txt", "1")]), hash(&[("app/a.txt", "2")]));
        assert_eq!(
            hash(&[ignoring, ("app/debug.log", "1")]),
            hash(&[ignoring, ("app/debug.log", "2")]),
            "an ignored file's change does not rebuild"
        );
    }

    #[test]
    fn a_bad_ignore_file_is_an_error_naming_it_and_the_line() {
        let archive = docker_archive(&[("app/.dockerignore", "ok\n[oops\n")]);
        let error = build_context(&archive, "Dockerfile").unwrap_err();
        assert!(
            error
                .0
                .starts_with("the build context's .dockerignore cannot be read: line 2:"),
            "{error}"
        );
    }
}
