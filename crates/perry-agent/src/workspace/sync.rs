//! What `workspaces.sync` copies from the host into a workspace, as one tar archive through the
//! Engine API (no exec, so it works the moment the container runs):
//! - `credentials.files` of config.json: host path → workspace path, files or whole directories;
//! - the host user's `~/.gitconfig` and SSH public keys (`~/.ssh/*.pub`);
//! - `credentials.env`: a marked block in /etc/environment (pam_env reads it for SSH sessions)
//!   and /etc/profile.d/perry-credentials.sh (login shells read it: terminals, `bash -l`).
//!
//! Everything under /home/workspace belongs to user `workspace`; private keys get mode 0600
//! whatever their mode on the host. Each run rewrites the whole environment block, so a variable
//! removed from config.json leaves the workspace at the next sync.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use perry_api::SyncItem;
use perry_api::settings::{WORKER_SETTINGS_FILE, WorkerSettings};

use crate::state::config::Credentials;

/// The workspace user: the person's user in every workspace.
pub const USER: &str = "workspace";
/// The workspace user's home.
pub const HOME: &str = "/home/workspace";
/// The workspace user's uid and gid in the image.
const USER_ID: u64 = 1000;
/// Where the environment block lives for pam_env.
pub const ENVIRONMENT_FILE: &str = "/etc/environment";
/// The most of [`ENVIRONMENT_FILE`] the agent reads back: the workspace may have made it huge.
pub const ENVIRONMENT_FILE_MAX_BYTES: u64 = 1024 * 1024;
const PROFILE_SCRIPT: &str = "/etc/profile.d/perry-credentials.sh";
const BLOCK_BEGIN: &str = "# perry credentials: begin (config.json credentials.env and accounts; `perry sync` rewrites this block)";
const BLOCK_END: &str = "# perry credentials: end";
/// The most one `credentials.files` entry may copy: a guard against syncing a whole home.
const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;
const MAX_SOURCE_ENTRIES: usize = 10_000;

/// One file or directory to put into the workspace. Its `{:?}` gives the size of a file, not
/// what is in it: those are keys and credentials.
#[derive(Clone, PartialEq, Eq)]
struct Entry {
    /// File contents; `None` for a directory.
    contents: Option<Vec<u8>>,
    mode: u32,
    /// Owned by `workspace` (else root).
    user_owned: bool,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Entry {
            contents,
            mode,
            user_owned,
        } = self;
        formatter
            .debug_struct("Entry")
            .field("bytes", &contents.as_ref().map(Vec::len))
            .field("mode", &format_args!("{mode:o}"))
            .field("user_owned", user_owned)
            .finish()
    }
}

/// Whose the user's synced files are: the workspace user's uid and gid, 1000 unless the image
/// says otherwise (Perry's layer on an image whose uid 1000 is someone else's writes them to
/// [`USER_FILE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u64,
    pub gid: u64,
}

impl Default for Owner {
    fn default() -> Self {
        Owner {
            uid: USER_ID,
            gid: USER_ID,
        }
    }
}

impl Owner {
    /// The owner [`USER_FILE`]'s `PERRY_UID`/`PERRY_GID` name; the default for what is missing.
    pub fn from_user_file(contents: &str) -> Owner {
        let mut owner = Owner::default();
        for line in contents.lines() {
            let value = |key: &str| {
                line.strip_prefix(key)?
                    .trim()
                    .trim_matches('\'')
                    .parse()
                    .ok()
            };
            if let Some(uid) = value("PERRY_UID=") {
                owner.uid = uid;
            }
            if let Some(gid) = value("PERRY_GID=") {
                owner.gid = gid;
            }
        }
        owner
    }
}

/// Where Perry's layer writes the workspace user's name, home, uid and gid (shell lines).
pub const USER_FILE: &str = "/opt/perry/user.env";

