//! What a person manages from any client (`settings.*`), kept in the agent's config.json and put
//! into every workspace by `workspaces.sync`: environment variables, files, the coding agents'
//! accounts, and the agent's token.
//!
//! Secrets are write-only: what comes back is a name, when it was set (when the agent set it;
//! absent for a value typed into config.json by hand) and a short fingerprint, never the value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use crate::SyncItem;

/// The most bytes one secret or variable value may have.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// A secret as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
    pub name: String,
    /// When the agent last set it (RFC 3339); absent when it was written by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub set_at: Option<String>,
    /// The first 8 hex digits of the value's SHA-256: enough to tell two values apart.
    pub fingerprint: String,
}

/// A host file or directory copied into every workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileMapping {
    /// On the agent's machine: absolute, or `~/…` (the agent user's home).
    pub host: String,
    /// In the workspace: under the workspace user's home, as `~/…` or `/home/workspace/…`.
    pub workspace: String,
}

/// A coding agent (or git host) whose login Perry puts into every workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub enum AccountKind {
    /// Keys `apiKey` (`ANTHROPIC_API_KEY`) and `oauthToken` (`CLAUDE_CODE_OAUTH_TOKEN`, from
    /// `claude setup-token`).
    ClaudeCode,
    /// Key `apiKey` (`OPENAI_API_KEY`, and Codex's `~/.codex/auth.json`).
    Codex,
    /// One key per provider, by OpenCode's provider id (`anthropic`, `openai`, `openrouter`, …),
    /// written to OpenCode's auth file.
    Opencode,
    /// One token per git host, keyed by the host (`github.com`, `git.example.com:8443`, or
    /// `http://host:port` for a server without TLS): git's credentials over HTTP(S), and `gh`'s
    /// `GH_TOKEN` for github.com.
    Github,
}

impl AccountKind {
    pub const ALL: [AccountKind; 4] = [
        AccountKind::ClaudeCode,
        AccountKind::Codex,
        AccountKind::Opencode,
        AccountKind::Github,
    ];

    /// How a person calls it.
    pub fn display_name(self) -> &'static str {
        match self {
            AccountKind::ClaudeCode => "Claude Code",
            AccountKind::Codex => "Codex",
            AccountKind::Opencode => "OpenCode",
            AccountKind::Github => "GitHub",
        }
    }

    /// Its name on the wire and in config.json.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::ClaudeCode => "claudeCode",
            AccountKind::Codex => "codex",
            AccountKind::Opencode => "opencode",
            AccountKind::Github => "github",
        }
    }

    /// The keys this account takes when they are a fixed set.
    pub fn fixed_keys(self) -> Option<&'static [&'static str]> {
        match self {
            AccountKind::ClaudeCode => Some(&["apiKey", "oauthToken"]),
            AccountKind::Codex => Some(&["apiKey"]),
            AccountKind::Opencode | AccountKind::Github => None,
        }
    }

    /// Whether `key` is one of this account's, with a sentence saying why not.
    pub fn check_key(self, key: &str) -> Result<(), String> {
        let name = self.display_name();
        if let Some(keys) = self.fixed_keys() {
            return if keys.contains(&key) {
                Ok(())
            } else {
                Err(format!(
                    "{name} takes the keys {}, not {key:?}",
                    keys.join(" and ")
                ))
            };
        }
        match self {
            AccountKind::Opencode => {
                let ok = !key.is_empty()
                    && key.len() <= 64
                    && key.starts_with(|c: char| c.is_ascii_lowercase())
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "{key:?} is not an OpenCode provider id (lower-case letters, digits, '-', '_' and '.', like anthropic or openai)"
                    ))
                }
            }
            _ => git_host(key).map(|_| ()),
        }
    }

    /// The environment variable a key of this account sets in workspaces, if any.
    pub fn variable(self, key: &str) -> Option<&'static str> {
        match (self, key) {
            (AccountKind::ClaudeCode, "apiKey") => Some("ANTHROPIC_API_KEY"),
            (AccountKind::ClaudeCode, "oauthToken") => Some("CLAUDE_CODE_OAUTH_TOKEN"),
            (AccountKind::Codex, "apiKey") => Some("OPENAI_API_KEY"),
            (AccountKind::Github, "github.com") => Some("GH_TOKEN"),
            _ => None,
        }
    }
}

