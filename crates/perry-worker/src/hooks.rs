//! Installs the hooks through which each coding agent tells Perry that a session needs the
//! person (see [`crate::attention`] for what they say): `perry-worker hooks` runs this in the
//! workspace, as its user, at every sync, after the person's own files were copied in.
//!
//! The person's own entries are never touched:
//! - **Claude Code** `~/.claude/settings.json`: one matcher group per hook event, running
//!   `perry-worker event claude`, appended beside the person's groups. Perry's handler is found
//!   again by its command and replaced, so a second run changes nothing.
//! - **Codex** `~/.codex/config.toml`: the root key `notify`, edited in place (comments and
//!   order kept). Codex runs one notify program only, so a program the person set is kept by
//!   chaining: `perry-worker event codex --then <their program…>` runs theirs after reporting.
//! - **OpenCode** `~/.config/opencode/plugins/perry.js`: a plugin file of Perry's own, which
//!   passes session events to `perry-worker event opencode` as its argument.
//!
//! A file that cannot be read as what it should be (not JSON, not TOML, a `hooks` that is not an
//! object) is left exactly as it is and reported: Perry never rewrites what it does not
//! understand. Every write goes to a temporary file renamed over the old one, so a coding agent
//! never reads half a file.

use std::path::{Path, PathBuf};

use perry_api::SyncItem;
use serde_json::{Map, Value, json};

/// The Claude Code hook events Perry listens to: each is read by [`crate::attention`].
/// `SubagentStop` is not among them: a subagent finishing says nothing about the person (the
/// main agent goes on working, and its `PostToolUse` says so).
pub const CLAUDE_EVENTS: [&str; 7] = [
    "Notification",
    "PermissionRequest",
    "PostToolUse",
    "SessionEnd",
    "Stop",
    "StopFailure",
    "UserPromptSubmit",
];

/// How long Claude Code gives the hook, in seconds. The worker answers at once (it waits half
/// a second at most for the daemon); this only bounds a worker that hangs.
const CLAUDE_TIMEOUT_SECONDS: u64 = 5;

/// What separates Perry's notify program from the person's own in Codex's `notify`.
pub const THEN: &str = "--then";

/// Installs all three; one item per coding agent.
pub fn install(home: &Path, worker: &str) -> Vec<SyncItem> {
    let claude = home.join(".claude/settings.json");
    let codex = home.join(".codex/config.toml");
    let opencode = home.join(".config/opencode/plugins/perry.js");
    vec![
        item(
            "Claude Code hooks → ~/.claude/settings.json",
            edit(&claude, |text| claude_settings(text, worker)),
        ),
        item(
            "Codex notify → ~/.codex/config.toml",
            edit(&codex, |text| codex_config(text, worker)),
        ),
        item(
            "OpenCode plugin → ~/.config/opencode/plugins/perry.js",
            edit(&opencode, |_| Ok(opencode_plugin(worker))),
        ),
    ]
}

fn item(what: &str, result: Result<(), String>) -> SyncItem {
    SyncItem {
        what: what.to_owned(),
        error: result.err(),
    }
}

/// Rewrites `path` with what `change` makes of its text ("" when there is none), only when that
/// differs.
fn edit(path: &Path, change: impl FnOnce(&str) -> Result<String, String>) -> Result<(), String> {
    edit_file(path, false, change)
}

/// [`edit`], and a `private` file (keys live in it) is left readable by its owner alone.
pub(crate) fn edit_file(
    path: &Path,
    private: bool,
    change: impl FnOnce(&str) -> Result<String, String>,
) -> Result<(), String> {
    let current = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    let changed = change(&current).map_err(|error| format!("{}: {error}", path.display()))?;
    if changed == current {
        return Ok(());
    }
    write_atomically(path, changed.as_bytes(), private)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// Writes beside `path` and renames over it, keeping the old file's permissions; a `private` one
/// (it holds keys now) is the owner's alone whatever it was.
fn write_atomically(path: &Path, contents: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let directory = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory)?;
    let temp = temp_path(path);
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        if private {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        } else if let Ok(metadata) = std::fs::metadata(path) {
            file.set_permissions(metadata.permissions())?;
        }
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.perry-{}", std::process::id()))
}

/// The command of Perry's Claude Code handler.
fn claude_command(worker: &str) -> String {
    format!("{worker} event claude")
}

/// Whether a handler is Perry's (of this or an earlier install, wherever the worker was).
fn is_perry_claude_handler(handler: &Value) -> bool {
    handler
        .get("command")
        .and_then(Value::as_str)
        .is_some_and(|command| command.ends_with("perry-worker event claude"))
}

