//! Local features (folders of `.devcontainer/` with a devcontainer-feature.json and an
//! install.sh): which ones, with which options, in which order, and the Dockerfile that installs
//! them on an image. Follows the CLI: `containerFeaturesConfiguration.ts` (ids, options, the
//! install wrapper) and `containerFeaturesOrder.ts` (the install order).
//!
//! Features from a registry (OCI references, `https://` tarballs) are refused: the agent does not
//! reach registries for them, and the CLI keeps no offline copy. Legacy ids without a `/` are
//! refused as the CLI refuses them.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;

use super::config::{
    Command, DevContainer, HOOK_KEYS, Unsupported, join_key, parse_command, read_jsonc_object,
    substitute_value,
};
use super::variables::substitute_devcontainer_id;
use super::{ConfigFiles, DEVCONTAINER_DIR, DevcontainerError, base_name, is_inside, parent_dir};

/// The feature description file of a feature folder.
pub const FEATURE_FILE: &str = "devcontainer-feature.json";
/// The script every feature runs, as root, from its own folder.
pub const INSTALL_SCRIPT: &str = "install.sh";
/// Where the features' folders are copied in the image (the CLI's non-BuildKit layout).
pub const FEATURES_DIR_IN_IMAGE: &str = "/tmp/dev-container-features";

/// A local feature, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// Its folder's name (the CLI takes the id from the path, not from the file).
    pub id: String,
    /// The id as written in `features` or `dependsOn`, e.g. "./hello".
    pub user_id: String,
    /// Its folder, repository-relative, e.g. ".devcontainer/hello".
    pub dir: String,
    /// `name` of its devcontainer-feature.json, else the id.
    pub name: String,
    /// The options as install.sh gets them: (NAME, value), the defaults merged under the values
    /// given, names made safe (`getSafeId`), in the CLI's order.
    pub options_env: Vec<(String, String)>,
    /// Its `containerEnv`, set in the image before its install runs.
    pub container_env: BTreeMap<String, String>,
    /// Its place in the install order, from 0.
    pub install_index: usize,
}

impl Feature {
    /// Its folder in the features' build context and in the image: `<id>_<index>`, as the CLI.
    pub fn build_folder(&self) -> String {
        format!("{}_{}", self.id, self.install_index)
    }
}

/// A feature resolved with what goes into the dev container besides its install.
pub(crate) struct Resolved {
    pub feature: Feature,
    /// Its devcontainer-feature.json, for messages.
    pub metadata_path: String,
    /// Its lifecycle commands, by [`HOOK_KEYS`] index.
    pub hooks: [Option<Command>; 5],
    /// Its `mounts` entries as written.
    pub mounts: Vec<Value>,
}

/// What a feature id refers to.
enum Reference {
    /// A folder of the repository.
    Local(String),
    /// An OCI reference or a tarball URL.
    Registry,
    /// An id without a '/', from before features were published.
    Legacy,
}

