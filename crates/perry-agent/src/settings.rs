//! `settings.*`: what a person manages from any client, kept in config.json (through
//! [`Agent::update_config`], so their own edits of the file survive) and put into workspaces by
//! `workspaces.sync`: environment variables and files (`credentials`), the coding agents'
//! accounts (`accounts`), and the token.
//!
//! Secrets are write-only: replies carry a name, when the agent set it (state.json
//! `secretsSetAt`) and a fingerprint. Every input is checked before anything is written
//! ([`check`], called from `rpc::validate`), and config.json is checked again as a whole before
//! it is replaced, so a refused change leaves every file as it was.

use perry_api::procedures::Call;
use perry_api::settings::{
    self, AccountKeyInput, AccountSecret, AccountSetInput, EnvNameInput, EnvSetInput, FileMapping,
    HostSshKey, McpServerInfo, McpServerSetInput, ScriptSetInput, SecretInfo, Settings,
    SkillSetInput, SshKeyInput, SshKeyKind, TokenOutput,
};
use serde_json::{Map, Value};

use crate::Agent;
use crate::error::ApiError;
use crate::state::ConfigFile;
use crate::state::config::new_token;

/// The checks of a `settings.*` input that need no state; `Ok` for every other call.
pub fn check(call: &Call) -> Result<(), ApiError> {
    let field = |field: &'static str| {
        move |message: String| ApiError::InvalidField {
            field,
            message: message_sentence(message),
        }
    };
    match call {
        Call::SettingsSetEnv(EnvSetInput { name, value }) => {
            settings::check_variable_name(name).map_err(field("name"))?;
            settings::check_value(&format!("The value of {name}"), value).map_err(field("value"))
        }
        Call::SettingsUnsetEnv(EnvNameInput { name }) => {
            settings::check_variable_name(name).map_err(field("name"))
        }
        Call::SettingsSetFile(FileMapping { host, workspace }) => {
            settings::check_file_mapping(host, workspace, false).map_err(field("workspace"))
        }
        Call::SettingsUnsetFile(input) => {
            if input.host.trim().is_empty() {
                return Err(field("host")("the host path is empty".to_owned()));
            }
            Ok(())
        }
        Call::SettingsSetAccount(AccountSetInput {
            account,
            key,
            value,
        }) => {
            account.check_key(key).map_err(field("key"))?;
            if value.trim().is_empty() {
                return Err(field("value")(format!(
                    "the {key} of {} is empty; unset it instead",
                    account.display_name()
                )));
            }
            settings::check_value(&format!("The {key}"), value).map_err(field("value"))
        }
        Call::SettingsUnsetAccount(AccountKeyInput { account, key }) => {
            account.check_key(key).map_err(field("key"))
        }
        Call::SettingsSetScript(input) => {
            settings::check_script(&input.script).map_err(field("script"))?;
            check_scope(&input.script.workspaces)
        }
        Call::SettingsSetMcpServer(input) => input.server.check().map_err(field("server")),
        Call::SettingsSetSkill(input) => input.skill.check().map_err(field("skill")),
        Call::SettingsUnsetScript(input)
        | Call::SettingsUnsetMcpServer(input)
        | Call::SettingsUnsetSkill(input) => {
            if input.name.trim().is_empty() {
                return Err(field("name")("the name is empty".to_owned()));
            }
            Ok(())
        }
        Call::SettingsSetSshKey(input) | Call::SettingsUnsetSshKey(input) => {
            match input.kind {
                SshKeyKind::Copy => settings::check_ssh_key_name(&input.key),
                SshKeyKind::Authorized => settings::check_public_key(&input.key),
            }
            .map_err(field("key"))?;
            check_scope(&input.workspaces)
        }
        _ => Ok(()),
    }
}

/// The workspace names of a scope must be names a workspace can have.
fn check_scope(workspaces: &[String]) -> Result<(), ApiError> {
    for name in workspaces {
        crate::workspace::validate_name(name).map_err(|error| error.in_field("workspaces"))?;
    }
    Ok(())
}

/// A check's reason as a sentence: capitalized.
fn message_sentence(message: String) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => message,
    }
}