/// What one sync puts where, and the items to report.
#[derive(Debug, Default)]
pub struct SyncPlan {
    /// Absolute path in the workspace → what goes there.
    entries: BTreeMap<String, Entry>,
    pub items: Vec<SyncItem>,
}

impl SyncPlan {
    /// The plan for `credentials`, the host user's files under `host_home`, and the workspace's
    /// current /etc/environment (`None` when it could not be read: the environment is then left
    /// alone and reported as failed).
    pub fn new(
        credentials: &Credentials,
        worker_settings: &WorkerSettings,
        host_home: Option<&Path>,
        current_environment: Result<String, String>,
    ) -> SyncPlan {
        let mut plan = SyncPlan::default();
        if let Some(home) = host_home {
            plan.add_host_user_files(home);
        }
        for (host, workspace) in &credentials.files {
            let what = format!("{host} → {}", workspace_path(workspace));
            let error = match expand_host_path(host, host_home) {
                Some(source) => plan.add_source(&source, &workspace_path(workspace)).err(),
                None => Some("the agent's user has no home directory to expand ~ in".to_owned()),
            };
            plan.items.push(SyncItem { what, error });
        }
        plan.add_worker_settings(worker_settings);
        // The accounts' variables, then the person's own, which win where both name one.
        let mut env: BTreeMap<String, String> = worker_settings
            .accounts
            .iter()
            .flat_map(|(account, keys)| {
                keys.iter().filter_map(|(key, value)| {
                    Some((account.variable(key)?.to_owned(), value.clone()))
                })
            })
            .collect();
        env.extend(credentials.env.clone());
        plan.add_environment(&env, current_environment);
        plan
    }

    /// The accounts, MCP servers and skills, for the worker to write into each coding agent's
    /// own files (always, so what is removed in Perry leaves the workspace too).
    fn add_worker_settings(&mut self, settings: &WorkerSettings) {
        let Ok(contents) = serde_json::to_vec(settings) else {
            return;
        };
        let target = format!("{HOME}/{WORKER_SETTINGS_FILE}");
        for ancestor in home_ancestors(&target) {
            self.entries.entry(ancestor).or_insert(Entry {
                contents: None,
                mode: 0o755,
                user_owned: true,
            });
        }
        self.entries.insert(
            target,
            Entry {
                contents: Some(contents),
                mode: 0o600,
                user_owned: true,
            },
        );
    }

