//! Workspaces made from a repository's devcontainer.json, against the real Docker Engine: the
//! repositories are the fixtures in `tests/fixtures/devcontainer/`, served by a git daemon on
//! this host and cloned by `workspaces.create` as a person's `perry start --clone` does.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{TestAgent, docker_objects, exec};
use perry_api::procedures::{
    WorkspacesCreate, WorkspacesGet, WorkspacesLogs, WorkspacesRebuild, WorkspacesStart,
    WorkspacesStop,
};
use perry_api::{LogsOutput, Workspace, WorkspaceStatus};
use perry_test_support::git::GitServer;
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/devcontainer")
        .join(name)
}

fn serve(names: &[&str]) -> GitServer {
    let dirs: Vec<(&str, PathBuf)> = names.iter().map(|name| (*name, fixture(name))).collect();
    let repositories: Vec<(&str, &std::path::Path)> = dirs
        .iter()
        .map(|(name, dir)| (*name, dir.as_path()))
        .collect();
    GitServer::serve(&repositories)
}

/// The workspace once every lifecycle command and post-start script of its last start ended.
async fn after_hooks(agent: &TestAgent, name: &str) -> Workspace {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let workspace: Workspace = agent.ok::<WorkspacesGet>(json!({"name": name})).await;
        let runs = workspace.post_start.clone().unwrap_or_default();
        if !runs.is_empty() && runs.iter().all(|run| run.finished) {
            return workspace;
        }
        assert!(
            Instant::now() < deadline,
            "the lifecycle commands did not end: {workspace:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// [`after_hooks`], and every lifecycle command and script of that start succeeded.
async fn after_hooks_succeeded(agent: &TestAgent, name: &str) -> Workspace {
    let workspace = after_hooks(agent, name).await;
    assert!(
        workspace
            .post_start
            .iter()
            .flatten()
            .all(|run| run.error.is_none()),
        "{workspace:?}"
    );
    workspace
}

/// Creates a workspace (`input`: the create's) that must come up running.
async fn create_running(agent: &TestAgent, input: Value) -> Workspace {
    let created: Workspace = agent.ok::<WorkspacesCreate>(input).await;
    assert_eq!(created.status, WorkspaceStatus::Running, "{created:?}");
    created
}

async fn build_log(agent: &TestAgent, name: &str) -> String {
    let logs: LogsOutput = agent
        .ok::<WorkspacesLogs>(json!({"name": name, "build": true, "tail": 10000}))
        .await;
    assert!(logs.lines.iter().all(|line| line.stream == "build"));
    logs.lines
        .into_iter()
        .map(|line| line.text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Docker's container creations from now on, by name, as they happen (a subscription: the
/// daemon keeps too few past events for a query afterwards on a busy host).
struct CreatedContainers {
    names: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    watch: tokio::task::JoinHandle<()>,
}

impl CreatedContainers {
    async fn watch() -> CreatedContainers {
        use futures_util::StreamExt as _;
        let names = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = names.clone();
        let docker = bollard::Docker::connect_with_defaults().unwrap();
        let options = bollard::query_parameters::EventsOptionsBuilder::new()
            .filters(&std::collections::HashMap::from([
                ("type", vec!["container"]),
                ("event", vec!["create"]),
            ]))
            .build();
        let (subscribed, ready) = tokio::sync::oneshot::channel();
        let watch = tokio::spawn(async move {
            let mut events = docker.events(Some(options));
            // The request is made at the first poll: say so once it was sent.
            let first = futures_util::FutureExt::now_or_never(events.next());
            let _ = subscribed.send(());
            let record = |event: bollard::models::EventMessage| {
                if let Some(name) = event
                    .actor
                    .and_then(|actor| actor.attributes)
                    .and_then(|mut attributes| attributes.remove("name"))
                {
                    seen.lock().unwrap().push(name);
                }
            };
            if let Some(Some(Ok(event))) = first {
                record(event);
            }
            while let Some(Ok(event)) = events.next().await {
                record(event);
            }
        });
        ready.await.unwrap();
        // Give the daemon a moment to register the subscription.
        tokio::time::sleep(Duration::from_millis(300)).await;
        CreatedContainers { names, watch }
    }

    /// How often a container named `name` was created so far.
    async fn count(&self, name: &str) -> usize {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let names = self.names.lock().unwrap();
        names.iter().filter(|created| *created == name).count()
    }
}

impl Drop for CreatedContainers {
    fn drop(&mut self) {
        self.watch.abort();
    }
}

fn run_names(workspace: &Workspace) -> Vec<String> {
    workspace
        .post_start
        .iter()
        .flatten()
        .map(|run| run.name.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_on_a_bare_debian_image_becomes_a_perry_workspace() {
    let agent = TestAgent::start("devc-plain").await;
    let git = serve(&["plain-debian"]);
    let url = git.url("plain-debian");
    let creations = CreatedContainers::watch().await;
    let created = create_running(&agent, json!({"name": "plain", "clone": url})).await;
    // The repository was cloned by a task of its own: the workspace's container was made once,
    // from the built image.
    assert_eq!(creations.count(&agent.container("plain")).await, 1);
    assert_eq!(
        creations
            .count(&format!("{}.checkout", agent.container("plain")))
            .await,
        1
    );
    drop(creations);
    assert!(
        created.image.starts_with("perry-devcontainer:"),
        "{created:?}"
    );
    assert_eq!(
        created.devcontainer.as_deref(),
        Some(".devcontainer/devcontainer.json")
    );
    // customizations.perry.limits, where the create asked for none.
    let limits = created.limits.unwrap();
    assert_eq!((limits.cpus, limits.memory_mb), (Some(1.5), Some(2048)));
    let container = agent.container("plain");

    // Every lifecycle form ran, in the spec's order, as the workspace user in the repository,
    // with remoteEnv and ${containerEnv:…} from containerEnv.
    let workspace = after_hooks_succeeded(&agent, "plain").await;
    assert_eq!(
        run_names(&workspace),
        [
            "onCreateCommand",
            "updateContentCommand",
            "postCreateCommand",
            "postStartCommand",
            "postAttachCommand"
        ]
    );
    let (code, hooks) = exec(&container, "workspace", "cat /tmp/hooks.log /tmp/greeting").await;
    assert_eq!(code, 0, "{hooks}");
    let lines: Vec<&str> = hooks.lines().collect();
    assert_eq!(lines[..2], ["on-create", "update-content"], "{hooks}");
    let mut parallel = lines[2..4].to_vec();
    parallel.sort();
    assert_eq!(parallel, ["post-create-one", "post-create-two"], "{hooks}");
    assert_eq!(
        lines[4..],
        [
            "post-start",
            "post-attach",
            "hello from plain in /home/workspace/plain-debian as workspace"
        ],
        "{hooks}"
    );

    // What makes it a Perry workspace, on an image that had none of it.
    let (code, tools) = exec(
        &container,
        "workspace",
        "sudo -n true && docker version --format '{{.Server.Version}}' >/dev/null \
         && claude --version && codex --version && echo tools-ok",
    )
    .await;
    assert_eq!(code, 0, "{tools}");
    assert!(tools.contains("tools-ok"), "{tools}");

    // forwardPorts: reachable from the host.
    assert!(
        workspace
            .ports
            .forwards
            .iter()
            .any(|forward| forward.workspace_port == 8000),
        "{workspace:?}"
    );
    let (code, output) = exec(
        &container,
        "workspace",
        // The image has no Python: a one-request-at-a-time HTTP server in Perl (perl-base is in
        // every Debian) serving the repository's index.html.
        "cd ~/plain-debian && (setsid perl -MIO::Socket::INET -e '\
           $s = IO::Socket::INET->new(LocalPort => 8000, Listen => 5, ReuseAddr => 1) or die; \
           while ($c = $s->accept) { <$c>; open my $f, \"<\", \"index.html\"; \
             print $c \"HTTP/1.0 200 OK\\r\\n\\r\\n\", <$f>; close $c }' \
           >/dev/null 2>&1 &); \
         for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null && exit 0; sleep 0.1; done; exit 1",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let host_port = workspace
        .ports
        .forwards
        .iter()
        .find(|forward| forward.workspace_port == 8000)
        .unwrap()
        .host_port;
    assert_eq!(
        workspace.ports.labels.get(&8000).map(String::as_str),
        Some("web")
    );
    let listed: Vec<perry_api::PortForwardStatus> = agent
        .ok::<perry_api::procedures::PortsList>(json!({"workspaceName": "plain"}))
        .await;
    assert_eq!(listed[0].label.as_deref(), Some("web"), "{listed:?}");
    let page = reqwest::get(format!("http://127.0.0.1:{host_port}/index.html"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, "served by the workspace\n");

    // The build log names every key Perry leaves out.
    let log = build_log(&agent, "plain").await;
    assert!(log.contains("\"runArgs\" is not supported"), "{log}");

    // mounts: the named volume is shared by the workspaces that name it, the anonymous one is
    // the workspace's own.
    let (code, output) = exec(
        &container,
        "root",
        "echo shared > /var/cache/plain/mark && echo mine > /scratch/mark && echo ok",
    )
    .await;
    assert_eq!((code, output.trim()), (0, "ok"));
    let (_, volumes) = docker_objects(&agent.prefix).await;
    assert!(
        volumes.contains(&format!("{}mount-plain-cache", agent.prefix))
            && volumes.contains(&format!("{container}-mount-1")),
        "{volumes:?}"
    );

    // A second workspace of the same config takes the built image.
    let second: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": "plain-two", "clone": url}))
        .await;
    assert_eq!(second.image, created.image);
    assert!(
        build_log(&agent, "plain-two")
            .await
            .contains("built already"),
        "the second build should be a cache hit"
    );

    // A start after a stop runs postStart and postAttach again, not the creation commands.
    agent.ok::<WorkspacesStop>(json!({"name": "plain"})).await;
    agent.ok::<WorkspacesStart>(json!({"name": "plain"})).await;
    let restarted = after_hooks(&agent, "plain").await;
    assert_eq!(
        run_names(&restarted),
        ["postStartCommand", "postAttachCommand"]
    );

    // A rebuild keeps the home volume and runs the creation commands again.
    let (code, output) = exec(&container, "workspace", "echo kept > ~/keep.txt").await;
    assert_eq!(code, 0, "{output}");
    let rebuilt: Workspace = agent
        .ok::<WorkspacesRebuild>(json!({"name": "plain"}))
        .await;
    assert_eq!(rebuilt.status, WorkspaceStatus::Running, "{rebuilt:?}");
    let rebuilt = after_hooks(&agent, "plain").await;
    assert_eq!(run_names(&rebuilt)[0], "onCreateCommand");
    let (code, kept) = exec(&container, "workspace", "cat ~/keep.txt").await;
    assert_eq!((code, kept.trim()), (0, "kept"));
}

/// The image's own user, named by its devcontainer.metadata (remoteUser), is the workspace user.
#[tokio::test(flavor = "multi_thread")]
async fn the_images_own_user_is_the_workspace_user_with_its_home() {
    let agent = TestAgent::start("devc-user").await;
    let git = serve(&["remote-user"]);
    create_running(
        &agent,
        json!({"name": "mine", "clone": git.url("remote-user")}),
    )
    .await;
    after_hooks_succeeded(&agent, "mine").await;
    let container = agent.container("mine");
    // What terminals, SSH, sync and the lifecycle commands run as is vscode's account: its
    // name, its uid (1001 in the image, 1000 now, as Perry's files are made: its directory
    // outside the home followed), the image's files of its home and what a feature put there;
    // the old home links to the home volume, the clone is its, sudo and the inner Docker work.
    let (code, facts) = exec(
        &container,
        "workspace",
        "id -un; id -u; echo $HOME; cat ~/.project-marker ~/.home-tool; readlink -f /home/vscode; \
         stat -c %U ~/remote-user/README; cat /opt/tool/created-by; sudo -n id -un; \
         docker version --format '{{.Server.Os}}'",
    )
    .await;
    assert_eq!(code, 0, "{facts}");
    assert_eq!(
        facts.lines().collect::<Vec<_>>(),
        [
            "vscode",
            "1000",
            "/home/workspace",
            "from the image",
            "installed for vscode",
            "/home/workspace",
            "vscode",
            "vscode",
            "/home/workspace/remote-user",
            "root",
            "linux"
        ]
    );
    let log = build_log(&agent, "mine").await;
    assert!(
        log.contains("the workspace user is vscode's account"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dockerfile_with_args_and_a_target_and_a_local_feature_with_options() {
    let agent = TestAgent::start("devc-build").await;
    let git = serve(&["dockerfile-features"]);
    let url = git.url("dockerfile-features");
    create_running(&agent, json!({"name": "built", "clone": url})).await;
    after_hooks_succeeded(&agent, "built").await;
    let (code, facts) = exec(&agent.container("built"), "workspace", "cat /tmp/facts").await;
    assert_eq!(code, 0, "{facts}");
    assert_eq!(
        facts.lines().collect::<Vec<_>>(),
        [
            "hi from build.args",
            "dev",
            "from the build context",
            "bonjour from a feature, for workspace",
            "installed"
        ]
    );
    let log = build_log(&agent, "built").await;
    assert!(
        log.contains("\"somethingPerryDoesNotKnow\" is not supported"),
        "{log}"
    );
    // The context as `docker build` sends it: what its .dockerignore leaves out is not in the
    // image, a symbolic link is one.
    let (code, copied) = exec(
        &agent.container("built"),
        "workspace",
        "cd /opt/context && find . ! -type d ! -path './.devcontainer/*' | sort \
         && readlink current.txt",
    )
    .await;
    assert_eq!(code, 0, "{copied}");
    assert_eq!(
        copied.lines().collect::<Vec<_>>(),
        [
            "./.dockerignore",
            "./app.txt",
            "./current.txt",
            "./notes/keep.md",
            "app.txt"
        ],
        "{log}"
    );
    assert!(
        log.contains("perry: .dockerignore leaves 3 of the context's"),
        "{log}"
    );

    // --devcontainer picks .devcontainer/<name>/devcontainer.json.
    let other: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": "other", "clone": url, "devcontainer": "other"}))
        .await;
    assert_eq!(
        other.devcontainer.as_deref(),
        Some(".devcontainer/other/devcontainer.json")
    );
    after_hooks(&agent, "other").await;
    let (code, which) = exec(
        &agent.container("other"),
        "workspace",
        "cat /tmp/which-config",
    )
    .await;
    assert_eq!((code, which.trim()), (0, "other"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_images_devcontainer_metadata_is_merged_with_the_config() {
    let agent = TestAgent::start("devc-meta").await;
    let git = serve(&["image-metadata"]);
    let url = git.url("image-metadata");
    create_running(&agent, json!({"name": "meta", "clone": url})).await;
    let workspace = after_hooks_succeeded(&agent, "meta").await;
    // The image's entries first (a feature's, then its own), the config's after them.
    let expected_runs = [
        "postCreateCommand of Feature 'example-feature'",
        "postCreateCommand",
        "postStartCommand of image metadata",
    ];
    assert_eq!(run_names(&workspace), expected_runs);
    let container = agent.container("meta");
    let (code, facts) = exec(
        &container,
        "workspace",
        "cat /tmp/meta-feature /tmp/meta-config /tmp/meta-start",
    )
    .await;
    assert_eq!(code, 0, "{facts}");
    // remoteEnv of the image; the config's SHARED wins.
    assert_eq!(
        facts.lines().collect::<Vec<_>>(),
        [
            "from-the-feature",
            "image config workspace",
            "from-the-image"
        ]
    );
    // forwardPorts with its label.
    assert!(
        workspace
            .ports
            .forwards
            .iter()
            .any(|forward| forward.workspace_port == 7000),
        "{workspace:?}"
    );
    assert_eq!(
        workspace.ports.labels.get(&7000).map(String::as_str),
        Some("docs")
    );
    let log = build_log(&agent, "meta").await;
    assert!(
        log.contains("\"devcontainer.metadata[1].entrypoint\" is not supported"),
        "{log}"
    );
    // This image (made from the agent's) has a user workspace of its own, which Perry's layer
    // keeps: node stays a user apart, and the log does not say otherwise. (`remote-user` has an
    // image whose metadata's remoteUser becomes the workspace user.)
    assert!(!log.contains("node's account"), "{log}");

    // A second workspace takes the built image, and with it what the metadata said.
    create_running(&agent, json!({"name": "again", "clone": url})).await;
    assert!(
        build_log(&agent, "again")
            .await
            .contains("is built already"),
        "a cache hit"
    );
    let again = after_hooks_succeeded(&agent, "again").await;
    assert_eq!(run_names(&again), expected_runs);
    assert_eq!(
        again.ports.labels.get(&7000).map(String::as_str),
        Some("docs")
    );
}

/// Creates `name` from `url` (with `extra` input) expecting a refusal: its code and message.
async fn refused(agent: &TestAgent, name: &str, url: &str, extra: Value) -> (String, String) {
    let mut input = json!({"name": name, "clone": url});
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, body) = agent.call("workspaces/create", input).await;
    assert_ne!(status, 200, "{body}");
    (
        body["code"].as_str().unwrap_or_default().to_owned(),
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn configs_perry_cannot_build_are_refused_clearly_and_leave_nothing_behind() {
    let agent = TestAgent::start("devc-bad").await;
    let git = serve(&[
        "broken-dockerfile",
        "registry-feature",
        "compose",
        "dockerfile-features",
    ]);

    let (code, message) = refused(&agent, "broken", &git.url("broken-dockerfile"), json!({})).await;
    assert_eq!(code, "UNPROCESSABLE_CONTENT", "{message}");
    assert!(message.contains("42"), "the build's own error: {message}");
    assert!(
        message.contains("about to fail on purpose"),
        "the build's last lines: {message}"
    );

    let (code, message) =
        refused(&agent, "registry", &git.url("registry-feature"), json!({})).await;
    assert_eq!(code, "UNPROCESSABLE_CONTENT", "{message}");
    assert!(
        message.contains("ghcr.io/devcontainers/features/node:1"),
        "{message}"
    );

    let (code, message) = refused(&agent, "compose", &git.url("compose"), json!({})).await;
    assert_eq!(code, "UNPROCESSABLE_CONTENT", "{message}");
    assert!(message.contains("dockerComposeFile"), "{message}");

    let (code, message) = refused(
        &agent,
        "unnamed",
        &git.url("dockerfile-features"),
        json!({"devcontainer": "nope"}),
    )
    .await;
    assert_eq!(code, "UNPROCESSABLE_CONTENT", "{message}");
    assert!(message.contains("other"), "the names there are: {message}");

    let listed: Vec<Workspace> = agent
        .ok::<perry_api::procedures::WorkspacesList>(json!({}))
        .await;
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(
        docker_objects(&agent.prefix).await,
        (Vec::new(), Vec::new()),
        "a refused create leaves no container and no volume"
    );
}
