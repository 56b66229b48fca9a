//! The devcontainer reader as a specification: each form of each property, the research notes'
//! fixtures (CLI test configs), every error, and the features' Dockerfile.

use std::collections::{BTreeMap, HashMap};

use super::*;

const CONFIG: &str = ".devcontainer/devcontainer.json";

fn files(entries: &[(&str, &str)]) -> ConfigFiles {
    entries
        .iter()
        .map(|(path, text)| ((*path).to_owned(), text.as_bytes().to_vec()))
        .collect()
}

fn vars() -> Variables {
    Variables {
        local_env: HashMap::from([
            ("HOST_USER".to_owned(), "ana".to_owned()),
            ("EMPTY".to_owned(), String::new()),
        ]),
        local_workspace_folder: "/home/ana/src/shop".to_owned(),
        container_workspace_folder: "/workspaces/shop".to_owned(),
    }
}

/// A config alone at `.devcontainer/devcontainer.json`.
fn parse_config(text: &str) -> DevContainer {
    parse_files(&files(&[(CONFIG, text)]))
}

fn parse_files(files: &ConfigFiles) -> DevContainer {
    match parse(files, CONFIG, &vars()) {
        Ok(dc) => dc,
        Err(error) => panic!("parse failed: {error}"),
    }
}

fn config_error(text: &str) -> String {
    files_error(&files(&[(CONFIG, text)]))
}

fn files_error(files: &ConfigFiles) -> String {
    match parse(files, CONFIG, &vars()) {
        Ok(dc) => panic!("parse succeeded: {dc:?}"),
        Err(error) => error.to_string(),
    }
}

fn unsupported_keys(dc: &DevContainer) -> Vec<&str> {
    dc.unsupported
        .iter()
        .map(|entry| entry.key.as_str())
        .collect()
}

fn why(dc: &DevContainer, key: &str) -> String {
    match dc.unsupported.iter().find(|entry| entry.key == key) {
        Some(entry) => entry.why.clone(),
        None => panic!("{key} not listed in {:?}", dc.unsupported),
    }
}

fn image(dc: &DevContainer) -> &str {
    match &dc.source {
        Source::Image(image) => image,
        Source::Build(build) => panic!("expected an image, got {build:?}"),
    }
}

fn build(dc: &DevContainer) -> &BuildSpec {
    match &dc.source {
        Source::Build(build) => build,
        Source::Image(image) => panic!("expected a build, got image {image}"),
    }
}

fn feature_ids(dc: &DevContainer) -> Vec<&str> {
    dc.features
        .iter()
        .map(|feature| feature.id.as_str())
        .collect()
}

fn shell(text: &str) -> Command {
    Command::Shell(text.to_owned())
}

fn exec(parts: &[&str]) -> Command {
    Command::Exec(parts.iter().map(|part| (*part).to_owned()).collect())
}

