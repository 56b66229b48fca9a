//! When a dev container's image must be rebuilt. The CLI has no such key (it reuses its
//! container until asked to rebuild); Perry's is a sha256 over what the repository decides:
//! the config as read (variables substituted, keys sorted: a changed `${localEnv:..}` counts),
//! the config file itself, every file of the config's folder, of each feature's folder, and the
//! Dockerfile when it is among the files (one outside `.devcontainer/` is in the build context,
//! which the caller hashes).
//! The build context and the base image's id are the caller's to add, on the hasher
//! [`content_hasher`] returns, before finishing it:
//!
//! ```ignore
//! let mut hasher = content_hasher(&dc, &files);
//! hasher.update(base_image_id.as_bytes());
//! let key = hex::encode(hasher.finalize());
//! ```

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::config::{DevContainer, Source};
use super::{ConfigFiles, is_inside, parent_dir};

/// Bumped when what goes into the hash changes, so old keys stop matching.
const HASH_VERSION: &[u8] = b"perry-devcontainer-hash-1";

/// The config as [`content_hash`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashInputs {
    /// The config, variables substituted, in canonical JSON.
    canonical_config: String,
}

impl HashInputs {
    pub(crate) fn new(config: &Map<String, Value>) -> Self {
        Self {
            canonical_config: canonical_json(&Value::Object(config.clone())),
        }
    }
}

/// `value` as compact JSON with every object's keys sorted.
pub(crate) fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(object) => {
                let mut keys: Vec<&String> = object.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for key in keys {
                    out.insert(key.clone(), sorted(&object[key]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// sha256 (hex) of the config and the files it uses; see [`content_hasher`] to add more.
pub fn content_hash(dc: &DevContainer, files: &ConfigFiles) -> String {
    hex::encode(content_hasher(dc, files).finalize())
}

/// The hasher behind [`content_hash`], fed with the config and, in path order, each file of
/// `files` that lies in the config's folder (just the config for a root `.devcontainer.json`),
/// in a feature's folder, or is the Dockerfile. Every piece is length-prefixed, so no two inputs
/// run together.
pub fn content_hasher(dc: &DevContainer, files: &ConfigFiles) -> Sha256 {
    let config_dir = parent_dir(&dc.path);
    let dockerfile = match &dc.source {
        Source::Build(spec) => Some(spec.dockerfile.as_str()),
        Source::Image(_) => None,
    };
    let used = |path: &str| {
        path == dc.path
            || (!config_dir.is_empty() && is_inside(path, config_dir))
            || dc
                .features
                .iter()
                .any(|feature| is_inside(path, &feature.dir))
            || dockerfile == Some(path)
    };
    let mut hasher = Sha256::new();
    piece(&mut hasher, HASH_VERSION);
    piece(&mut hasher, dc.hash_inputs.canonical_config.as_bytes());
    for (path, content) in files {
        if used(path) {
            piece(&mut hasher, path.as_bytes());
            piece(&mut hasher, content);
        }
    }
    hasher
}

fn piece(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}