/// A git host key of the GitHub account as (scheme, host[:port]): `github.com` is https,
/// `http://host:port` is plain HTTP.
pub fn git_host(key: &str) -> Result<(&'static str, &str), String> {
    let (scheme, host) = match key.split_once("://") {
        Some(("http", host)) => ("http", host),
        Some(("https", host)) => ("https", host),
        Some((scheme, _)) => {
            return Err(format!(
                "a git host is reached over http or https, not {scheme}"
            ));
        }
        None => ("https", key),
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if ok {
        Ok((scheme, host))
    } else {
        Err(format!(
            "{key:?} is not a git host: give it as github.com, host:port or http://host:port"
        ))
    }
}

/// Every account's keys, as config.json keeps them: account → key → secret.
pub type Accounts = BTreeMap<AccountKind, BTreeMap<String, String>>;

/// One key of an account as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct AccountSecret {
    pub account: AccountKind,
    #[serde(flatten)]
    pub secret: SecretInfo,
}

/// `settings.get`: everything a client may see of the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// `credentials.env`: variables for every shell in every workspace.
    pub env: Vec<SecretInfo>,
    /// `credentials.files`: host files and directories copied into every workspace.
    pub files: Vec<FileMapping>,
    /// The coding agents' and git hosts' keys.
    pub accounts: Vec<AccountSecret>,
    /// Post-start scripts, in the order they run.
    pub scripts: Vec<PostStartScript>,
    /// MCP servers synced into the coding agents' configurations (env values never shown).
    pub mcp_servers: Vec<McpServerInfo>,
    /// Skills synced into the coding agents' skill directories.
    pub skills: Vec<Skill>,
    /// Which of the host user's SSH keys go into workspaces, and which keys may log in.
    pub ssh: SshSettings,
}

/// Where an entry applies: every workspace (absent or empty), or the ones named.
pub type Scope = Vec<String>;

/// The most bytes a post-start script may have.
pub const MAX_SCRIPT_BYTES: usize = 64 * 1024;
/// How long a post-start script may run unless it says: 5 minutes.
pub const DEFAULT_SCRIPT_TIMEOUT_SECONDS: u32 = 300;
/// The longest a post-start script may be given: an hour.
pub const MAX_SCRIPT_TIMEOUT_SECONDS: u32 = 3600;

/// A shell script run as `workspace` (bash, login shell, in the home) after every start, once
/// the workspace is ready. Its output goes to the workspace's log (`perry logs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostStartScript {
    pub name: String,
    pub script: String,
    /// Seconds it may run before it is stopped and counted as failed (default 300, at most 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub timeout_seconds: Option<u32>,
    /// The workspaces it runs in; every workspace when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub workspaces: Scope,
}

/// `settings.setScript`: adds the script, or with `replace` changes the one of that name, at
/// `position` (0 is first; the end when absent, or where it was when replacing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScriptSetInput {
    pub script: PostStartScript,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub position: Option<u32>,
    /// Change the entry of that name; without it, a name already taken is refused (409).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub replace: bool,
}

/// `settings.setMcpServer`: adds it, or with `replace` changes the one of that name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpServerSetInput {
    pub server: McpServer,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub replace: bool,
}

/// `settings.setSkill`: adds it, or with `replace` changes the one of that name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillSetInput {
    pub skill: Skill,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub replace: bool,
}

/// `settings.unsetScript`, `settings.unsetMcpServer`, `settings.unsetSkill`: which one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingNameInput {
    pub name: String,
}

/// What became of one post-start script at a workspace's last start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ScriptRun {
    pub name: String,
    /// False while it runs.
    pub finished: bool,
    /// Its exit code; absent when it could not be run or was stopped at its time limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub exit_code: Option<i32>,
    /// Why it failed, in a sentence (exit code, time limit, could not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub error: Option<String>,
    pub milliseconds: u32,
}

/// The coding agents an MCP server or skill goes to.
pub type AgentTargets = Vec<crate::sessions::SessionAgent>;