/// `settings.get`: config.json as it is on disk now (a person may have edited it by hand).
pub fn get(agent: &Agent) -> Result<Settings, ApiError> {
    let config = crate::state::off_the_runtime(|| ConfigFile::read(&agent.config_dir))
        .map_err(ApiError::Internal)?
        .unwrap_or_default();
    let set_at = agent.workspaces.state().snapshot().secrets_set_at.clone();
    let secret = |key: String, name: &str, value: &str| SecretInfo {
        name: name.to_owned(),
        set_at: set_at.get(&key).cloned(),
        fingerprint: settings::fingerprint(value),
    };
    Ok(Settings {
        env: config
            .credentials
            .env
            .iter()
            .map(|(name, value)| secret(env_key(name), name, value))
            .collect(),
        files: config
            .credentials
            .files
            .iter()
            .map(|(host, workspace)| FileMapping {
                host: host.clone(),
                workspace: workspace.clone(),
            })
            .collect(),
        scripts: config.scripts.clone(),
        mcp_servers: config
            .mcp_servers
            .iter()
            .map(|server| McpServerInfo {
                name: server.name.clone(),
                enabled: server.enabled,
                agents: server.agents.clone(),
                command: server.command.clone(),
                env_names: server
                    .env
                    .iter()
                    .flatten()
                    .map(|(name, _)| name.clone())
                    .collect(),
                url: server.url.clone(),
                sse: server.sse,
            })
            .collect(),
        skills: config.skills.clone(),
        ssh: config.ssh.clone(),
        accounts: config
            .accounts
            .iter()
            .flat_map(|(account, keys)| {
                keys.iter().map(|(key, value)| AccountSecret {
                    account: *account,
                    secret: secret(account_key(account.as_str(), key), key, value),
                })
            })
            .collect(),
    })
}

fn env_key(name: &str) -> String {
    format!("env.{name}")
}

fn account_key(account: &str, key: &str) -> String {
    format!("accounts.{account}.{key}")
}

/// `settings.setEnv`.
pub fn set_env(agent: &Agent, input: EnvSetInput) -> Result<Settings, ApiError> {
    set(
        agent,
        &["credentials", "env"],
        &input.name,
        Value::String(input.value),
    )?;
    record_set(agent, env_key(&input.name), true);
    get(agent)
}

/// `settings.unsetEnv`.
pub fn unset_env(agent: &Agent, input: EnvNameInput) -> Result<Settings, ApiError> {
    unset(agent, &["credentials", "env"], &input.name, || {
        format!("No environment variable {} is set", input.name)
    })?;
    record_set(agent, env_key(&input.name), false);
    get(agent)
}

/// `settings.setFile`: the host path must exist now (a typo found at once, not at the next
/// sync), and no other mapping may put something at the same workspace path.
pub fn set_file(agent: &Agent, input: FileMapping) -> Result<Settings, ApiError> {
    let host_path = match input.host.strip_prefix("~/") {
        Some(rest) => agent
            .workspaces
            .settings()
            .host_home
            .as_ref()
            .map(|home| home.join(rest))
            .ok_or_else(|| ApiError::InvalidField {
                field: "host",
                message:
                    "The agent's user has no home directory to expand ~ in; give an absolute path"
                        .to_owned(),
            })?,
        None => input.host.clone().into(),
    };
    if !crate::state::off_the_runtime(|| host_path.exists()) {
        return Err(ApiError::InvalidField {
            field: "host",
            message: format!(
                "{} does not exist on the agent's machine ({})",
                input.host,
                host_path.display()
            ),
        });
    }
    let target = crate::workspace::sync::workspace_path(&input.workspace);
    let config = agent.config();
    if let Some((other, _)) = config.credentials.files.iter().find(|(host, workspace)| {
        **host != input.host && crate::workspace::sync::workspace_path(workspace) == target
    }) {
        return Err(ApiError::Conflict(format!(
            "{other} is already copied to {target}; remove that first"
        )));
    }
    set(
        agent,
        &["credentials", "files"],
        &input.host,
        Value::String(input.workspace),
    )?;
    get(agent)
}

/// `settings.unsetFile`.
pub fn unset_file(agent: &Agent, host: &str) -> Result<Settings, ApiError> {
    unset(agent, &["credentials", "files"], host, || {
        format!("No file {host} is copied into workspaces")
    })?;
    get(agent)
}

