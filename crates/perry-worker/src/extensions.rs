//! MCP servers and skills, defined once in Perry, written into each coding agent's own
//! configuration at every sync:
//! - **Claude Code**: `~/.claude.json` `mcpServers` (user scope: `{"type": "stdio", "command",
//!   "args", "env"}` or `{"type": "http"|"sse", "url"}`), skills in
//!   `~/.claude/skills/<name>/SKILL.md`.
//! - **Codex**: `~/.codex/config.toml` `[mcp_servers.<name>]` (`command`, `args`, `env`, or
//!   `url` for streamable HTTP; Codex has no SSE client), skills in `~/.codex/skills/<name>/`.
//! - **OpenCode**: `~/.config/opencode/opencode.json` `mcp.<name>` (`{"type": "local",
//!   "command": [...], "environment"}` or `{"type": "remote", "url"}`), skills in
//!   `~/.config/opencode/skills/<name>/`. (OpenCode also loads `~/.claude/skills` by itself.)
//!
//! Entries of the person's own are kept; Perry's are found again by name through
//! [`Applied`], so a server disabled or removed in Perry leaves every file it was in. Files
//! that hold an MCP server's environment are made private.

use std::path::{Path, PathBuf};

use perry_api::SyncItem;
use perry_api::sessions::SessionAgent;
use perry_api::settings::{McpServer, Skill, WorkerSettings};
use serde_json::{Map, Value, json};

use crate::accounts::{item, parse_object, to_text};
use crate::hooks::edit_file;
use crate::settings::Applied;

const AGENTS: [SessionAgent; 3] = [
    SessionAgent::ClaudeCode,
    SessionAgent::Codex,
    SessionAgent::Opencode,
];

/// Writes every coding agent's MCP servers and skills; one item per file or directory.
pub fn apply(home: &Path, settings: &WorkerSettings, applied: &mut Applied) -> Vec<SyncItem> {
    let mut items = Vec::new();
    for agent in AGENTS {
        let key = agent.as_str().to_owned();
        let wanted: Vec<&McpServer> = settings
            .mcp_servers
            .iter()
            .filter(|server| server.reaches(agent))
            .collect();
        let previous = applied.mcp.get(&key).cloned().unwrap_or_default();
        if !wanted.is_empty() || !previous.is_empty() {
            let (file, shown) = mcp_file(home, agent);
            let private = wanted
                .iter()
                .any(|server| server.env.as_ref().is_some_and(|env| !env.is_empty()));
            let result = edit_file(&file, private, |text| match agent {
                SessionAgent::ClaudeCode => claude_mcp(text, &wanted, &previous),
                SessionAgent::Codex => codex_mcp(text, &wanted, &previous),
                SessionAgent::Opencode => opencode_mcp(text, &wanted, &previous),
            });
            let mut error = result.err();
            if error.is_none() {
                applied.mcp.insert(
                    key.clone(),
                    wanted.iter().map(|server| server.name.clone()).collect(),
                );
                if agent == SessionAgent::Codex
                    && let Some(server) = wanted.iter().find(|server| server.sse)
                {
                    error = Some(format!(
                        "Codex has no SSE client: {} was left out of its configuration",
                        server.name
                    ));
                }
            }
            items.push(SyncItem {
                what: format!(
                    "{} MCP server{} → {shown}",
                    wanted.len(),
                    if wanted.len() == 1 { "" } else { "s" }
                ),
                error,
            });
        }

        let wanted: Vec<&Skill> = settings
            .skills
            .iter()
            .filter(|skill| skill.reaches(agent))
            .collect();
        let previous = applied.skills.get(&key).cloned().unwrap_or_default();
        if !wanted.is_empty() || !previous.is_empty() {
            let (directory, shown) = skills_directory(home, agent);
            let result = write_skills(&directory, &wanted, &previous);
            if result.is_ok() {
                applied
                    .skills
                    .insert(key, wanted.iter().map(|skill| skill.name.clone()).collect());
            }
            items.push(item(
                &format!(
                    "{} skill{} → {shown}",
                    wanted.len(),
                    if wanted.len() == 1 { "" } else { "s" }
                ),
                result,
            ));
        }
    }
    items
}

fn mcp_file(home: &Path, agent: SessionAgent) -> (PathBuf, &'static str) {
    match agent {
        SessionAgent::ClaudeCode => (home.join(".claude.json"), "~/.claude.json"),
        SessionAgent::Codex => (home.join(".codex/config.toml"), "~/.codex/config.toml"),
        SessionAgent::Opencode => (
            home.join(".config/opencode/opencode.json"),
            "~/.config/opencode/opencode.json",
        ),
    }
}