/// An MCP server: a command Perry's coding agents start (`command`, with `env`), or one they
/// reach at a URL (`url`, streamable HTTP, or `sse`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpServer {
    pub name: String,
    #[serde(default = "yes")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub enabled: bool,
    /// Which coding agents get it; all of them when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(as = "Option<Vec<crate::sessions::SessionAgent>>", optional)
    )]
    pub agents: AgentTargets,
    /// The program and its arguments, e.g. `["npx", "-y", "@modelcontextprotocol/server-memory"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub command: Option<Vec<String>>,
    /// The command's environment; write-only. On `settings.setMcpServer`, absent keeps what
    /// the server had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub env: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub url: Option<String>,
    /// Server-sent events rather than streamable HTTP, for a `url`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub sse: bool,
}

fn yes() -> bool {
    true
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("McpServer")
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("agents", &self.agents)
            .field("command", &self.command)
            .field(
                "env",
                &self.env.as_ref().map(|env| env.keys().collect::<Vec<_>>()),
            )
            .field("url", &self.url)
            .field("sse", &self.sse)
            .finish()
    }
}

impl McpServer {
    /// Whether `agent` gets it.
    pub fn reaches(&self, agent: crate::sessions::SessionAgent) -> bool {
        self.enabled && (self.agents.is_empty() || self.agents.contains(&agent))
    }

    /// Why it cannot be written into a coding agent's configuration, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        check_setting_name(&self.name)?;
        match (&self.command, &self.url) {
            (Some(command), None) => {
                if command.is_empty() || command[0].trim().is_empty() {
                    return Err("the command is empty: give the program and its arguments, e.g. [\"npx\", \"-y\", \"@modelcontextprotocol/server-memory\"]".to_owned());
                }
                if command.iter().any(|arg| arg.contains('\0')) {
                    return Err("the command contains a NUL".to_owned());
                }
                if self.sse {
                    return Err("sse is for a server reached at a url".to_owned());
                }
            }
            (None, Some(url)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!(
                        "the url {url:?} must start with http:// or https://"
                    ));
                }
                if self.env.as_ref().is_some_and(|env| !env.is_empty()) {
                    return Err("env is for a server started by a command".to_owned());
                }
            }
            (Some(_), Some(_)) => return Err("give a command or a url, not both".to_owned()),
            (None, None) => return Err("give a command (a list of strings) or a url".to_owned()),
        }
        for (name, value) in self.env.iter().flatten() {
            check_variable_name(name)?;
            check_value(&format!("the value of {name}"), value)?;
        }
        Ok(())
    }
}

/// An MCP server as clients see it: the names of its environment, not their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct McpServerInfo {
    pub name: String,
    pub enabled: bool,
    pub agents: AgentTargets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub command: Option<Vec<String>>,
    pub env_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub url: Option<String>,
    pub sse: bool,
}

/// The most bytes a skill's instructions may have.
pub const MAX_SKILL_BYTES: usize = 256 * 1024;

/// A skill: instructions a coding agent loads when its description matches the task (Claude
/// Code's `~/.claude/skills/<name>/SKILL.md`, and the same form for Codex and OpenCode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Skill {
    /// Lower-case letters, digits and hyphens (the SKILL.md `name`).
    pub name: String,
    /// When to use it: what the coding agent matches the task against.
    pub description: String,
    /// The instructions: SKILL.md's body, Markdown.
    pub instructions: String,
    #[serde(default = "yes")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(as = "Option<Vec<crate::sessions::SessionAgent>>", optional)
    )]
    pub agents: AgentTargets,
}

impl Skill {
    /// Whether `agent` gets it.
    pub fn reaches(&self, agent: crate::sessions::SessionAgent) -> bool {
        self.enabled && (self.agents.is_empty() || self.agents.contains(&agent))
    }

    /// Why it cannot be written as a SKILL.md, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        let ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(format!(
                "{:?} is not a skill name: lower-case letters, digits and hyphens, at most 64",
                self.name
            ));
        }
        let description = self.description.trim();
        if description.is_empty() || description.len() > 1024 || description.contains('\n') {
            return Err("the description is one line of at most 1024 characters saying when to use the skill".to_owned());
        }
        if self.instructions.len() > MAX_SKILL_BYTES {
            return Err(format!(
                "the instructions are {} bytes; the most is {MAX_SKILL_BYTES}",
                self.instructions.len()
            ));
        }
        Ok(())
    }

    /// The SKILL.md: YAML front matter with the name and description, then the instructions.
    pub fn skill_md(&self) -> String {
        format!(
            "---\nname: {}\ndescription: {}\n---\n\n{}\n",
            self.name,
            serde_json::to_string(self.description.trim()).unwrap_or_default(),
            self.instructions.trim_end()
        )
    }
}