/// `settings.setAccount`.
pub fn set_account(agent: &Agent, input: AccountSetInput) -> Result<Settings, ApiError> {
    let account = input.account.as_str();
    set(
        agent,
        &["accounts", account],
        &input.key,
        Value::String(input.value.trim().to_owned()),
    )?;
    record_set(agent, account_key(account, &input.key), true);
    get(agent)
}

/// `settings.unsetAccount`.
pub fn unset_account(agent: &Agent, input: AccountKeyInput) -> Result<Settings, ApiError> {
    let account = input.account.as_str();
    unset(agent, &["accounts", account], &input.key, || {
        format!("{} has no {} set", input.account.display_name(), input.key)
    })?;
    record_set(agent, account_key(account, &input.key), false);
    get(agent)
}

/// `settings.setScript`.
pub fn set_script(agent: &Agent, input: ScriptSetInput) -> Result<Settings, ApiError> {
    let name = input.script.name.clone();
    let entry =
        serde_json::to_value(&input.script).map_err(|error| ApiError::Internal(error.into()))?;
    set_named(
        agent,
        "scripts",
        &name,
        entry,
        input.replace,
        input.position,
        "post-start script",
    )?;
    get(agent)
}

/// `settings.setMcpServer`: an input without `env` keeps the environment the server had.
pub fn set_mcp_server(agent: &Agent, input: McpServerSetInput) -> Result<Settings, ApiError> {
    let name = input.server.name.clone();
    let keep_env = input.server.env.is_none();
    let mut entry =
        serde_json::to_value(&input.server).map_err(|error| ApiError::Internal(error.into()))?;
    if keep_env
        && let Some(env) = agent
            .config()
            .mcp_servers
            .iter()
            .find(|server| server.name == name)
            .and_then(|server| server.env.clone())
    {
        entry["env"] =
            serde_json::to_value(env).map_err(|error| ApiError::Internal(error.into()))?;
    }
    set_named(
        agent,
        "mcpServers",
        &name,
        entry,
        input.replace,
        None,
        "MCP server",
    )?;
    get(agent)
}

/// `settings.setSkill`.
pub fn set_skill(agent: &Agent, input: SkillSetInput) -> Result<Settings, ApiError> {
    let name = input.skill.name.clone();
    let entry =
        serde_json::to_value(&input.skill).map_err(|error| ApiError::Internal(error.into()))?;
    set_named(agent, "skills", &name, entry, input.replace, None, "skill")?;
    get(agent)
}

/// `settings.unsetScript`, `settings.unsetMcpServer`, `settings.unsetSkill`: the entry of
/// `name` in the list at `key`.
pub fn unset_named(agent: &Agent, key: &str, name: &str, what: &str) -> Result<Settings, ApiError> {
    let mut found = false;
    agent
        .update_config(|object| {
            if let Some(Value::Array(list)) = object.get_mut(key) {
                let before = list.len();
                list.retain(|entry| entry.get("name").and_then(Value::as_str) != Some(name));
                found = list.len() != before;
                if list.is_empty() {
                    object.remove(key);
                }
            }
        })
        .map_err(ApiError::Internal)?;
    if !found {
        return Err(ApiError::NotFound(format!("No {what} is named {name:?}")));
    }
    get(agent)
}

/// Puts `entry` into the list at `key` of config.json: a new name at `position` (the end when
/// absent); a taken one only with `replace`, where it was unless `position` says otherwise.
fn set_named(
    agent: &Agent,
    key: &str,
    name: &str,
    entry: Value,
    replace: bool,
    position: Option<u32>,
    what: &str,
) -> Result<(), ApiError> {
    let mut taken = false;
    agent
        .update_config(|object| {
            let list = object
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(list) = list else {
                // Left as it is: the whole file is checked next, and this one is refused.
                return;
            };
            let found = list
                .iter()
                .position(|entry| entry.get("name").and_then(Value::as_str) == Some(name));
            if found.is_some() && !replace {
                taken = true;
                return;
            }
            if let Some(index) = found {
                list.remove(index);
            }
            let at = found;
            let at = position
                .map(|position| position as usize)
                .or(at)
                .unwrap_or(list.len())
                .min(list.len());
            list.insert(at, entry);
        })
        .map_err(ApiError::Internal)?;
    if taken {
        return Err(ApiError::Conflict(format!(
            "A {what} named {name:?} exists already; change that one (replace) or choose another name"
        )));
    }
    Ok(())
}

