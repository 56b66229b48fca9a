//! devcontainer.json into a [`DevContainer`]: JSONC parsed (comments and trailing commas, as the
//! CLI's `jsonc.parse`), read-time variables substituted, every property checked or listed as
//! unsupported (the table in the module's docs), local features resolved.

use std::collections::BTreeMap;

use perry_api::WorkspaceLimits;
use serde_json::{Map, Value};

use super::features::{self, Feature};
use super::hash::HashInputs;
use super::variables::{ReadContext, Variables, devcontainer_id, substitute_local};
use super::{ConfigFiles, DevcontainerError, parent_dir, resolve_in_repo};

/// A devcontainer.json, read and checked: what to build, what to run, and what Perry left out.
#[derive(Debug, Clone, PartialEq)]
pub struct DevContainer {
    /// The config's path in the repository, e.g. ".devcontainer/devcontainer.json".
    pub path: String,
    /// Where the image comes from.
    pub source: Source,
    /// Local features, resolved, in install order (`dependsOn`, `installsAfter` and
    /// `overrideFeatureInstallOrder` as in the CLI).
    pub features: Vec<Feature>,
    /// Set on the container.
    pub container_env: BTreeMap<String, String>,
    /// Set for lifecycle commands and the person's processes, not on the container; raw, may
    /// hold `${containerEnv:..}` ([`super::substitute_container_env`]). `None` unsets.
    pub remote_env: BTreeMap<String, Option<String>>,
    /// The user the container runs as; unset = the image's user.
    pub container_user: Option<String>,
    /// The user of lifecycle commands and of the person's processes; unset = the container user.
    pub remote_user: Option<String>,
    /// The in-container lifecycle commands, features' first (install order), then the config's.
    pub lifecycle: Lifecycle,
    /// Ports of the workspace to forward, without duplicates.
    pub forward_ports: Vec<ForwardPort>,
    /// Volumes to mount, features' then the config's, the last one for a target winning.
    pub mounts: Vec<VolumeMount>,
    /// `customizations.perry`.
    pub perry: PerryCustomizations,
    /// `workspaceFolder`: where commands run in the container; unset = Perry's own folder.
    pub workspace_folder: Option<String>,
    /// Every property Perry does not act on, for the workspace's build log.
    pub unsupported: Vec<Unsupported>,
    /// What [`super::content_hash`] reads besides the files.
    pub hash_inputs: HashInputs,
}

/// Where a dev container's image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `image`: a reference to pull.
    Image(String),
    /// `build`: a Dockerfile to build.
    Build(BuildSpec),
}

/// `build` (or the legacy top-level `dockerFile` + `context`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSpec {
    /// The Dockerfile, repository-relative and normalized (resolved against the config's folder).
    pub dockerfile: String,
    /// The build context folder, repository-relative ("" = the repository root); by default the
    /// Dockerfile's folder, as in the CLI (the spec's `"."` is the same when they sit together).
    pub context: String,
    /// `--build-arg`s, variables substituted.
    pub args: BTreeMap<String, String>,
    /// The stage to build.
    pub target: Option<String>,
    /// Images to use as cache sources.
    pub cache_from: Vec<String>,
}

/// A lifecycle command, in one of its three forms. Serializable so a built image can carry its
/// commands (in a label) for the starts after its create.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Command {
    /// A string: run with `/bin/sh -c` (always /bin/sh, as in the CLI).
    Shell(String),
    /// An array: executed directly, without a shell.
    Exec(Vec<String>),
    /// An object: every named command (a `Shell` or an `Exec`) at once; the hook waits for all,
    /// and fails if any fails.
    Parallel(Vec<(String, Command)>),
}

impl Command {
    /// The command with `${containerEnv:..}` replaced from the running container's environment.
    pub fn substitute_container_env(
        &self,
        env: &std::collections::HashMap<String, String>,
    ) -> Command {
        match self {
            Command::Shell(text) => Command::Shell(super::substitute_container_env(text, env)),
            Command::Exec(args) => Command::Exec(
                args.iter()
                    .map(|arg| super::substitute_container_env(arg, env))
                    .collect(),
            ),
            Command::Parallel(commands) => Command::Parallel(
                commands
                    .iter()
                    .map(|(name, command)| (name.clone(), command.substitute_container_env(env)))
                    .collect(),
            ),
        }
    }
}

/// One command of a hook, with where it came from (for the build log and failure messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookCommand {
    /// `devcontainer.json` or `Feature '<id as written>'`, as the CLI says it.
    pub origin: String,
    /// What to run.
    pub command: Command,
}

