//! Writes the coding agents' accounts where each one reads them, from the settings the agent
//! puts into the workspace at every sync ([`perry_api::settings::WorkerSettings`]):
//! - **Claude Code** `~/.claude.json`: onboarding done, the home directory trusted (and so every
//!   project under it), and the API key Perry sets approved, so the first run asks nothing. The
//!   key itself is `ANTHROPIC_API_KEY` (or `CLAUDE_CODE_OAUTH_TOKEN`) in the environment, which
//!   the agent writes.
//! - **Codex** `~/.codex/auth.json`: `OPENAI_API_KEY`, as `codex login --with-api-key` writes it.
//! - **OpenCode** `~/.local/share/opencode/auth.json`: `{"<provider>": {"type": "api", "key"}}`,
//!   as `opencode auth login` writes it.
//! - **git** `~/.config/git/config` (git's own second global file, so the `~/.gitconfig` sync
//!   copies from the host is never edited): this worker as a credential helper, answering
//!   for the hosts that have a token ([`git_credential`]).
//!
//! The person's own entries are kept: files are merged, never replaced. What Perry wrote is
//! remembered (by fingerprint, [`Applied`]), so a key unset in Perry leaves the workspace while a
//! login the person made there by hand stays.

use std::collections::BTreeMap;
use std::path::Path;

use perry_api::SyncItem;
use perry_api::settings::{AccountKind, WorkerSettings, fingerprint};
use serde_json::{Map, Value, json};

use crate::hooks::edit_file;
use crate::settings::Applied;

/// The workspace user's home, trusted in Claude Code.
const CLAUDE_TRUSTED_DIRECTORY: &str = "/home/workspace";

/// Writes every account under `home`; one item per file, and git's `worker` as the helper.
pub fn apply(
    home: &Path,
    settings: &WorkerSettings,
    worker: &str,
    applied: &mut Applied,
) -> Vec<SyncItem> {
    let keys = |account| settings.accounts.get(&account).cloned().unwrap_or_default();
    let claude = keys(AccountKind::ClaudeCode);
    let codex = keys(AccountKind::Codex);
    let opencode = keys(AccountKind::Opencode);
    let github = keys(AccountKind::Github);
    let mut items = vec![item(
        "Claude Code onboarding and trust → ~/.claude.json",
        edit_file(&home.join(".claude.json"), true, |text| {
            claude_state(text, claude.get("apiKey").map(String::as_str))
        }),
    )];
    let codex_key = codex.get("apiKey");
    if codex_key.is_some() || applied.codex.is_some() {
        let previous = applied.codex.clone();
        let result = edit_file(&home.join(".codex/auth.json"), true, |text| {
            codex_auth(text, codex_key.map(String::as_str), previous.as_deref())
        });
        if result.is_ok() {
            applied.codex = codex_key.map(|key| fingerprint(key));
        }
        items.push(item("Codex API key → ~/.codex/auth.json", result));
    }
    if !opencode.is_empty() || !applied.opencode.is_empty() {
        let previous = applied.opencode.clone();
        let result = edit_file(
            &home.join(".local/share/opencode/auth.json"),
            true,
            |text| opencode_auth(text, &opencode, &previous),
        );
        if result.is_ok() {
            applied.opencode = opencode
                .iter()
                .map(|(provider, key)| (provider.clone(), fingerprint(key)))
                .collect();
        }
        items.push(item(
            "OpenCode provider keys → ~/.local/share/opencode/auth.json",
            result,
        ));
    }
    items.push(item(
        if github.is_empty() {
            "git credential helper removed from ~/.config/git/config"
        } else {
            "git credentials → ~/.config/git/config (perry-worker git-credential)"
        },
        edit_file(&home.join(".config/git/config"), false, |text| {
            Ok(git_config(text, worker, !github.is_empty()))
        }),
    ));
    items
}

pub(crate) fn item(what: &str, result: Result<(), String>) -> SyncItem {
    SyncItem {
        what: what.to_owned(),
        error: result.err(),
    }
}

pub(crate) fn parse_object(text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err("not a JSON object; left alone".to_owned()),
        Err(error) => Err(format!("not JSON ({error}); left alone")),
    }
}

pub(crate) fn to_text(object: Map<String, Value>) -> Result<String, String> {
    serde_json::to_string_pretty(&Value::Object(object))
        .map(|text| text + "\n")
        .map_err(|error| error.to_string())
}