/// `settings.setSshKey`: a key to copy must be one of the host user's with its private half.
pub fn set_ssh_key(agent: &Agent, input: SshKeyInput) -> Result<Settings, ApiError> {
    if input.kind == SshKeyKind::Copy
        && !host_ssh_keys(agent)
            .iter()
            .any(|key| key.name == input.key && key.has_private)
    {
        return Err(ApiError::InvalidField {
            field: "key",
            message: format!(
                "The agent's user has no private key ~/.ssh/{} with its .pub beside it",
                input.key
            ),
        });
    }
    let entry = serde_json::json!({"key": input.key, "workspaces": input.workspaces});
    let list = ssh_list(input.kind);
    agent
        .update_config(|object| {
            let ssh = object
                .entry("ssh")
                .or_insert_with(|| serde_json::json!({"copy": [], "authorized": []}));
            let Some(ssh) = ssh.as_object_mut() else {
                return;
            };
            for other in ["copy", "authorized"] {
                ssh.entry(other).or_insert_with(|| Value::Array(Vec::new()));
            }
            if let Some(Value::Array(keys)) = ssh.get_mut(list) {
                keys.retain(|entry| entry.get("key").and_then(Value::as_str) != Some(&input.key));
                keys.push(entry);
            }
        })
        .map_err(ApiError::Internal)?;
    get(agent)
}

/// `settings.unsetSshKey`.
pub fn unset_ssh_key(agent: &Agent, input: SshKeyInput) -> Result<Settings, ApiError> {
    let list = ssh_list(input.kind);
    let mut found = false;
    agent
        .update_config(|object| {
            if let Some(Value::Array(keys)) =
                object.get_mut("ssh").and_then(|ssh| ssh.get_mut(list))
            {
                let before = keys.len();
                keys.retain(|entry| entry.get("key").and_then(Value::as_str) != Some(&input.key));
                found = keys.len() != before;
            }
        })
        .map_err(ApiError::Internal)?;
    if !found {
        return Err(ApiError::NotFound(match input.kind {
            SshKeyKind::Copy => format!("~/.ssh/{} is not copied into workspaces", input.key),
            SshKeyKind::Authorized => "That public key is not authorized".to_owned(),
        }));
    }
    get(agent)
}

fn ssh_list(kind: SshKeyKind) -> &'static str {
    match kind {
        SshKeyKind::Copy => "copy",
        SshKeyKind::Authorized => "authorized",
    }
}

/// `settings.sshKeys`: the public keys in the host user's `~/.ssh`, with their fingerprints.
pub fn host_ssh_keys(agent: &Agent) -> Vec<HostSshKey> {
    let Some(home) = agent.workspaces.settings().host_home.clone() else {
        return Vec::new();
    };
    crate::state::off_the_runtime(|| read_host_ssh_keys(&home.join(".ssh")))
}

fn read_host_ssh_keys(directory: &std::path::Path) -> Vec<HostSshKey> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut keys: Vec<HostSshKey> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            let name = path.file_name()?.to_str()?.strip_suffix(".pub")?.to_owned();
            let line = std::fs::read_to_string(&path).ok()?;
            let mut fields = line.split_whitespace();
            let key_type = fields.next()?.to_owned();
            let blob = fields.next()?;
            let comment = fields.collect::<Vec<_>>().join(" ");
            Some(HostSshKey {
                has_private: directory.join(&name).is_file(),
                name,
                key_type,
                fingerprint: ssh_fingerprint(blob)?,
                comment,
            })
        })
        .collect();
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    keys
}

/// `SHA256:<base64 of the SHA-256 of the key blob, unpadded>`, as `ssh-keygen -l` prints it.
fn ssh_fingerprint(blob: &str) -> Option<String> {
    use base64ct::Encoding;
    use sha2::{Digest, Sha256};
    let bytes = base64ct::Base64::decode_vec(blob).ok()?;
    Some(format!(
        "SHA256:{}",
        base64ct::Base64Unpadded::encode_string(&Sha256::digest(&bytes))
    ))
}

/// `settings.token`: the token, for a client to show (as a QR code, a sign-in link).
pub fn token(agent: &Agent) -> TokenOutput {
    TokenOutput {
        token: agent.auth.token(),
    }
}