/// The in-container lifecycle hooks in the order they run; each holds the features' commands
/// (install order) then the config's. onCreate, updateContent and postCreate run once per
/// container, postStart at every start, postAttach at every attach; a failure stops the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub on_create: Vec<HookCommand>,
    pub update_content: Vec<HookCommand>,
    pub post_create: Vec<HookCommand>,
    pub post_start: Vec<HookCommand>,
    pub post_attach: Vec<HookCommand>,
}

/// The hooks' keys, in the order they run (and of `Lifecycle::hook_mut`).
pub const HOOK_KEYS: [&str; 5] = [
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
];

impl Lifecycle {
    /// The hook of [`HOOK_KEYS`]`[index]`.
    pub(crate) fn hook_mut(&mut self, index: usize) -> &mut Vec<HookCommand> {
        match index {
            0 => &mut self.on_create,
            1 => &mut self.update_content,
            2 => &mut self.post_create,
            3 => &mut self.post_start,
            _ => &mut self.post_attach,
        }
    }
}

/// A port of the workspace to forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardPort {
    pub port: u16,
    /// From `portsAttributes` (the port, `localhost:port` or a range `a-b`) or
    /// `otherPortsAttributes`.
    pub label: Option<String>,
}

/// A Docker volume mounted into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeMount {
    /// The volume's name; `None` = an anonymous volume.
    pub source: Option<String>,
    /// Where it is mounted, an absolute path.
    pub target: String,
}

/// `customizations.perry`: what Perry itself reads from a repository.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerryCustomizations {
    /// `limits: {cpus?, memoryMb?, pids?}`, checked like a create's limits.
    pub limits: Option<WorkspaceLimits>,
}

/// A property Perry does not act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// Its JSON path, e.g. `runArgs`, `build.options`, `mounts[1]`, `features."./x".entrypoint`.
    pub key: String,
    /// Why, in one line.
    pub why: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.why)
    }
}

