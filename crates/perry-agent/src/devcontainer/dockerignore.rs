//! A build context's `.dockerignore`, read and applied as Docker's CLI applies it (moby's
//! `patternmatcher` and `ignorefile`): what a `docker build` of the same context would leave out,
//! Perry's build leaves out too, so a Dockerfile's `COPY . .` copies the same files and the
//! image's content hash does not change when only an ignored file does.
//!
//! The rules, line by line: a `#` at the start makes a comment; blank lines are skipped; a
//! leading `!` makes an exception (a later line wins over an earlier one); each pattern is
//! cleaned like a path (`./a/`, `/a` and `a` are one) and matches a path when it matches the path
//! itself or one of its parent directories. `*` and `?` stop at `/`, `[…]` is a character class,
//! `\` escapes, `**` matches any number of directories (none too).

use regex::Regex;

/// Which ignore file a build reads: `<Dockerfile>.dockerignore` next to the Dockerfile first (as
/// BuildKit does), else `.dockerignore` at the context's root. Paths relative to the context.
pub fn ignore_file_candidates(dockerfile: &str) -> [String; 2] {
    [
        format!("{dockerfile}.dockerignore"),
        ".dockerignore".to_owned(),
    ]
}

/// The patterns of one ignore file.
#[derive(Debug)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

#[derive(Debug)]
struct Pattern {
    /// The pattern as cleaned, for the exact, prefix and suffix kinds.
    cleaned: String,
    kind: Kind,
    exception: bool,
}

#[derive(Debug)]
enum Kind {
    Exact,
    /// `a/**`: everything under `a`.
    Prefix,
    /// `**/a`: `a` anywhere.
    Suffix,
    Regex(Regex),
}

impl IgnoreRules {
    /// Reads an ignore file's text; a pattern Docker would refuse is an error naming its line.
    pub fn parse(text: &str) -> Result<IgnoreRules, String> {
        let mut patterns = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = if index == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            if line.starts_with('#') {
                continue;
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            if exception && pattern.is_empty() {
                return Err(format!("line {}: \"!\" alone excepts nothing", index + 1));
            }
            let mut cleaned = clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            let kind = compile(&cleaned).map_err(|why| {
                format!("line {}: {pattern:?} is not a pattern: {why}", index + 1)
            })?;
            patterns.push(Pattern {
                cleaned,
                kind,
                exception,
            });
        }
        Ok(IgnoreRules { patterns })
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out of the build.
    pub fn excludes(&self, path: &str) -> bool {
        let path = clean(path);
        if path == "." {
            return false;
        }
        let parents: Vec<&str> = match path.rsplit_once('/') {
            Some((parent, _)) => parent.split('/').collect(),
            None => Vec::new(),
        };
        let mut excluded = false;
        for pattern in &self.patterns {
            // An exclusion cannot exclude what is out already, an exception cannot bring back
            // what is in.
            if pattern.exception != excluded {
                continue;
            }
            let matches = pattern.matches(&path)
                || (1..=parents.len()).any(|depth| pattern.matches(&parents[..depth].join("/")));
            if matches {
                excluded = !pattern.exception;
            }
        }
        excluded
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            Kind::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|bare| path == bare)
            }
            Kind::Regex(regex) => regex.is_match(path),
        }
    }
}

/// A pattern as a matcher: moby's translation of `filepath.Match` plus `**` into a regular
/// expression, with its shortcuts for an exact name, `a/**` and `**/a`.
fn compile(pattern: &str) -> Result<Kind, String> {
    #[derive(PartialEq)]
    enum Detected {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut regex = String::from("^");
    let mut detected = Detected::Exact;
    let mut chars = pattern.chars().peekable();
    let mut first = true;
    let mut in_class = false;
    while let Some(ch) = chars.next() {
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    if detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        regex.push_str(".*");
                        detected = Detected::Regex;
                    }
                } else {
                    regex.push_str("(.*/)?");
                    detected = Detected::Regex;
                }
                if first {
                    detected = Detected::Suffix;
                }
            }
            '*' => {
                regex.push_str("[^/]*");
                detected = Detected::Regex;
            }
            '?' => {
                regex.push_str("[^/]");
                detected = Detected::Regex;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                regex.push('\\');
                regex.push(ch);
            }
            // Docker hands `\d`, `\w`, `\s`, `\b` to the regular expression as they are (and fails
            // on other letters, as this does); any other character is taken literally.
            '\\' => match chars.next() {
                Some(next) if next.is_ascii_alphanumeric() => {
                    regex.push('\\');
                    regex.push(next);
                    detected = Detected::Regex;
                }
                Some(next) => {
                    regex.push_str(&regex::escape(&next.to_string()));
                    detected = Detected::Regex;
                }
                None => regex.push_str("\\\\"),
            },
            '[' if in_class => regex.push_str("\\["),
            '[' => {
                in_class = true;
                regex.push(ch);
                detected = Detected::Regex;
            }
            ']' => {
                in_class = false;
                regex.push(ch);
                detected = Detected::Regex;
            }
            // Characters with a meaning in Rust's regular expressions but not in Go's (`^`
            // outside a class, a `[` or `--` in one, `&`, `~` and `#`) stay literal.
            '^' if !regex.ends_with('[') => regex.push_str("\\^"),
            '-' if in_class && regex.ends_with('-') => regex.push_str("\\-"),
            '&' | '~' | '#' => {
                regex.push('\\');
                regex.push(ch);
            }
            _ => regex.push(ch),
        }
        first = false;
    }
    match detected {
        Detected::Exact => Ok(Kind::Exact),
        Detected::Prefix => Ok(Kind::Prefix),
        Detected::Suffix => Ok(Kind::Suffix),
        Detected::Regex => {
            regex.push('$');
            Regex::new(&regex)
                .map(Kind::Regex)
                .map_err(|_| "a character class is not closed or not valid".to_owned())
        }
    }
}