/// `settings.json` with Perry's handler on each of [`CLAUDE_EVENTS`] and the person's entries
/// as they were.
fn claude_settings(text: &str, worker: &str) -> Result<String, String> {
    let mut settings: Value = if text.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(text).map_err(|error| format!("not JSON ({error}); left alone"))?
    };
    let Some(root) = settings.as_object_mut() else {
        return Err("not a JSON object; left alone".to_owned());
    };
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(hooks) = hooks.as_object_mut() else {
        return Err("its \"hooks\" is not an object; left alone".to_owned());
    };
    if let Some(event) = CLAUDE_EVENTS
        .iter()
        .find(|event| hooks.get(**event).is_some_and(|groups| !groups.is_array()))
    {
        return Err(format!("its hooks.{event} is not a list; left alone"));
    }
    for event in CLAUDE_EVENTS {
        let groups = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .expect("checked to be a list above");
        // Perry's handler out of every group; a group that held only Perry's goes.
        groups.retain_mut(|group| {
            let Some(handlers) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
                return true;
            };
            let before = handlers.len();
            handlers.retain(|handler| !is_perry_claude_handler(handler));
            !(handlers.is_empty() && before > 0)
        });
        groups.push(json!({
            "hooks": [{
                "type": "command",
                "command": claude_command(worker),
                "timeout": CLAUDE_TIMEOUT_SECONDS,
            }]
        }));
    }
    let mut out = serde_json::to_string_pretty(&settings).map_err(|error| error.to_string())?;
    out.push('\n');
    // Unchanged but for formatting: leave the person's file byte for byte.
    if !text.trim().is_empty()
        && serde_json::from_str::<Value>(text).ok().as_ref() == Some(&settings)
    {
        return Ok(text.to_owned());
    }
    Ok(out)
}

/// `config.toml` with Perry's program first in `notify`, the person's own (if any) after
/// [`THEN`].
fn codex_config(text: &str, worker: &str) -> Result<String, String> {
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|error| format!("not TOML ({error}); left alone"))?;
    let ours = [worker, "event", "codex"];
    let theirs: Vec<String> = match document.get("notify") {
        None => Vec::new(),
        Some(value) => {
            let Some(array) = value.as_array() else {
                return Err("its notify is not a list; left alone".to_owned());
            };
            let mut program = Vec::new();
            for part in array.iter() {
                let Some(part) = part.as_str() else {
                    return Err("its notify is not a list of strings; left alone".to_owned());
                };
                program.push(part.to_owned());
            }
            chained_program(&program)
        }
    };
    let wanted: Vec<String> = ours
        .iter()
        .map(|part| (*part).to_owned())
        .chain((!theirs.is_empty()).then(|| THEN.to_owned()))
        .chain(theirs)
        .collect();
    let current: Option<Vec<&str>> = document
        .get("notify")
        .and_then(|value| value.as_array())
        .map(|array| array.iter().filter_map(|part| part.as_str()).collect());
    if current.is_some_and(|current| current == wanted) {
        return Ok(text.to_owned());
    }
    let mut array = toml_edit::Array::new();
    for part in wanted {
        array.push(part);
    }
    document.insert("notify", toml_edit::value(array));
    Ok(document.to_string())
}

/// The person's own program in a `notify` list: all of it when it is not Perry's, what follows
/// [`THEN`] when it is.
fn chained_program(program: &[String]) -> Vec<String> {
    let is_perry = program
        .first()
        .is_some_and(|first| first.ends_with("perry-worker"))
        && program.get(1).map(String::as_str) == Some("event");
    if !is_perry {
        return program.to_vec();
    }
    match program.iter().position(|part| part == THEN) {
        Some(then) => program[then + 1..].to_vec(),
        None => Vec::new(),
    }
}

/// OpenCode's bus events that [`crate::attention`] reads; the plugin passes only these on.
pub const OPENCODE_EVENTS: [&str; 9] = [
    "session.status",
    "session.idle",
    "session.error",
    "permission.asked",
    "permission.updated",
    "permission.v2.asked",
    "permission.replied",
    "question.asked",
    "question.v2.asked",
];