/// `getFeatureIdType` plus the local-path checks of the CLI: local paths are resolved against
/// the config's folder and must lead inside `.devcontainer/`.
fn classify(config_path: &str, user_id: &str) -> Result<Reference, String> {
    if !user_id.contains(['/', '\\']) {
        return Ok(Reference::Legacy);
    }
    if user_id.starts_with('/') {
        return Err(format!(
            "Feature {user_id:?} is an absolute path; local features are relative to the config's folder (\"./name\")"
        ));
    }
    if !(user_id.starts_with("./") || user_id.starts_with("../")) {
        return Ok(Reference::Registry);
    }
    let dir = super::resolve_in_repo(parent_dir(config_path), user_id)
        .map_err(|message| format!("Feature {user_id:?} {message}"))?;
    if dir == DEVCONTAINER_DIR || !is_inside(&dir, DEVCONTAINER_DIR) {
        return Err(format!(
            "Feature {user_id:?} resolves to {}, but a local feature must be a folder inside .devcontainer/",
            if dir.is_empty() {
                "the repository root"
            } else {
                &dir
            }
        ));
    }
    // The folder's name becomes the feature's id and its folder in the build context and the
    // image: kept to what needs no quoting anywhere.
    let id = base_name(&dir);
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(format!(
            "Feature {user_id:?}: a local feature's folder name is made of letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(Reference::Local(dir))
}

/// One node of the dependency graph (the CLI's FNode).
struct Node {
    user_id: String,
    dir: String,
    /// The value given in `features` or `dependsOn`, as written.
    options: Value,
    /// `dir` + the options in a canonical form: two nodes are the same feature when equal.
    identity: String,
    /// Hard dependencies, by identity.
    depends_on: Vec<String>,
    /// Soft dependencies, by folder.
    installs_after: Vec<String>,
    priority: usize,
}

/// Reads `features` and `overrideFeatureInstallOrder` of the config at `config_path`: every
/// local feature and its `dependsOn`, in install order.
pub(crate) fn resolve(
    files: &ConfigFiles,
    config_path: &str,
    devcontainer_id: &str,
    features: Option<&Value>,
    override_order: Option<&Value>,
    unsupported: &mut Vec<Unsupported>,
) -> Result<Vec<Resolved>, DevcontainerError> {
    let Some(features) = features else {
        return Ok(Vec::new());
    };
    let Value::Object(features) = features else {
        return Err(DevcontainerError::at(
            config_path,
            "features",
            "must be an object of feature ids and their options",
        ));
    };

    let mut legacy = Vec::new();
    let mut registry = Vec::new();
    let mut worklist = Vec::new();
    for (user_id, options) in features {
        match classify(config_path, user_id)
            .map_err(|message| DevcontainerError::at(config_path, "features", message))?
        {
            Reference::Local(dir) => worklist.push((user_id.clone(), dir, options.clone())),
            Reference::Registry => registry.push(format!("{user_id:?}")),
            Reference::Legacy => legacy.push(format!("{user_id:?}")),
        }
    }
    if !legacy.is_empty() {
        return Err(DevcontainerError::in_file(
            config_path,
            format_args!(
                "legacy Feature {} not supported (as in the devcontainer CLI); a local Feature is referenced with \"./\" before its folder's name, e.g. \"./{}\"",
                legacy.join(", "),
                legacy[0].trim_matches('"'),
            ),
        ));
    }
    refuse_registry(config_path, &registry)?;

    // The CLI's _buildDependencyGraph: a worklist walked in order, each feature's `dependsOn`
    // appended to it, features equal to one already taken (same folder, same options) skipped.
    let mut metadata: BTreeMap<String, Metadata> = BTreeMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut next = 0;
    while next < worklist.len() {
        let (user_id, dir, options) = worklist[next].clone();
        next += 1;
        if !metadata.contains_key(&dir) {
            let read = Metadata::read(files, &dir, &user_id, devcontainer_id)?;
            metadata.insert(dir.clone(), read);
        }
        let identity = identity(&dir, &options);
        if nodes.iter().any(|node| node.identity == identity) {
            continue;
        }
        let meta = &metadata[&dir];
        let mut depends_on = Vec::new();
        for (dependency, dependency_options) in &meta.depends_on {
            match classify(config_path, dependency)
                .map_err(|message| DevcontainerError::at(&meta.path, "dependsOn", message))?
            {
                Reference::Local(dependency_dir) => {
                    depends_on.push(self::identity(&dependency_dir, dependency_options));
                    worklist.push((
                        dependency.clone(),
                        dependency_dir,
                        dependency_options.clone(),
                    ));
                }
                Reference::Registry | Reference::Legacy => {
                    registry.push(format!("{dependency:?} (a dependency of {user_id:?})"));
                }
            }
        }
        let mut installs_after = Vec::new();
        for after in &meta.installs_after {
            // A soft dependency only orders features already in the set, which are all local.
            if let Reference::Local(after_dir) = classify(config_path, after)
                .map_err(|message| DevcontainerError::at(&meta.path, "installsAfter", message))?
            {
                installs_after.push(after_dir);
            }
        }
        nodes.push(Node {
            user_id,
            dir,
            options,
            identity,
            depends_on,
            installs_after,
            priority: 0,
        });
    }
    refuse_registry(config_path, &registry)?;

    // Soft dependencies on features outside the set are dropped.
    let dirs: Vec<String> = nodes.iter().map(|node| node.dir.clone()).collect();
    for node in &mut nodes {
        node.installs_after.retain(|after| dirs.contains(after));
    }
    apply_override_order(config_path, override_order, &mut nodes)?;
    let ordered = install_order(config_path, nodes)?;

    let mut resolved = Vec::new();
    for (install_index, node) in ordered.into_iter().enumerate() {
        let meta = &metadata[&node.dir];
        let id = base_name(&node.dir).to_owned();
        let listed_prefix = join_key("features", &node.user_id);
        for (key, why) in &meta.unsupported {
            let entry = Unsupported {
                key: format!("{listed_prefix}.{key}"),
                why: why.clone(),
            };
            // A feature installed twice (other options) is listed once.
            if !unsupported.contains(&entry) {
                unsupported.push(entry);
            }
        }
        let options_env = meta.options_env(config_path, &node)?;
        resolved.push(Resolved {
            feature: Feature {
                name: meta.name.clone().unwrap_or_else(|| id.clone()),
                id,
                user_id: node.user_id,
                dir: node.dir,
                options_env,
                container_env: meta.container_env.clone(),
                install_index,
            },
            metadata_path: meta.path.clone(),
            hooks: meta.hooks.clone(),
            mounts: meta.mounts.clone(),
        });
    }
    Ok(resolved)
}

/// The error naming every feature that would come from a registry.
fn refuse_registry(config_path: &str, registry: &[String]) -> Result<(), DevcontainerError> {
    if registry.is_empty() {
        return Ok(());
    }
    let (noun, verb) = if registry.len() == 1 {
        ("Feature", "comes")
    } else {
        ("Features", "come")
    };
    Err(DevcontainerError::in_file(
        config_path,
        format_args!(
            "{noun} {} {verb} from a registry, which this agent cannot reach; vendor it into .devcontainer/ as a local feature (a folder with {FEATURE_FILE} and {INSTALL_SCRIPT}, referenced as \"./<folder>\")",
            registry.join(", ")
        ),
    ))
}

/// `overrideFeatureInstallOrder`: entry i of n raises the features it names to priority n - i.
fn apply_override_order(
    config_path: &str,
    override_order: Option<&Value>,
    nodes: &mut [Node],
) -> Result<(), DevcontainerError> {
    let Some(value) = override_order else {
        return Ok(());
    };
    let key = "overrideFeatureInstallOrder";
    let Value::Array(entries) = value else {
        return Err(DevcontainerError::at(
            config_path,
            key,
            "must be an array of feature ids",
        ));
    };
    let count = entries.len();
    for (index, entry) in entries.iter().enumerate() {
        let Value::String(user_id) = entry else {
            return Err(DevcontainerError::at(
                config_path,
                &format!("{key}[{index}]"),
                "must be a string",
            ));
        };
        if let Reference::Local(dir) = classify(config_path, user_id)
            .map_err(|message| DevcontainerError::at(config_path, key, message))?
        {
            for node in nodes.iter_mut().filter(|node| node.dir == dir) {
                node.priority = node.priority.max(count - index);
            }
        }
    }
    Ok(())
}

/// The CLI's computeDependsOnInstallationOrder: rounds of the features whose dependencies are
/// all installed, keeping those of the highest priority, sorted by folder then options.
fn install_order(config_path: &str, mut nodes: Vec<Node>) -> Result<Vec<Node>, DevcontainerError> {
    let mut installed: Vec<Node> = Vec::new();
    while !nodes.is_empty() {
        let ready = |node: &Node| {
            node.depends_on
                .iter()
                .all(|dependency| installed.iter().any(|done| &done.identity == dependency))
                && node
                    .installs_after
                    .iter()
                    .all(|after| installed.iter().any(|done| &done.dir == after))
        };
        let round_priority = nodes
            .iter()
            .filter(|node| ready(node))
            .map(|node| node.priority)
            .max();
        let Some(round_priority) = round_priority else {
            let mut remaining: Vec<String> = nodes
                .iter()
                .map(|node| format!("{:?}", node.user_id))
                .collect();
            remaining.dedup();
            return Err(DevcontainerError::in_file(
                config_path,
                format_args!(
                    "the features {} depend on each other in a cycle (dependsOn / installsAfter), so they have no install order",
                    remaining.join(", ")
                ),
            ));
        };
        let (mut round, rest): (Vec<Node>, Vec<Node>) = nodes
            .into_iter()
            .partition(|node| ready(node) && node.priority == round_priority);
        nodes = rest;
        round.sort_by(|a, b| {
            locale_compare(&a.dir, &b.dir).then_with(|| options_compare(&a.options, &b.options))
        });
        installed.extend(round);
    }
    Ok(installed)
}

/// An approximation of JavaScript's `localeCompare` (ICU root collation), which the CLI sorts
/// features with: punctuation before digits before letters, letters compared without case
/// first, then lowercase before uppercase.
fn locale_compare(a: &str, b: &str) -> Ordering {
    fn key(c: char) -> (u8, char) {
        let class = if c.is_ascii_digit() {
            1
        } else if c.is_alphabetic() {
            2
        } else if c.is_ascii() {
            0
        } else {
            3
        };
        (class, c.to_ascii_lowercase())
    }
    let primary = a.chars().map(key).cmp(b.chars().map(key));
    primary.then_with(|| {
        // Lowercase first: flip the case bit so 'a' sorts before 'A'.
        let flip = |c: char| {
            if c.is_ascii_alphabetic() {
                (c as u8 ^ 0x20) as char
            } else {
                c
            }
        };
        a.chars().map(flip).cmp(b.chars().map(flip))
    })
}

/// The CLI's optionsCompareTo, for one feature installed with different options: strings and
/// booleans by value; objects by their number of keys, then key by key (sorted); values of
/// different JavaScript types by the type's name.
fn options_compare(a: &Value, b: &Value) -> Ordering {
    fn type_name(value: &Value) -> &'static str {
        match value {
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Null | Value::Array(_) | Value::Object(_) => "object",
        }
    }
    fn scalar(a: &Value, b: &Value) -> Ordering {
        match (a, b) {
            (Value::String(a), Value::String(b)) => locale_compare(a, b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            _ => Ordering::Equal,
        }
    }
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let mut a_keys: Vec<&String> = a.keys().collect();
            let mut b_keys: Vec<&String> = b.keys().collect();
            a_keys.sort();
            b_keys.sort();
            a_keys.len().cmp(&b_keys.len()).then_with(|| {
                a_keys
                    .iter()
                    .zip(&b_keys)
                    .map(|(a_key, b_key)| {
                        if a_key != b_key {
                            return locale_compare(a_key, b_key);
                        }
                        scalar(&a[*a_key], &b[*b_key])
                    })
                    .find(|ordering| ordering.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
        }
        (Value::String(_), Value::String(_)) | (Value::Bool(_), Value::Bool(_)) => scalar(a, b),
        _ => type_name(a).cmp(type_name(b)),
    }
}

/// A feature's identity: its folder and its options as given, canonical (sorted keys).
fn identity(dir: &str, options: &Value) -> String {
    format!("{dir}\n{}", super::hash::canonical_json(options))
}

/// A feature's devcontainer-feature.json, read.
struct Metadata {
    path: String,
    name: Option<String>,
    /// Options in declaration order, with their default if they have one.
    options: Vec<(String, Option<Value>)>,
    container_env: BTreeMap<String, String>,
    depends_on: Vec<(String, Value)>,
    installs_after: Vec<String>,
    hooks: [Option<Command>; 5],
    mounts: Vec<Value>,
    /// (key inside the feature, why) for what Perry does not do.
    unsupported: Vec<(String, String)>,
}

impl Metadata {
    fn read(
        files: &ConfigFiles,
        dir: &str,
        user_id: &str,
        devcontainer_id: &str,
    ) -> Result<Self, DevcontainerError> {
        let path = format!("{dir}/{FEATURE_FILE}");
        if !files.contains_key(&path) {
            return Err(DevcontainerError(format!(
                "Feature {user_id:?}: {path} does not exist; a local feature is a folder with {FEATURE_FILE} and {INSTALL_SCRIPT}"
            )));
        }
        let install = format!("{dir}/{INSTALL_SCRIPT}");
        if !files.contains_key(&install) {
            return Err(DevcontainerError(format!(
                "Feature {user_id:?}: {install} does not exist; every feature needs an {INSTALL_SCRIPT}"
            )));
        }
        let object = read_jsonc_object(files, &path)?;
        let error = |key: &str, message: &str| DevcontainerError::at(&path, key, message);
        let mut meta = Metadata {
            path: path.clone(),
            name: None,
            options: Vec::new(),
            container_env: BTreeMap::new(),
            depends_on: Vec::new(),
            installs_after: Vec::new(),
            hooks: Default::default(),
            mounts: Vec::new(),
            unsupported: Vec::new(),
        };
        for (key, value) in &object {
            let key = key.as_str();
            // What a feature adds to the container gets `${devcontainerId}`, as in the CLI.
            let substituted;
            let value = if key == "mounts" || HOOK_KEYS.contains(&key) {
                substituted = substitute_value(value.clone(), key, &mut |text: &str, _: &str| {
                    Ok(substitute_devcontainer_id(text, devcontainer_id))
                })?;
                &substituted
            } else {
                value
            };
            if let Some(index) = HOOK_KEYS.iter().position(|hook| *hook == key) {
                meta.hooks[index] = parse_command(value).map_err(|message| error(key, &message))?;
                continue;
            }
            match key {
                "name" => {
                    let name = value
                        .as_str()
                        .ok_or_else(|| error(key, "must be a string"))?;
                    meta.name = (!name.is_empty()).then(|| name.to_owned());
                }
                "options" => meta.options = read_options(&path, value)?,
                "containerEnv" => meta.container_env = read_feature_env(&path, value)?,
                "dependsOn" => {
                    let Value::Object(depends_on) = value else {
                        return Err(error(
                            key,
                            "must be an object of feature ids and their options",
                        ));
                    };
                    meta.depends_on = depends_on
                        .iter()
                        .map(|(id, options)| (id.clone(), options.clone()))
                        .collect();
                }
                "installsAfter" => {
                    let ids = value
                        .as_array()
                        .ok_or_else(|| error(key, "must be an array of feature ids"))?;
                    meta.installs_after = ids
                        .iter()
                        .map(|id| id.as_str().map(str::to_owned))
                        .collect::<Option<_>>()
                        .ok_or_else(|| error(key, "must be an array of feature ids"))?;
                }
                "mounts" => {
                    meta.mounts = value
                        .as_array()
                        .ok_or_else(|| error(key, "must be an array"))?
                        .clone();
                }
                "entrypoint" if value.as_str().is_some_and(|entry| !entry.is_empty()) => {
                    meta.unsupported.push((
                        key.to_owned(),
                        format!(
                            "the Feature's entrypoint ({value}) is not run when the container starts"
                        ),
                    ));
                }
                "securityOpt" => {
                    let mut listed = Vec::new();
                    super::config::check_security_opt(key, value, &mut listed);
                    meta.unsupported
                        .extend(listed.into_iter().map(|entry| (entry.key, entry.why)));
                }
                // Perry's workspaces always run with an init and every capability; the rest is
                // description, or other tools' (customizations).
                _ => {}
            }
        }
        Ok(meta)
    }

    /// The CLI's getFeatureValueObject + getFeatureEnvVariables: the defaults, overlaid by the
    /// values given (an object of options; a string or boolean sets the `version` option when
    /// the feature has one), each name made safe.
    fn options_env(
        &self,
        config_path: &str,
        node: &Node,
    ) -> Result<Vec<(String, String)>, DevcontainerError> {
        let key = join_key("features", &node.user_id);
        let mut values: Vec<(String, Value)> = self
            .options
            .iter()
            .filter_map(|(name, default)| default.clone().map(|default| (name.clone(), default)))
            .collect();
        let mut set =
            |name: &str, value: Value| match values.iter_mut().find(|(known, _)| known == name) {
                Some((_, slot)) => *slot = value,
                None => values.push((name.to_owned(), value)),
            };
        match &node.options {
            Value::Object(given) => {
                for (name, value) in given {
                    set(name, value.clone());
                }
            }
            Value::String(_) | Value::Bool(_) => {
                if self.options.iter().any(|(name, _)| name == "version") {
                    set("version", node.options.clone());
                }
            }
            Value::Null => {}
            _ => {
                return Err(DevcontainerError::at(
                    config_path,
                    &key,
                    "must be an object of options (or a version string)",
                ));
            }
        }
        values
            .into_iter()
            .map(|(name, value)| {
                let text = match value {
                    Value::String(text) => text,
                    Value::Bool(flag) => flag.to_string(),
                    Value::Number(number) => number.to_string(),
                    _ => {
                        return Err(DevcontainerError::at(
                            config_path,
                            &join_key(&key, &name),
                            "must be a string or a boolean",
                        ));
                    }
                };
                Ok((safe_id(&name), text))
            })
            .collect()
    }
}

/// `options` of a devcontainer-feature.json: `{name: {type, default?, ...}}`.
fn read_options(
    path: &str,
    value: &Value,
) -> Result<Vec<(String, Option<Value>)>, DevcontainerError> {
    let Value::Object(options) = value else {
        return Err(DevcontainerError::at(path, "options", "must be an object"));
    };
    options
        .iter()
        .map(|(name, option)| {
            let key = join_key("options", name);
            let Value::Object(option) = option else {
                return Err(DevcontainerError::at(path, &key, "must be an object"));
            };
            match option.get("default") {
                None => Ok((name.clone(), None)),
                Some(default @ (Value::String(_) | Value::Bool(_) | Value::Number(_))) => {
                    Ok((name.clone(), Some(default.clone())))
                }
                Some(_) => Err(DevcontainerError::at(
                    path,
                    &join_key(&key, "default"),
                    "must be a string or a boolean",
                )),
            }
        })
        .collect()
}

/// A feature's `containerEnv`: it becomes `ENV` lines, so names must be variable names and
/// values one line.
fn read_feature_env(
    path: &str,
    value: &Value,
) -> Result<BTreeMap<String, String>, DevcontainerError> {
    let Value::Object(env) = value else {
        return Err(DevcontainerError::at(
            path,
            "containerEnv",
            "must be an object",
        ));
    };
    let mut out = BTreeMap::new();
    for (name, item) in env {
        let key = join_key("containerEnv", name);
        if !is_env_name(name) {
            return Err(DevcontainerError::at(
                path,
                &key,
                "is not a variable name (letters, digits and '_', not starting with a digit)",
            ));
        }
        let Value::String(text) = item else {
            return Err(DevcontainerError::at(path, &key, "must be a string"));
        };
        if text.contains(['\n', '\r']) {
            return Err(DevcontainerError::at(path, &key, "must be one line"));
        }
        out.insert(name.clone(), text.clone());
    }
    Ok(out)
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The CLI's getSafeId: `name.replace(/[^\w_]/g, '_').replace(/^[\d_]+/g, '_').toUpperCase()`.
/// JavaScript counts UTF-16 units, so a character outside the BMP becomes two '_'.
pub fn safe_id(name: &str) -> String {
    let replaced: String = name
        .chars()
        .flat_map(|c| {
            let keep = c.is_ascii_alphanumeric() || c == '_';
            let count = if keep { 1 } else { c.len_utf16() };
            std::iter::repeat_n(if keep { c } else { '_' }, count)
        })
        .collect();
    let trimmed = replaced.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
    let safe = if trimmed.len() < replaced.len() {
        format!("_{trimmed}")
    } else {
        replaced
    };
    safe.to_ascii_uppercase()
}

/// A value between double quotes in a POSIX shell file, keeping `$` expansions as the CLI's
/// unescaped env file does, but not breaking on `"`, `\` or a backquote.
fn sh_double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A value between single quotes in a POSIX shell line: taken literally.
fn sh_single_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// A value between double quotes on a Dockerfile `ENV` line (the builder still expands
/// `${VAR}` there, which features rely on, e.g. `PATH=/x:${PATH}`).
fn dockerfile_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The `devcontainer-features.env` of a feature: its options, one `NAME="value"` a line.
pub fn options_env_file(feature: &Feature) -> String {
    feature
        .options_env
        .iter()
        .map(|(name, value)| format!("{name}={}\n", sh_double_quoted(value)))
        .collect()
}

/// The `devcontainer-features-install.sh` wrapper of a feature (the CLI's
/// getFeatureInstallWrapperScript): prints the feature, exports the built-in and option
/// variables, runs install.sh, and names the feature when it fails.
pub fn install_wrapper(feature: &Feature) -> String {
    let name = sh_single_quoted(&feature.name);
    let failure = sh_single_quoted(&format!(
        "ERROR: Feature \"{}\" ({}) failed to install!",
        feature.name, feature.user_id
    ));
    let mut script = format!(
        "#!/bin/sh\n\
         set -e\n\
         \n\
         on_exit () {{\n\
         \t[ $? -eq 0 ] && exit\n\
         \techo {failure}\n\
         }}\n\
         \n\
         trap on_exit EXIT\n\
         \n\
         echo ===========================================================================\n\
         echo 'Feature       : '{name}\n\
         echo 'Id            : '{user_id}\n\
         echo 'Options       :'\n",
        user_id = sh_single_quoted(&feature.user_id),
    );
    for (option, value) in &feature.options_env {
        script.push_str(&format!(
            "echo {}\n",
            sh_single_quoted(&format!("    {option}={}", sh_double_quoted(value)))
        ));
    }
    script.push_str(
        "echo ===========================================================================\n\
         \n\
         set -a\n\
         . ../devcontainer-features.builtin.env\n\
         . ./devcontainer-features.env\n\
         set +a\n\
         \n\
         chmod +x ./install.sh\n\
         ./install.sh\n",
    );
    script
}

/// A shell command printing the home folder of `user` (it opens with a subshell, so it goes
/// into `$( ...)` after a space: `$((` would start arithmetic) (a name or uid, `:group` ignored) in the
/// image: getent where there is one, else /etc/passwd (BusyBox images may lack getent).
fn home_lookup(user: &str) -> String {
    if !super::config::is_user_spec(user) {
        return "true".to_owned();
    }
    let user = user.split_once(':').map_or(user, |(name, _)| name);
    let pattern = user.replace('.', "\\.");
    format!(
        "(command -v getent >/dev/null 2>&1 && getent passwd '{user}' || grep -E '^{pattern}:|^[^:]*:[^:]*:{pattern}:' /etc/passwd || true) | cut -d: -f6"
    )
}

/// The Dockerfile that installs `dc`'s features on top of `base_image`, and its build context:
/// (path in the context, content, mode). For the Docker Engine API's classic builder: no
/// BuildKit, everything from this one context. `image_user` is the base image's user (its
/// `Config.User`, "" = root); the image ends with it again, as the CLI's does.
///
/// The layout follows the CLI's non-BuildKit one: `devcontainer-features.builtin.env` (the
/// `_CONTAINER_USER` / `_REMOTE_USER` names, their homes appended at build time), and per
/// feature a folder `<id>_<index>` holding the feature's files, its `devcontainer-features.env`
/// and the `devcontainer-features-install.sh` wrapper, copied to `/tmp/dev-container-features/`
/// and run as root from there, after the feature's `containerEnv` is set.
///
/// `base_image` and `image_user` go into the Dockerfile as they are: pass an image id or a plain
/// reference and a user name from the image's config. A config without features needs no such
/// build (the Dockerfile would only record the users' homes).
pub fn features_context(
    dc: &DevContainer,
    files: &ConfigFiles,
    base_image: &str,
    image_user: &str,
) -> (String, Vec<(String, Vec<u8>, u32)>) {
    let image_user = if image_user.is_empty() {
        "root"
    } else {
        image_user
    };
    let container_user = dc.container_user.as_deref().unwrap_or(image_user);
    let remote_user = dc.remote_user.as_deref().unwrap_or(container_user);
    let builtin = format!(
        "_CONTAINER_USER={}\n_REMOTE_USER={}\n",
        sh_single_quoted(container_user),
        sh_single_quoted(remote_user)
    );
    let mut context: Vec<(String, Vec<u8>, u32)> = vec![(
        "devcontainer-features.builtin.env".to_owned(),
        builtin.into_bytes(),
        0o644,
    )];

    let builtin_in_image = format!("{FEATURES_DIR_IN_IMAGE}/devcontainer-features.builtin.env");
    let mut dockerfile = format!(
        "FROM {base_image}\n\
         USER root\n\
         COPY --chown=root:root [\"devcontainer-features.builtin.env\", \"{builtin_in_image}\"]\n\
         RUN echo \"_CONTAINER_USER_HOME=$( {container_home})\" >> {builtin_in_image} \\\n \
         && echo \"_REMOTE_USER_HOME=$( {remote_home})\" >> {builtin_in_image}\n",
        container_home = home_lookup(container_user),
        remote_home = home_lookup(remote_user),
    );
    for feature in &dc.features {
        let folder = feature.build_folder();
        let prefix = format!("{}/", feature.dir);
        for (path, content) in files.range(prefix.clone()..) {
            let Some(relative) = path.strip_prefix(&prefix) else {
                break;
            };
            context.push((format!("{folder}/{relative}"), content.clone(), 0o755));
        }
        context.push((
            format!("{folder}/devcontainer-features.env"),
            options_env_file(feature).into_bytes(),
            0o644,
        ));
        context.push((
            format!("{folder}/devcontainer-features-install.sh"),
            install_wrapper(feature).into_bytes(),
            0o755,
        ));

        dockerfile.push('\n');
        for (name, value) in &feature.container_env {
            dockerfile.push_str(&format!("ENV {name}={}\n", dockerfile_quoted(value)));
        }
        let target = format!("{FEATURES_DIR_IN_IMAGE}/{folder}");
        let copy = serde_json::json!([format!("{folder}/"), format!("{target}/")]);
        let target = sh_single_quoted(&target);
        dockerfile.push_str(&format!(
            "COPY --chown=root:root {copy}\n\
             RUN chmod -R 0755 {target} \\\n \
             && cd {target} \\\n \
             && chmod +x ./devcontainer-features-install.sh \\\n \
             && ./devcontainer-features-install.sh\n"
        ));
    }
    dockerfile.push_str(&format!("\nUSER {image_user}\n"));
    (dockerfile, context)
}