fn hook(origin: &str, command: Command) -> HookCommand {
    HookCommand {
        origin: origin.to_owned(),
        command,
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

/// A feature folder: its devcontainer-feature.json and an install.sh.
fn with_feature(files: &mut ConfigFiles, dir: &str, json: &str) {
    files.insert(
        format!("{dir}/devcontainer-feature.json"),
        json.as_bytes().to_vec(),
    );
    files.insert(
        format!("{dir}/install.sh"),
        b"#!/bin/sh\necho installing\n".to_vec(),
    );
}

// ---------------------------------------------------------------------------------------------
// Finding the config

#[test]
fn folder_config_is_preferred_over_root_config() {
    let files = files(&[(CONFIG, "{}"), (".devcontainer.json", "{}")]);
    assert_eq!(find_config(&files, None), Ok(Some(CONFIG.to_owned())));
}

#[test]
fn root_config_is_used_without_a_folder_config() {
    let files = files(&[
        (".devcontainer.json", "{}"),
        (".devcontainer/x/devcontainer.json", "{}"),
    ]);
    assert_eq!(
        find_config(&files, None),
        Ok(Some(".devcontainer.json".to_owned()))
    );
}

#[test]
fn no_config_is_none_and_named_configs_are_not_picked_up_alone() {
    assert_eq!(find_config(&ConfigFiles::new(), None), Ok(None));
    let files = files(&[(".devcontainer/python/devcontainer.json", "{}")]);
    assert_eq!(find_config(&files, None), Ok(None));
}

#[test]
fn named_config_is_found_in_its_folder() {
    let files = files(&[
        (CONFIG, "{}"),
        (".devcontainer/python/devcontainer.json", "{}"),
    ]);
    assert_eq!(
        find_config(&files, Some("python")),
        Ok(Some(".devcontainer/python/devcontainer.json".to_owned()))
    );
}

#[test]
fn missing_named_config_lists_the_names_available() {
    let files = files(&[
        (CONFIG, "{}"),
        (".devcontainer/python/devcontainer.json", "{}"),
        (".devcontainer/node/devcontainer.json", "{}"),
        (".devcontainer/deep/er/devcontainer.json", "{}"),
        (".devcontainer/python/Dockerfile", ""),
    ]);
    let error = find_config(&files, Some("rust")).unwrap_err().to_string();
    assert_eq!(
        error,
        "no devcontainer config named \"rust\": .devcontainer/rust/devcontainer.json does not exist; the names available are \"node\", \"python\""
    );
}

#[test]
fn missing_named_config_says_when_there_are_none() {
    let error = find_config(&files(&[(CONFIG, "{}")]), Some("rust"))
        .unwrap_err()
        .to_string();
    assert!(
        error.ends_with("this repository has no .devcontainer/<name>/devcontainer.json"),
        "{error}"
    );
}

#[test]
fn config_name_must_be_a_folder_name() {
    for name in ["", "..", ".", "a/b", "..\\x"] {
        let error = find_config(&files(&[(CONFIG, "{}")]), Some(name)).unwrap_err();
        assert!(error.0.contains("is not a folder name"), "{name}: {error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing, image and build

#[test]
fn image_config_is_read() {
    let dc = parse_config(r#"{"name": "shop", "$schema": "x", "image": "debian:bookworm"}"#);
    assert_eq!(dc.path, CONFIG);
    assert_eq!(image(&dc), "debian:bookworm");
    assert!(dc.unsupported.is_empty(), "{:?}", dc.unsupported);
    assert!(dc.features.is_empty());
    assert_eq!(dc.lifecycle, Lifecycle::default());
}

#[test]
fn comments_and_trailing_commas_are_accepted() {
    let dc = parse_config(
        "/* A leading block comment, as in the CLI's own config */\n{\n\t// the image\n\t\"image\": \"alpine:3.20\", // trailing\n\t\"forwardPorts\": [3000,],\n}\n",
    );
    assert_eq!(image(&dc), "alpine:3.20");
    assert_eq!(dc.forward_ports[0].port, 3000);
}

#[test]
fn byte_order_mark_is_skipped() {
    let dc = parse_config("\u{feff}{\"image\": \"alpine\"}");
    assert_eq!(image(&dc), "alpine");
}

#[test]
fn syntax_error_names_the_file_and_line() {
    let error = config_error("{\n  \"image\": \"alpine\"\n  \"x\": \n}");
    assert!(
        error.starts_with(".devcontainer/devcontainer.json: is not valid JSON:"),
        "{error}"
    );
    assert!(
        error.ends_with("Expected comma on line 2 column 20"),
        "{error}"
    );
}

#[test]
fn json5_extras_beyond_comments_and_trailing_commas_are_refused() {
    let error = config_error("{'image': 'alpine'}");
    assert!(error.contains("is not valid JSON"), "{error}");
}

#[test]
fn config_that_is_not_an_object_is_refused() {
    for text in ["[]", "\"image\"", "", "  // nothing\n"] {
        assert_eq!(
            config_error(text),
            ".devcontainer/devcontainer.json: must contain a JSON object literal",
            "{text:?}"
        );
    }
}

#[test]
fn config_that_is_not_utf8_is_refused() {
    let mut files = ConfigFiles::new();
    files.insert(CONFIG.to_owned(), vec![b'{', 0xff, b'}']);
    assert_eq!(
        files_error(&files),
        ".devcontainer/devcontainer.json: is not UTF-8 text"
    );
}

#[test]
fn missing_config_file_is_an_error() {
    let error = parse(&ConfigFiles::new(), CONFIG, &vars()).unwrap_err();
    assert_eq!(error.0, ".devcontainer/devcontainer.json: does not exist");
}

#[test]
fn config_without_image_or_build_is_refused() {
    assert_eq!(
        config_error(r#"{"name": "x"}"#),
        ".devcontainer/devcontainer.json: must have \"image\" or \"build\" (with a \"dockerfile\")"
    );
    assert_eq!(
        config_error(r#"{"build": {"context": ".."}}"#),
        ".devcontainer/devcontainer.json: must have \"image\" or \"build\" (with a \"dockerfile\")"
    );
}

#[test]
fn docker_compose_configs_are_refused() {
    assert_eq!(
        config_error(r#"{"dockerComposeFile": "compose.yml", "service": "app", "image": "x"}"#),
        ".devcontainer/devcontainer.json: \"dockerComposeFile\" configs are not supported by Perry yet; use \"image\" or \"build\""
    );
}

#[test]
fn image_must_be_a_non_empty_string() {
    assert_eq!(
        config_error(r#"{"image": 3}"#),
        ".devcontainer/devcontainer.json: \"image\" must be a string"
    );
    assert_eq!(
        config_error(r#"{"image": " "}"#),
        ".devcontainer/devcontainer.json: \"image\" must not be empty"
    );
}

#[test]
fn build_paths_are_relative_to_the_config_folder() {
    let dc = parse_config(r#"{"build": {"dockerfile": "../Dockerfile", "context": ".."}}"#);
    let spec = build(&dc);
    assert_eq!(spec.dockerfile, "Dockerfile");
    assert_eq!(spec.context, "");
}

#[test]
fn build_context_defaults_to_the_dockerfile_folder() {
    let files = files(&[
        (
            CONFIG,
            r#"{"build": {"dockerfile": "./docker/./Dockerfile"}}"#,
        ),
        (".devcontainer/docker/Dockerfile", "FROM alpine"),
    ]);
    let dc = parse_files(&files);
    assert_eq!(build(&dc).dockerfile, ".devcontainer/docker/Dockerfile");
    assert_eq!(build(&dc).context, ".devcontainer/docker");
}

#[test]
fn build_args_target_and_cache_from_are_read() {
    let files = files(&[
        (
            CONFIG,
            r#"{"build": {"dockerfile": "Dockerfile", "args": {"VARIANT": "16-bullseye", "N": 3, "ON": true, "USER": "${localEnv:HOST_USER}"},
                "target": "dev", "cacheFrom": "ghcr.io/x/cache"}}"#,
        ),
        (".devcontainer/Dockerfile", "FROM alpine"),
    ]);
    let dc = parse_files(&files);
    assert_eq!(
        build(&dc),
        &BuildSpec {
            dockerfile: ".devcontainer/Dockerfile".to_owned(),
            context: ".devcontainer".to_owned(),
            args: BTreeMap::from([
                ("N".to_owned(), "3".to_owned()),
                ("ON".to_owned(), "true".to_owned()),
                ("USER".to_owned(), "ana".to_owned()),
                ("VARIANT".to_owned(), "16-bullseye".to_owned()),
            ]),
            target: Some("dev".to_owned()),
            cache_from: vec!["ghcr.io/x/cache".to_owned()],
        }
    );
    assert!(dc.unsupported.is_empty(), "{:?}", dc.unsupported);
}

#[test]
fn cache_from_takes_an_array() {
    let dc = parse_config(r#"{"build": {"dockerfile": "../Dockerfile", "cacheFrom": ["a", "b"]}}"#);
    assert_eq!(build(&dc).cache_from, ["a", "b"]);
}

#[test]
fn bad_build_values_name_their_key() {
    assert_eq!(
        config_error(r#"{"build": "Dockerfile"}"#),
        ".devcontainer/devcontainer.json: \"build\" must be an object"
    );
    assert_eq!(
        config_error(r#"{"build": {"dockerfile": "../D", "args": {"A": {"x": 1}}}}"#),
        ".devcontainer/devcontainer.json: \"build.args.A\" must be a string"
    );
    assert_eq!(
        config_error(r#"{"build": {"dockerfile": "../D", "cacheFrom": 1}}"#),
        ".devcontainer/devcontainer.json: \"build.cacheFrom\" must be a string or an array of strings"
    );
    assert_eq!(
        config_error(r#"{"build": {"dockerfile": ""}}"#),
        ".devcontainer/devcontainer.json: \"build.dockerfile\" must not be empty"
    );
}

#[test]
fn legacy_docker_file_and_context_are_accepted() {
    let dc = parse_config(
        r#"{"dockerFile": "../Dockerfile", "context": "..", "build": {"args": {"A": "1"}}}"#,
    );
    let spec = build(&dc);
    assert_eq!(spec.dockerfile, "Dockerfile");
    assert_eq!(spec.context, "");
    assert_eq!(spec.args["A"], "1");
}

#[test]
fn legacy_docker_file_wins_over_build_dockerfile() {
    let dc = parse_config(
        r#"{"dockerFile": "../A.Dockerfile", "build": {"dockerfile": "../B.Dockerfile"}}"#,
    );
    assert_eq!(build(&dc).dockerfile, "A.Dockerfile");
}

#[test]
fn root_config_paths_are_relative_to_the_root() {
    let files = files(&[(
        ".devcontainer.json",
        r#"{"build": {"dockerfile": "docker/Dockerfile"}}"#,
    )]);
    let dc = parse(&files, ".devcontainer.json", &vars()).unwrap();
    assert_eq!(build(&dc).dockerfile, "docker/Dockerfile");
    assert_eq!(build(&dc).context, "docker");
}

#[test]
fn paths_may_not_escape_the_repository() {
    let error = config_error(r#"{"build": {"dockerfile": "../../Dockerfile"}}"#);
    assert_eq!(
        error,
        ".devcontainer/devcontainer.json: \"build.dockerfile\" (../../Dockerfile) leads outside the repository; paths must stay inside it"
    );
    let error = config_error(r#"{"build": {"dockerfile": "../Dockerfile", "context": "../.."}}"#);
    assert!(
        error.contains("\"build.context\" (../..) leads outside the repository"),
        "{error}"
    );
    let error = config_error(r#"{"build": {"dockerfile": "/etc/Dockerfile"}}"#);
    assert!(
        error.starts_with(".devcontainer/devcontainer.json: \"build.dockerfile\" is an absolute path (/etc/Dockerfile)"),
        "{error}"
    );
    let error = config_error(r#"{"dockerFile": "../Dockerfile", "context": "../a/../../b"}"#);
    assert!(
        error.contains("\"context\" (../a/../../b) leads outside"),
        "{error}"
    );
}

#[test]
fn dockerfile_inside_devcontainer_folder_must_exist() {
    assert_eq!(
        config_error(r#"{"build": {"dockerfile": "Dockerfile"}}"#),
        ".devcontainer/devcontainer.json: \"build.dockerfile\" names .devcontainer/Dockerfile, which does not exist"
    );
}

#[test]
fn build_options_and_ignored_build_keys_are_listed() {
    let dc = parse_config(
        r#"{"image": "ignored", "context": ".", "build": {"dockerfile": "../Dockerfile", "options": ["--add-host=x:1.2.3.4", "--network=host"], "secrets": {}}}"#,
    );
    assert_eq!(
        why(&dc, "build.options"),
        "raw \"docker build\" flags cannot be passed through the Docker API Perry uses: --add-host=x:1.2.3.4 --network=host"
    );
    assert!(why(&dc, "image").starts_with("ignored: the image is built"));
    assert!(why(&dc, "context").contains("legacy"));
    assert_eq!(
        why(&dc, "build.secrets"),
        "not a \"build\" property Perry knows"
    );
}

#[test]
fn build_without_dockerfile_next_to_image_is_listed() {
    let dc = parse_config(r#"{"image": "alpine", "build": {"args": {"A": "1"}}}"#);
    assert_eq!(image(&dc), "alpine");
    assert_eq!(unsupported_keys(&dc), ["build"]);
}

// ---------------------------------------------------------------------------------------------
// Variables

#[test]
fn local_env_is_substituted_with_defaults() {
    let dc = parse_config(
        r#"{"image": "alpine", "containerEnv": {
            "A": "${localEnv:HOST_USER}", "B": "${env:HOST_USER}", "C": "${localEnv:UNSET}",
            "D": "${localEnv:UNSET:fallback}", "E": "${localEnv:EMPTY:fallback}",
            "F": "x-${localEnv:HOST_USER}-${localEnv:HOST_USER}-y", "G": "${localEnv:UNSET:http://x}"}}"#,
    );
    let expected = [
        ("A", "ana"),
        ("B", "ana"),
        ("C", ""),
        ("D", "fallback"),
        // Set but empty is set: the default is not used.
        ("E", ""),
        ("F", "x-ana-ana-y"),
        // Split on every ':', as in the CLI: the default keeps its first part.
        ("G", "http"),
    ];
    for (name, value) in expected {
        assert_eq!(dc.container_env[name], value, "{name}");
    }
}

#[test]
fn local_env_without_a_name_is_an_error() {
    assert_eq!(
        config_error(r#"{"image": "alpine", "containerEnv": {"A": "${localEnv}"}}"#),
        ".devcontainer/devcontainer.json: \"containerEnv.A\" '${localEnv}' can not be resolved because no environment variable name is given"
    );
}

#[test]
fn workspace_folder_variables_are_substituted() {
    let dc = parse_config(
        r#"{"image": "alpine", "containerEnv": {
            "L": "${localWorkspaceFolder}", "LB": "${localWorkspaceFolderBasename}",
            "C": "${containerWorkspaceFolder}", "CB": "${containerWorkspaceFolderBasename}"}}"#,
    );
    assert_eq!(dc.container_env["L"], "/home/ana/src/shop");
    assert_eq!(dc.container_env["LB"], "shop");
    assert_eq!(dc.container_env["C"], "/workspaces/shop");
    assert_eq!(dc.container_env["CB"], "shop");
    assert_eq!(dc.workspace_folder, None);
}

#[test]
fn container_workspace_folder_is_the_configs_workspace_folder() {
    let dc = parse_config(
        r#"{"image": "alpine", "workspaceFolder": "/src/${localWorkspaceFolderBasename}",
            "postCreateCommand": "cd ${containerWorkspaceFolder} && ls ${containerWorkspaceFolderBasename}"}"#,
    );
    assert_eq!(dc.workspace_folder.as_deref(), Some("/src/shop"));
    assert_eq!(
        dc.lifecycle.post_create[0].command,
        shell("cd /src/shop && ls shop")
    );
}

#[test]
fn container_env_is_left_for_run_time() {
    let dc = parse_config(
        r#"{"image": "alpine", "remoteEnv": {"PATH": "${containerEnv:PATH}:/app/bin", "GONE": null},
            "postStartCommand": "echo ${containerEnv:HOME}"}"#,
    );
    assert_eq!(
        dc.remote_env["PATH"].as_deref(),
        Some("${containerEnv:PATH}:/app/bin")
    );
    assert_eq!(dc.remote_env["GONE"], None);
    let container = HashMap::from([
        ("PATH".to_owned(), "/usr/bin".to_owned()),
        ("HOME".to_owned(), "/home/ana".to_owned()),
    ]);
    assert_eq!(
        substitute_container_env(dc.remote_env["PATH"].as_deref().unwrap(), &container),
        "/usr/bin:/app/bin"
    );
    assert_eq!(
        dc.lifecycle.post_start[0]
            .command
            .substitute_container_env(&container),
        shell("echo /home/ana")
    );
}

#[test]
fn container_env_substitution_has_defaults_and_leaves_the_rest() {
    let env = HashMap::from([("A".to_owned(), "1".to_owned())]);
    let cases = [
        ("${containerEnv:A}", "1"),
        ("${containerEnv:B}", ""),
        ("${containerEnv:B:two}", "two"),
        ("${containerEnv:A:two}", "1"),
        ("${containerEnv}", "${containerEnv}"),
        ("${localEnv:A}", "${localEnv:A}"),
        ("$A ${A} $${containerEnv:A}", "$A ${A} $1"),
        ("${containerEnv:A", "${containerEnv:A"),
        ("${containerEnv:A\n}", "${containerEnv:A\n}"),
        // As JavaScript's /\$\{(.*?)\}/: the first `}` closes the first `${`.
        ("${x ${containerEnv:A}", "${x ${containerEnv:A}"),
        ("${containerEnv:A}}", "1}"),
    ];
    for (text, expected) in cases {
        assert_eq!(substitute_container_env(text, &env), expected, "{text:?}");
    }
}

#[test]
fn unknown_variables_and_keys_are_left_as_written() {
    let dc = parse_config(
        r#"{"image": "alpine", "containerEnv": {"${localEnv:HOST_USER}": "${unknown} ${PATH}"}}"#,
    );
    assert_eq!(
        dc.container_env["${localEnv:HOST_USER}"],
        "${unknown} ${PATH}"
    );
}

#[test]
fn devcontainer_id_is_the_clis() {
    // Expected values from the CLI's own computation, run in Node:
    // BigInt('0x' + sha256(JSON.stringify(idLabels, sortedKeys))).toString(32).padStart(52, '0')
    assert_eq!(
        devcontainer_id("/home/ana/src/shop", ".devcontainer/devcontainer.json"),
        "0l2tv1naoiugrdf57e2ajp46viuu7qe1ff9e6pomkv61i0ktkfdd"
    );
    assert_eq!(
        devcontainer_id("/w/x", ".devcontainer.json"),
        "0a6a77785jb6j2po64f5df5ljit60aod8nq401ptej6rmdgcr0hj"
    );
}

#[test]
fn devcontainer_id_is_substituted_in_the_config_and_in_features() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./dind": {}},
            "mounts": ["source=history-${devcontainerId},target=/h,type=volume"]}"#,
    )]);
    with_feature(
        &mut files,
        ".devcontainer/dind",
        r#"{"containerEnv": {"KEEP": "${devcontainerId}"},
            "mounts": [{"source": "dind-var-lib-docker-${devcontainerId}", "target": "/var/lib/docker", "type": "volume"}],
            "postStartCommand": "echo ${devcontainerId}"}"#,
    );
    let dc = parse_files(&files);
    let id = "0l2tv1naoiugrdf57e2ajp46viuu7qe1ff9e6pomkv61i0ktkfdd";
    let sources: Vec<String> = dc
        .mounts
        .iter()
        .map(|m| m.source.clone().unwrap())
        .collect();
    assert_eq!(
        sources,
        [format!("dind-var-lib-docker-{id}"), format!("history-{id}")]
    );
    assert_eq!(
        dc.lifecycle.post_start[0].command,
        shell(&format!("echo {id}"))
    );
    // A feature's containerEnv is Dockerfile ENV, which the CLI does not substitute.
    assert_eq!(dc.features[0].container_env["KEEP"], "${devcontainerId}");
    assert!(dc.unsupported.is_empty(), "{:?}", dc.unsupported);
}

// ---------------------------------------------------------------------------------------------
// Lifecycle commands

#[test]
fn parallel_commands_fixture_is_read() {
    // cli/src/test/configs/dockerfile-with-parallel-commands/.devcontainer.json
    let files = files(&[(
        ".devcontainer.json",
        r#"{
	"build": { "dockerfile": "Dockerfile", "args": { "VARIANT": "16-bullseye" } },
	"postCreateCommand": {
		"post-create-command-1": "touch /tmp/postCreateCommand1.testmarker && echo post create command 1",
		"post-create-command-2": "touch /tmp/postCreateCommand2.testmarker && echo post create command 2"
	},
	"postStartCommand": { "post-start-command-1": "touch /tmp/postStartCommand1.testmarker" },
	"postAttachCommand": { "post-attach-command-1": ["touch", "/tmp/postAttachCommand1.testmarker"] },
}"#,
    )]);
    let dc = parse(&files, ".devcontainer.json", &vars()).unwrap();
    assert_eq!(build(&dc).dockerfile, "Dockerfile");
    assert_eq!(build(&dc).context, "");
    assert_eq!(
        dc.lifecycle.post_create,
        [hook(
            "devcontainer.json",
            Command::Parallel(vec![
                (
                    "post-create-command-1".to_owned(),
                    shell("touch /tmp/postCreateCommand1.testmarker && echo post create command 1")
                ),
                (
                    "post-create-command-2".to_owned(),
                    shell("touch /tmp/postCreateCommand2.testmarker && echo post create command 2")
                ),
            ])
        )]
    );
    assert_eq!(
        dc.lifecycle.post_attach[0].command,
        Command::Parallel(vec![(
            "post-attach-command-1".to_owned(),
            exec(&["touch", "/tmp/postAttachCommand1.testmarker"])
        )])
    );
    assert_eq!(dc.lifecycle.post_start.len(), 1);
}

#[test]
fn each_hook_takes_string_and_array_forms() {
    let dc = parse_config(
        r#"{"image": "alpine", "onCreateCommand": "a", "updateContentCommand": ["b", "c d"],
            "postCreateCommand": "e", "postStartCommand": ["f"], "postAttachCommand": "g"}"#,
    );
    let lifecycle = &dc.lifecycle;
    assert_eq!(lifecycle.on_create, [hook("devcontainer.json", shell("a"))]);
    assert_eq!(
        lifecycle.update_content,
        [hook("devcontainer.json", exec(&["b", "c d"]))]
    );
    assert_eq!(
        lifecycle.post_create,
        [hook("devcontainer.json", shell("e"))]
    );
    assert_eq!(
        lifecycle.post_start,
        [hook("devcontainer.json", exec(&["f"]))]
    );
    assert_eq!(
        lifecycle.post_attach,
        [hook("devcontainer.json", shell("g"))]
    );
}

#[test]
fn empty_commands_are_no_commands() {
    let dc = parse_config(
        r#"{"image": "alpine", "onCreateCommand": "", "postCreateCommand": [], "postStartCommand": {},
            "postAttachCommand": {"a": "", "b": []}, "updateContentCommand": null}"#,
    );
    assert_eq!(dc.lifecycle, Lifecycle::default());
}

#[test]
fn commands_of_a_wrong_type_name_their_key() {
    let forms = "must be a string, an array of strings, or an object whose values are strings or arrays of strings";
    assert_eq!(
        config_error(r#"{"image": "alpine", "postCreateCommand": 3}"#),
        format!(".devcontainer/devcontainer.json: \"postCreateCommand\" {forms}")
    );
    assert_eq!(
        config_error(r#"{"image": "alpine", "onCreateCommand": ["ls", 1]}"#),
        format!(".devcontainer/devcontainer.json: \"onCreateCommand\" {forms}")
    );
    assert_eq!(
        config_error(r#"{"image": "alpine", "postStartCommand": {"x": {"y": "z"}}}"#),
        format!(".devcontainer/devcontainer.json: \"postStartCommand\" {forms} (\"x\" is not)")
    );
}

#[test]
fn initialize_command_is_listed_not_run() {
    let dc = parse_config(r#"{"image": "alpine", "initializeCommand": "docker pull x"}"#);
    assert_eq!(
        why(&dc, "initializeCommand"),
        "a command on the host side; Perry does not run the repository's commands on the agent's host"
    );
    assert_eq!(dc.lifecycle, Lifecycle::default());
}

#[test]
fn commands_serialize_for_an_image_label() {
    let command = Command::Parallel(vec![("a".to_owned(), exec(&["ls", "-l"]))]);
    let json = serde_json::to_string(&command).unwrap();
    assert_eq!(json, r#"{"parallel":[["a",{"exec":["ls","-l"]}]]}"#);
    assert_eq!(serde_json::from_str::<Command>(&json).unwrap(), command);
}

// ---------------------------------------------------------------------------------------------
// Ports

#[test]
fn forward_ports_take_numbers_and_local_strings_with_labels() {
    let dc = parse_config(
        r#"{"image": "alpine", "forwardPorts": [3000, "localhost:8080", "127.0.0.1:9000", "5000", 3005, 3000],
            "portsAttributes": {"3000": {"label": "web", "onAutoForward": "notify"},
                                "localhost:8080": {"label": "api"},
                                "3001-3010": {"label": "range"},
                                "9000": {"protocol": "https"}},
            "otherPortsAttributes": {"label": "other"}}"#,
    );
    let ports: Vec<(u16, Option<&str>)> = dc
        .forward_ports
        .iter()
        .map(|port| (port.port, port.label.as_deref()))
        .collect();
    assert_eq!(
        ports,
        [
            (3000, Some("web")),
            (8080, Some("api")),
            // Named in portsAttributes without a label: no label, as that entry says.
            (9000, None),
            (5000, Some("other")),
            (3005, Some("range")),
        ]
    );
    assert!(dc.unsupported.is_empty(), "{:?}", dc.unsupported);
}

#[test]
fn forward_ports_of_another_host_are_listed() {
    let dc = parse_config(r#"{"image": "alpine", "forwardPorts": ["db:5432", 80]}"#);
    assert_eq!(
        dc.forward_ports,
        [ForwardPort {
            port: 80,
            label: None
        }]
    );
    assert_eq!(
        why(&dc, "forwardPorts[0]"),
        "\"db:5432\" forwards a port of another host (db); Perry forwards the workspace's own ports"
    );
}

#[test]
fn bad_forward_ports_name_their_entry() {
    let cases = [
        (
            "0",
            "\"forwardPorts[0]\" must be a port number from 1 to 65535, not 0",
        ),
        (
            "65536",
            "\"forwardPorts[0]\" must be a port number from 1 to 65535, not 65536",
        ),
        (
            "-1",
            "\"forwardPorts[0]\" must be a port number from 1 to 65535, not -1",
        ),
        (
            "3000.5",
            "\"forwardPorts[0]\" must be a port number from 1 to 65535, not 3000.5",
        ),
        (
            "\"web\"",
            "\"forwardPorts[0]\" must be a port number from 1 to 65535, not web",
        ),
        (
            "\"db:x\"",
            "\"forwardPorts[0]\" must be a port number from 1 to 65535, not db:x",
        ),
        (
            "true",
            "\"forwardPorts[0]\" must be a port number or a \"host:port\" string",
        ),
    ];
    for (entry, message) in cases {
        assert_eq!(
            config_error(&format!(
                r#"{{"image": "alpine", "forwardPorts": [{entry}]}}"#
            )),
            format!(".devcontainer/devcontainer.json: {message}"),
            "{entry}"
        );
    }
    assert_eq!(
        config_error(r#"{"image": "alpine", "forwardPorts": 3000}"#),
        ".devcontainer/devcontainer.json: \"forwardPorts\" must be an array of ports"
    );
    assert_eq!(
        config_error(
            r#"{"image": "alpine", "forwardPorts": [1], "portsAttributes": {"1": {"label": 2}}}"#
        ),
        ".devcontainer/devcontainer.json: \"portsAttributes.1.label\" must be a string"
    );
}

#[test]
fn app_port_is_listed() {
    let dc = parse_config(r#"{"image": "alpine", "appPort": [3000]}"#);
    assert!(why(&dc, "appPort").contains("forwardPorts"));
}

// ---------------------------------------------------------------------------------------------
// Mounts

#[test]
fn volume_mounts_take_the_string_and_object_forms() {
    let dc = parse_config(
        r#"{"image": "alpine", "mounts": [
            "source=dev-containers-cli-bashhistory,target=/home/node/commandhistory",
            "src=${localWorkspaceFolderBasename}-cache,dst=/cache,type=volume,consistency=cached",
            "type=volume,destination=/anon",
            {"type": "volume", "source": "data", "target": "/data"},
            {"type": "volume", "target": "/scratch", "external": false}
        ]}"#,
    );
    let volume = |source: Option<&str>, target: &str| VolumeMount {
        source: source.map(str::to_owned),
        target: target.to_owned(),
    };
    assert_eq!(
        dc.mounts,
        [
            volume(
                Some("dev-containers-cli-bashhistory"),
                "/home/node/commandhistory"
            ),
            volume(Some("shop-cache"), "/cache"),
            volume(None, "/anon"),
            volume(Some("data"), "/data"),
            volume(None, "/scratch"),
        ]
    );
    assert!(dc.unsupported.is_empty(), "{:?}", dc.unsupported);
}

#[test]
fn bind_and_tmpfs_mounts_are_listed_not_dropped() {
    let dc = parse_config(
        r#"{"image": "alpine", "mounts": [
            "source=${localWorkspaceFolder}/.cache,target=/cache,type=bind",
            {"type": "bind", "source": "/var/run/docker.sock", "target": "/var/run/docker.sock"},
            "type=tmpfs,target=/tmp/x"
        ]}"#,
    );
    assert!(dc.mounts.is_empty());
    assert_eq!(
        why(&dc, "mounts[0]"),
        "bind mount of /home/ana/src/shop/.cache on /cache: Perry's workspaces do not share the agent's host files; use a volume"
    );
    assert!(why(&dc, "mounts[1]").starts_with("bind mount of /var/run/docker.sock"));
    assert_eq!(
        why(&dc, "mounts[2]"),
        "mounts of type \"tmpfs\" are not supported; only volumes are"
    );
}

#[test]
fn volume_options_perry_does_not_apply_are_listed() {
    let dc = parse_config(
        r#"{"image": "alpine", "mounts": ["source=v,target=/v,readonly,volume-opt=o=size"]}"#,
    );
    assert_eq!(dc.mounts.len(), 1);
    assert_eq!(
        why(&dc, "mounts[0]"),
        "the volume is mounted without these options: readonly, volume-opt=o=size"
    );
}

#[test]
fn last_mount_for_a_target_wins() {
    let dc = parse_config(
        r#"{"image": "alpine", "mounts": ["source=a,target=/x", "source=b,target=/y", "source=c,target=/x"]}"#,
    );
    let sources: Vec<_> = dc
        .mounts
        .iter()
        .map(|m| m.source.as_deref().unwrap())
        .collect();
    assert_eq!(sources, ["b", "c"]);
}

#[test]
fn bad_mounts_name_their_entry() {
    let cases = [
        (r#""source=a""#, "\"mounts[0]\" has no target"),
        (
            r#""source=a,target=rel""#,
            "\"mounts[0]\" target \"rel\" must be an absolute path",
        ),
        (
            r#""source=/abs,target=/x""#,
            "\"mounts[0]\" source \"/abs\" is not a volume name (letters, digits, '_', '.', '-', starting with a letter or digit)",
        ),
        (
            r#"{"type": "volume", "target": 1}"#,
            "\"mounts[0]\" \"target\" must be a string",
        ),
        (
            "3",
            "\"mounts[0]\" must be a string in Docker's --mount syntax or an object {type, source, target}",
        ),
    ];
    for (entry, message) in cases {
        assert_eq!(
            config_error(&format!(r#"{{"image": "alpine", "mounts": [{entry}]}}"#)),
            format!(".devcontainer/devcontainer.json: {message}"),
            "{entry}"
        );
    }
    assert_eq!(
        config_error(r#"{"image": "alpine", "mounts": "source=a,target=/a"}"#),
        ".devcontainer/devcontainer.json: \"mounts\" must be an array"
    );
}

// ---------------------------------------------------------------------------------------------
// Environment, users, folder

#[test]
fn container_env_remote_env_and_users_are_read() {
    let dc = parse_config(
        r#"{"image": "alpine", "containerEnv": {"A": "1", "N": 2}, "remoteEnv": {"B": "x", "C": null},
            "containerUser": "vscode", "remoteUser": "1000:1000", "workspaceFolder": "/app"}"#,
    );
    assert_eq!(
        dc.container_env,
        BTreeMap::from([
            ("A".to_owned(), "1".to_owned()),
            ("N".to_owned(), "2".to_owned())
        ])
    );
    assert_eq!(
        dc.remote_env,
        BTreeMap::from([
            ("B".to_owned(), Some("x".to_owned())),
            ("C".to_owned(), None)
        ])
    );
    assert_eq!(dc.container_user.as_deref(), Some("vscode"));
    assert_eq!(dc.remote_user.as_deref(), Some("1000:1000"));
    assert_eq!(dc.workspace_folder.as_deref(), Some("/app"));
}

#[test]
fn bad_env_users_and_folders_name_their_key() {
    let cases = [
        (
            r#""containerEnv": ["A=1"]"#,
            "\"containerEnv\" must be an object",
        ),
        (
            r#""containerEnv": {"A": {"b": 1}}"#,
            "\"containerEnv.A\" must be a string",
        ),
        (
            r#""containerEnv": {"A=B": "1"}"#,
            "\"containerEnv\" has a variable named \"A=B\", which cannot be set",
        ),
        (
            r#""remoteEnv": {"A": []}"#,
            "\"remoteEnv.A\" must be a string",
        ),
        (r#""remoteUser": 1000"#, "\"remoteUser\" must be a string"),
        (
            r#""containerUser": "ana; rm -rf /""#,
            "\"containerUser\" \"ana; rm -rf /\" is not a user name or uid (letters, digits, '_', '.', '-', optionally \":group\")",
        ),
        (
            r#""workspaceFolder": "app""#,
            "\"workspaceFolder\" must be an absolute path in the container, not \"app\"",
        ),
    ];
    for (entry, message) in cases {
        assert_eq!(
            config_error(&format!(r#"{{"image": "alpine", {entry}}}"#)),
            format!(".devcontainer/devcontainer.json: {message}"),
            "{entry}"
        );
    }
}

#[test]
fn empty_users_and_folder_are_unset() {
    let dc = parse_config(
        r#"{"image": "alpine", "containerUser": "", "remoteUser": "", "workspaceFolder": ""}"#,
    );
    assert_eq!(dc.container_user, None);
    assert_eq!(dc.remote_user, None);
    assert_eq!(dc.workspace_folder, None);
}

// ---------------------------------------------------------------------------------------------
// customizations

#[test]
fn perry_limits_are_read_and_other_tools_customizations_are_fine() {
    let dc = parse_config(
        r#"{"image": "alpine", "customizations": {
            "vscode": {"extensions": ["rust-lang.rust-analyzer"]}, "codespaces": {"openFiles": []},
            "perry": {"limits": {"cpus": 2.5, "memoryMb": 4096, "pids": 4096}}}}"#,
    );
    assert_eq!(
        dc.perry.limits,
        Some(perry_api::WorkspaceLimits {
            cpus: Some(2.5),
            memory_mb: Some(4096),
            pids: Some(4096),
        })
    );
    assert!(dc.unsupported.is_empty(), "{:?}", dc.unsupported);
}

#[test]
fn unknown_perry_customizations_are_listed() {
    let dc = parse_config(
        r#"{"image": "alpine", "customizations": {"perry": {"gpu": true, "limits": {"disk": 10, "cpus": 1}}}}"#,
    );
    assert_eq!(
        unsupported_keys(&dc),
        [
            "customizations.perry.gpu",
            "customizations.perry.limits.disk"
        ]
    );
    assert_eq!(dc.perry.limits.unwrap().cpus, Some(1.0));
}

#[test]
fn bad_perry_limits_name_their_key() {
    let cases = [
        (
            r#"{"cpus": "2"}"#,
            "\"customizations.perry.limits.cpus\" must be a number of CPUs, e.g. 2 or 1.5",
        ),
        (
            r#"{"memoryMb": 1.5}"#,
            "\"customizations.perry.limits.memoryMb\" must be a whole number from 0 to 4294967295",
        ),
        (
            r#"{"pids": -1}"#,
            "\"customizations.perry.limits.pids\" must be a whole number from 0 to 4294967295",
        ),
        (
            r#"{"memoryMb": 100}"#,
            "\"customizations.perry.limits\" memoryMb must be at least 512",
        ),
        ("[]", "\"customizations.perry.limits\" must be an object"),
    ];
    for (limits, message) in cases {
        let error = config_error(&format!(
            r#"{{"image": "alpine", "customizations": {{"perry": {{"limits": {limits}}}}}}}"#
        ));
        assert!(
            error.starts_with(&format!(".devcontainer/devcontainer.json: {message}")),
            "{limits}: {error}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The unsupported list

#[test]
fn properties_perry_does_not_act_on_are_listed_with_a_reason() {
    let dc = parse_config(
        r#"{"image": "alpine",
            "runArgs": ["--cap-add=SYS_PTRACE", "--network", "host"],
            "workspaceMount": "source=${localWorkspaceFolder},target=/app,type=bind",
            "hostRequirements": {"cpus": 4}, "shutdownAction": "none", "waitFor": "postCreateCommand",
            "userEnvProbe": "loginInteractiveShell", "overrideCommand": false,
            "securityOpt": ["seccomp=unconfined", "no-new-privileges"],
            "service": "app", "someFutureKey": 1}"#,
    );
    let mut keys = unsupported_keys(&dc);
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "hostRequirements",
            "overrideCommand",
            "runArgs",
            "securityOpt",
            "service",
            "shutdownAction",
            "someFutureKey",
            "userEnvProbe",
            "waitFor",
            "workspaceMount",
        ]
    );
    assert_eq!(
        why(&dc, "runArgs"),
        "raw \"docker run\" flags cannot be passed through the Docker API Perry uses: --cap-add=SYS_PTRACE --network host"
    );
    assert!(why(&dc, "securityOpt").ends_with("not no-new-privileges"));
    assert_eq!(
        why(&dc, "someFutureKey"),
        "not a devcontainer.json property Perry knows"
    );
    assert!(dc.unsupported.iter().all(|entry| !entry.why.is_empty()));
}

#[test]
fn properties_perry_already_gives_are_not_listed() {
    let dc = parse_config(
        r#"{"image": "alpine", "name": "x", "init": true, "privileged": true, "capAdd": ["SYS_PTRACE"],
            "securityOpt": ["seccomp=unconfined", "apparmor=unconfined"], "updateRemoteUserUID": true,
            "overrideCommand": true, "userEnvProbe": "none", "extensions": ["a"], "settings": {},
            "secrets": {"TOKEN": {}}, "customizations": {"jetbrains": {}}}"#,
    );
    assert!(dc.unsupported.is_empty(), "{:?}", dc.unsupported);
}

// ---------------------------------------------------------------------------------------------
// Features

/// The notes' fixture (a), from the CLI's dependsOn-and-installsAfter/local-simple test.
fn fixture_a(config: &str) -> ConfigFiles {
    let mut files = files(&[(CONFIG, config)]);
    with_feature(
        &mut files,
        ".devcontainer/a",
        r#"{ "name": "FeatureA", "id": "a", "version": "0.0.1",
             "installsAfter": ["./b"],
             "dependsOn": { "./c": { "magicNumber": "321" } },
             "options": { "magicNumber": { "type": "string", "default": "0", "description": "The magic number" } } }"#,
    );
    with_feature(
        &mut files,
        ".devcontainer/b",
        r#"{ "name": "FeatureB", "id": "b", "version": "0.0.1" }"#,
    );
    with_feature(
        &mut files,
        ".devcontainer/c",
        r#"{ "name": "FeatureC", "id": "c", "version": "0.0.1",
             "options": { "magicNumber": { "type": "string", "default": "0" } } }"#,
    );
    files
}

#[test]
fn depends_on_installs_first_and_unused_soft_dependencies_are_dropped() {
    let files = fixture_a(
        r#"{ "image": "mcr.microsoft.com/devcontainers/base:ubuntu", "features": { "./a": {} }, }"#,
    );
    let dc = parse_files(&files);
    assert_eq!(feature_ids(&dc), ["c", "a"]);
    let c = &dc.features[0];
    assert_eq!(c.user_id, "./c");
    assert_eq!(c.dir, ".devcontainer/c");
    assert_eq!(c.name, "FeatureC");
    assert_eq!(c.options_env, env(&[("MAGICNUMBER", "321")]));
    assert_eq!(c.install_index, 0);
    let a = &dc.features[1];
    assert_eq!(a.options_env, env(&[("MAGICNUMBER", "0")]));
    assert_eq!(a.install_index, 1);
    assert_eq!(options_env_file_of(a), "MAGICNUMBER=\"0\"\n");
}

fn options_env_file_of(feature: &Feature) -> String {
    features::options_env_file(feature)
}

#[test]
fn installs_after_orders_features_in_the_set() {
    let files = fixture_a(r#"{"image": "alpine", "features": {"./a": {}, "./b": {}}}"#);
    let dc = parse_files(&files);
    // Round 1: b and c (sorted); round 2: a, after both.
    assert_eq!(feature_ids(&dc), ["b", "c", "a"]);
}

#[test]
fn features_of_one_round_are_sorted_by_folder() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./zeta": {}, "./Beta": {}, "./alpha": {}, "./_under": {}}}"#,
    )]);
    for name in ["zeta", "Beta", "alpha", "_under"] {
        with_feature(&mut files, &format!(".devcontainer/{name}"), "{}");
    }
    let dc = parse_files(&files);
    // localeCompare: punctuation first, then letters without regard to case.
    assert_eq!(feature_ids(&dc), ["_under", "alpha", "Beta", "zeta"]);
    let indexes: Vec<usize> = dc.features.iter().map(|f| f.install_index).collect();
    assert_eq!(indexes, [0, 1, 2, 3]);
}

#[test]
fn override_feature_install_order_comes_first() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./alpha": {}, "./beta": {}, "./gamma": {}},
            "overrideFeatureInstallOrder": ["./gamma", "./beta", "ghcr.io/x/y/z"]}"#,
    )]);
    for name in ["alpha", "beta", "gamma"] {
        with_feature(&mut files, &format!(".devcontainer/{name}"), "{}");
    }
    let dc = parse_files(&files);
    assert_eq!(feature_ids(&dc), ["gamma", "beta", "alpha"]);
}

#[test]
fn override_cannot_break_a_dependency() {
    let files = fixture_a(
        r#"{"image": "alpine", "features": {"./a": {}}, "overrideFeatureInstallOrder": ["./a"]}"#,
    );
    assert_eq!(feature_ids(&parse_files(&files)), ["c", "a"]);
}

#[test]
fn a_feature_listed_and_depended_on_with_the_same_options_installs_once() {
    let files =
        fixture_a(r#"{"image": "alpine", "features": {"./a": {}, "./c": {"magicNumber": "321"}}}"#);
    assert_eq!(feature_ids(&parse_files(&files)), ["c", "a"]);
}

#[test]
fn a_feature_with_other_options_installs_twice() {
    let files = fixture_a(r#"{"image": "alpine", "features": {"./a": {}, "./c": {}}}"#);
    let dc = parse_files(&files);
    assert_eq!(feature_ids(&dc), ["c", "c", "a"]);
    let envs: Vec<&str> = dc.features[..2]
        .iter()
        .map(|f| f.options_env[0].1.as_str())
        .collect();
    assert_eq!(envs, ["0", "321"]);
    assert_eq!(dc.features[1].build_folder(), "c_1");
}

#[test]
fn dependency_cycles_are_refused() {
    let mut files = files(&[(CONFIG, r#"{"image": "alpine", "features": {"./a": {}}}"#)]);
    with_feature(
        &mut files,
        ".devcontainer/a",
        r#"{"dependsOn": {"./b": {}}}"#,
    );
    with_feature(
        &mut files,
        ".devcontainer/b",
        r#"{"dependsOn": {"./a": {}}}"#,
    );
    assert_eq!(
        files_error(&files),
        ".devcontainer/devcontainer.json: the features \"./a\", \"./b\" depend on each other in a cycle (dependsOn / installsAfter), so they have no install order"
    );
}

#[test]
fn soft_dependency_cycles_are_refused_too() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./a": {}, "./b": {}}}"#,
    )]);
    with_feature(
        &mut files,
        ".devcontainer/a",
        r#"{"installsAfter": ["./b"]}"#,
    );
    with_feature(
        &mut files,
        ".devcontainer/b",
        r#"{"installsAfter": ["./a"]}"#,
    );
    assert!(files_error(&files).contains("cycle"));
}

#[test]
fn safe_ids_follow_the_cli() {
    let cases = [
        ("userUid", "USERUID"),
        ("version", "VERSION"),
        ("install-tools", "INSTALL_TOOLS"),
        ("a.b c", "A_B_C"),
        ("1st", "_ST"),
        ("__private", "_PRIVATE"),
        ("_1_2x", "_X"),
        ("42", "_"),
        ("é", "_"),
        ("x🦀", "X__"),
        ("ünïcode", "_N_CODE"),
    ];
    for (name, expected) in cases {
        assert_eq!(features::safe_id(name), expected, "{name}");
    }
}

#[test]
fn options_merge_defaults_under_values_in_the_clis_order() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./tool": {"userUid": 1000, "extra-thing": "x", "installZsh": false, "version": "2"}}}"#,
    )]);
    with_feature(
        &mut files,
        ".devcontainer/tool",
        r#"{"options": {
            "version": {"type": "string", "default": "latest"},
            "installZsh": {"type": "boolean", "default": true},
            "noDefault": {"type": "string"},
            "userUid": {"type": "string", "default": "automatic"}}}"#,
    );
    let dc = parse_files(&files);
    assert_eq!(
        dc.features[0].options_env,
        env(&[
            ("VERSION", "2"),
            ("INSTALLZSH", "false"),
            ("USERUID", "1000"),
            ("EXTRA_THING", "x"),
        ])
    );
    assert_eq!(dc.features[0].name, "tool");
}