    /// `~/.gitconfig` and `~/.ssh/*.pub`, when the host user has them.
    fn add_host_user_files(&mut self, home: &Path) {
        let gitconfig = home.join(".gitconfig");
        if gitconfig.is_file() {
            let target = format!("{HOME}/.gitconfig");
            let error = self.add_source(&gitconfig, &target).err();
            self.items.push(SyncItem {
                what: format!("~/.gitconfig → {target}"),
                error,
            });
        }
        let Ok(entries) = std::fs::read_dir(home.join(".ssh")) else {
            return;
        };
        let mut keys: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|extension| extension == "pub"))
            .filter(|path| path.is_file())
            .collect();
        if keys.is_empty() {
            return;
        }
        keys.sort();
        let mut errors = Vec::new();
        for key in &keys {
            let name = key.file_name().unwrap_or_default().to_string_lossy();
            if let Err(error) = self.add_source(key, &format!("{HOME}/.ssh/{name}")) {
                errors.push(error);
            }
        }
        self.items.push(SyncItem {
            what: format!(
                "{} SSH public key{} → {HOME}/.ssh",
                keys.len(),
                if keys.len() == 1 { "" } else { "s" }
            ),
            error: (!errors.is_empty()).then(|| errors.join("; ")),
        });
    }

    /// A host file, or a directory with everything in it, at `target`.
    fn add_source(&mut self, source: &Path, target: &str) -> Result<(), String> {
        let mut budget = (MAX_SOURCE_BYTES, MAX_SOURCE_ENTRIES);
        let mut found = BTreeMap::new();
        collect(source, target, &mut found, &mut budget, 0)?;
        for ancestor in home_ancestors(target) {
            let mode = if ancestor.ends_with("/.ssh") || ancestor.ends_with("/.gnupg") {
                0o700
            } else {
                0o755
            };
            self.entries.entry(ancestor).or_insert(Entry {
                contents: None,
                mode,
                user_owned: true,
            });
        }
        self.entries.extend(found);
        Ok(())
    }

    fn add_environment(&mut self, env: &BTreeMap<String, String>, current: Result<String, String>) {
        let what = format!(
            "{} environment variable{} → {ENVIRONMENT_FILE} and {PROFILE_SCRIPT}",
            env.len(),
            if env.len() == 1 { "" } else { "s" }
        );
        let current = match current {
            Ok(current) => current,
            Err(error) => {
                if !env.is_empty() {
                    self.items.push(SyncItem {
                        what,
                        error: Some(format!("cannot read {ENVIRONMENT_FILE}: {error}")),
                    });
                }
                return;
            }
        };
        let merged = merge_environment(&current, env);
        if merged != current {
            self.entries.insert(
                ENVIRONMENT_FILE.to_owned(),
                Entry {
                    contents: Some(merged.into_bytes()),
                    mode: 0o644,
                    user_owned: false,
                },
            );
        }
        self.entries.insert(
            PROFILE_SCRIPT.to_owned(),
            Entry {
                contents: Some(profile_script(env).into_bytes()),
                mode: 0o644,
                user_owned: false,
            },
        );
        if !env.is_empty() {
            self.items.push(SyncItem { what, error: None });
        }
    }

    /// The tar archive to upload at `/`, the user's files owned by Perry's uid and gid.
    #[cfg(test)]
    pub fn archive(&self) -> std::io::Result<Vec<u8>> {
        self.archive_for(Owner::default())
    }

    /// The tar archive to upload at `/`, the user's files owned by `owner`.
    pub fn archive_for(&self, owner: Owner) -> std::io::Result<Vec<u8>> {
        let mut builder = tar::Builder::new(Vec::new());
        let mtime = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0);
        for (path, entry) in &self.entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(entry.mode);
            let (uid, gid) = if entry.user_owned {
                (owner.uid, owner.gid)
            } else {
                (0, 0)
            };
            header.set_uid(uid);
            header.set_gid(gid);
            header.set_mtime(mtime);
            let name = path.trim_start_matches('/');
            match &entry.contents {
                Some(contents) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(contents.len() as u64);
                    builder.append_data(&mut header, name, contents.as_slice())?;
                }
                None => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_size(0);
                    builder.append_data(&mut header, format!("{name}/"), std::io::empty())?;
                }
            }
        }
        builder.into_inner()
    }

    /// Whether there is anything to upload.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Marks every item that had not failed as failed with `error` (the upload did not happen).
    pub fn fail_all(&mut self, error: &str) {
        for item in &mut self.items {
            item.error.get_or_insert_with(|| error.to_owned());
        }
    }
}

/// A workspace path from config.json, absolute: `~/x` is under /home/workspace.
pub fn workspace_path(path: &str) -> String {
    let path = match path.strip_prefix("~/") {
        Some(rest) => format!("{HOME}/{rest}"),
        None => path.to_owned(),
    };
    path.trim_end_matches('/').to_owned()
}

fn expand_host_path(path: &str, host_home: Option<&Path>) -> Option<PathBuf> {
    match path.strip_prefix("~/") {
        Some(rest) => host_home.map(|home| home.join(rest)),
        None => Some(PathBuf::from(path)),
    }
}

/// The directories strictly between /home/workspace and `target`, outermost first.
fn home_ancestors(target: &str) -> Vec<String> {
    let Some(rest) = target.strip_prefix(&format!("{HOME}/")) else {
        return Vec::new();
    };
    let parts: Vec<&str> = rest.split('/').collect();
    (1..parts.len())
        .map(|count| format!("{HOME}/{}", parts[..count].join("/")))
        .collect()
}