/// Parses and checks the config at `path` (a key of `files`), substitutes `${localEnv:..}` /
/// `${env:..}` (with `:default`), `${localWorkspaceFolder}`, `${localWorkspaceFolderBasename}`,
/// `${containerWorkspaceFolder}`, `${containerWorkspaceFolderBasename}` and
/// `${devcontainerId}`; leaves `${containerEnv:..}` in place for later; resolves local features.
pub fn parse(
    files: &ConfigFiles,
    path: &str,
    vars: &Variables,
) -> Result<DevContainer, DevcontainerError> {
    let raw = read_jsonc_object(files, path)?;
    let mut unsupported = Vec::new();

    let devcontainer_id = devcontainer_id(&vars.local_workspace_folder, path);
    let mut context = ReadContext {
        vars,
        container_workspace_folder: vars.container_workspace_folder.clone(),
        devcontainer_id: &devcontainer_id,
    };
    // `${containerWorkspaceFolder}` is the config's own `workspaceFolder` when it has one (the
    // CLI's getWorkspaceConfiguration), itself substituted first.
    if let Some(Value::String(folder)) = raw.get("workspaceFolder")
        && !folder.is_empty()
    {
        context.container_workspace_folder = substitute_local(folder, &context)
            .map_err(|message| DevcontainerError::at(path, "workspaceFolder", message))?;
    }
    let mut config = Map::new();
    for (key, value) in raw {
        let value = substitute_value(value, &key, &mut |text: &str, at: &str| {
            substitute_local(text, &context)
                .map_err(|message| DevcontainerError::at(path, at, message))
        })?;
        config.insert(key, value);
    }

    let reader = Reader { file: path };
    if config.contains_key("dockerComposeFile") {
        return Err(DevcontainerError::in_file(
            path,
            "\"dockerComposeFile\" configs are not supported by Perry yet; use \"image\" or \"build\"",
        ));
    }
    let source = reader.source(files, &config, &mut unsupported)?;

    let mut container_env = BTreeMap::new();
    let mut remote_env = BTreeMap::new();
    let mut container_user = None;
    let mut remote_user = None;
    let mut config_hooks: [Option<Command>; 5] = Default::default();
    let mut workspace_folder = None;
    let mut perry = PerryCustomizations::default();
    let mut config_mounts: Vec<(String, &Value)> = Vec::new();
    for (key, value) in &config {
        let key = key.as_str();
        if let Some(index) = HOOK_KEYS.iter().position(|hook| *hook == key) {
            config_hooks[index] = parse_command(value)
                .map_err(|message| DevcontainerError::at(path, key, message))?;
            continue;
        }
        match key {
            // Used elsewhere in this function, or by `source`.
            "image"
            | "build"
            | "dockerFile"
            | "context"
            | "features"
            | "overrideFeatureInstallOrder"
            | "forwardPorts"
            | "portsAttributes"
            | "otherPortsAttributes" => {}
            // Descriptive, or other tools' (the CLI moves the legacy `extensions`,
            // `settings` and `devPort` into customizations.vscode).
            "name" | "$schema" | "extensions" | "settings" | "devPort" | "secrets" => {}
            "containerEnv" => container_env = reader.env_map(key, value)?,
            "remoteEnv" => remote_env = reader.remote_env(value)?,
            "containerUser" => container_user = reader.user(key, value)?,
            "remoteUser" => remote_user = reader.user(key, value)?,
            "workspaceFolder" => workspace_folder = reader.workspace_folder(value)?,
            "mounts" => {
                let Value::Array(entries) = value else {
                    return Err(DevcontainerError::at(path, key, "must be an array"));
                };
                config_mounts.extend(
                    entries
                        .iter()
                        .enumerate()
                        .map(|(index, entry)| (format!("mounts[{index}]"), entry)),
                );
            }
            "customizations" => perry = reader.customizations(value, &mut unsupported)?,
            // Perry's workspaces always run with an init and every capability.
            "init" | "privileged" | "capAdd" => {}
            "updateRemoteUserUID" => {}
            "securityOpt" => check_security_opt(key, value, &mut unsupported),
            "overrideCommand" => {
                if value == &Value::Bool(false) {
                    unsupported.push(Unsupported {
                        key: key.to_owned(),
                        why: "the image's own entrypoint and command are not run; Perry runs the container with its own".to_owned(),
                    });
                }
            }
            "userEnvProbe" => {
                if value.as_str() != Some("none") {
                    unsupported.push(Unsupported {
                        key: key.to_owned(),
                        why: "commands get the container's environment plus \"remoteEnv\"; the user's shell is not probed".to_owned(),
                    });
                }
            }
            other => unsupported.push(Unsupported {
                key: other.to_owned(),
                why: unsupported_why(other, value),
            }),
        }
    }

    let resolved = features::resolve(
        files,
        path,
        &devcontainer_id,
        config.get("features"),
        config.get("overrideFeatureInstallOrder"),
        &mut unsupported,
    )?;

    let mut lifecycle = Lifecycle::default();
    for feature in &resolved {
        let origin = format!("Feature '{}'", feature.feature.user_id);
        for (index, command) in feature.hooks.iter().enumerate() {
            if let Some(command) = command {
                lifecycle.hook_mut(index).push(HookCommand {
                    origin: origin.clone(),
                    command: command.clone(),
                });
            }
        }
    }
    for (index, command) in config_hooks.into_iter().enumerate() {
        if let Some(command) = command {
            lifecycle.hook_mut(index).push(HookCommand {
                origin: "devcontainer.json".to_owned(),
                command,
            });
        }
    }

    let mut mount_entries: Vec<MountSource> = Vec::new();
    for feature in &resolved {
        let listed_prefix = join_key("features", &feature.feature.user_id);
        for (index, value) in feature.mounts.iter().enumerate() {
            mount_entries.push(MountSource {
                file: &feature.metadata_path,
                key: format!("mounts[{index}]"),
                listed_key: format!("{listed_prefix}.mounts[{index}]"),
                value,
            });
        }
    }
    for (key, value) in config_mounts {
        mount_entries.push(MountSource {
            file: path,
            listed_key: key.clone(),
            key,
            value,
        });
    }
    let mounts = merge_mounts(mount_entries, &mut unsupported)?;
    let forward_ports = reader.forward_ports(&config, &mut unsupported)?;

    Ok(DevContainer {
        path: path.to_owned(),
        source,
        features: resolved
            .into_iter()
            .map(|resolved| resolved.feature)
            .collect(),
        container_env,
        remote_env,
        container_user,
        remote_user,
        lifecycle,
        forward_ports,
        mounts,
        perry,
        workspace_folder,
        unsupported,
        hash_inputs: HashInputs::new(&config),
    })
}

/// Why Perry leaves out a top-level property it does not act on.
pub(crate) fn unsupported_why(key: &str, value: &Value) -> String {
    match key {
        "initializeCommand" => "a command on the host side; Perry does not run the repository's commands on the agent's host".to_owned(),
        "appPort" => "ports are not published on the Docker host; list them in \"forwardPorts\" and Perry forwards them".to_owned(),
        "runArgs" => format!(
            "raw \"docker run\" flags cannot be passed through the Docker API Perry uses: {}",
            flat_list(value)
        ),
        "workspaceMount" => "Perry clones the repository into the workspace itself; its mount cannot be changed".to_owned(),
        "hostRequirements" => "not checked; \"customizations.perry.limits\" sets the workspace's limits".to_owned(),
        "shutdownAction" => "a workspace runs until it is stopped, whatever editor is attached".to_owned(),
        "waitFor" => "Perry does not hold the workspace back until a given hook has run".to_owned(),
        "service" | "runServices" => "only meaningful with \"dockerComposeFile\"".to_owned(),
        _ => "not a devcontainer.json property Perry knows".to_owned(),
    }
}