fn skills_directory(home: &Path, agent: SessionAgent) -> (PathBuf, &'static str) {
    match agent {
        SessionAgent::ClaudeCode => (home.join(".claude/skills"), "~/.claude/skills"),
        SessionAgent::Codex => (home.join(".codex/skills"), "~/.codex/skills"),
        SessionAgent::Opencode => (
            home.join(".config/opencode/skills"),
            "~/.config/opencode/skills",
        ),
    }
}

/// The program and its arguments of a server started by a command.
fn program(server: &McpServer) -> Option<(&str, &[String])> {
    let (first, rest) = server.command.as_deref()?.split_first()?;
    Some((first.as_str(), rest))
}

fn env_object(server: &McpServer) -> Value {
    json!(server.env.clone().unwrap_or_default())
}

/// The JSON object at `key` of `object`, made when missing.
fn object_at<'a>(
    object: &'a mut Map<String, Value>,
    key: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    object
        .entry(key)
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| format!("its {key} is not an object; left alone"))
}

/// `~/.claude.json` with Perry's servers in `mcpServers`, those it wrote before and no longer
/// has removed.
fn claude_mcp(text: &str, wanted: &[&McpServer], previous: &[String]) -> Result<String, String> {
    let mut state = parse_object(text)?;
    let servers = object_at(&mut state, "mcpServers")?;
    for name in previous {
        servers.remove(name);
    }
    for server in wanted {
        let entry = match (program(server), &server.url) {
            (Some((command, args)), _) => {
                json!({"type": "stdio", "command": command, "args": args, "env": env_object(server)})
            }
            (None, Some(url)) => {
                json!({"type": if server.sse { "sse" } else { "http" }, "url": url})
            }
            (None, None) => continue,
        };
        servers.insert(server.name.clone(), entry);
    }
    if servers.is_empty() {
        state.remove("mcpServers");
    }
    to_text(state)
}

/// Codex's config.toml with Perry's `[mcp_servers.<name>]` tables, comments and order of the
/// rest kept.
fn codex_mcp(text: &str, wanted: &[&McpServer], previous: &[String]) -> Result<String, String> {
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|error| format!("not TOML ({error}); left alone"))?;
    if document.get("mcp_servers").is_none() {
        let mut table = toml_edit::Table::new();
        table.set_implicit(true);
        document.insert("mcp_servers", toml_edit::Item::Table(table));
    }
    let servers = document
        .get_mut("mcp_servers")
        .and_then(toml_edit::Item::as_table_mut)
        .ok_or("its mcp_servers is not a table; left alone")?;
    for name in previous {
        servers.remove(name);
    }
    for server in wanted {
        let mut table = toml_edit::Table::new();
        match (program(server), &server.url) {
            (Some((command, args)), _) => {
                table.insert("command", toml_edit::value(command));
                let mut list = toml_edit::Array::new();
                for arg in args {
                    list.push(arg.as_str());
                }
                table.insert("args", toml_edit::value(list));
                if let Some(env) = server.env.as_ref().filter(|env| !env.is_empty()) {
                    let mut inline = toml_edit::InlineTable::new();
                    for (name, value) in env {
                        inline.insert(name, value.as_str().into());
                    }
                    table.insert("env", toml_edit::value(inline));
                }
            }
            (None, Some(url)) if !server.sse => {
                table.insert("url", toml_edit::value(url.as_str()));
            }
            _ => continue,
        }
        servers.insert(&server.name, toml_edit::Item::Table(table));
    }
    if servers.is_empty() {
        document.remove("mcp_servers");
    }
    Ok(document.to_string())
}

/// OpenCode's opencode.json with Perry's servers in `mcp`.
fn opencode_mcp(text: &str, wanted: &[&McpServer], previous: &[String]) -> Result<String, String> {
    let mut config = parse_object(text)?;
    config
        .entry("$schema")
        .or_insert_with(|| json!("https://opencode.ai/config.json"));
    let servers = object_at(&mut config, "mcp")?;
    for name in previous {
        servers.remove(name);
    }
    for server in wanted {
        let entry = match (&server.command, &server.url) {
            (Some(command), _) => json!({"type": "local", "command": command,
                "environment": env_object(server), "enabled": true}),
            (None, Some(url)) => json!({"type": "remote", "url": url, "enabled": true}),
            (None, None) => continue,
        };
        servers.insert(server.name.clone(), entry);
    }
    if servers.is_empty() {
        config.remove("mcp");
    }
    to_text(config)
}