#[test]
fn a_string_or_boolean_sets_the_version_option() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./versioned": "1.2", "./plain": true}}"#,
    )]);
    with_feature(
        &mut files,
        ".devcontainer/versioned",
        r#"{"options": {"version": {"type": "string", "default": "latest"}, "other": {"type": "string", "default": "o"}}}"#,
    );
    with_feature(
        &mut files,
        ".devcontainer/plain",
        r#"{"options": {"flag": {"type": "boolean", "default": false}}}"#,
    );
    let dc = parse_files(&files);
    assert_eq!(feature_ids(&dc), ["plain", "versioned"]);
    assert_eq!(dc.features[0].options_env, env(&[("FLAG", "false")]));
    assert_eq!(
        dc.features[1].options_env,
        env(&[("VERSION", "1.2"), ("OTHER", "o")])
    );
}

#[test]
fn bad_feature_option_values_name_their_key() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./x": {"a": [1]}}}"#,
    )]);
    with_feature(&mut files, ".devcontainer/x", "{}");
    assert_eq!(
        files_error(&files),
        ".devcontainer/devcontainer.json: \"features.\"./x\".a\" must be a string or a boolean"
    );
    files.insert(
        CONFIG.to_owned(),
        br#"{"image": "alpine", "features": {"./x": 3}}"#.to_vec(),
    );
    assert_eq!(
        files_error(&files),
        ".devcontainer/devcontainer.json: \"features.\"./x\"\" must be an object of options (or a version string)"
    );
    files.insert(
        CONFIG.to_owned(),
        br#"{"image": "alpine", "features": ["./x"]}"#.to_vec(),
    );
    assert_eq!(
        files_error(&files),
        ".devcontainer/devcontainer.json: \"features\" must be an object of feature ids and their options"
    );
}