/// Perry's OpenCode plugin. Named function exports only: the form every OpenCode since plugins
/// began loads (an export that is not a function fails the load). `node:child_process` works in
/// OpenCode's Bun runtime as in Node.
fn opencode_plugin(worker: &str) -> String {
    let worker = serde_json::to_string(worker).expect("a string serializes");
    let events = serde_json::to_string(&OPENCODE_EVENTS).expect("strings serialize");
    format!(
        r#"// Written by Perry at every sync; changes here are replaced. It tells the Perry agent when a
// session is working, waiting for you, or done, by handing OpenCode's session events to
// perry-worker (which never waits for more than half a second).
import {{ spawn }} from "node:child_process";

const WORKER = {worker};
const EVENTS = new Set({events});

export const PerryAttention = async () => ({{
  event: async ({{ event }}) => {{
    if (!event || !EVENTS.has(event.type)) return;
    try {{
      // The event goes as an argument: it reaches the worker even when OpenCode exits at once
      // (`opencode run`), which a pipe would not.
      const child = spawn(WORKER, ["event", "opencode", JSON.stringify(event)], {{
        stdio: "ignore",
        detached: true,
      }});
      child.on("error", () => {{}});
      child.unref();
    }} catch {{
      // Perry being unreachable must never disturb OpenCode.
    }}
  }},
}});
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKER: &str = "/usr/local/bin/perry-worker";

    fn perry_groups(settings: &Value, event: &str) -> usize {
        settings["hooks"][event]
            .as_array()
            .unwrap()
            .iter()
            .filter(|group| {
                group["hooks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(is_perry_claude_handler)
            })
            .count()
    }

    #[test]
    fn claude_hooks_are_added_beside_the_persons_and_only_once() {
        let person = r#"{
  "theme": "dark",
  "hooks": {
    "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}],
    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "audit"}]}]
  }
}"#;
        let once = claude_settings(person, WORKER).unwrap();
        let twice = claude_settings(&once, WORKER).unwrap();
        assert_eq!(once, twice, "a second install changes nothing");
        let settings: Value = serde_json::from_str(&once).unwrap();
        assert_eq!(settings["theme"], "dark");
        assert_eq!(
            settings["hooks"]["Stop"][0]["hooks"][0]["command"],
            "say done"
        );
        assert_eq!(
            settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            "audit"
        );
        for event in CLAUDE_EVENTS {
            assert_eq!(perry_groups(&settings, event), 1, "{event}");
        }
        assert_eq!(
            settings["hooks"]["Stop"][1]["hooks"][0]["command"],
            format!("{WORKER} event claude")
        );
    }

    #[test]
    fn a_moved_worker_replaces_the_old_handler_and_keeps_a_shared_group() {
        let old = json!({"hooks": {"Stop": [{"hooks": [
            {"type": "command", "command": "/opt/perry-worker event claude"},
            {"type": "command", "command": "notify-send done"}
        ]}]}});
        let text = claude_settings(&old.to_string(), WORKER).unwrap();
        let settings: Value = serde_json::from_str(&text).unwrap();
        let stop = settings["hooks"]["Stop"].as_array().unwrap();
        assert_eq!(stop.len(), 2);
        assert_eq!(
            stop[0]["hooks"],
            json!([{"type": "command", "command": "notify-send done"}])
        );
        assert_eq!(
            stop[1]["hooks"][0]["command"],
            format!("{WORKER} event claude")
        );
    }

    #[test]
    fn claude_settings_perry_cannot_read_are_left_alone() {
        for (text, says) in [
            ("{ not json", "not JSON"),
            ("[1, 2]", "not a JSON object"),
            (r#"{"hooks": "none"}"#, "\"hooks\" is not an object"),
            (r#"{"hooks": {"Stop": {}}}"#, "hooks.Stop is not a list"),
        ] {
            let error = claude_settings(text, WORKER).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn codex_notify_is_set_and_the_persons_program_is_chained() {
        let fresh = codex_config("", WORKER).unwrap();
        assert_eq!(
            fresh.trim(),
            r#"notify = ["/usr/local/bin/perry-worker", "event", "codex"]"#
        );
        let person = "# my settings\nmodel = \"o3\"\nnotify = [\"python3\", \"/home/me/notify.py\"]\n\n[mcp_servers.docs]\ncommand = \"docs\"\n";
        let once = codex_config(person, WORKER).unwrap();
        assert_eq!(codex_config(&once, WORKER).unwrap(), once, "idempotent");
        assert!(
            once.starts_with("# my settings\nmodel = \"o3\"\n"),
            "{once}"
        );
        assert!(
            once.contains("[mcp_servers.docs]\ncommand = \"docs\""),
            "{once}"
        );
        let document: toml_edit::DocumentMut = once.parse().unwrap();
        let notify: Vec<&str> = document["notify"]
            .as_array()
            .unwrap()
            .iter()
            .map(|part| part.as_str().unwrap())
            .collect();
        assert_eq!(
            notify,
            [
                WORKER,
                "event",
                "codex",
                THEN,
                "python3",
                "/home/me/notify.py"
            ]
        );
    }

    #[test]
    fn codex_config_perry_cannot_read_is_left_alone() {
        for (text, says) in [
            ("notify = [", "not TOML"),
            ("notify = \"say\"", "notify is not a list"),
            ("notify = [1]", "not a list of strings"),
        ] {
            let error = codex_config(text, WORKER).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn install_writes_each_file_and_a_broken_one_stays_as_it_was() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".codex")).unwrap();
        std::fs::write(home.path().join(".codex/config.toml"), "notify = [").unwrap();
        let items = install(home.path(), WORKER);
        assert_eq!(items.len(), 3);
        assert!(items[0].error.is_none(), "{items:?}");
        assert!(items[1].error.as_deref().unwrap().contains("not TOML"));
        assert!(items[2].error.is_none(), "{items:?}");
        assert_eq!(
            std::fs::read_to_string(home.path().join(".codex/config.toml")).unwrap(),
            "notify = ["
        );
        let plugin =
            std::fs::read_to_string(home.path().join(".config/opencode/plugins/perry.js")).unwrap();
        assert!(plugin.contains("\"/usr/local/bin/perry-worker\""));
        let leftovers: Vec<_> = std::fs::read_dir(home.path().join(".claude"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["settings.json"], "no temporary file is left");
    }
}