/// Each wanted skill's SKILL.md under `directory`; the skills Perry wrote before and no longer
/// has are removed (their SKILL.md, and the folder when nothing else is in it).
fn write_skills(directory: &Path, wanted: &[&Skill], previous: &[String]) -> Result<(), String> {
    for name in previous {
        if wanted.iter().any(|skill| skill.name == *name) {
            continue;
        }
        let folder = directory.join(name);
        match std::fs::remove_file(folder.join("SKILL.md")) {
            Ok(()) => {
                // Only when empty: anything else there is the person's.
                let _ = std::fs::remove_dir(&folder);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(format!("cannot remove the skill {name}: {error}")),
        }
    }
    for skill in wanted {
        let contents = skill.skill_md();
        edit_file(&directory.join(&skill.name).join("SKILL.md"), false, |_| {
            Ok(contents)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(value: Value) -> McpServer {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn mcp_servers_go_beside_the_persons_own_and_leave_when_perry_drops_them() {
        let memory = server(
            json!({"name": "memory", "command": ["npx", "-y", "server-memory"],
            "env": {"TOKEN": "t"}}),
        );
        let docs = server(json!({"name": "docs", "url": "https://mcp.example/docs", "sse": true}));
        let theirs =
            r#"{"theme": "dark", "mcpServers": {"mine": {"type": "stdio", "command": "my-mcp"}}}"#;
        let once = claude_mcp(theirs, &[&memory, &docs], &[]).unwrap();
        let state: Value = serde_json::from_str(&once).unwrap();
        assert_eq!(state["theme"], "dark");
        assert_eq!(state["mcpServers"]["mine"]["command"], "my-mcp");
        assert_eq!(
            state["mcpServers"]["memory"],
            json!({"type": "stdio", "command": "npx", "args": ["-y", "server-memory"], "env": {"TOKEN": "t"}})
        );
        assert_eq!(state["mcpServers"]["docs"]["type"], "sse");
        let previous = ["memory".to_owned(), "docs".to_owned()];
        let dropped = claude_mcp(&once, &[], &previous).unwrap();
        let state: Value = serde_json::from_str(&dropped).unwrap();
        assert_eq!(
            state["mcpServers"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["mine"]
        );

        let theirs = "# mine\nmodel = \"o3\"\n\n[mcp_servers.mine]\ncommand = \"my-mcp\"\n";
        let once = codex_mcp(theirs, &[&memory, &docs], &[]).unwrap();
        assert!(once.starts_with("# mine\nmodel = \"o3\""), "{once}");
        let document: toml_edit::DocumentMut = once.parse().unwrap();
        assert_eq!(
            document["mcp_servers"]["memory"]["command"].as_str(),
            Some("npx")
        );
        assert_eq!(
            document["mcp_servers"]["memory"]["env"]["TOKEN"].as_str(),
            Some("t")
        );
        assert!(
            document["mcp_servers"].get("docs").is_none(),
            "Codex has no SSE: {once}"
        );
        let dropped = codex_mcp(&once, &[], &previous).unwrap();
        assert_eq!(dropped, theirs);

        let once = opencode_mcp("", &[&memory], &[]).unwrap();
        let config: Value = serde_json::from_str(&once).unwrap();
        assert_eq!(
            config["mcp"]["memory"],
            json!({"type": "local", "command": ["npx", "-y", "server-memory"],
                "environment": {"TOKEN": "t"}, "enabled": true})
        );
        let dropped = opencode_mcp(&once, &[], &previous).unwrap();
        assert!(
            serde_json::from_str::<Value>(&dropped)
                .unwrap()
                .get("mcp")
                .is_none()
        );
    }

    #[test]
    fn skills_are_written_and_only_perrys_are_removed() {
        let home = tempfile::tempdir().unwrap();
        let directory = home.path().join("skills");
        let skill: Skill = serde_json::from_value(json!({"name": "notes",
            "description": "Use when: writing notes", "instructions": "Be brief."}))
        .unwrap();
        write_skills(&directory, &[&skill], &[]).unwrap();
        let written = std::fs::read_to_string(directory.join("notes/SKILL.md")).unwrap();
        assert_eq!(
            written,
            "---\nname: notes\ndescription: \"Use when: writing notes\"\n---\n\nBe brief.\n"
        );
        std::fs::write(directory.join("notes/extra.md"), "the person's").unwrap();
        std::fs::create_dir_all(directory.join("mine")).unwrap();
        std::fs::write(directory.join("mine/SKILL.md"), "theirs").unwrap();
        write_skills(&directory, &[], &["notes".to_owned()]).unwrap();
        assert!(!directory.join("notes/SKILL.md").exists());
        assert!(
            directory.join("notes/extra.md").exists(),
            "the person's file stays"
        );
        assert!(directory.join("mine/SKILL.md").exists());
    }
}