/// A short rendering of a string or an array of strings, for messages.
fn flat_list(value: &Value) -> String {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map_or_else(|| item.to_string(), str::to_owned)
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `securityOpt` entries Perry's workspaces already have (they run unconfined for their inner
/// Docker daemon); any other is listed.
pub(crate) fn check_security_opt(key: &str, value: &Value, unsupported: &mut Vec<Unsupported>) {
    const GIVEN: [&str; 4] = [
        "seccomp=unconfined",
        "apparmor=unconfined",
        "label=disable",
        "label:disable",
    ];
    let others: Vec<String> = match value {
        Value::Array(items) => items
            .iter()
            .filter(|item| !item.as_str().is_some_and(|opt| GIVEN.contains(&opt)))
            .map(|item| {
                item.as_str()
                    .map_or_else(|| item.to_string(), str::to_owned)
            })
            .collect(),
        Value::Null => Vec::new(),
        other => vec![other.to_string()],
    };
    if !others.is_empty() {
        unsupported.push(Unsupported {
            key: key.to_owned(),
            why: format!(
                "only seccomp=unconfined, apparmor=unconfined and label=disable are given (workspaces run unconfined); not {}",
                others.join(", ")
            ),
        });
    }
}

/// The text of `path` in `files`, parsed as JSONC into an object.
pub(crate) fn read_jsonc_object(
    files: &ConfigFiles,
    path: &str,
) -> Result<Map<String, Value>, DevcontainerError> {
    let Some(bytes) = files.get(path) else {
        return Err(DevcontainerError::in_file(path, "does not exist"));
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(DevcontainerError::in_file(path, "is not UTF-8 text"));
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Comments and trailing commas, as the CLI's jsonc-parser takes them; nothing more of JSON5.
    let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let value: Value = jsonc_parser::parse_to_serde_value(text, &options).map_err(|error| {
        DevcontainerError::in_file(path, format_args!("is not valid JSON: {error}"))
    })?;
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(DevcontainerError::in_file(
            path,
            "must contain a JSON object literal",
        )),
    }
}

/// `parent.key`, or `parent."key"` for a key that is not a plain word (feature ids, ports).
pub(crate) fn join_key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    let key = if plain {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// Substitutes every string of `value` (not the keys), `at` being its JSON path.
pub(crate) fn substitute_value(
    value: Value,
    at: &str,
    substitute: &mut impl FnMut(&str, &str) -> Result<String, DevcontainerError>,
) -> Result<Value, DevcontainerError> {
    Ok(match value {
        Value::String(text) => Value::String(substitute(&text, at)?),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| substitute_value(item, &format!("{at}[{index}]"), substitute))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(object) => {
            let mut out = Map::new();
            for (key, item) in object {
                let item = substitute_value(item, &join_key(at, &key), substitute)?;
                out.insert(key, item);
            }
            Value::Object(out)
        }
        other => other,
    })
}

/// A lifecycle command: a string (shell), an array of strings (exec) or an object of those
/// (parallel). Empty forms and `null` are no command.
pub(crate) fn parse_command(value: &Value) -> Result<Option<Command>, String> {
    const FORMS: &str = "must be a string, an array of strings, or an object whose values are strings or arrays of strings";
    fn single(value: &Value) -> Result<Option<Command>, ()> {
        match value {
            Value::String(text) if text.is_empty() => Ok(None),
            Value::String(text) => Ok(Some(Command::Shell(text.clone()))),
            Value::Array(items) if items.is_empty() => Ok(None),
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or(()))
                .collect::<Result<Vec<_>, _>>()
                .map(|args| Some(Command::Exec(args))),
            _ => Err(()),
        }
    }
    match value {
        Value::Null => Ok(None),
        Value::Object(commands) => {
            let mut parallel = Vec::new();
            for (name, command) in commands {
                match single(command) {
                    Ok(Some(command)) => parallel.push((name.clone(), command)),
                    Ok(None) => {}
                    Err(()) => return Err(format!("{FORMS} (\"{name}\" is not)")),
                }
            }
            Ok((!parallel.is_empty()).then_some(Command::Parallel(parallel)))
        }
        other => single(other).map_err(|()| FORMS.to_owned()),
    }
}

/// A `mounts` entry, read.
pub(crate) enum MountEntry {
    /// A volume, with the options of the entry that Perry does not apply.
    Volume(VolumeMount, Vec<String>),
    /// A mount Perry does not make, and why.
    Unsupported(String),
}