/// `~/.claude.json` with onboarding done, the home trusted and `api_key` approved (Claude Code
/// remembers an approved key by its last 20 characters).
fn claude_state(text: &str, api_key: Option<&str>) -> Result<String, String> {
    let mut state = parse_object(text)?;
    state.insert("hasCompletedOnboarding".to_owned(), json!(true));
    let projects = state
        .entry("projects")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("its projects is not an object; left alone")?;
    let home = projects
        .entry(CLAUDE_TRUSTED_DIRECTORY)
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("its projects entry of the home is not an object; left alone")?;
    home.insert("hasTrustDialogAccepted".to_owned(), json!(true));
    home.insert("hasCompletedProjectOnboarding".to_owned(), json!(true));
    if let Some(key) = api_key {
        let tail: String = {
            let chars: Vec<char> = key.chars().collect();
            chars[chars.len().saturating_sub(20)..].iter().collect()
        };
        let responses = state
            .entry("customApiKeyResponses")
            .or_insert_with(|| json!({"approved": [], "rejected": []}))
            .as_object_mut()
            .ok_or("its customApiKeyResponses is not an object; left alone")?;
        let approved = responses
            .entry("approved")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .ok_or("its customApiKeyResponses.approved is not a list; left alone")?;
        if !approved.iter().any(|entry| entry.as_str() == Some(&tail)) {
            approved.push(Value::String(tail.clone()));
        }
        if let Some(rejected) = responses.get_mut("rejected").and_then(Value::as_array_mut) {
            rejected.retain(|entry| entry.as_str() != Some(&tail));
        }
    }
    to_text(state)
}

/// `~/.codex/auth.json` with `key` as the API key; without one, the key Perry wrote before
/// (`previous`, its fingerprint) is removed and anything else kept.
fn codex_auth(text: &str, key: Option<&str>, previous: Option<&str>) -> Result<String, String> {
    let mut auth = parse_object(text)?;
    match key {
        Some(key) => {
            auth.insert("OPENAI_API_KEY".to_owned(), json!(key));
        }
        None => {
            let ours = auth
                .get("OPENAI_API_KEY")
                .and_then(Value::as_str)
                .is_some_and(|current| Some(fingerprint(current).as_str()) == previous);
            if ours {
                auth.remove("OPENAI_API_KEY");
            }
        }
    }
    to_text(auth)
}

/// OpenCode's auth file with Perry's provider keys, without the ones Perry wrote before and no
/// longer has, and with every other login the person made kept.
fn opencode_auth(
    text: &str,
    keys: &BTreeMap<String, String>,
    previous: &BTreeMap<String, String>,
) -> Result<String, String> {
    let mut auth = parse_object(text)?;
    for (provider, fingerprint_written) in previous {
        if keys.contains_key(provider) {
            continue;
        }
        let ours = auth
            .get(provider)
            .and_then(|entry| entry.get("key"))
            .and_then(Value::as_str)
            .is_some_and(|current| fingerprint(current) == *fingerprint_written);
        if ours {
            auth.remove(provider);
        }
    }
    for (provider, key) in keys {
        auth.insert(provider.clone(), json!({"type": "api", "key": key}));
    }
    to_text(auth)
}

/// The line of git's config that names Perry's helper.
fn helper_line(worker: &str) -> String {
    format!("\thelper = \"{worker} git-credential\"")
}