fn collect(
    source: &Path,
    target: &str,
    found: &mut BTreeMap<String, Entry>,
    budget: &mut (u64, usize),
    depth: usize,
) -> Result<(), String> {
    let shown = source.display();
    let metadata = std::fs::metadata(source).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => format!("{shown} does not exist on the agent's host"),
        _ => format!("cannot read {shown}: {error}"),
    })?;
    budget.1 = budget.1.checked_sub(1).ok_or_else(|| {
        format!("{shown}: more than {MAX_SOURCE_ENTRIES} files; sync a smaller directory")
    })?;
    let user_owned = target == HOME || target.starts_with(&format!("{HOME}/"));
    let host_mode = std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o777;
    if metadata.is_dir() {
        if depth > 16 {
            return Err(format!("{shown}: directories nested too deep"));
        }
        found.insert(
            target.to_owned(),
            Entry {
                contents: None,
                mode: host_mode | 0o700,
                user_owned,
            },
        );
        let entries =
            std::fs::read_dir(source).map_err(|error| format!("cannot read {shown}: {error}"))?;
        for entry in entries {
            let entry = entry.map_err(|error| format!("cannot read {shown}: {error}"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            collect(
                &entry.path(),
                &format!("{target}/{name}"),
                found,
                budget,
                depth + 1,
            )?;
        }
        return Ok(());
    }
    if !metadata.is_file() {
        return Err(format!("{shown} is neither a file nor a directory"));
    }
    budget.0 = budget.0.checked_sub(metadata.len()).ok_or_else(|| {
        format!(
            "{shown}: more than {} MiB; sync something smaller",
            MAX_SOURCE_BYTES / 1024 / 1024
        )
    })?;
    let contents =
        std::fs::read(source).map_err(|error| format!("cannot read {shown}: {error}"))?;
    let name = target.rsplit('/').next().unwrap_or_default();
    let mode = if is_private_key(name, &contents) {
        0o600
    } else {
        host_mode | 0o400
    };
    found.insert(
        target.to_owned(),
        Entry {
            contents: Some(contents),
            mode,
            user_owned,
        },
    );
    Ok(())
}

/// SSH and PEM private keys: `id_*` files that are not `.pub`, or anything holding a private key
/// block. ssh refuses keys that others can read.
fn is_private_key(name: &str, contents: &[u8]) -> bool {
    let key_file = name.starts_with("id_") && !name.ends_with(".pub");
    let holds_key = contents.starts_with(b"-----BEGIN")
        && contents
            .windows(b"PRIVATE KEY-----".len())
            .any(|window| window == b"PRIVATE KEY-----");
    key_file || holds_key
}

/// `current` with Perry's block replaced by one for `env` (or removed when `env` is empty).
pub fn merge_environment(current: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in current.lines() {
        if line == BLOCK_BEGIN {
            inside = true;
        } else if line == BLOCK_END {
            inside = false;
        } else if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !env.is_empty() {
        out.push_str(BLOCK_BEGIN);
        out.push('\n');
        for (name, value) in env {
            out.push_str(&format!("{name}=\"{value}\"\n"));
        }
        out.push_str(BLOCK_END);
        out.push('\n');
    }
    out
}

fn profile_script(env: &BTreeMap<String, String>) -> String {
    let mut out = String::from(
        "# Written by Perry from config.json's credentials.env; `perry sync` rewrites it.\n",
    );
    for (name, value) in env {
        out.push_str(&format!(
            "export {name}='{}'\n",
            value.replace('\'', r"'\''")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(env: &[(&str, &str)], files: &[(&str, &str)]) -> Credentials {
        Credentials {
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            files: files
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn entries_of(archive: &[u8]) -> Vec<(String, u32, u64, Vec<u8>)> {
        let mut reader = tar::Archive::new(archive);
        reader
            .entries()
            .unwrap()
            .map(|entry| {
                let mut entry = entry.unwrap();
                let path = entry.path().unwrap().to_string_lossy().into_owned();
                let header = entry.header().clone();
                let mut contents = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut contents).unwrap();
                (
                    path,
                    header.mode().unwrap(),
                    header.uid().unwrap(),
                    contents,
                )
            })
            .collect()
    }

    #[test]
    fn the_owner_comes_from_the_layers_user_file_else_is_1000() {
        assert_eq!(
            Owner::from_user_file(""),
            Owner {
                uid: 1000,
                gid: 1000
            }
        );
        assert_eq!(
            Owner::from_user_file(
                "PERRY_USER='workspace'\nPERRY_HOME='/home/workspace'\nPERRY_UID=1001\nPERRY_GID=1002\n"
            ),
            Owner {
                uid: 1001,
                gid: 1002
            }
        );
        assert_eq!(
            Owner::from_user_file("PERRY_UID=nope\n"),
            Owner {
                uid: 1000,
                gid: 1000
            }
        );
    }

    #[test]
    fn debug_output_of_a_plan_shows_paths_and_sizes_never_contents() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("keys")).unwrap();
        std::fs::write(home.path().join("keys/token"), "file-credential-value").unwrap();
        let plan = SyncPlan::new(
            &credentials(
                &[("API_KEY", "env-credential-value")],
                &[("~/keys", "~/keys")],
            ),
            &WorkerSettings::default(),
            Some(home.path()),
            Ok("PATH=/usr/bin\n".to_owned()),
        );
        let shown = format!("{plan:?}");
        assert!(shown.contains("/home/workspace/keys/token"), "{shown}");
        assert!(shown.contains("bytes: Some(21)"), "{shown}");
        for secret in ["file-credential-value", "env-credential-value"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn keys_config_and_directories_land_owned_by_the_user_with_private_keys_0600() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".gitconfig"), "[user]\n\tname = T\n").unwrap();
        std::fs::write(home.path().join(".ssh/id_ed25519.pub"), "ssh-ed25519 AAA t").unwrap();
        std::fs::write(
            home.path().join(".ssh/id_ed25519"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        )
        .unwrap();
        std::fs::set_permissions(
            home.path().join(".ssh/id_ed25519"),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .unwrap();
        std::fs::create_dir_all(home.path().join("gh")).unwrap();
        std::fs::write(home.path().join("gh/hosts.yml"), "github.com: {}\n").unwrap();

        let plan = SyncPlan::new(
            &credentials(
                &[],
                &[
                    ("~/.ssh/id_ed25519", "~/.ssh/id_ed25519"),
                    ("~/gh", "~/.config/gh"),
                    ("/nonexistent/perry-test", "/etc/x"),
                ],
            ),
            &WorkerSettings::default(),
            Some(home.path()),
            Ok("PATH_LIKE=1\n".to_owned()),
        );
        let failed: Vec<_> = plan
            .items
            .iter()
            .filter(|item| item.error.is_some())
            .collect();
        assert_eq!(failed.len(), 1, "{:?}", plan.items);
        assert!(
            failed[0]
                .error
                .as_deref()
                .unwrap()
                .contains("does not exist")
        );
        assert_eq!(plan.items.len(), 5, "{:?}", plan.items);

        let entries = entries_of(&plan.archive().unwrap());
        let find = |path: &str| {
            entries
                .iter()
                .find(|entry| entry.0.trim_end_matches('/') == path)
                .unwrap_or_else(|| panic!("{path} missing from {entries:?}"))
        };
        assert_eq!(find("home/workspace/.ssh").1, 0o700);
        assert_eq!(find("home/workspace/.ssh").2, USER_ID);
        assert_eq!(find("home/workspace/.ssh/id_ed25519").1, 0o600);
        assert_eq!(find("home/workspace/.ssh/id_ed25519.pub").1 & 0o044, 0o044);
        assert_eq!(find("home/workspace/.gitconfig").3, b"[user]\n\tname = T\n");
        assert_eq!(find("home/workspace/.config/gh/hosts.yml").2, USER_ID);
        assert_eq!(find("home/workspace/.config").1, 0o755);
        assert!(
            !entries
                .iter()
                .any(|entry| entry.0.trim_end_matches('/') == "home/workspace"),
            "the home directory itself is left alone"
        );
        assert!(
            !entries.iter().any(|entry| entry.0 == "etc/environment"),
            "without variables an environment without a block is not rewritten"
        );
    }

    #[test]
    fn the_environment_block_is_replaced_not_appended_and_quoted_for_shells() {
        let env = credentials(&[("API_KEY", "it's a key"), ("B", "2")], &[]).env;
        let first = merge_environment("SSL_CERT_FILE=/x\n", &env);
        assert!(first.starts_with("SSL_CERT_FILE=/x\n"), "{first}");
        assert!(first.contains("API_KEY=\"it's a key\"\n"), "{first}");
        let again = merge_environment(&first, &credentials(&[("B", "3")], &[]).env);
        assert_eq!(again.matches(BLOCK_BEGIN).count(), 1, "{again}");
        assert!(!again.contains("API_KEY"), "{again}");
        assert!(again.contains("B=\"3\""), "{again}");
        assert_eq!(
            merge_environment(&again, &BTreeMap::new()),
            "SSL_CERT_FILE=/x\n"
        );
        assert_eq!(
            profile_script(&env).lines().nth(1),
            Some(r"export API_KEY='it'\''s a key'")
        );
    }

    #[test]
    fn accounts_give_their_variables_and_the_workers_private_settings_file() {
        let accounts: perry_api::settings::Accounts = serde_json::from_value(serde_json::json!({
            "claudeCode": {"apiKey": "sk-ant-key"},
            "codex": {"apiKey": "sk-openai-key"},
            "opencode": {"anthropic": "provider-key"}
        }))
        .unwrap();
        let plan = SyncPlan::new(
            &credentials(&[("OPENAI_API_KEY", "persons-own")], &[]),
            &WorkerSettings {
                accounts: accounts.clone(),
                ..WorkerSettings::default()
            },
            None,
            Ok(String::new()),
        );
        let entries = entries_of(&plan.archive().unwrap());
        let file = |path: &str| {
            entries
                .iter()
                .find(|entry| entry.0 == path)
                .unwrap_or_else(|| panic!("{path} missing"))
                .clone()
        };
        let environment = String::from_utf8(file("etc/environment").3).unwrap();
        assert!(
            environment.contains("ANTHROPIC_API_KEY=\"sk-ant-key\""),
            "{environment}"
        );
        assert!(
            environment.contains("OPENAI_API_KEY=\"persons-own\""),
            "the person's own variable wins: {environment}"
        );
        assert!(!environment.contains("provider-key"), "{environment}");
        let settings = file("home/workspace/.config/perry/settings.json");
        assert_eq!((settings.1, settings.2), (0o600, USER_ID));
        let read: WorkerSettings = serde_json::from_slice(&settings.3).unwrap();
        assert_eq!(read.accounts, accounts);
    }

    #[test]
    fn an_unreadable_environment_is_reported_only_when_there_are_variables() {
        let plan = SyncPlan::new(
            &Credentials::default(),
            &WorkerSettings::default(),
            None,
            Err("gone".to_owned()),
        );
        assert!(plan.items.is_empty());
        let plan = SyncPlan::new(
            &credentials(&[("A", "1")], &[]),
            &WorkerSettings::default(),
            None,
            Err("gone".to_owned()),
        );
        assert!(plan.items[0].error.as_deref().unwrap().contains("gone"));
    }
}