#[test]
fn registry_features_are_refused_all_named_at_once() {
    let error = config_error(
        r#"{"image": "alpine", "features": {
            "ghcr.io/devcontainers/features/node:1": {},
            "https://example.com/devcontainer-feature-x.tgz": {},
            "ghcr.io/devcontainers/features/rust@sha256:abc": {}}}"#,
    );
    assert_eq!(
        error,
        ".devcontainer/devcontainer.json: Features \"ghcr.io/devcontainers/features/node:1\", \"https://example.com/devcontainer-feature-x.tgz\", \"ghcr.io/devcontainers/features/rust@sha256:abc\" come from a registry, which this agent cannot reach; vendor it into .devcontainer/ as a local feature (a folder with devcontainer-feature.json and install.sh, referenced as \"./<folder>\")"
    );
    let error = config_error(
        r#"{"image": "alpine", "features": {"ghcr.io/devcontainers/features/node:1": {}}}"#,
    );
    assert!(
        error.starts_with(".devcontainer/devcontainer.json: Feature \"ghcr.io/devcontainers/features/node:1\" comes from a registry, which this agent cannot reach; vendor it into .devcontainer/ as a local feature"),
        "{error}"
    );
}

#[test]
fn registry_dependencies_of_local_features_are_refused() {
    let mut files = files(&[(CONFIG, r#"{"image": "alpine", "features": {"./x": {}}}"#)]);
    with_feature(
        &mut files,
        ".devcontainer/x",
        r#"{"dependsOn": {"ghcr.io/devcontainers/features/common-utils:2": {}},
            "installsAfter": ["ghcr.io/devcontainers/features/git"]}"#,
    );
    assert!(
        files_error(&files).starts_with(
            ".devcontainer/devcontainer.json: Feature \"ghcr.io/devcontainers/features/common-utils:2\" (a dependency of \"./x\") comes from a registry"
        ),
        "{}",
        files_error(&files)
    );
}

#[test]
fn registry_soft_dependencies_are_ignored() {
    let mut files = files(&[(CONFIG, r#"{"image": "alpine", "features": {"./x": {}}}"#)]);
    with_feature(
        &mut files,
        ".devcontainer/x",
        r#"{"installsAfter": ["ghcr.io/devcontainers/features/common-utils"]}"#,
    );
    assert_eq!(feature_ids(&parse_files(&files)), ["x"]);
}

#[test]
fn legacy_feature_ids_are_refused() {
    assert_eq!(
        config_error(r#"{"image": "alpine", "features": {"node": "lts", "ghcr.io/a/b/c": {}}}"#),
        ".devcontainer/devcontainer.json: legacy Feature \"node\" not supported (as in the devcontainer CLI); a local Feature is referenced with \"./\" before its folder's name, e.g. \"./node\""
    );
}

#[test]
fn local_features_must_be_inside_the_devcontainer_folder() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"../tools/x": {}}}"#,
    )]);
    with_feature(&mut files, "tools/x", "{}");
    assert_eq!(
        files_error(&files),
        ".devcontainer/devcontainer.json: \"features\" Feature \"../tools/x\" resolves to tools/x, but a local feature must be a folder inside .devcontainer/"
    );
    let error = config_error(r#"{"image": "alpine", "features": {"./": {}}}"#);
    assert!(error.contains("resolves to .devcontainer, but"), "{error}");
    let error = config_error(r#"{"image": "alpine", "features": {"../../x": {}}}"#);
    assert!(
        error.contains("Feature \"../../x\" (../../x) leads outside the repository"),
        "{error}"
    );
    let error = config_error(r#"{"image": "alpine", "features": {"./my tool": {}}}"#);
    assert!(
        error.ends_with("Feature \"./my tool\": a local feature's folder name is made of letters, digits, '_', '-' and '.'"),
        "{error}"
    );
    let error = config_error(r#"{"image": "alpine", "features": {"/opt/x": {}}}"#);
    assert!(
        error.contains("Feature \"/opt/x\" is an absolute path"),
        "{error}"
    );
}

#[test]
fn a_root_config_reaches_features_inside_the_devcontainer_folder() {
    let mut files = files(&[(
        ".devcontainer.json",
        r#"{"image": "alpine", "features": {"./.devcontainer/x": {}}}"#,
    )]);
    with_feature(&mut files, ".devcontainer/x", "{}");
    let dc = parse(&files, ".devcontainer.json", &vars()).unwrap();
    assert_eq!(dc.features[0].dir, ".devcontainer/x");
    files.insert(
        ".devcontainer.json".to_owned(),
        br#"{"image": "alpine", "features": {"./x": {}}}"#.to_vec(),
    );
    assert!(
        parse(&files, ".devcontainer.json", &vars())
            .unwrap_err()
            .0
            .contains("resolves to x, but a local feature must be a folder inside .devcontainer/")
    );
}

#[test]
fn a_feature_needs_its_json_and_install_script() {
    let mut files = files(&[
        (CONFIG, r#"{"image": "alpine", "features": {"./x": {}}}"#),
        (".devcontainer/x/install.sh", "#!/bin/sh"),
    ]);
    assert_eq!(
        files_error(&files),
        "Feature \"./x\": .devcontainer/x/devcontainer-feature.json does not exist; a local feature is a folder with devcontainer-feature.json and install.sh"
    );
    files.remove(".devcontainer/x/install.sh");
    files.insert(
        ".devcontainer/x/devcontainer-feature.json".to_owned(),
        b"{}".to_vec(),
    );
    assert_eq!(
        files_error(&files),
        "Feature \"./x\": .devcontainer/x/install.sh does not exist; every feature needs an install.sh"
    );
}

#[test]
fn bad_feature_metadata_names_its_file_and_key() {
    let cases = [
        ("{", "is not valid JSON"),
        ("[]", "must contain a JSON object literal"),
        (
            r#"{"containerEnv": {"1X": "a"}}"#,
            "\"containerEnv.1X\" is not a variable name",
        ),
        (
            r#"{"containerEnv": {"X": "a\nb"}}"#,
            "\"containerEnv.X\" must be one line",
        ),
        (
            r#"{"options": {"a": {"default": []}}}"#,
            "\"options.a.default\" must be a string or a boolean",
        ),
        (
            r#"{"dependsOn": ["./y"]}"#,
            "\"dependsOn\" must be an object of feature ids and their options",
        ),
        (
            r#"{"installsAfter": "./y"}"#,
            "\"installsAfter\" must be an array of feature ids",
        ),
        (
            r#"{"postCreateCommand": 1}"#,
            "\"postCreateCommand\" must be a string",
        ),
    ];
    for (json, message) in cases {
        let mut files = files(&[(CONFIG, r#"{"image": "alpine", "features": {"./x": {}}}"#)]);
        with_feature(&mut files, ".devcontainer/x", json);
        let error = files_error(&files);
        assert!(
            error.starts_with(&format!(
                ".devcontainer/x/devcontainer-feature.json: {message}"
            )),
            "{json}: {error}"
        );
    }
}

/// The notes' fixture (c), from the CLI's lifecycle-hooks-inline-commands test.
#[test]
fn features_hooks_run_before_the_configs_in_install_order() {
    let mut files = files(&[
        (
            CONFIG,
            r#"{
	"build": { "dockerfile": "Dockerfile" },
	"features": { "./tiger": {}, "./panda": {} },
	"onCreateCommand": ".devcontainer/createMarker.sh devContainer.onCreateCommand.testMarker",
	"postCreateCommand": [".devcontainer/createMarker.sh", "devContainer.postCreateCommand.testMarker"],
	"postStartCommand": ".devcontainer/createMarker.sh devContainer.postStartCommand.testMarker"
}"#,
        ),
        (".devcontainer/Dockerfile", "FROM alpine"),
    ]);
    with_feature(
        &mut files,
        ".devcontainer/panda",
        r#"{"id": "panda", "version": "4.5.6", "name": "Panda", "options": {},
            "updateContentCommand": [".devcontainer/createMarker.sh", "panda.updateContentCommand.testMarker"],
            "onCreateCommand": "./.devcontainer/createMarker.sh panda.onCreateCommand.testMarker"}"#,
    );
    with_feature(
        &mut files,
        ".devcontainer/tiger",
        r#"{"id": "tiger", "version": "1.0.0", "name": "Tiger",
            "onCreateCommand": "./.devcontainer/createMarker.sh tiger.onCreateCommand.testMarker",
            "postStartCommand": {"one": "tiger-start"}}"#,
    );
    let dc = parse_files(&files);
    assert_eq!(feature_ids(&dc), ["panda", "tiger"]);
    assert_eq!(
        dc.lifecycle.on_create,
        [
            hook(
                "Feature './panda'",
                shell("./.devcontainer/createMarker.sh panda.onCreateCommand.testMarker")
            ),
            hook(
                "Feature './tiger'",
                shell("./.devcontainer/createMarker.sh tiger.onCreateCommand.testMarker")
            ),
            hook(
                "devcontainer.json",
                shell(".devcontainer/createMarker.sh devContainer.onCreateCommand.testMarker")
            ),
        ]
    );
    assert_eq!(
        dc.lifecycle.update_content,
        [hook(
            "Feature './panda'",
            exec(&[
                ".devcontainer/createMarker.sh",
                "panda.updateContentCommand.testMarker"
            ])
        )]
    );
    assert_eq!(
        dc.lifecycle.post_create,
        [hook(
            "devcontainer.json",
            exec(&[
                ".devcontainer/createMarker.sh",
                "devContainer.postCreateCommand.testMarker"
            ])
        )]
    );
    assert_eq!(dc.lifecycle.post_start.len(), 2);
    assert_eq!(dc.lifecycle.post_start[0].origin, "Feature './tiger'");
}

#[test]
fn feature_env_mounts_and_entrypoint() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./dind": {}}, "mounts": ["source=mine,target=/var/lib/docker"]}"#,
    )]);
    with_feature(
        &mut files,
        ".devcontainer/dind",
        r#"{"name": "DinD", "containerEnv": {"DOCKER_BUILDKIT": "1", "PATH": "/opt/bin:${PATH}"},
            "privileged": true, "init": true, "capAdd": ["SYS_ADMIN"], "securityOpt": ["label=disable"],
            "entrypoint": "/usr/local/share/docker-init.sh",
            "mounts": [{"source": "dind-var-lib-docker", "target": "/var/lib/docker", "type": "volume"},
                       {"source": "/tmp", "target": "/host-tmp", "type": "bind"},
                       "source=cache,target=/cache"],
            "customizations": {"vscode": {}}}"#,
    );
    let dc = parse_files(&files);
    let feature = &dc.features[0];
    assert_eq!(feature.name, "DinD");
    assert_eq!(
        feature.container_env,
        BTreeMap::from([
            ("DOCKER_BUILDKIT".to_owned(), "1".to_owned()),
            ("PATH".to_owned(), "/opt/bin:${PATH}".to_owned()),
        ])
    );
    // The feature's volumes come first; the config's own mount of the same target wins.
    let mounts: Vec<(Option<&str>, &str)> = dc
        .mounts
        .iter()
        .map(|m| (m.source.as_deref(), m.target.as_str()))
        .collect();
    assert_eq!(
        mounts,
        [(Some("cache"), "/cache"), (Some("mine"), "/var/lib/docker")]
    );
    assert_eq!(
        unsupported_keys(&dc),
        [
            "features.\"./dind\".entrypoint",
            "features.\"./dind\".mounts[1]"
        ]
    );
    assert_eq!(
        why(&dc, "features.\"./dind\".entrypoint"),
        "the Feature's entrypoint (\"/usr/local/share/docker-init.sh\") is not run when the container starts"
    );
}