/// Go's `path.Clean`: one `/` between names, no `.` names, `..` taking the name before it, no
/// trailing `/`; `.` for nothing.
pub(super) fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut names: Vec<&str> = Vec::new();
    for name in path.split('/') {
        match name {
            "" | "." => {}
            ".." => {
                if names.last().is_some_and(|last| *last != "..") {
                    names.pop();
                } else if !rooted {
                    names.push("..");
                }
            }
            _ => names.push(name),
        }
    }
    let joined = names.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> IgnoreRules {
        IgnoreRules::parse(text).unwrap()
    }

    #[test]
    fn a_name_leaves_out_the_file_or_the_directory_with_everything_under_it() {
        let ignore = rules("node_modules\n/build/\n./tmp\n");
        assert!(ignore.excludes("node_modules"));
        assert!(ignore.excludes("node_modules/a/b.js"));
        assert!(ignore.excludes("build/out.o"));
        assert!(ignore.excludes("tmp/x"));
        assert!(
            !ignore.excludes("src/node_modules/a.js"),
            "only at the root"
        );
        assert!(!ignore.excludes("node_modules_old/a"));
        assert!(!ignore.excludes("src/main.rs"));
    }

    #[test]
    fn stars_stop_at_a_slash_and_two_stars_cross_any_number_of_directories() {
        let ignore = rules("*.log\nsrc/*/gen\n**/*.tmp\ndocs/**\na/**/z\n");
        assert!(ignore.excludes("debug.log"));
        assert!(!ignore.excludes("logs/debug.log"), "* stops at /");
        assert!(ignore.excludes("src/x/gen/file"));
        assert!(!ignore.excludes("src/x/y/gen"));
        assert!(ignore.excludes("a.tmp"), "**/ matches no directory too");
        assert!(ignore.excludes("deep/down/b.tmp"));
        assert!(ignore.excludes("docs/a/b/c.md"));
        assert!(ignore.excludes("a/z") && ignore.excludes("a/b/c/z"));
        assert!(!ignore.excludes("b/z"));
    }

    #[test]
    fn the_last_matching_line_wins_and_exceptions_bring_files_back() {
        let ignore = rules("*.md\n!README.md\nREADME*\n!docs\ndocs\n!docs/keep.txt\n");
        assert!(ignore.excludes("CHANGES.md"));
        assert!(
            ignore.excludes("README.md"),
            "README* comes after !README.md"
        );
        assert!(ignore.excludes("docs/a.txt"));
        assert!(!ignore.excludes("docs/keep.txt"));
        let exception = rules("*\n!src\n");
        assert!(!exception.excludes("src/main.rs"));
        assert!(exception.excludes("Cargo.toml"));
    }

    #[test]
    fn comments_blank_lines_classes_escapes_and_question_marks() {
        let ignore = rules(
            "\u{feff}# a comment\n\n   \n  spaced.txt  \nfile[0-9].txt\n[!a]x\nq?.c\n\\#hash\nweird(1)+.txt\n",
        );
        assert!(!ignore.excludes("# a comment"));
        assert!(ignore.excludes("spaced.txt"));
        assert!(ignore.excludes("file7.txt") && !ignore.excludes("fileA.txt"));
        assert!(
            ignore.excludes("!x") && ignore.excludes("ax"),
            "! is a member, as in Go"
        );
        assert!(!ignore.excludes("bx"));
        assert!(ignore.excludes("q1.c") && !ignore.excludes("q12.c"));
        assert!(ignore.excludes("#hash"));
        assert!(ignore.excludes("weird(1)+.txt"));
        // What Go's regular expressions take that Rust's would read otherwise.
        let classes = rules("[[]x\nlog\\d\n[+--]z\n");
        assert!(classes.excludes("[x"));
        assert!(classes.excludes("log7") && !classes.excludes("logd"));
        assert!(classes.excludes(",z") && classes.excludes("-z") && !classes.excludes("az"));
    }

    #[test]
    fn patterns_docker_refuses_are_errors_naming_the_line() {
        let error = IgnoreRules::parse("ok\n!\n").unwrap_err();
        assert!(error.starts_with("line 2:"), "{error}");
        let error = IgnoreRules::parse("a\nb\nfile[0-9.txt\n").unwrap_err();
        assert!(
            error.starts_with("line 3:") && error.contains("file[0-9.txt"),
            "{error}"
        );
    }

    #[test]
    fn paths_are_cleaned_like_go_does() {
        assert_eq!(clean("./a//b/"), "a/b");
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean("/a/../.."), "/");
        assert_eq!(clean(""), ".");
        assert!(
            !rules("*").excludes("."),
            "the context itself is never left out"
        );
    }

    #[test]
    fn the_dockerfiles_own_ignore_file_comes_first() {
        assert_eq!(
            ignore_file_candidates(".devcontainer/Dockerfile"),
            [".devcontainer/Dockerfile.dockerignore", ".dockerignore"]
        );
    }
}
