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
    SecretInfo, Settings, TokenOutput,
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
        _ => Ok(()),
    }
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
