//! Resource limits of workspaces against the real Docker Engine: what a create asks for and the
//! defaults of config.json reach the container's HostConfig and the cgroup its processes (and
//! its inner containers) run in; bad values are refused before anything is made.

mod common;

use bollard::models::HostConfig;
use perry_api::procedures::{WorkspacesCreate, WorkspacesGet, WorkspacesList, WorkspacesStart};
use perry_api::{Workspace, WorkspaceLimits, WorkspaceStatus};
use serde_json::json;

use common::{TestAgent, TestAgentConfig, docker_objects, exec};

const MIB: i64 = 1024 * 1024;

/// The HostConfig Docker's inspect reports for a container.
async fn host_config(container: &str) -> HostConfig {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    docker
        .inspect_container(container, None)
        .await
        .unwrap()
        .host_config
        .expect("inspect has a HostConfig")
}

/// The limits of the cgroup the workspace's processes run in, read inside it:
/// (pids, memory bytes, memory+swap bytes, CPU quota per period), `None` where unlimited.
async fn cgroup_limits(container: &str) -> (Option<i64>, Option<i64>, Option<i64>, Option<f64>) {
    // cgroup v2: one hierarchy; v1: one per controller. Both are mounted at the container's
    // own cgroup (the entrypoint keeps it so on v1 when it makes them writable).
    let script = r#"
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  echo "v2"
  cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max
  swap=$(cat /sys/fs/cgroup/memory.swap.max 2>/dev/null || echo 0)
  memory=$(cat /sys/fs/cgroup/memory.max)
  if [ "$memory" = max ]; then echo max; elif [ "$swap" = max ]; then echo max; else echo $((memory + swap)); fi
  cat /sys/fs/cgroup/cpu.max
  echo "in use: $(cat /sys/fs/cgroup/pids.current) tasks, $(( $(cat /sys/fs/cgroup/memory.current) >> 20 )) MiB"
else
  echo "v1"
  cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes
  cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
  echo "in use: $(cat /sys/fs/cgroup/pids/pids.current) tasks, $(( $(cat /sys/fs/cgroup/memory/memory.usage_in_bytes) >> 20 )) MiB"
fi"#;
    let (code, output) = exec(container, "root", script).await;
    assert_eq!(code, 0, "reading the cgroup failed: {output}");
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    assert_eq!(lines.len(), 6, "{output}");
    // v1 spells "no limit" as a huge number (a page-rounded i64::MAX), v2 as "max".
    let limit = |text: &str| -> Option<i64> {
        let value: i64 = text.parse().ok()?;
        (value < 1 << 62).then_some(value)
    };
    let cpu = {
        let (quota, period) = lines[4].split_once(' ').expect("quota and period");
        match (quota.parse::<f64>(), period.parse::<f64>()) {
            (Ok(quota), Ok(period)) if quota > 0.0 => Some(quota / period),
            _ => None,
        }
    };
    println!("{container}: cgroup {} {lines:?}", lines[0]);
    (limit(lines[1]), limit(lines[2]), limit(lines[3]), cpu)
}