/// Why a post-start script cannot be kept, if it cannot.
pub fn check_script(script: &PostStartScript) -> Result<(), String> {
    check_setting_name(&script.name)?;
    if script.script.trim().is_empty() {
        return Err(format!("the script {} is empty", script.name));
    }
    if script.script.len() > MAX_SCRIPT_BYTES {
        return Err(format!(
            "the script {} is {} bytes; the most is {MAX_SCRIPT_BYTES}",
            script.name,
            script.script.len()
        ));
    }
    if script.script.contains('\0') {
        return Err(format!("the script {} contains a NUL", script.name));
    }
    if let Some(seconds) = script.timeout_seconds
        && !(1..=MAX_SCRIPT_TIMEOUT_SECONDS).contains(&seconds)
    {
        return Err(format!(
            "the time limit of {} must be from 1 to {MAX_SCRIPT_TIMEOUT_SECONDS} seconds",
            script.name
        ));
    }
    Ok(())
}

/// Why `name` cannot be a key file of `~/.ssh`, if it cannot.
pub fn check_ssh_key_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && !name.ends_with(".pub")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not the file name of a private key in ~/.ssh (like id_ed25519)"
        ))
    }
}

/// Why `line` cannot be an authorized_keys line, if it cannot: a key type, its base64 blob,
/// and an optional comment, on one line.
pub fn check_public_key(line: &str) -> Result<(), String> {
    let mut fields = line.split_whitespace();
    let key_type = fields.next().unwrap_or_default();
    let blob = fields.next().unwrap_or_default();
    let known = key_type.starts_with("ssh-")
        || key_type.starts_with("ecdsa-sha2-")
        || key_type.starts_with("sk-");
    let base64 = !blob.is_empty()
        && blob
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c));
    if !known || !base64 || line.contains(['\n', '\r', '\0']) || line.len() > 16 * 1024 {
        return Err(
            "not an SSH public key: paste one line like ssh-ed25519 AAAAC3… me@laptop (a .pub file's content)"
                .to_owned(),
        );
    }
    Ok(())
}

/// Why `name` cannot name a script or an MCP server, if it cannot.
pub fn check_setting_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a name: letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64"
        ))
    }
}

/// The SSH settings: which host keys are copied, which public keys may log in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SshSettings {
    /// Private keys of the host user's `~/.ssh` (by file name) copied with their `.pub`.
    pub copy: Vec<SshKeyChoice>,
    /// Public keys (authorized_keys lines) that may log in, besides the host user's own.
    pub authorized: Vec<SshKeyChoice>,
}

/// One key, and the workspaces it applies to (every one when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SshKeyChoice {
    /// `copy`: a file name in the host user's `~/.ssh` (`id_ed25519`); `authorized`: a public
    /// key line (`ssh-ed25519 AAAA… me@laptop`).
    pub key: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub workspaces: Scope,
}

/// `settings.setSshKey` and `settings.unsetSshKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SshKeyInput {
    pub kind: SshKeyKind,
    /// As [`SshKeyChoice::key`].
    pub key: String,
    /// The workspaces it applies to; every one when empty. (Ignored by `unsetSshKey`.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub workspaces: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub enum SshKeyKind {
    Copy,
    Authorized,
}

/// One of the host user's SSH keys (`settings.sshKeys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct HostSshKey {
    /// Its file name in `~/.ssh`, without `.pub`.
    pub name: String,
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …
    pub key_type: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub comment: String,
    /// Whether the private half is there too (only then can it be copied).
    pub has_private: bool,
}