/// git's config text with Perry's `[credential]` helper (when `wanted`) and every other line
/// as it was. Perry's section is marked, so it is found again and never duplicated.
fn git_config(text: &str, worker: &str, wanted: bool) -> String {
    const MARK: &str = "# perry: git credentials for the hosts Perry has tokens of";
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line == MARK {
            // Perry's block: the mark, `[credential]`, and the helper line.
            while lines.peek().is_some_and(|next| {
                next.trim() == "[credential]" || next.contains("git-credential")
            }) {
                lines.next();
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if wanted {
        out.push_str(MARK);
        out.push('\n');
        out.push_str("[credential]\n");
        out.push_str(&helper_line(worker));
        out.push('\n');
    }
    out
}

/// `git-credential get`: answers git's question (its attributes on `input`) with the token of
/// the host asked about, if Perry has one; anything else (`store`, `erase`, another host) gets
/// no answer, so git asks its other helpers or the person.
pub fn git_credential(settings: &WorkerSettings, action: &str, input: &str) -> Option<String> {
    if action != "get" {
        return None;
    }
    let attribute = |name: &str| {
        input
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
    };
    let protocol = attribute("protocol")?;
    let host = attribute("host")?;
    let tokens = settings.accounts.get(&AccountKind::Github)?;
    tokens.iter().find_map(|(key, token)| {
        let (scheme, key_host) = perry_api::settings::git_host(key).ok()?;
        (scheme == protocol && key_host.eq_ignore_ascii_case(host))
            .then(|| format!("username=x-access-token\npassword={token}\n"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(accounts: Value) -> WorkerSettings {
        serde_json::from_value(json!({ "accounts": accounts })).unwrap()
    }

    #[test]
    fn claude_state_keeps_the_persons_keys_and_approves_the_key_once() {
        let text = r#"{"theme": "light", "projects": {"/home/workspace/app": {"allowedTools": ["Bash"]}}}"#;
        let key = "sk-ant-api03-0123456789abcdefghijklmnop";
        let once = claude_state(text, Some(key)).unwrap();
        let twice = claude_state(&once, Some(key)).unwrap();
        assert_eq!(once, twice, "a second sync changes nothing");
        let state: Value = serde_json::from_str(&twice).unwrap();
        assert_eq!(state["theme"], "light");
        assert_eq!(state["hasCompletedOnboarding"], true);
        assert_eq!(
            state["projects"]["/home/workspace/app"]["allowedTools"][0],
            "Bash"
        );
        assert_eq!(
            state["projects"]["/home/workspace"]["hasTrustDialogAccepted"],
            true
        );
        assert_eq!(
            state["customApiKeyResponses"]["approved"],
            json!([&key[key.len() - 20..]])
        );
        assert!(claude_state("[1]", None).is_err());
    }

    #[test]
    fn a_key_perry_wrote_leaves_with_it_and_a_persons_own_login_stays() {
        let written = codex_auth("", Some("sk-perry"), None).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&written).unwrap()["OPENAI_API_KEY"],
            "sk-perry"
        );
        let fingerprint_written = fingerprint("sk-perry");
        let removed = codex_auth(&written, None, Some(&fingerprint_written)).unwrap();
        assert!(
            serde_json::from_str::<Value>(&removed)
                .unwrap()
                .get("OPENAI_API_KEY")
                .is_none()
        );
        // The person logged in by hand since: not Perry's key, kept.
        let theirs = r#"{"OPENAI_API_KEY": "sk-their-own"}"#;
        let kept = codex_auth(theirs, None, Some(&fingerprint_written)).unwrap();
        assert!(kept.contains("sk-their-own"));

        let keys: BTreeMap<String, String> = [("anthropic".to_owned(), "a-key".to_owned())].into();
        let theirs = r#"{"openrouter": {"type": "api", "key": "their-key"}}"#;
        let merged = opencode_auth(theirs, &keys, &BTreeMap::new()).unwrap();
        let auth: Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(auth["anthropic"], json!({"type": "api", "key": "a-key"}));
        assert_eq!(auth["openrouter"]["key"], "their-key");
        let previous: BTreeMap<String, String> =
            [("anthropic".to_owned(), fingerprint("a-key"))].into();
        let unset = opencode_auth(&merged, &BTreeMap::new(), &previous).unwrap();
        let auth: Value = serde_json::from_str(&unset).unwrap();
        assert!(auth.get("anthropic").is_none(), "{auth}");
        assert_eq!(auth["openrouter"]["key"], "their-key");
    }

    #[test]
    fn git_config_gets_one_helper_block_and_loses_it_cleanly() {
        let theirs = "[user]\n\tname = T\n";
        let with = git_config(theirs, "/usr/local/bin/perry-worker", true);
        assert_eq!(git_config(&with, "/usr/local/bin/perry-worker", true), with);
        assert!(with.starts_with(theirs), "{with}");
        assert!(with.contains("helper = \"/usr/local/bin/perry-worker git-credential\""));
        assert_eq!(
            git_config(&with, "/usr/local/bin/perry-worker", false),
            theirs
        );
    }

    #[test]
    fn git_credential_answers_only_get_for_a_host_with_a_token() {
        let settings = settings(json!({"github": {
            "github.com": "ghp_one",
            "http://127.0.0.1:8080": "local-token"
        }}));
        let ask = |action, input| git_credential(&settings, action, input);
        assert_eq!(
            ask("get", "protocol=https\nhost=github.com\n").as_deref(),
            Some("username=x-access-token\npassword=ghp_one\n")
        );
        assert_eq!(
            ask("get", "protocol=http\nhost=127.0.0.1:8080\npath=r.git\n").as_deref(),
            Some("username=x-access-token\npassword=local-token\n")
        );
        assert_eq!(ask("get", "protocol=http\nhost=github.com\n"), None);
        assert_eq!(ask("get", "protocol=https\nhost=gitlab.com\n"), None);
        assert_eq!(ask("store", "protocol=https\nhost=github.com\n"), None);
    }
}