/// Forks as many processes as it can (up to `tries`) as user `workspace`, in the workspace
/// itself or, with `inner`, in a container of the workspace's own Docker daemon; returns how
/// many it could start, and stops them. Perl is in every Debian image, and unlike a shell it
/// neither retries nor exits when a fork fails.
async fn processes_that_fit(container: &str, tries: u32, inner: bool) -> u32 {
    let run = if inner {
        format!(
            "docker run --rm -v /tmp/forks.pl:/forks.pl:ro debian:bookworm perl /forks.pl {tries}"
        )
    } else {
        format!("perl /tmp/forks.pl {tries}")
    };
    let script = format!(
        r#"cat > /tmp/forks.pl <<'PERL'
my @children;
for (1 .. $ARGV[0]) {{
    my $pid = fork;
    last unless defined $pid;
    if ($pid == 0) {{ sleep 120; exit 0 }}
    push @children, $pid;
}}
print "started=", scalar(@children), "\n";
kill 'KILL', @children;
waitpid($_, 0) for @children;
PERL
{run}"#
    );
    let (_, output) = exec(container, "workspace", &script).await;
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix("started="))
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count from the fork loop: {output}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_given_at_create_reach_docker_and_the_cgroup_and_come_back_on_recreate() {
    let agent = TestAgent::start("limits").await;
    let container = agent.container("capped");
    let asked = WorkspaceLimits {
        cpus: Some(1.5),
        memory_mb: Some(1024),
        pids: Some(512),
    };

    let created: Workspace = agent
        .ok::<WorkspacesCreate>(
            json!({"name": "capped", "limits": {"cpus": 1.5, "memoryMb": 1024, "pids": 512}}),
        )
        .await;
    assert_eq!(created.status, WorkspaceStatus::Running, "{created:?}");
    assert_eq!(created.limits, Some(asked));
    let got: Workspace = agent.ok::<WorkspacesGet>(json!({"name": "capped"})).await;
    assert_eq!(got.limits, Some(asked), "workspaces.get shows them");
    let listed: Vec<Workspace> = agent.ok::<WorkspacesList>(json!({})).await;
    assert_eq!(listed[0].limits, Some(asked), "workspaces.list shows them");

    let config = host_config(&container).await;
    assert_eq!(config.nano_cpus, Some(1_500_000_000));
    assert_eq!(config.memory, Some(1024 * MIB));
    assert_eq!(
        config.memory_swap,
        Some(1024 * MIB),
        "swap must not stretch the memory limit"
    );
    assert_eq!(config.pids_limit, Some(512));
    let (pids, memory, memory_and_swap, cpus) = cgroup_limits(&container).await;
    assert_eq!(pids, Some(512));
    assert_eq!(memory, Some(1024 * MIB));
    assert_eq!(memory_and_swap, Some(1024 * MIB));
    assert_eq!(cpus, Some(1.5));

    // A fork bomb stops at the limit, in the workspace and in its inner containers alike (they
    // live below its cgroup), and the workspace still answers afterwards.
    let outside = processes_that_fit(&container, 2000, false).await;
    assert!(
        (100..512).contains(&outside),
        "the workspace started {outside} processes under a limit of 512"
    );
    common::load_image_inside(&container, "debian:bookworm").await;
    let inside = processes_that_fit(&container, 2000, true).await;
    assert!(
        (1..512).contains(&inside),
        "an inner container started {inside} processes under the workspace's limit of 512"
    );
    println!(
        "forks that fit under pids 512: {outside} in the workspace, {inside} in an inner container"
    );
    let (code, output) = exec(&container, "workspace", "echo still-here").await;
    assert_eq!((code, output.trim()), (0, "still-here"));

    // A container removed behind Perry's back comes back with the same limits.
    use perry_agent::engine::Engine as _;
    perry_agent::engine::docker::Docker::new()
        .remove_container(&container)
        .await
        .unwrap();
    let started: Workspace = agent.ok::<WorkspacesStart>(json!({"name": "capped"})).await;
    assert_eq!(started.status, WorkspaceStatus::Running, "{started:?}");
    assert_eq!(started.limits, Some(asked));
    let config = host_config(&container).await;
    assert_eq!(
        (
            config.nano_cpus,
            config.memory,
            config.memory_swap,
            config.pids_limit
        ),
        (
            Some(1_500_000_000),
            Some(1024 * MIB),
            Some(1024 * MIB),
            Some(512)
        ),
        "the recreated container has the limits again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_defaults_apply_field_by_field_and_zero_lifts_one() {
    let mut extra = serde_json::Map::new();
    extra.insert("limits".to_owned(), json!({"memoryMb": 2048}));
    let agent = TestAgent::start_with(
        "limdef",
        TestAgentConfig {
            extra,
            ..Default::default()
        },
    )
    .await;

    let (plain, unpinned) = tokio::join!(
        agent.call("workspaces/create", json!({"name": "plain"})),
        agent.call(
            "workspaces/create",
            json!({"name": "unpinned", "limits": {"pids": 0, "cpus": 1}})
        ),
    );
    assert_eq!(plain.0, 200, "{}", plain.1);
    assert_eq!(unpinned.0, 200, "{}", unpinned.1);
    // config.json's memory, Perry's own pids default.
    assert_eq!(plain.1["limits"], json!({"memoryMb": 2048, "pids": 8192}));
    // The create's cpus, config.json's memory, no pids limit.
    assert_eq!(unpinned.1["limits"], json!({"cpus": 1.0, "memoryMb": 2048}));

    let config = host_config(&agent.container("plain")).await;
    assert_eq!(config.pids_limit, Some(8192));
    assert_eq!(config.memory, Some(2048 * MIB));
    assert_eq!(config.memory_swap, Some(2048 * MIB));
    assert!(
        config.nano_cpus.unwrap_or(0) == 0,
        "no CPU limit by default: {:?}",
        config.nano_cpus
    );
    let (pids, memory, _, cpus) = cgroup_limits(&agent.container("plain")).await;
    assert_eq!((pids, memory, cpus), (Some(8192), Some(2048 * MIB), None));

    let config = host_config(&agent.container("unpinned")).await;
    assert!(
        config.pids_limit.unwrap_or(0) <= 0,
        "pids 0 lifts the default: {:?}",
        config.pids_limit
    );
    assert_eq!(config.nano_cpus, Some(1_000_000_000));
    let (pids, memory, _, cpus) = cgroup_limits(&agent.container("unpinned")).await;
    assert_eq!((pids, memory, cpus), (None, Some(2048 * MIB), Some(1.0)));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_limits_are_bad_requests_that_say_why_and_leave_nothing_behind() {
    let agent = TestAgent::start("limbad").await;
    for (limits, expected) in [
        (json!({"cpus": 0.05}), "cpus must be at least 0.1"),
        (json!({"cpus": -2}), "cpus must be at least 0.1"),
        (json!({"cpus": 4096}), "CPUs of the Docker host"),
        (json!({"memoryMb": 100}), "memoryMb must be at least 512"),
        (
            json!({"memoryMb": 4_000_000_000u32}),
            "MiB of memory of the Docker host",
        ),
        (json!({"pids": 10}), "pids must be at least 256"),
    ] {
        let (status, error) = agent
            .call(
                "workspaces/create",
                json!({"name": "bad", "limits": limits.clone()}),
            )
            .await;
        assert_eq!(status, 400, "{limits}: {error}");
        assert_eq!(error["code"], "BAD_REQUEST");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{limits}: {message}");
    }
    for (limits, expected) in [
        (json!({"memory": 1024}), "unknown field `memory`"),
        (json!({"pids": -1}), "invalid value"),
        (json!({"memoryMb": "4g"}), "invalid type"),
    ] {
        let (status, error) = agent
            .call(
                "workspaces/create",
                json!({"name": "bad", "limits": limits}),
            )
            .await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error["message"], "Input validation failed");
        let issue = error["data"]["issues"][0]["message"].as_str().unwrap();
        assert!(issue.contains(expected), "{issue}");
    }
    let listed = agent.ok::<WorkspacesList>(json!({})).await;
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(docker_objects(&agent.prefix).await, (vec![], vec![]));
    assert_eq!(agent.agent.workspaces.count(), 0, "no record is left");
}

#[tokio::test(flavor = "multi_thread")]
async fn defaults_that_do_not_fit_the_host_are_refused_naming_config_json() {
    let mut extra = serde_json::Map::new();
    extra.insert("limits".to_owned(), json!({"cpus": 4096}));
    let agent = TestAgent::start_with(
        "limhost",
        TestAgentConfig {
            extra,
            ..Default::default()
        },
    )
    .await;
    let (status, error) = agent
        .call("workspaces/create", json!({"name": "big"}))
        .await;
    assert_eq!(status, 400, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("default limits") && message.contains("config.json"),
        "{message}"
    );
    assert_eq!(docker_objects(&agent.prefix).await, (vec![], vec![]));
}