/// `settings.rotateToken`: a new token in config.json, then the only one accepted; every socket
/// opened with the old one is closed (4001). The CLI on this machine talks through the local
/// socket, which needs none.
pub fn rotate_token(agent: &Agent) -> Result<TokenOutput, ApiError> {
    let token = new_token();
    agent
        .update_config(|object| {
            let auth = object
                .entry("auth")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(auth) = auth {
                auth.insert("token".to_owned(), Value::String(token.clone()));
            }
        })
        .map_err(ApiError::Internal)?;
    agent.auth.replace_token(&token);
    tracing::info!("the token was rotated; sockets opened with the old one are closed");
    Ok(TokenOutput { token })
}

/// Sets `key` in the object at `path` of config.json, making the objects on the way.
fn set(agent: &Agent, path: &[&str], key: &str, value: Value) -> Result<(), ApiError> {
    agent
        .update_config(|object| {
            let mut current = object;
            for part in path {
                let next = current
                    .entry(*part)
                    .or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    // Left as it is: the whole file is checked next, and this one is refused.
                    return;
                }
                current = next.as_object_mut().expect("checked to be an object");
            }
            current.insert(key.to_owned(), value);
        })
        .map_err(ApiError::Internal)?;
    Ok(())
}

/// Removes `key` from the object at `path` of config.json (and the objects that leaves empty);
/// 404 with `missing` when it is not there.
fn unset(
    agent: &Agent,
    path: &[&str],
    key: &str,
    missing: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    let mut found = false;
    agent
        .update_config(|object| {
            found = remove_at(object, path, key);
        })
        .map_err(ApiError::Internal)?;
    if found {
        Ok(())
    } else {
        Err(ApiError::NotFound(missing()))
    }
}

fn remove_at(object: &mut Map<String, Value>, path: &[&str], key: &str) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return object.remove(key).is_some();
    };
    let Some(Value::Object(inner)) = object.get_mut(*first) else {
        return false;
    };
    let found = remove_at(inner, rest, key);
    if inner.is_empty() {
        object.remove(*first);
    }
    found
}

/// Records (or forgets) when the agent set a secret. A failure only loses the time shown.
fn record_set(agent: &Agent, key: String, set: bool) {
    let now = crate::now_rfc3339();
    let recorded = agent.workspaces.state().update(|state| {
        if set {
            state.secrets_set_at.insert(key, now);
        } else {
            state.secrets_set_at.remove(&key);
        }
    });
    if let Err(error) = recorded {
        tracing::warn!("cannot record when a setting changed: {error:#}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_what_ssh_keygen_prints() {
        // ssh-keygen -lf of this key prints SHA256:6JSJYs3kkxUZwDUdgWzv+GT8ZLxUCTfKmHKuEQuchwI
        let blob = "AAAAC3NzaC1lZDI1NTE5AAAAIBZ0VEPqHSH/vyzmIzbQ6WSwXw0/DvzGjpJxO1XKxqhW";
        assert_eq!(
            ssh_fingerprint(blob).as_deref(),
            Some(expected_fingerprint(blob).as_str())
        );
        assert_eq!(ssh_fingerprint("not base64!"), None);
    }

    /// The fingerprint computed by the machine's own ssh-keygen.
    fn expected_fingerprint(blob: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pub");
        std::fs::write(&path, format!("ssh-ed25519 {blob} t\n")).unwrap();
        let output = std::process::Command::new("ssh-keygen")
            .arg("-lf")
            .arg(&path)
            .output()
            .unwrap();
        String::from_utf8(output.stdout)
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned()
    }

    #[test]
    fn removing_the_last_key_removes_the_objects_it_leaves_empty() {
        let mut object: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "credentials": {"env": {"A": "1"}, "files": {"~/x": "~/x"}},
            "accounts": {"codex": {"apiKey": "k"}}
        }))
        .unwrap();
        assert!(remove_at(&mut object, &["credentials", "env"], "A"));
        assert!(!remove_at(&mut object, &["credentials", "env"], "A"));
        assert!(remove_at(&mut object, &["accounts", "codex"], "apiKey"));
        assert_eq!(
            Value::Object(object),
            serde_json::json!({"credentials": {"files": {"~/x": "~/x"}}})
        );
    }
}
