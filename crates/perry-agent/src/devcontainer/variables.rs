//! Variables in devcontainer.json (`cli/src/spec-common/variableSubstitution.ts`): `${name}` or
//! `${name:arg:arg}`, the text between `${` and the first `}` on the same line, split on `:`.
//! Unknown variables are left as written. Read-time variables ([`Variables`], and
//! `${devcontainerId}`) apply to every string of the config (not to keys); `${containerEnv:..}`
//! stays until the container runs and is then replaced by [`substitute_container_env`].

use std::collections::HashMap;

/// What the read-time variables stand for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    /// `${localEnv:VAR}` and `${env:VAR}`: the environment of the side that reads the config.
    pub local_env: HashMap<String, String>,
    /// `${localWorkspaceFolder}` (and its basename): where the repository is on that side.
    pub local_workspace_folder: String,
    /// `${containerWorkspaceFolder}` (and its basename) when the config has no
    /// `workspaceFolder`; when it has one, that value is used instead, as in the CLI.
    pub container_workspace_folder: String,
}

/// Replaces `${containerEnv:VAR}` and `${containerEnv:VAR:default}` with the running
/// container's environment (`""` for a variable that is unset and has no default); everything
/// else is left as written, including a `${containerEnv}` without a name.
pub fn substitute_container_env(text: &str, env: &HashMap<String, String>) -> String {
    let result: Result<String, String> = replace_variables(text, |whole, name, args| {
        if name != "containerEnv" || args.is_empty() {
            return Ok(whole.to_owned());
        }
        Ok(lookup(env, args))
    });
    result.unwrap_or_else(|_| text.to_owned())
}

/// What the read-time variables of one config stand for.
pub(crate) struct ReadContext<'a> {
    pub vars: &'a Variables,
    /// The config's `workspaceFolder` when it has one, else the caller's.
    pub container_workspace_folder: String,
    /// `${devcontainerId}`, from [`devcontainer_id`].
    pub devcontainer_id: &'a str,
}

/// Replaces the read-time variables in `text`. Errs on `${localEnv}` without a name, with the
/// CLI's message.
pub(crate) fn substitute_local(text: &str, context: &ReadContext) -> Result<String, String> {
    let vars = context.vars;
    replace_variables(text, |whole, name, args| match name {
        "localEnv" | "env" => {
            if args.is_empty() {
                return Err(format!(
                    "'{whole}' can not be resolved because no environment variable name is given"
                ));
            }
            Ok(lookup(&vars.local_env, args))
        }
        "localWorkspaceFolder" => Ok(vars.local_workspace_folder.clone()),
        "localWorkspaceFolderBasename" => {
            Ok(posix_basename(&vars.local_workspace_folder).to_owned())
        }
        "containerWorkspaceFolder" => Ok(context.container_workspace_folder.clone()),
        "containerWorkspaceFolderBasename" => {
            Ok(posix_basename(&context.container_workspace_folder).to_owned())
        }
        "devcontainerId" => Ok(context.devcontainer_id.to_owned()),
        _ => Ok(whole.to_owned()),
    })
}

/// Replaces `${devcontainerId}` alone (in what features contribute to the container: the CLI
/// substitutes it over the merged config, features' mounts and commands included).
pub(crate) fn substitute_devcontainer_id(text: &str, id: &str) -> String {
    let result: Result<String, String> = replace_variables(text, |whole, name, _| {
        Ok(if name == "devcontainerId" {
            id.to_owned()
        } else {
            whole.to_owned()
        })
    });
    result.unwrap_or_else(|_| text.to_owned())
}

/// `${devcontainerId}` as the CLI computes it (variableSubstitution.ts): sha256 of
/// `{"devcontainer.config_file":<config path>,"devcontainer.local_folder":<folder>}` (its
/// container id labels), written in base 32 (`0-9a-v`), padded to 52 digits. The config path is
/// `<local_workspace_folder>/<path in the repository>`, as the CLI labels it. So the id is the
/// same for every read of one config in one folder, and differs between folders.
pub fn devcontainer_id(local_workspace_folder: &str, config_path: &str) -> String {
    use sha2::{Digest, Sha256};
    let folder = local_workspace_folder;
    let config_file = format!("{}/{config_path}", folder.trim_end_matches('/'));
    let labels = format!(
        "{{\"devcontainer.config_file\":{},\"devcontainer.local_folder\":{}}}",
        serde_json::Value::from(config_file),
        serde_json::Value::from(folder)
    );
    let digest = Sha256::digest(labels.as_bytes());
    // BigInt('0x' + hex).toString(32).padStart(52, '0'): 256 bits in groups of 5 from the
    // least significant end; the top digit holds the one bit left over.
    let bit = |index: usize| -> u8 {
        if index >= 256 {
            return 0;
        }
        (digest[31 - index / 8] >> (index % 8)) & 1
    };
    const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    (0..52)
        .rev()
        .map(|group| {
            let value = (0..5).fold(0, |value, offset| {
                value | (bit(group * 5 + offset) << offset)
            });
            DIGITS[usize::from(value)] as char
        })
        .collect()
}

/// The value of `args[0]` in `env`; when unset, `args[1]` (the default) or `""`. As in the CLI
/// the text was split on every `:`, so a default holding a `:` keeps only its first part.
fn lookup(env: &HashMap<String, String>, args: &[&str]) -> String {
    match env.get(args[0]) {
        Some(value) => value.clone(),
        None => args.get(1).copied().unwrap_or("").to_owned(),
    }
}

/// Node's `path.posix.basename`: the last segment, trailing slashes ignored.
fn posix_basename(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or("")
}

/// Every `${...}` of `text` (JavaScript's `/\$\{(.*?)\}/g`: the shortest text up to a `}`, on
/// one line) replaced by `replace(whole match, name, arguments)`.
fn replace_variables(
    text: &str,
    mut replace: impl FnMut(&str, &str, &[&str]) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let line_end = after
            .find(['\n', '\r', '\u{2028}', '\u{2029}'])
            .unwrap_or(after.len());
        let Some(close) = after[..line_end].find('}') else {
            // No `}` on this line: the `$` is plain text, and the search goes on after it.
            out.push_str(&rest[..start + 1]);
            rest = &rest[start + 1..];
            continue;
        };
        out.push_str(&rest[..start]);
        let inner = &after[..close];
        let whole = &rest[start..start + 2 + close + 1];
        let mut parts = inner.split(':');
        let name = parts.next().unwrap_or("");
        let args: Vec<&str> = parts.collect();
        out.push_str(&replace(whole, name, &args)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
