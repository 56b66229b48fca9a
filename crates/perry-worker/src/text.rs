//! Short single-line text for people: titles, tool call summaries, search snippets.

use perry_api::sessions::ToolCall;
use serde_json::Value;

/// The longest title, in characters, before it is shortened on a word boundary.
pub const TITLE_MAX_CHARS: usize = 80;
/// The longest tool call summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 80;
/// The longest text kept for a tool's output shown as its own message.
pub const TOOL_OUTPUT_MAX_CHARS: usize = 2000;

/// Whitespace runs (newlines included) collapsed to one space, trimmed, and shortened to
/// `max_chars` on a word boundary with a trailing `…` when it was longer.
pub fn single_line(text: &str, max_chars: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    shorten(&collapsed, max_chars)
}

/// `text` cut to at most `max_chars` characters, on the last space when there is one in the
/// second half, ending with `…` when anything was cut.
pub fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let budget = max_chars.saturating_sub(1);
    let cut: String = text.chars().take(budget).collect();
    let at_word = match cut.rfind(' ') {
        Some(space) if cut[..space].chars().count() >= budget / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

/// Text cut to `max_chars` characters (keeping line breaks), for long tool outputs.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((byte, _)) => format!("{}…", &text[..byte]),
        None => text.to_owned(),
    }
}

/// A tool call summarised from its JSON input: the command of a shell call, the path of a file
/// tool, the pattern of a search, else the first string argument.
pub fn tool_call(name: &str, input: &Value) -> ToolCall {
    ToolCall {
        name: name.to_owned(),
        summary: single_line(&summary_of_input(input), SUMMARY_MAX_CHARS),
    }
}

/// A tool call whose input is free text (Codex custom tools such as `apply_patch`).
pub fn tool_call_with_text_input(name: &str, input: &str) -> ToolCall {
    let patched_file = input.lines().find_map(|line| {
        ["*** Update File: ", "*** Add File: ", "*** Delete File: "]
            .iter()
            .find_map(|prefix| line.strip_prefix(prefix))
    });
    let summary = match patched_file {
        Some(path) => path.to_owned(),
        None => input
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or_default()
            .to_owned(),
    };
    ToolCall {
        name: name.to_owned(),
        summary: single_line(&summary, SUMMARY_MAX_CHARS),
    }
}

fn summary_of_input(input: &Value) -> String {
    const KEYS: [&str; 12] = [
        "command",
        "cmd",
        "file_path",
        "filePath",
        "notebook_path",
        "path",
        "pattern",
        "url",
        "query",
        "description",
        "prompt",
        "content",
    ];
    let Value::Object(fields) = input else {
        return input.as_str().unwrap_or_default().to_owned();
    };
    for key in KEYS {
        match fields.get(key) {
            Some(Value::String(text)) if !text.trim().is_empty() => return text.clone(),
            Some(Value::Array(parts)) => return shell_words(parts),
            _ => {}
        }
    }
    fields
        .values()
        .find_map(|value| value.as_str().filter(|text| !text.trim().is_empty()))
        .unwrap_or_default()
        .to_owned()
}

/// A command given as argv: `["bash", "-lc", "cargo test"]` reads as `cargo test`.
fn shell_words(parts: &[Value]) -> String {
    let words: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
    match words.as_slice() {
        [shell, flag, script] if shell.ends_with("sh") && flag.starts_with('-') => {
            (*script).to_owned()
        }
        _ => words.join(" "),
    }
}

/// A single-line excerpt of `text` around byte `at`, about `max_chars` long.
pub fn snippet_around(text: &str, at: usize, max_chars: usize) -> String {
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(max_chars / 3)
        .map_or(0, |(index, _)| index);
    let prefix = if start > 0 { "…" } else { "" };
    format!("{prefix}{}", single_line(&text[start..], max_chars))
}

/// Byte offset of the first case-insensitive occurrence of `needle_lower` (already lowercased)
/// in `haystack`, as an offset into `haystack`.
pub fn find_case_insensitive(haystack: &str, needle_lower: &str) -> Option<usize> {
    if needle_lower.is_empty() {
        return None;
    }
    if haystack.is_ascii() && needle_lower.is_ascii() {
        let needle = needle_lower.as_bytes();
        return haystack
            .as_bytes()
            .windows(needle.len())
            .position(|window| window.eq_ignore_ascii_case(needle));
    }
    // Lowercasing can change byte lengths outside ASCII: map back through char boundaries.
    let mut lowered = String::with_capacity(haystack.len());
    let mut origins = Vec::with_capacity(haystack.len());
    for (index, character) in haystack.char_indices() {
        for lower in character.to_lowercase() {
            for _ in 0..lower.len_utf8() {
                origins.push(index);
            }
            lowered.push(lower);
        }
    }
    lowered.find(needle_lower).map(|at| origins[at])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn titles_become_one_line_and_are_cut_on_a_word_boundary() {
        let long = "Please help me\nadd a new   configuration file to my project so that the worker can read its settings from disk";
        let title = single_line(long, TITLE_MAX_CHARS);
        assert!(title.chars().count() <= TITLE_MAX_CHARS, "{title}");
        assert!(title.ends_with('…'));
        assert!(!title.contains('\n'));
        assert!(title.starts_with("Please help me add a new configuration file"));
        let without_ellipsis = title.trim_end_matches('…');
        assert!(
            long.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .starts_with(without_ellipsis)
        );
        assert!(long.contains(without_ellipsis.rsplit(' ').next().unwrap()));
    }

    #[test]
    fn short_text_is_left_alone_and_one_long_word_is_cut_hard() {
        assert_eq!(single_line("  fix the bug  ", 80), "fix the bug");
        let word = "x".repeat(200);
        assert_eq!(single_line(&word, 80).chars().count(), 80);
    }

    #[test]
    fn shell_calls_are_summarised_by_their_command() {
        assert_eq!(
            tool_call(
                "Bash",
                &json!({"command": "cargo test -p perry-worker", "description": "Run tests"})
            )
            .summary,
            "cargo test -p perry-worker"
        );
        assert_eq!(
            tool_call("shell", &json!({"command": ["bash", "-lc", "ls -la"]})).summary,
            "ls -la"
        );
        assert_eq!(
            tool_call("shell", &json!({"command": ["git", "status"]})).summary,
            "git status"
        );
    }

    #[test]
    fn file_tools_are_summarised_by_their_path() {
        assert_eq!(
            tool_call(
                "Edit",
                &json!({"file_path": "/app/src/main.rs", "old_string": "a", "new_string": "b"})
            )
            .summary,
            "/app/src/main.rs"
        );
        assert_eq!(
            tool_call("read", &json!({"filePath": "/app/README.md"})).summary,
            "/app/README.md"
        );
        assert_eq!(
            tool_call_with_text_input(
                "apply_patch",
                "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n*** End Patch"
            )
            .summary,
            "src/lib.rs"
        );
    }

    #[test]
    fn summaries_never_exceed_eighty_characters() {
        let call = tool_call("Bash", &json!({"command": "echo ".repeat(100)}));
        assert!(call.summary.chars().count() <= SUMMARY_MAX_CHARS);
    }

    #[test]
    fn case_insensitive_search_finds_offsets_in_the_original_text() {
        assert_eq!(find_case_insensitive("Hello World", "world"), Some(6));
        assert_eq!(
            find_case_insensitive("Grüße aus MÜNCHEN", "münchen"),
            Some("Grüße aus ".len())
        );
        assert_eq!(find_case_insensitive("abc", ""), None);
        assert_eq!(find_case_insensitive("abc", "d"), None);
    }
}
