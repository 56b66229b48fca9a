//! `workspaces.clone` against the real Docker Engine: the copy has the source's home and inner
//! images, goes its own way after, the source is put back as it was, and bad clones change
//! nothing.

mod common;

use std::time::{Duration, Instant};

use common::{TestAgent, docker_objects, exec};
use perry_api::procedures::{WorkspacesClone, WorkspacesCreate, WorkspacesGet, WorkspacesStop};
use perry_api::{Workspace, WorkspaceStatus};
use serde_json::json;

/// Puts a file, a private file, a symlink and an inner image (imported from a tar: there is no
/// registry) into a workspace.
const SEED: &str = "echo from-original > ~/data.txt \
    && head -c 1048576 /dev/urandom > ~/random.bin \
    && echo secret > ~/private.txt && chmod 600 ~/private.txt \
    && ln -s data.txt ~/link \
    && tar -C /etc -cf - hostname | sudo docker import - perry-clone-test:1 >/dev/null";

/// What a workspace holds of [`SEED`], one fact per line.
const FACTS: &str = "cat ~/data.txt; sha256sum ~/random.bin | cut -c1-16; \
    stat -c '%U %a' ~/private.txt; readlink ~/link; \
    sudo docker image inspect -f '{{.RepoTags}}' perry-clone-test:1";

async fn facts(container: &str) -> String {
    let (code, output) = exec(container, "workspace", FACTS).await;
    assert_eq!(code, 0, "{output}");
    output
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clone_has_the_sources_home_and_inner_images_and_goes_its_own_way() {
    let agent = TestAgent::start("clone").await;
    let original: Workspace = agent
        .ok::<WorkspacesCreate>(json!({"name": "original", "limits": {"pids": 4096}}))
        .await;
    let (code, output) = exec(&agent.container("original"), "workspace", SEED).await;
    assert_eq!(code, 0, "{output}");
    let seeded = facts(&agent.container("original")).await;
    assert!(seeded.contains("[perry-clone-test:1]"), "{seeded}");

    // The clone runs while the test watches its progress on the list, as clients do.
    let clone = {
        let url = agent.url.clone();
        let token = agent.token.clone();
        tokio::spawn(async move {
            perry_test_support::call::<WorkspacesClone>(
                &reqwest::Client::new(),
                &url,
                &token,
                &json!({"source": "original", "name": "copy"}),
            )
            .await
        })
    };
    let mut steps = Vec::new();
    while !clone.is_finished() {
        let (status, listed) = agent.call("workspaces/list", json!({})).await;
        assert_eq!(status, 200);
        let list: Vec<Workspace> = serde_json::from_value(listed).unwrap();
        if let Some(progress) = list
            .iter()
            .find(|workspace| workspace.name == "copy")
            .and_then(|workspace| workspace.progress.clone())
            && steps.last() != Some(&progress.step)
        {
            steps.push(progress.step);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let copy = clone.await.unwrap().expect("the clone succeeds");
    assert_eq!(copy.status, WorkspaceStatus::Running);
    assert!(copy.progress.is_none(), "{copy:?}");
    assert_ne!(copy.ports.ssh, original.ports.ssh);
    assert_eq!(copy.limits, original.limits);
    assert!(
        steps.iter().any(|step| step == "copying") && steps.last().unwrap() == "starting",
        "progress seen: {steps:?}"
    );

    // The source was paused for the copy and runs again.
    let source: Workspace = agent.ok::<WorkspacesGet>(json!({"name": "original"})).await;
    assert_eq!(source.status, WorkspaceStatus::Running);
    assert_eq!(facts(&agent.container("original")).await, seeded);
    assert_eq!(facts(&agent.container("copy")).await, seeded);

    // Each goes its own way.
    let (code, output) = exec(
        &agent.container("copy"),
        "workspace",
        "echo from-copy > ~/data.txt && sudo docker rmi perry-clone-test:1 >/dev/null",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let (code, output) = exec(
        &agent.container("original"),
        "workspace",
        "echo only-original > ~/new.txt",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(facts(&agent.container("original")).await, seeded);
    let (_, copy_now) = exec(
        &agent.container("copy"),
        "workspace",
        "cat ~/data.txt; test -e ~/new.txt && echo has-new; sudo docker images -q perry-clone-test | wc -l",
    )
    .await;
    assert_eq!(
        copy_now.split_whitespace().collect::<Vec<_>>(),
        ["from-copy", "0"]
    );

    // A stopped source is copied as it is and stays stopped.
    agent
        .ok::<WorkspacesStop>(json!({"name": "original"}))
        .await;
    let second: Workspace = agent
        .ok::<WorkspacesClone>(json!({"source": "original", "name": "second"}))
        .await;
    assert_eq!(second.status, WorkspaceStatus::Running);
    let (_, second_has) = exec(&agent.container("second"), "workspace", "cat ~/new.txt").await;
    assert_eq!(second_has.trim(), "only-original");
    let source: Workspace = agent.ok::<WorkspacesGet>(json!({"name": "original"})).await;
    assert_eq!(source.status, WorkspaceStatus::Stopped);

    // Deleting the source leaves the copies whole.
    let (status, body) = agent
        .call("workspaces/delete", json!({"name": "original"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, still) = exec(&agent.container("copy"), "workspace", "cat ~/data.txt").await;
    assert_eq!(still.trim(), "from-copy");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_clones_get_a_clear_error_and_change_nothing() {
    let agent = TestAgent::start("badclone").await;
    agent.ok::<WorkspacesCreate>(json!({"name": "there"})).await;
    agent.ok::<WorkspacesCreate>(json!({"name": "taken"})).await;
    let state_file = agent.dir.path().join("state.json");
    let before_state = std::fs::read_to_string(&state_file).unwrap();
    let before_objects = docker_objects(&agent.prefix).await;
    // A volume someone left under the clone's name is theirs: the clone stops before copying
    // onto it, and leaves it.
    let stray = format!("{}stray-home", agent.prefix);
    let docker = perry_agent::engine::docker::Docker::new();
    use perry_agent::engine::Engine;
    docker
        .create_volume(
            &stray,
            std::collections::HashMap::from([(
                perry_agent::engine::PREFIX_LABEL.to_owned(),
                "someone-else".to_owned(),
            )]),
        )
        .await
        .unwrap();
    for (input, status, said) in [
        (
            json!({"source": "there", "name": "taken"}),
            409,
            "already exists",
        ),
        (
            json!({"source": "there", "name": "there"}),
            409,
            "already exists",
        ),
        (
            json!({"source": "nowhere", "name": "fresh"}),
            404,
            "nowhere",
        ),
        (
            json!({"source": "there", "name": "Bad_Name"}),
            400,
            "lowercase",
        ),
        (json!({"source": "../x", "name": "fresh"}), 400, "source"),
        (json!({"source": "there"}), 400, "name"),
        (
            json!({"source": "there", "name": "stray"}),
            409,
            "exists already",
        ),
    ] {
        let (got, body) = agent.call("workspaces/clone", input.clone()).await;
        assert_eq!(got, status, "{input}: {body}");
        assert!(
            body.to_string().contains(said),
            "{input}: {body} should say {said:?}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while docker_objects(&agent.prefix).await != before_objects && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(docker_objects(&agent.prefix).await, before_objects);
    assert_eq!(std::fs::read_to_string(&state_file).unwrap(), before_state);
    assert!(docker.volume_exists(&stray).await.unwrap());
    docker.remove_volume(&stray).await.unwrap();
}
