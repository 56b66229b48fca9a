//! A repository's devcontainer.json, read the way the spec (containers.dev) and the reference
//! implementation (@devcontainers/cli) read it. Pure: the caller hands in the files of
//! `.devcontainer/` and `.devcontainer.json` ([`ConfigFiles`]), and gets back what to build and
//! run ([`DevContainer`]), the Dockerfile that installs the local features
//! ([`features_context`]) and a key for reusing an image ([`content_hash`]). No I/O, no Docker.
//!
//! # Layout
//! - `mod.rs`: finding the config ([`find_config`]), the error type, repository paths.
//! - [`config`]: parsing and checking devcontainer.json into a [`DevContainer`].
//! - [`variables`]: `${localEnv:..}` and friends at read time, `${containerEnv:..}` at run time.
//! - [`features`]: local features: resolution, install order, and the Dockerfile installing them.
//! - [`hash`]: the content hash that says when an image must be rebuilt.
//! - [`metadata`]: an image's own `devcontainer.metadata` label, merged into the config.
//! - [`context`]: a Dockerfile's build context as sent to the engine, and its hash.
//! - [`dockerignore`]: what a build context's `.dockerignore` leaves out.
//!
//! **Invariant**: nothing in a config reaches outside the repository. Every path it names is
//! resolved against the repository root and refused when absolute or when `..` climbs above the
//! root; local features must lie inside `.devcontainer/` (the CLI's rule).
//!
//! **Invariant**: nothing is silently dropped. Every property Perry does not act on is listed in
//! [`DevContainer::unsupported`] with its key, for the workspace's build log; properties of other
//! tools (`customizations.vscode`, `customizations.codespaces`, ...) and descriptive ones
//! (`name`, `$schema`) are no one's concern and are not listed.
//!
//! # What Perry does with each property
//! | property | decision |
//! |---|---|
//! | `image`, `build.{dockerfile,context,args,target,cacheFrom}`, legacy `dockerFile` + `context` | used ([`Source`]) |
//! | `build.options` | listed: raw `docker build` flags cannot go through the Docker API |
//! | other `build.*` keys | listed: unknown |
//! | `dockerComposeFile` | error: Compose configs are out of scope (`service`, `runServices` listed) |
//! | `features` (local), `overrideFeatureInstallOrder` | used ([`Feature`]); registry, tarball and legacy ids are errors |
//! | `containerEnv`, `remoteEnv`, `containerUser`, `remoteUser`, `workspaceFolder`, `mounts` (volumes) | used |
//! | `mounts` of type bind or tmpfs, volume options other than `consistency`/`external` | listed per entry (`mounts[i]`) |
//! | `onCreateCommand` .. `postAttachCommand` | used ([`Lifecycle`]), features' commands first |
//! | `forwardPorts`, `portsAttributes`/`otherPortsAttributes` (`label`) | used; `"host:port"` to another host listed; other attributes are hints for an attached editor, ignored |
//! | `customizations.perry.limits` | used; any other key under `customizations.perry` listed |
//! | `customizations.*` (others), legacy `extensions`/`settings`/`devPort`, `secrets`, `name`, `$schema` | other tools' or descriptive: not listed |
//! | `init`, `privileged`, `capAdd` | given already: Perry always runs workspaces with an init, and with every capability |
//! | `securityOpt` | given for `seccomp=unconfined`, `apparmor=unconfined`, `label=disable`; any other option listed |
//! | `updateRemoteUserUID` | not needed: Perry bind-mounts nothing from the host, so there are no file owners to match |
//! | `overrideCommand` | `true` (the default) is what Perry does; `false` listed: the image's own command is not run |
//! | `initializeCommand` | listed: a host-side command; Perry does not run the repository's commands on the agent's host |
//! | `appPort` | listed: publishing on the Docker host is not done; `forwardPorts` is |
//! | `runArgs` | listed: raw `docker run` flags cannot go through the Docker API |
//! | `workspaceMount` | listed: Perry clones the repository into the workspace itself |
//! | `hostRequirements` | listed: not checked; `customizations.perry.limits` sets the workspace's limits |
//! | `shutdownAction`, `waitFor` | listed: editor-session concerns; a workspace runs until it is stopped |
//! | `userEnvProbe` | listed unless `none`: commands get the container's env plus `remoteEnv`, no shell probe |
//! | `${devcontainerId}` | substituted as the CLI computes it ([`variables::devcontainer_id`]), also in features' mounts and commands |
//! | a feature's `entrypoint`, `mounts` (bind), `securityOpt` (other) | listed as `features."<id>".<key>`; its `privileged`/`init`/`capAdd` as above, its volume `mounts` used |
//! | anything else at the top level | listed: unknown property |

pub mod config;
pub mod context;
pub mod dockerignore;
pub mod features;
pub mod hash;
pub mod metadata;
pub mod variables;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