/// A `mounts` entry: a string in Docker's `--mount` syntax, or `{type, source?, target}`.
pub(crate) fn parse_mount(value: &Value) -> Result<MountEntry, String> {
    let mut kind = "volume".to_owned();
    let mut source = None;
    let mut target = None;
    let mut ignored = Vec::new();
    match value {
        Value::String(text) => {
            for part in text
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
            {
                let (name, value) = part.split_once('=').unwrap_or((part, ""));
                match name {
                    "type" => kind = value.to_owned(),
                    "source" | "src" => source = Some(value.to_owned()),
                    "target" | "dst" | "destination" => target = Some(value.to_owned()),
                    // Without effect on Linux.
                    "consistency" => {}
                    _ => ignored.push(part.to_owned()),
                }
            }
        }
        Value::Object(fields) => {
            for (name, value) in fields {
                match (name.as_str(), value) {
                    ("type", Value::String(text)) => kind = text.clone(),
                    ("source", Value::String(text)) => source = Some(text.clone()),
                    ("target", Value::String(text)) => target = Some(text.clone()),
                    // Whether the volume was made outside: Docker makes it when missing anyway.
                    ("external", _) => {}
                    ("type" | "source" | "target", _) => {
                        return Err(format!("\"{name}\" must be a string"));
                    }
                    _ => ignored.push(format!("{name}={value}")),
                }
            }
        }
        _ => {
            return Err(
                "must be a string in Docker's --mount syntax or an object {type, source, target}"
                    .to_owned(),
            );
        }
    }
    let Some(target) = target.filter(|target| !target.is_empty()) else {
        return Err("has no target".to_owned());
    };
    match kind.as_str() {
        "volume" => {}
        "bind" => {
            return Ok(MountEntry::Unsupported(format!(
                "bind mount of {} on {target}: Perry's workspaces do not share the agent's host files; use a volume",
                source.as_deref().unwrap_or("(no source)")
            )));
        }
        other => {
            return Ok(MountEntry::Unsupported(format!(
                "mounts of type {other:?} are not supported; only volumes are"
            )));
        }
    }
    if !target.starts_with('/') {
        return Err(format!("target {target:?} must be an absolute path"));
    }
    let source = source.filter(|source| !source.is_empty());
    if let Some(name) = &source
        && !is_volume_name(name)
    {
        return Err(format!(
            "source {name:?} is not a volume name (letters, digits, '_', '.', '-', starting with a letter or digit)"
        ));
    }
    Ok(MountEntry::Volume(VolumeMount { source, target }, ignored))
}

/// Docker's rule for volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
fn is_volume_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A `mounts` entry and where it was written.
struct MountSource<'a> {
    file: &'a str,
    /// Its key in `file`, for errors.
    key: String,
    /// Its key as listed among the unsupported (features' are prefixed with the feature).
    listed_key: String,
    value: &'a Value,
}

/// Mount entries in order (features' then the config's), read; for each target the last entry
/// wins, as in the CLI's mergeMounts. Entries Perry does not make are listed.
fn merge_mounts(
    entries: Vec<MountSource>,
    unsupported: &mut Vec<Unsupported>,
) -> Result<Vec<VolumeMount>, DevcontainerError> {
    let mut volumes: Vec<VolumeMount> = Vec::new();
    for entry in entries {
        let read = parse_mount(entry.value)
            .map_err(|message| DevcontainerError::at(entry.file, &entry.key, message))?;
        match read {
            MountEntry::Volume(volume, ignored) => {
                if !ignored.is_empty() {
                    unsupported.push(Unsupported {
                        key: entry.listed_key,
                        why: format!(
                            "the volume is mounted without these options: {}",
                            ignored.join(", ")
                        ),
                    });
                }
                volumes.retain(|earlier| earlier.target != volume.target);
                volumes.push(volume);
            }
            MountEntry::Unsupported(why) => unsupported.push(Unsupported {
                key: entry.listed_key,
                why,
            }),
        }
    }
    Ok(volumes)
}

/// Reads typed values out of one file, with errors naming it.
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a str,
}