/// `settings.setEnv`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvSetInput {
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for EnvSetInput {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("EnvSetInput")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `settings.unsetEnv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvNameInput {
    pub name: String,
}

/// `settings.unsetFile`: the mapping with this host path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileHostInput {
    pub host: String,
}

/// `settings.setAccount`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSetInput {
    pub account: AccountKind,
    pub key: String,
    pub value: String,
}

impl std::fmt::Debug for AccountSetInput {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AccountSetInput")
            .field("account", &self.account)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// `settings.unsetAccount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountKeyInput {
    pub account: AccountKind,
    pub key: String,
}

/// `settings.token` and `settings.rotateToken`: the token clients present.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct TokenOutput {
    pub token: String,
}

impl std::fmt::Debug for TokenOutput {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TokenOutput")
            .finish_non_exhaustive()
    }
}

/// One workspace's outcome of `workspaces.syncAll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceSyncResult {
    pub name: String,
    pub items: Vec<SyncItem>,
    /// Why the workspace could not be synced at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub error: Option<String>,
}

/// What the agent hands the worker of a workspace at every sync (a private file in the
/// workspace, [`WORKER_SETTINGS_FILE`]), for what the worker writes into the coding agents'
/// own files there. Not on the HTTP wire.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerSettings {
    #[serde(default)]
    pub accounts: Accounts,
    /// Every MCP server, disabled ones too (the worker removes what it wrote of those).
    #[serde(default)]
    pub mcp_servers: Vec<McpServer>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// Every key that may log in over SSH here (the host user's and the ones the settings
    /// authorize for this workspace): the worker makes `~/.ssh/authorized_keys` exactly this.
    /// Absent from an older agent: the file is left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_keys: Option<Vec<String>>,
}

impl std::fmt::Debug for WorkerSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = self
            .accounts
            .iter()
            .flat_map(|(account, keys)| {
                keys.keys()
                    .map(move |key| format!("{}.{key}", account.as_str()))
            })
            .collect();
        formatter
            .debug_struct("WorkerSettings")
            .field("accounts", &keys)
            .field("mcp_servers", &self.mcp_servers)
            .field(
                "skills",
                &self
                    .skills
                    .iter()
                    .map(|skill| &skill.name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Where [`WorkerSettings`] lives in a workspace, under the workspace user's home (mode 0600,
/// theirs).
pub const WORKER_SETTINGS_FILE: &str = ".config/perry/settings.json";

/// The fingerprint clients see of a secret: the first 8 hex digits of its SHA-256.
pub fn fingerprint(value: &str) -> String {
    use sha2::{Digest, Sha256};
    hex_prefix(&Sha256::digest(value.as_bytes()), 4)
}

fn hex_prefix(bytes: &[u8], count: usize) -> String {
    bytes
        .iter()
        .take(count)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Why `value` cannot be a variable's or a secret's value, if it cannot.
pub fn check_value(what: &str, value: &str) -> Result<(), String> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(format!(
            "{what} is {} bytes; the most is {MAX_VALUE_BYTES}",
            value.len()
        ));
    }
    if value.contains(['\n', '\r', '\0', '"']) {
        return Err(format!(
            "{what} contains a newline, a NUL or a double quote, which a workspace's environment cannot hold"
        ));
    }
    Ok(())
}

/// Why `name` cannot be an environment variable's name, if it cannot.
pub fn check_variable_name(name: &str) -> Result<(), String> {
    let ok = name.len() <= 256
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a variable name (letters, digits and '_', not starting with a digit)"
        ))
    }
}

/// Why a `host` → `workspace` file mapping cannot be synced, if it cannot. Both paths are
/// absolute or `~/…` and never climb with `..`; unless `anywhere`, the workspace path is under
/// the workspace user's home (`~/…` or `/home/workspace/…`).
pub fn check_file_mapping(host: &str, workspace: &str, anywhere: bool) -> Result<(), String> {
    for (which, path) in [("host", host), ("workspace", workspace)] {
        let absolute = path.starts_with('/') || path.starts_with("~/");
        let climbs = path.split('/').any(|part| part == "..");
        if !absolute || climbs || path.trim_end_matches('/').len() < 2 || path.contains('\0') {
            return Err(format!(
                "the {which} path {path:?} must be absolute or start with ~/ and must not contain .."
            ));
        }
    }
    let in_home = workspace.starts_with("~/") || workspace.starts_with("/home/workspace/");
    if !anywhere && !in_home {
        return Err(format!(
            "the workspace path {workspace:?} must be in the workspace user's home: start it with ~/ or /home/workspace/"
        ));
    }
    Ok(())
}