pub use config::{
    BuildSpec, Command, DevContainer, ForwardPort, HookCommand, Lifecycle, PerryCustomizations,
    Source, Unsupported, VolumeMount, parse,
};
pub use features::{Feature, features_context};
pub use hash::{HashInputs, content_hash, content_hasher};
pub use variables::{Variables, devcontainer_id, substitute_container_env};

/// Files of the repository under `.devcontainer/` plus `.devcontainer.json`, keyed by path
/// relative to the repository root using '/' (e.g. ".devcontainer/devcontainer.json",
/// ".devcontainer/feat/install.sh"). The caller fills it from a tar of those paths.
pub type ConfigFiles = BTreeMap<String, Vec<u8>>;

/// The folder every local feature and every named config lives in.
pub const DEVCONTAINER_DIR: &str = ".devcontainer";
/// The config used when no name is asked for, first choice.
pub const DEFAULT_CONFIG: &str = ".devcontainer/devcontainer.json";
/// The config used when no name is asked for and [`DEFAULT_CONFIG`] is absent.
pub const ROOT_CONFIG: &str = ".devcontainer.json";

/// Why a config cannot be used: a message for a person, naming the file and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevcontainerError(pub String);

impl fmt::Display for DevcontainerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DevcontainerError {}

impl DevcontainerError {
    /// `<file>: "<key>" <message>`, the shape of most errors.
    pub(crate) fn at(file: &str, key: &str, message: impl fmt::Display) -> Self {
        Self(format!("{file}: \"{key}\" {message}"))
    }

    /// `<file>: <message>`, for errors about the file as a whole.
    pub(crate) fn in_file(file: &str, message: impl fmt::Display) -> Self {
        Self(format!("{file}: {message}"))
    }
}

/// The config to use: `name` None → `.devcontainer/devcontainer.json`, else
/// `.devcontainer.json`; Some(n) → `.devcontainer/<n>/devcontainer.json` (an error listing the
/// names available when it is missing: every `.devcontainer/*/devcontainer.json`).
/// Ok(None) = the repository has no config (and no name was asked for).
///
/// The spec also lets a tool pick up `.devcontainer/<n>/devcontainer.json` on its own; like the
/// CLI, Perry uses a named config only when asked, so adding one never changes a workspace.
pub fn find_config(
    files: &ConfigFiles,
    name: Option<&str>,
) -> Result<Option<String>, DevcontainerError> {
    let Some(name) = name else {
        return Ok([DEFAULT_CONFIG, ROOT_CONFIG]
            .into_iter()
            .find(|path| files.contains_key(*path))
            .map(str::to_owned));
    };
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
        return Err(DevcontainerError(format!(
            "devcontainer config name {name:?} is not a folder name: it names .devcontainer/<name>/devcontainer.json"
        )));
    }
    let path = format!("{DEVCONTAINER_DIR}/{name}/devcontainer.json");
    if files.contains_key(&path) {
        return Ok(Some(path));
    }
    let available = named_configs(files);
    let listed = if available.is_empty() {
        "this repository has no .devcontainer/<name>/devcontainer.json".to_owned()
    } else {
        let names: Vec<String> = available.iter().map(|name| format!("{name:?}")).collect();
        format!("the names available are {}", names.join(", "))
    };
    Err(DevcontainerError(format!(
        "no devcontainer config named {name:?}: {path} does not exist; {listed}"
    )))
}

/// The names of every `.devcontainer/<name>/devcontainer.json`, sorted.
pub fn named_configs(files: &ConfigFiles) -> Vec<String> {
    files
        .keys()
        .filter_map(|path| {
            let rest = path.strip_prefix(".devcontainer/")?;
            let name = rest.strip_suffix("/devcontainer.json")?;
            (!name.is_empty() && !name.contains('/')).then(|| name.to_owned())
        })
        .collect()
}

/// The folder of a repository path ("" for a file at the root).
pub(crate) fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The last segment of a path.
pub(crate) fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit_once('/').map_or(trimmed, |(_, base)| base)
}

/// `relative` resolved against the repository folder `dir`, normalized ('/' separated, no `.`,
/// no `..`, no leading or trailing '/'; "" is the repository root). Absolute paths and `..` that
/// climb above the root are refused: a config only ever names files of its own repository.
pub(crate) fn resolve_in_repo(dir: &str, relative: &str) -> Result<String, String> {
    if relative.starts_with('/') || relative.starts_with('\\') {
        return Err(format!(
            "is an absolute path ({relative}); it must be relative to the config's folder and stay inside the repository"
        ));
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in dir.split('/').chain(relative.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(format!(
                        "({relative}) leads outside the repository; paths must stay inside it"
                    ));
                }
            }
            other => segments.push(other),
        }
    }
    Ok(segments.join("/"))
}

/// Whether the repository path `path` lies inside the folder `dir` ("" = the root holds all).
pub(crate) fn is_inside(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}