impl Reader<'_> {
    fn error(&self, key: &str, message: impl std::fmt::Display) -> DevcontainerError {
        DevcontainerError::at(self.file, key, message)
    }

    fn string(&self, key: &str, value: &Value) -> Result<String, DevcontainerError> {
        match value {
            Value::String(text) => Ok(text.clone()),
            _ => Err(self.error(key, "must be a string")),
        }
    }

    fn object<'v>(
        &self,
        key: &str,
        value: &'v Value,
    ) -> Result<&'v Map<String, Value>, DevcontainerError> {
        match value {
            Value::Object(object) => Ok(object),
            _ => Err(self.error(key, "must be an object")),
        }
    }

    /// A path of the config, resolved against the config's folder.
    fn repo_path(&self, key: &str, relative: &str) -> Result<String, DevcontainerError> {
        resolve_in_repo(parent_dir(self.file), relative).map_err(|message| self.error(key, message))
    }

    /// `image`, `build` or the legacy `dockerFile` + `context` (configContainer.ts: a
    /// Dockerfile config when `dockerFile` or `build.dockerfile` is there, else an image one).
    fn source(
        &self,
        files: &ConfigFiles,
        config: &Map<String, Value>,
        unsupported: &mut Vec<Unsupported>,
    ) -> Result<Source, DevcontainerError> {
        let build = match config.get("build") {
            Some(value) => Some(self.object("build", value)?),
            None => None,
        };
        let (dockerfile_key, dockerfile) = match (config.get("dockerFile"), build) {
            (Some(value), _) => ("dockerFile", Some(value)),
            (None, Some(build)) => ("build.dockerfile", build.get("dockerfile")),
            (None, None) => ("build.dockerfile", None),
        };
        let Some(dockerfile) = dockerfile else {
            let Some(image) = config.get("image") else {
                return Err(DevcontainerError::in_file(
                    self.file,
                    "must have \"image\" or \"build\" (with a \"dockerfile\")",
                ));
            };
            let image = self.string("image", image)?;
            if image.trim().is_empty() {
                return Err(self.error("image", "must not be empty"));
            }
            if build.is_some() {
                unsupported.push(Unsupported {
                    key: "build".to_owned(),
                    why: "ignored: it has no \"dockerfile\", so \"image\" is used".to_owned(),
                });
            }
            if config.contains_key("context") {
                unsupported.push(Unsupported {
                    key: "context".to_owned(),
                    why: "ignored: it goes with the legacy \"dockerFile\"".to_owned(),
                });
            }
            return Ok(Source::Image(image));
        };

        let relative = self.string(dockerfile_key, dockerfile)?;
        if relative.is_empty() {
            return Err(self.error(dockerfile_key, "must not be empty"));
        }
        let dockerfile = self.repo_path(dockerfile_key, &relative)?;
        let in_config_files = dockerfile.starts_with(".devcontainer/");
        if in_config_files && !files.contains_key(&dockerfile) {
            return Err(self.error(
                dockerfile_key,
                format_args!("names {dockerfile}, which does not exist"),
            ));
        }
        let legacy = dockerfile_key == "dockerFile";
        let (context_key, context) = if legacy && config.contains_key("context") {
            ("context", config.get("context"))
        } else {
            (
                "build.context",
                build.and_then(|build| build.get("context")),
            )
        };
        if !legacy && config.contains_key("context") {
            unsupported.push(Unsupported {
                key: "context".to_owned(),
                why: "ignored: it goes with the legacy \"dockerFile\"; use \"build.context\""
                    .to_owned(),
            });
        }
        let context = match context {
            Some(value) => {
                let relative = self.string(context_key, value)?;
                self.repo_path(context_key, &relative)?
            }
            None => parent_dir(&dockerfile).to_owned(),
        };
        if config.contains_key("image") {
            unsupported.push(Unsupported {
                key: "image".to_owned(),
                why:
                    "ignored: the image is built from the Dockerfile, as the devcontainer CLI does"
                        .to_owned(),
            });
        }

        let mut spec = BuildSpec {
            dockerfile,
            context,
            args: BTreeMap::new(),
            target: None,
            cache_from: Vec::new(),
        };
        for (key, value) in build.into_iter().flatten() {
            let full_key = format!("build.{key}");
            match key.as_str() {
                "dockerfile" | "context" => {}
                "args" => {
                    for (name, arg) in self.object(&full_key, value)? {
                        let arg_key = join_key(&full_key, name);
                        spec.args.insert(name.clone(), self.scalar(&arg_key, arg)?);
                    }
                }
                "target" => {
                    let target = self.string(&full_key, value)?;
                    spec.target = (!target.is_empty()).then_some(target);
                }
                "cacheFrom" => {
                    spec.cache_from = match value {
                        Value::String(image) => vec![image.clone()],
                        Value::Array(images) => images
                            .iter()
                            .enumerate()
                            .map(|(index, image)| {
                                self.string(&format!("{full_key}[{index}]"), image)
                            })
                            .collect::<Result<_, _>>()?,
                        _ => {
                            return Err(
                                self.error(&full_key, "must be a string or an array of strings")
                            );
                        }
                    };
                    spec.cache_from.retain(|image| !image.is_empty());
                }
                "options" => {
                    if value.as_array().is_some_and(|options| !options.is_empty()) {
                        unsupported.push(Unsupported {
                            key: full_key,
                            why: format!(
                                "raw \"docker build\" flags cannot be passed through the Docker API Perry uses: {}",
                                flat_list(value)
                            ),
                        });
                    }
                }
                _ => unsupported.push(Unsupported {
                    key: full_key,
                    why: "not a \"build\" property Perry knows".to_owned(),
                }),
            }
        }
        Ok(Source::Build(spec))
    }

    /// A string, number or boolean, as the text the CLI would pass on (`${k}=${v}`).
    fn scalar(&self, key: &str, value: &Value) -> Result<String, DevcontainerError> {
        match value {
            Value::String(text) => Ok(text.clone()),
            Value::Number(number) => Ok(number.to_string()),
            Value::Bool(flag) => Ok(flag.to_string()),
            _ => Err(self.error(key, "must be a string")),
        }
    }

    fn env_name(&self, key: &str, name: &str) -> Result<(), DevcontainerError> {
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(self.error(
                key,
                format_args!("has a variable named {name:?}, which cannot be set"),
            ));
        }
        Ok(())
    }

    pub(crate) fn env_map(
        &self,
        key: &str,
        value: &Value,
    ) -> Result<BTreeMap<String, String>, DevcontainerError> {
        let mut env = BTreeMap::new();
        for (name, item) in self.object(key, value)? {
            self.env_name(key, name)?;
            env.insert(name.clone(), self.scalar(&join_key(key, name), item)?);
        }
        Ok(env)
    }

    pub(crate) fn remote_env(
        &self,
        value: &Value,
    ) -> Result<BTreeMap<String, Option<String>>, DevcontainerError> {
        let mut env = BTreeMap::new();
        for (name, item) in self.object("remoteEnv", value)? {
            self.env_name("remoteEnv", name)?;
            let item = match item {
                Value::Null => None,
                other => Some(self.scalar(&join_key("remoteEnv", name), other)?),
            };
            env.insert(name.clone(), item);
        }
        Ok(env)
    }

    /// A user name or uid, optionally `:group`; the characters are limited so the name can go
    /// into the features' shell lines and env files without quoting trouble.
    pub(crate) fn user(
        &self,
        key: &str,
        value: &Value,
    ) -> Result<Option<String>, DevcontainerError> {
        let user = self.string(key, value)?;
        if user.is_empty() {
            return Ok(None);
        }
        if !is_user_spec(&user) {
            return Err(self.error(
                key,
                format_args!(
                    "{user:?} is not a user name or uid (letters, digits, '_', '.', '-', optionally \":group\")"
                ),
            ));
        }
        Ok(Some(user))
    }

    fn workspace_folder(&self, value: &Value) -> Result<Option<String>, DevcontainerError> {
        let folder = self.string("workspaceFolder", value)?;
        if folder.is_empty() {
            return Ok(None);
        }
        if !folder.starts_with('/') {
            return Err(self.error(
                "workspaceFolder",
                format_args!("must be an absolute path in the container, not {folder:?}"),
            ));
        }
        Ok(Some(folder))
    }

    /// `customizations`: only the `perry` namespace is Perry's; the others belong to other tools.
    fn customizations(
        &self,
        value: &Value,
        unsupported: &mut Vec<Unsupported>,
    ) -> Result<PerryCustomizations, DevcontainerError> {
        let mut perry = PerryCustomizations::default();
        let Some(perry_value) = self.object("customizations", value)?.get("perry") else {
            return Ok(perry);
        };
        for (key, item) in self.object("customizations.perry", perry_value)? {
            let full_key = join_key("customizations.perry", key);
            if key != "limits" {
                unsupported.push(Unsupported {
                    key: full_key,
                    why: "not a Perry customization (Perry knows \"limits\")".to_owned(),
                });
                continue;
            }
            let mut limits = WorkspaceLimits::default();
            for (name, limit) in self.object(&full_key, item)? {
                let limit_key = join_key(&full_key, name);
                match name.as_str() {
                    "cpus" => {
                        limits.cpus = Some(limit.as_f64().ok_or_else(|| {
                            self.error(&limit_key, "must be a number of CPUs, e.g. 2 or 1.5")
                        })?);
                    }
                    "memoryMb" => limits.memory_mb = Some(self.count(&limit_key, limit)?),
                    "pids" => limits.pids = Some(self.count(&limit_key, limit)?),
                    _ => unsupported.push(Unsupported {
                        key: limit_key,
                        why: "not a limit Perry knows (cpus, memoryMb, pids)".to_owned(),
                    }),
                }
            }
            crate::limits::check_limits(&limits)
                .map_err(|message| self.error(&full_key, message))?;
            perry.limits = Some(limits);
        }
        Ok(perry)
    }

    fn count(&self, key: &str, value: &Value) -> Result<u32, DevcontainerError> {
        value
            .as_u64()
            .and_then(|count| u32::try_from(count).ok())
            .ok_or_else(|| self.error(key, "must be a whole number from 0 to 4294967295"))
    }

    /// `forwardPorts`, labelled from `portsAttributes` / `otherPortsAttributes`.
    pub(crate) fn forward_ports(
        &self,
        config: &Map<String, Value>,
        unsupported: &mut Vec<Unsupported>,
    ) -> Result<Vec<ForwardPort>, DevcontainerError> {
        let attributes = match config.get("portsAttributes") {
            Some(value) => Some(self.object("portsAttributes", value)?),
            None => None,
        };
        let other_label = match config.get("otherPortsAttributes") {
            Some(value) => self.label("otherPortsAttributes", value)?,
            None => None,
        };
        let mut labels: Vec<(String, Option<String>)> = Vec::new();
        for (key, value) in attributes.into_iter().flatten() {
            labels.push((
                key.clone(),
                self.label(&join_key("portsAttributes", key), value)?,
            ));
        }

        let Some(value) = config.get("forwardPorts") else {
            return Ok(Vec::new());
        };
        let Value::Array(entries) = value else {
            return Err(self.error("forwardPorts", "must be an array of ports"));
        };
        let mut ports: Vec<ForwardPort> = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let key = format!("forwardPorts[{index}]");
            let port = match entry {
                Value::Number(number) => number
                    .as_u64()
                    .ok_or_else(|| self.port_error(&key, &number.to_string()))
                    .and_then(|port| self.port(&key, port))?,
                Value::String(text) => {
                    let (host, port) = text.rsplit_once(':').unwrap_or(("localhost", text));
                    let port = port
                        .parse::<u64>()
                        .map_err(|_| self.port_error(&key, text))
                        .and_then(|port| self.port(&key, port))?;
                    if host != "localhost" && host != "127.0.0.1" {
                        unsupported.push(Unsupported {
                            key,
                            why: format!(
                                "{text:?} forwards a port of another host ({host}); Perry forwards the workspace's own ports"
                            ),
                        });
                        continue;
                    }
                    port
                }
                _ => {
                    return Err(self.error(&key, "must be a port number or a \"host:port\" string"));
                }
            };
            if ports.iter().any(|known| known.port == port) {
                continue;
            }
            let label = port_label(&labels, port).unwrap_or_else(|| other_label.clone());
            ports.push(ForwardPort { port, label });
        }
        Ok(ports)
    }

    fn port_error(&self, key: &str, text: &str) -> DevcontainerError {
        self.error(
            key,
            format_args!("must be a port number from 1 to 65535, not {text}"),
        )
    }

    fn port(&self, key: &str, port: u64) -> Result<u16, DevcontainerError> {
        u16::try_from(port)
            .ok()
            .filter(|port| *port != 0)
            .ok_or_else(|| self.port_error(key, &port.to_string()))
    }

    /// The `label` of a port attributes object.
    fn label(&self, key: &str, value: &Value) -> Result<Option<String>, DevcontainerError> {
        match self.object(key, value)?.get("label") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(label)) => Ok(Some(label.clone())),
            Some(_) => Err(self.error(&join_key(key, "label"), "must be a string")),
        }
    }
}