#[test]
fn bad_feature_mounts_name_the_feature_file() {
    let mut files = files(&[(CONFIG, r#"{"image": "alpine", "features": {"./x": {}}}"#)]);
    with_feature(&mut files, ".devcontainer/x", r#"{"mounts": ["source=a"]}"#);
    assert_eq!(
        files_error(&files),
        ".devcontainer/x/devcontainer-feature.json: \"mounts[0]\" has no target"
    );
}

// ---------------------------------------------------------------------------------------------
// The features' Dockerfile and context

fn context_file<'a>(context: &'a [(String, Vec<u8>, u32)], path: &str) -> (&'a str, u32) {
    match context.iter().find(|(name, _, _)| name == path) {
        Some((_, content, mode)) => (std::str::from_utf8(content).unwrap(), *mode),
        None => panic!(
            "{path} not in the context: {:?}",
            context.iter().map(|f| &f.0).collect::<Vec<_>>()
        ),
    }
}

#[test]
fn features_dockerfile_installs_each_feature_in_order() {
    let mut files =
        fixture_a(r#"{"image": "alpine", "features": {"./a": {}}, "remoteUser": "vscode"}"#);
    files.insert(
        ".devcontainer/c/devcontainer-feature.json".to_owned(),
        br#"{"name": "FeatureC", "options": {"magicNumber": {"type": "string", "default": "0"}},
             "containerEnv": {"PATH": "/c/bin:${PATH}", "QUOTE": "say \"hi\""}}"#
            .to_vec(),
    );
    files.insert(
        ".devcontainer/c/lib/helper.sh".to_owned(),
        b"echo help".to_vec(),
    );
    let dc = parse_files(&files);
    let (dockerfile, context) = features_context(&dc, &files, "sha256:0123abcd", "node");
    let lines: Vec<&str> = dockerfile.lines().collect();
    assert_eq!(lines[0], "FROM sha256:0123abcd");
    assert_eq!(lines[1], "USER root");
    assert_eq!(
        lines[2],
        "COPY --chown=root:root [\"devcontainer-features.builtin.env\", \"/tmp/dev-container-features/devcontainer-features.builtin.env\"]"
    );
    assert!(
        lines[3].starts_with("RUN echo \"_CONTAINER_USER_HOME=$("),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains("getent passwd 'node'"), "{}", lines[3]);
    assert!(
        lines[4].contains(
            "_REMOTE_USER_HOME=$( (command -v getent >/dev/null 2>&1 && getent passwd 'vscode'"
        ),
        "{}",
        lines[4]
    );
    assert_eq!(*lines.last().unwrap(), "USER node");

    let env_path = lines
        .iter()
        .position(|line| *line == "ENV PATH=\"/c/bin:${PATH}\"")
        .expect("c's containerEnv");
    assert_eq!(lines[env_path + 1], "ENV QUOTE=\"say \\\"hi\\\"\"");
    assert_eq!(
        lines[env_path + 2],
        "COPY --chown=root:root [\"c_0/\",\"/tmp/dev-container-features/c_0/\"]"
    );
    assert_eq!(
        lines[env_path + 3],
        "RUN chmod -R 0755 '/tmp/dev-container-features/c_0' \\"
    );
    assert_eq!(
        lines[env_path + 4],
        " && cd '/tmp/dev-container-features/c_0' \\"
    );
    assert_eq!(
        lines[env_path + 5],
        " && chmod +x ./devcontainer-features-install.sh \\"
    );
    assert_eq!(
        lines[env_path + 6],
        " && ./devcontainer-features-install.sh"
    );
    let copy_a = lines
        .iter()
        .position(|line| line.contains("[\"a_1/\""))
        .expect("a's COPY");
    assert!(copy_a > env_path + 6, "a installs after c");

    assert_eq!(
        context_file(&context, "devcontainer-features.builtin.env"),
        ("_CONTAINER_USER='node'\n_REMOTE_USER='vscode'\n", 0o644)
    );
    assert_eq!(
        context_file(&context, "c_0/lib/helper.sh"),
        ("echo help", 0o755)
    );
    assert_eq!(context_file(&context, "c_0/install.sh").1, 0o755);
    assert_eq!(
        context_file(&context, "c_0/devcontainer-features.env").0,
        "MAGICNUMBER=\"321\"\n"
    );
    assert_eq!(
        context_file(&context, "a_1/devcontainer-features.env").0,
        "MAGICNUMBER=\"0\"\n"
    );
    let (wrapper, mode) = context_file(&context, "a_1/devcontainer-features-install.sh");
    assert_eq!(mode, 0o755);
    assert!(wrapper.starts_with("#!/bin/sh\nset -e\n"), "{wrapper}");
    assert!(
        wrapper.contains(". ../devcontainer-features.builtin.env\n. ./devcontainer-features.env\n")
    );
    assert!(wrapper.contains("echo 'ERROR: Feature \"FeatureA\" (./a) failed to install!'"));
    assert!(wrapper.ends_with("chmod +x ./install.sh\n./install.sh\n"));
    // b is not installed, so nothing of it is in the context.
    assert!(context.iter().all(|(path, _, _)| !path.starts_with("b_")));
}

#[test]
fn features_context_users_default_to_the_image_user() {
    let mut files = files(&[(CONFIG, r#"{"image": "alpine", "features": {"./x": {}}}"#)]);
    with_feature(&mut files, ".devcontainer/x", "{}");
    let dc = parse_files(&files);
    let (dockerfile, context) = features_context(&dc, &files, "alpine:3.20", "");
    assert!(dockerfile.ends_with("\nUSER root\n"), "{dockerfile}");
    assert_eq!(
        context_file(&context, "devcontainer-features.builtin.env").0,
        "_CONTAINER_USER='root'\n_REMOTE_USER='root'\n"
    );
    let dc = parse_files(&{
        let mut files = files.clone();
        files.insert(
            CONFIG.to_owned(),
            br#"{"image": "alpine", "features": {"./x": {}}, "containerUser": "app"}"#.to_vec(),
        );
        files
    });
    let (_, context) = features_context(&dc, &files, "alpine:3.20", "root");
    assert_eq!(
        context_file(&context, "devcontainer-features.builtin.env").0,
        "_CONTAINER_USER='app'\n_REMOTE_USER='app'\n"
    );
}

#[test]
fn install_wrapper_gives_install_sh_its_options_and_builtins() {
    let mut files = files(&[(
        CONFIG,
        r#"{"image": "alpine", "features": {"./greet": {"greeting": "it's \"$HOME\" `x` \\ ok"}}}"#,
    )]);
    with_feature(
        &mut files,
        ".devcontainer/greet",
        r#"{"name": "Greet's", "options": {"greeting": {"type": "string", "default": "hey"}, "punctuation": {"type": "string", "default": "!"}}}"#,
    );
    files.insert(
        ".devcontainer/greet/install.sh".to_owned(),
        b"#!/bin/sh\nprintf '%s|%s|%s|%s\\n' \"$GREETING\" \"$PUNCTUATION\" \"$_REMOTE_USER\" \"$_REMOTE_USER_HOME\" > out.txt\n".to_vec(),
    );
    let dc = parse_files(&files);
    let (_, context) = features_context(&dc, &files, "alpine", "root");

    let root = tempfile::tempdir().unwrap();
    for (path, content, _) in &context {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
    }
    let builtin = root.path().join("devcontainer-features.builtin.env");
    let mut builtin_text = std::fs::read_to_string(&builtin).unwrap();
    builtin_text.push_str("_REMOTE_USER_HOME=/root\n");
    std::fs::write(&builtin, builtin_text).unwrap();
    let folder = root.path().join("greet_0");
    let output = std::process::Command::new("sh")
        .arg("./devcontainer-features-install.sh")
        .current_dir(&folder)
        .env("HOME", "/home/test")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("Feature       : Greet's"), "{printed}");
    assert!(printed.contains("Id            : ./greet"), "{printed}");
    let out = std::fs::read_to_string(folder.join("out.txt")).unwrap();
    // `$HOME` expands as in the CLI's unquoted env file; quotes, backquotes and backslashes
    // do not break it.
    assert_eq!(out, "it's \"/home/test\" `x` \\ ok|!|root|/root\n");
}

#[test]
fn install_wrapper_names_the_feature_when_install_fails() {
    let mut files = files(&[(CONFIG, r#"{"image": "alpine", "features": {"./bad": {}}}"#)]);
    with_feature(&mut files, ".devcontainer/bad", r#"{"name": "Bad"}"#);
    files.insert(
        ".devcontainer/bad/install.sh".to_owned(),
        b"#!/bin/sh\nexit 3\n".to_vec(),
    );
    let dc = parse_files(&files);
    let (_, context) = features_context(&dc, &files, "alpine", "root");
    let root = tempfile::tempdir().unwrap();
    for (path, content, _) in &context {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
    }
    let output = std::process::Command::new("sh")
        .arg("./devcontainer-features-install.sh")
        .current_dir(root.path().join("bad_0"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("ERROR: Feature \"Bad\" (./bad) failed to install!"),
        "{output:?}"
    );
}

#[test]
fn home_lookup_line_finds_root_home() {
    let mut files = files(&[(CONFIG, r#"{"image": "alpine", "features": {"./x": {}}}"#)]);
    with_feature(&mut files, ".devcontainer/x", "{}");
    let dc = parse_files(&files);
    let (dockerfile, _) = features_context(&dc, &files, "alpine", "root");
    let run = dockerfile
        .lines()
        .find(|line| line.starts_with("RUN echo \"_CONTAINER_USER_HOME"))
        .unwrap();
    let command = run
        .trim_start_matches("RUN ")
        .trim_end_matches(" \\")
        .replace(
            " >> /tmp/dev-container-features/devcontainer-features.builtin.env",
            "",
        );
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "_CONTAINER_USER_HOME=/root\n",
        "{command}: {output:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Content hash

fn hash_fixture() -> ConfigFiles {
    let mut files = files(&[
        (
            ".devcontainer/dev/devcontainer.json",
            r#"{"build": {"dockerfile": "Dockerfile"}, "features": {"../tools/x": {}}}"#,
        ),
        (".devcontainer/dev/Dockerfile", "FROM alpine"),
        (".devcontainer/dev/postCreate.sh", "echo hi"),
        (
            ".devcontainer/other/devcontainer.json",
            r#"{"image": "debian"}"#,
        ),
        (".devcontainer.json", r#"{"image": "debian"}"#),
    ]);
    with_feature(&mut files, ".devcontainer/tools/x", "{}");
    with_feature(&mut files, ".devcontainer/tools/unused", "{}");
    files
}

fn hash_of(files: &ConfigFiles) -> String {
    let path = ".devcontainer/dev/devcontainer.json";
    content_hash(&parse(files, path, &vars()).unwrap(), files)
}

#[test]
fn content_hash_is_stable_hex_sha256() {
    let files = hash_fixture();
    let hash = hash_of(&files);
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(hash, hash_of(&files.clone()));
}

#[test]
fn content_hash_changes_with_every_file_the_config_uses() {
    let base = hash_of(&hash_fixture());
    for path in [
        ".devcontainer/dev/Dockerfile",
        ".devcontainer/dev/postCreate.sh",
        ".devcontainer/tools/x/install.sh",
        ".devcontainer/tools/x/devcontainer-feature.json",
    ] {
        let mut files = hash_fixture();
        files
            .get_mut(path)
            .unwrap()
            .extend_from_slice(b"\n// changed");
        assert_ne!(hash_of(&files), base, "{path}");
    }
    let mut files = hash_fixture();
    files.insert(".devcontainer/tools/x/new-file".to_owned(), b"x".to_vec());
    assert_ne!(hash_of(&files), base, "a new file in a feature's folder");
}

#[test]
fn content_hash_ignores_files_the_config_does_not_use() {
    let base = hash_of(&hash_fixture());
    for path in [
        ".devcontainer/other/devcontainer.json",
        ".devcontainer.json",
        ".devcontainer/tools/unused/install.sh",
    ] {
        let mut files = hash_fixture();
        files.get_mut(path).unwrap().extend_from_slice(b" ");
        assert_eq!(hash_of(&files), base, "{path}");
    }
}

fn files_root(text: &str) -> ConfigFiles {
    files(&[
        (".devcontainer.json", text),
        (".devcontainer/unrelated", "x"),
    ])
}

#[test]
fn content_hash_of_a_root_config_ignores_the_rest_of_the_repository() {
    let hash = |files: &ConfigFiles| {
        content_hash(&parse(files, ".devcontainer.json", &vars()).unwrap(), files)
    };
    let files = files_root(r#"{"image": "alpine"}"#);
    let mut changed = files.clone();
    changed.insert(".devcontainer/unrelated".to_owned(), b"y".to_vec());
    assert_eq!(hash(&files), hash(&changed));
}

#[test]
fn content_hash_follows_substituted_variables() {
    let files = files(&[(
        ".devcontainer.json",
        r#"{"build": {"dockerfile": "Dockerfile", "args": {"U": "${localEnv:HOST_USER}"}}}"#,
    )]);
    let mut other = vars();
    other
        .local_env
        .insert("HOST_USER".to_owned(), "bo".to_owned());
    let first = content_hash(
        &parse(&files, ".devcontainer.json", &vars()).unwrap(),
        &files,
    );
    let second = content_hash(
        &parse(&files, ".devcontainer.json", &other).unwrap(),
        &files,
    );
    assert_ne!(first, second);
}

#[test]
fn content_hasher_lets_the_caller_add_inputs() {
    use sha2::Digest;
    let files = hash_fixture();
    let dc = parse(&files, ".devcontainer/dev/devcontainer.json", &vars()).unwrap();
    let plain = hex::encode(content_hasher(&dc, &files).finalize());
    assert_eq!(plain, content_hash(&dc, &files));
    let mut hasher = content_hasher(&dc, &files);
    hasher.update(b"sha256:base-image-id");
    assert_ne!(hex::encode(hasher.finalize()), plain);
}