/// The TypeScript declarations of this module's wire types, in dependency order.
#[cfg(feature = "ts")]
pub fn typescript_declarations(cfg: &ts_rs::Config) -> Vec<String> {
    vec![
        SecretInfo::decl(cfg),
        FileMapping::decl(cfg),
        AccountKind::decl(cfg),
        AccountSecret::decl(cfg),
        Settings::decl(cfg),
        EnvSetInput::decl(cfg),
        EnvNameInput::decl(cfg),
        FileHostInput::decl(cfg),
        AccountSetInput::decl(cfg),
        AccountKeyInput::decl(cfg),
        TokenOutput::decl(cfg),
        WorkspaceSyncResult::decl(cfg),
        PostStartScript::decl(cfg),
        ScriptSetInput::decl(cfg),
        McpServerSetInput::decl(cfg),
        SkillSetInput::decl(cfg),
        SettingNameInput::decl(cfg),
        ScriptRun::decl(cfg),
        McpServer::decl(cfg),
        McpServerInfo::decl(cfg),
        Skill::decl(cfg),
        SshSettings::decl(cfg),
        SshKeyChoice::decl(cfg),
        SshKeyKind::decl(cfg),
        SshKeyInput::decl(cfg),
        HostSshKey::decl(cfg),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_are_checked_per_account() {
        assert!(AccountKind::ClaudeCode.check_key("apiKey").is_ok());
        assert!(AccountKind::ClaudeCode.check_key("oauthToken").is_ok());
        let error = AccountKind::Codex.check_key("oauthToken").unwrap_err();
        assert!(error.contains("apiKey"), "{error}");
        assert!(AccountKind::Opencode.check_key("openrouter").is_ok());
        assert!(AccountKind::Opencode.check_key("Bad Id").is_err());
        assert!(AccountKind::Github.check_key("github.com").is_ok());
        assert_eq!(
            git_host("http://10.0.0.2:8080"),
            Ok(("http", "10.0.0.2:8080"))
        );
        assert_eq!(git_host("github.com"), Ok(("https", "github.com")));
        assert!(git_host("ssh://github.com").is_err());
        assert!(git_host("github.com/org").is_err());
        assert!(git_host("").is_err());
    }

    #[test]
    fn the_fingerprint_is_a_short_hash_and_inputs_hide_their_values() {
        // printf %s secret | sha256sum
        assert_eq!(fingerprint("secret"), "2bb80d53");
        let input = AccountSetInput {
            account: AccountKind::Codex,
            key: "apiKey".to_owned(),
            value: "sk-hidden-value".to_owned(),
        };
        assert!(!format!("{input:?}").contains("sk-hidden-value"));
        let input = EnvSetInput {
            name: "A".to_owned(),
            value: "hidden-env-value".to_owned(),
        };
        assert!(!format!("{input:?}").contains("hidden-env-value"));
    }

    #[test]
    fn values_and_names_that_a_workspace_cannot_hold_are_refused() {
        assert!(check_value("x", "a b 'c'").is_ok());
        assert!(check_value("x", "a\nb").is_err());
        assert!(check_value("x", &"a".repeat(MAX_VALUE_BYTES + 1)).is_err());
        assert!(check_variable_name("_OK1").is_ok());
        assert!(check_variable_name("1X").is_err());
        assert!(check_variable_name("A-B").is_err());
        assert!(check_file_mapping("~/.npmrc", "~/.npmrc", false).is_ok());
        assert!(check_file_mapping("/etc/x", "/home/workspace/x", false).is_ok());
        let outside = check_file_mapping("~/x", "/etc/x", false).unwrap_err();
        assert!(outside.contains("home"), "{outside}");
        assert!(check_file_mapping("~/x", "/etc/x", true).is_ok());
        let climbs = check_file_mapping("~/x", "~/../../etc/shadow", true).unwrap_err();
        assert!(climbs.contains(".."), "{climbs}");
        assert!(check_file_mapping("relative", "~/x", true).is_err());
    }
}