/// The label of the first `portsAttributes` key naming `port` exactly (`3000`,
/// `localhost:3000`), else of the first range (`3000-3010`) holding it; `None` when no key
/// matches (then `otherPortsAttributes` applies). Regular-expression keys are not matched.
fn port_label(labels: &[(String, Option<String>)], port: u16) -> Option<Option<String>> {
    let exact = labels.iter().find(|(key, _)| {
        let bare = key
            .strip_prefix("localhost:")
            .or_else(|| key.strip_prefix("127.0.0.1:"))
            .unwrap_or(key);
        bare.parse::<u16>() == Ok(port)
    });
    let range = || {
        labels.iter().find(|(key, _)| {
            key.split_once('-').is_some_and(|(low, high)| {
                matches!((low.trim().parse::<u16>(), high.trim().parse::<u16>()),
                    (Ok(low), Ok(high)) if low <= port && port <= high)
            })
        })
    };
    exact.or_else(range).map(|(_, label)| label.clone())
}

/// `name`, `uid`, `name:group` or `uid:gid`, in a conservative character set.
pub(crate) fn is_user_spec(user: &str) -> bool {
    let part = |text: &str| {
        let mut chars = text.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    match user.split_once(':') {
        Some((name, group)) => part(name) && part(group),
        None => part(user),
    }
}
