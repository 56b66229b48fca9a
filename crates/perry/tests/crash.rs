//! The agent is SIGKILLed at random moments, hundreds of times, while clients create and delete
//! workspaces. After every restart state.json parses, Docker and the agent agree, SSH ports stay
//! unique, and no acknowledged workspace is lost; interrupted creates can be deleted, and at the
//! end nothing of the agent's is left in Docker.
//!
//! `PERRY_LONG_TESTS=1` runs a longer variant with more kills.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{Docker, PREFIX_LABEL, WORKSPACE_LABEL};
use perry_api::Workspace;
use serde_json::{Value, json};

use common::AgentProcess;

/// Client threads creating and deleting at once: each create starts a Docker-in-Docker
/// workspace, and this machine has two cores.
const CLIENTS: usize = 3;
/// Workspaces a client keeps before it deletes one.
const LIVE_PER_CLIENT: usize = 2;
/// Workspaces a kill left in doubt that a client lets pile up before it only cleans up.
const UNSURE_PER_CLIENT: usize = 3;

/// A small xorshift generator: the seed is printed, so a failing run can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// What the clients know about one workspace name.
#[derive(Debug, Default, Clone)]
struct NameRecord {
    /// The create answered 200.
    acknowledged: bool,
    /// A delete was sent (it may not have arrived): the workspace may be gone.
    delete_sent: bool,
}

/// What the clients did and learnt, shared with the checks.
#[derive(Debug, Default)]
struct Ledger {
    names: BTreeMap<String, NameRecord>,
    creates_acknowledged: u64,
    creates_interrupted: u64,
    deletes_acknowledged: u64,
    /// Interrupted creates (or deletes) finished by a later delete that answered 200.
    interrupted_deleted: u64,
    /// How interrupted workspaces showed in `workspaces.get` before a delete that answered 200.
    interrupted_status: BTreeMap<String, u64>,
    /// Answers no correct agent gives.
    violations: Vec<String>,
}

impl Ledger {
    fn record(&mut self, name: &str) -> &mut NameRecord {
        self.names.entry(name.to_owned()).or_default()
    }
}

struct Shared {
    url: String,
    token: String,
    ledger: Mutex<Ledger>,
    stop: AtomicBool,
    http: reqwest::Client,
}

/// How a call ended.
enum Answer {
    Status(u16, Value),
    /// Nothing was sent: the agent is down or restarting.
    Refused,
    /// The connection broke after the request may have arrived.
    Broken,
}

impl Shared {
    fn violation(&self, what: String) {
        eprintln!("VIOLATION: {what}");
        lock(&self.ledger).violations.push(what);
    }

    async fn call(&self, path: &str, input: Value) -> Answer {
        let sent = self
            .http
            .post(format!("{}/rpc/{path}", self.url))
            .bearer_auth(&self.token)
            .json(&json!({ "json": input }))
            .timeout(Duration::from_secs(300))
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) if error.is_connect() => return Answer::Refused,
            Err(_) => return Answer::Broken,
        };
        let status = response.status().as_u16();
        match response.json::<Value>().await {
            Ok(body) => Answer::Status(status, body.get("json").cloned().unwrap_or(Value::Null)),
            Err(_) => Answer::Broken,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One client: creates workspaces with names of its own, keeps a few, deletes them again, and
/// finishes what a kill interrupted by deleting it.
async fn client(shared: Arc<Shared>, id: usize, seed: u64) {
    let mut random = Random(seed);
    let mut live: Vec<String> = Vec::new();
    let mut unsure: Vec<String> = Vec::new();
    let mut next_name = 0;
    let pause = || tokio::time::sleep(Duration::from_millis(50));
    let mut cleaned_up_last = false;
    while !shared.stop.load(Ordering::SeqCst) {
        // Cleaning up alternates with new work, so the calm moments between kills see creates
        // finish rather than only deletes of what the last kills interrupted.
        let clean_up = unsure.len() >= UNSURE_PER_CLIENT || !cleaned_up_last;
        cleaned_up_last = false;
        if let Some(name) = unsure.first().cloned().filter(|_| clean_up) {
            cleaned_up_last = true;
            let shown = match shared.call("workspaces/get", json!({ "name": name })).await {
                Answer::Status(200, workspace) => {
                    workspace["status"].as_str().unwrap_or("?").to_owned()
                }
                _ => "?".to_owned(),
            };
            lock(&shared.ledger).record(&name).delete_sent = true;
            match shared
                .call("workspaces/delete", json!({ "name": name }))
                .await
            {
                Answer::Status(200, _) => {
                    let mut ledger = lock(&shared.ledger);
                    ledger.interrupted_deleted += 1;
                    *ledger.interrupted_status.entry(shown).or_default() += 1;
                    unsure.remove(0);
                }
                // Never made, or a delete the kill interrupted had finished.
                Answer::Status(404, _) => {
                    unsure.remove(0);
                }
                Answer::Status(status, body) => {
                    shared.violation(format!(
                        "deleting interrupted {name} answered {status}: {body}"
                    ));
                    unsure.remove(0);
                }
                Answer::Refused | Answer::Broken => pause().await,
            }
            continue;
        }
        let delete = !live.is_empty() && (live.len() >= LIVE_PER_CLIENT || random.below(3) == 0);
        if delete {
            let name = live.remove(random.below(live.len() as u64) as usize);
            lock(&shared.ledger).record(&name).delete_sent = true;
            match shared
                .call("workspaces/delete", json!({ "name": name }))
                .await
            {
                Answer::Status(200, _) => lock(&shared.ledger).deletes_acknowledged += 1,
                Answer::Status(status, body) => shared.violation(format!(
                    "deleting acknowledged {name} answered {status}: {body}"
                )),
                Answer::Refused => {
                    // Nothing was sent: it is still there, and still to be deleted.
                    lock(&shared.ledger).record(&name).delete_sent = false;
                    live.push(name);
                    pause().await;
                }
                Answer::Broken => unsure.push(name),
            }
            continue;
        }
        let name = format!("c{id}-{next_name}");
        lock(&shared.ledger).record(&name);
        match shared
            .call("workspaces/create", json!({ "name": name }))
            .await
        {
            Answer::Status(200, workspace) => {
                let mut ledger = lock(&shared.ledger);
                ledger.creates_acknowledged += 1;
                ledger.record(&name).acknowledged = true;
                drop(ledger);
                if workspace["status"] != "running" {
                    shared.violation(format!("create of {name} answered 200 with {workspace}"));
                }
                live.push(name);
                next_name += 1;
            }
            Answer::Status(status, body) => {
                shared.violation(format!("create of {name} answered {status}: {body}"));
                next_name += 1;
            }
            // Nothing was sent: the name is still unused.
            Answer::Refused => pause().await,
            Answer::Broken => {
                lock(&shared.ledger).creates_interrupted += 1;
                unsure.push(name);
                next_name += 1;
            }
        }
    }
}

/// What one round of checks saw.
#[derive(Debug, Default)]
struct Seen {
    listed: usize,
    containers: usize,
    /// Acknowledged workspaces found listed.
    acknowledged: usize,
}

/// Checks the invariants that must hold right after a restart, while the clients go on.
async fn check_after_restart(shared: &Shared, agent: &AgentProcess, docker: &Docker) -> Seen {
    let mut problems = Vec::new();
    let state_path = agent.dir.path().join("state.json");
    match std::fs::read(&state_path) {
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(state) if state["workspaces"].is_object() => {}
            Ok(state) => problems.push(format!("state.json has no workspaces map: {state}")),
            Err(error) => problems.push(format!("state.json does not parse: {error}")),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => problems.push(format!("cannot read state.json: {error}")),
    }
    let moved_aside: Vec<String> = std::fs::read_dir(agent.dir.path())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.contains("corrupt"))
        .collect();
    if !moved_aside.is_empty() {
        problems.push(format!("state.json was found corrupt: {moved_aside:?}"));
    }

    // Acknowledged before the list was asked for, Docker's objects before the list too: all of
    // them must be listed unless a delete was sent meanwhile (the ledger is read again after).
    let acknowledged: BTreeSet<String> = lock(&shared.ledger)
        .names
        .iter()
        .filter(|(_, record)| record.acknowledged && !record.delete_sent)
        .map(|(name, _)| name.clone())
        .collect();
    let probe = format!("{}dind-probe", agent.prefix);
    let containers: Vec<_> = docker
        .list_containers(&agent.prefix)
        .await
        .unwrap()
        .into_iter()
        .filter(|container| container.name != probe)
        .collect();
    let volumes = docker
        .list_volumes(PREFIX_LABEL, &agent.prefix)
        .await
        .unwrap();
    let networks = docker
        .list_networks(PREFIX_LABEL, &agent.prefix)
        .await
        .unwrap();
    let listed: Vec<Workspace> = match shared.call("workspaces/list", Value::Null).await {
        Answer::Status(200, body) => serde_json::from_value(body).unwrap(),
        Answer::Status(status, body) => {
            shared.violation(format!("list after restart answered {status}: {body}"));
            return Seen::default();
        }
        Answer::Refused | Answer::Broken => {
            shared.violation("the restarted agent does not answer list".to_owned());
            return Seen::default();
        }
    };
    let maybe_deleted: BTreeSet<String> = lock(&shared.ledger)
        .names
        .iter()
        .filter(|(_, record)| record.delete_sent)
        .map(|(name, _)| name.clone())
        .collect();
    let listed_names: BTreeSet<&str> = listed.iter().map(|w| w.name.as_str()).collect();
    let accounted = |name: &str| listed_names.contains(name) || maybe_deleted.contains(name);

    for name in &acknowledged {
        if !accounted(name) {
            problems.push(format!("acknowledged workspace {name} is not listed"));
        }
    }
    for container in &containers {
        let owner = container.labels.get(WORKSPACE_LABEL).cloned();
        match owner {
            Some(name) if accounted(&name) => {}
            _ => problems.push(format!(
                "container {} ({owner:?}) is neither in state nor reconciled",
                container.name
            )),
        }
    }
    let volume_owner = |volume: &str| {
        let rest = volume.strip_prefix(&agent.prefix)?;
        rest.strip_suffix("-home")
            .or_else(|| rest.strip_suffix("-docker"))
            .map(str::to_owned)
    };
    for volume in &volumes {
        match volume_owner(volume) {
            Some(name) if accounted(&name) => {}
            _ => problems.push(format!("volume {volume} belongs to no listed workspace")),
        }
    }
    let network_names: Vec<&str> = networks.iter().map(|(_, name)| name.as_str()).collect();
    if network_names
        .iter()
        .any(|name| *name != format!("{}network", agent.prefix))
        || network_names.len() > 1
    {
        problems.push(format!("networks of the prefix: {network_names:?}"));
    }

    let range = ssh_range(agent);
    let mut ports: HashMap<u16, &str> = HashMap::new();
    for workspace in &listed {
        if !range.contains(&workspace.ports.ssh) {
            problems.push(format!(
                "{} has SSH port {} outside {range:?}",
                workspace.name, workspace.ports.ssh
            ));
        }
        if let Some(other) = ports.insert(workspace.ports.ssh, &workspace.name) {
            problems.push(format!(
                "{} and {other} share SSH port {}",
                workspace.name, workspace.ports.ssh
            ));
        }
    }
    for problem in problems {
        shared.violation(problem);
    }
    Seen {
        listed: listed.len(),
        containers: containers.len(),
        acknowledged: acknowledged
            .iter()
            .filter(|name| listed_names.contains(name.as_str()))
            .count(),
    }
}

fn ssh_range(agent: &AgentProcess) -> std::ops::RangeInclusive<u16> {
    let config: Value =
        serde_json::from_slice(&std::fs::read(agent.dir.path().join("config.json")).unwrap())
            .unwrap();
    let range = &config["sshPortRange"];
    range["start"].as_u64().unwrap() as u16..=range["end"].as_u64().unwrap() as u16
}

fn last_log_lines(agent: &AgentProcess, count: usize) -> String {
    let log = agent
        .log
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[test]
fn workspaces_survive_sigkill_of_the_agent_at_random_moments_during_creates_and_deletes() {
    let long = std::env::var("PERRY_LONG_TESTS").is_ok_and(|value| value == "1");
    let kills_wanted: u32 = if long { 1000 } else { 200 };
    let seed = std::env::var("PERRY_CRASH_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("crash loop: seed {seed} (PERRY_CRASH_SEED), {kills_wanted} kills");
    let began = Instant::now();
    let mut agent = AgentProcess::start_logged("crash");
    let config: Value =
        serde_json::from_slice(&std::fs::read(agent.dir.path().join("config.json")).unwrap())
            .unwrap();
    let shared = Arc::new(Shared {
        url: format!("http://127.0.0.1:{}", agent.port),
        token: config["auth"]["token"].as_str().unwrap().to_owned(),
        ledger: Mutex::new(Ledger::default()),
        stop: AtomicBool::new(false),
        http: reqwest::Client::new(),
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let docker = Docker::new();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| runtime.spawn(client(shared.clone(), id, seed.wrapping_add(id as u64 + 1))))
        .collect();

    let mut random = Random(seed);
    let mut max_listed = 0;
    let mut max_containers = 0;
    let mut acknowledged_checks = 0;
    let (mut restarting, mut checking) = (Duration::ZERO, Duration::ZERO);
    for kill in 1..=kills_wanted {
        // Mostly short lives, so kills land in every phase of a create or delete; some longer
        // ones, so creates (about 3 s here, after the new agent's Docker-in-Docker probe) get to
        // finish and be acknowledged. The checks run within the life.
        let life = Duration::from_millis(match random.below(100) {
            0..77 => random.below(500),
            77..91 => 500 + random.below(2_000),
            _ => 5_000 + random.below(3_000),
        });
        let born = Instant::now();
        if kill > 1 {
            let seen = runtime.block_on(check_after_restart(&shared, &agent, &docker));
            max_listed = max_listed.max(seen.listed);
            max_containers = max_containers.max(seen.containers);
            acknowledged_checks += seen.acknowledged;
            checking += born.elapsed();
        }
        std::thread::sleep(life.saturating_sub(born.elapsed()));
        // On a loaded machine (the whole suite running) a create can outlast every random life:
        // every 20th life then lasts until a create and a delete have been acknowledged (at most
        // 60 s), so the loop surely exercises both.
        if kill % 20 == 0 {
            let progress = || {
                let ledger = lock(&shared.ledger);
                (ledger.creates_acknowledged, ledger.deletes_acknowledged)
            };
            let (creates, deletes) = progress();
            while (creates == 0 || deletes == 0) && born.elapsed() < Duration::from_secs(60) {
                let (now_creates, now_deletes) = progress();
                if (creates == 0 && now_creates == 0) || (deletes == 0 && now_deletes == 0) {
                    std::thread::sleep(Duration::from_millis(100));
                } else {
                    break;
                }
            }
        }
        agent.sigkill();
        let killed = Instant::now();
        agent.spawn();
        restarting += killed.elapsed();
        if kill % 50 == 0 {
            let ledger = lock(&shared.ledger);
            println!(
                "crash loop: {kill} kills, {} creates and {} deletes acknowledged, {} s",
                ledger.creates_acknowledged,
                ledger.deletes_acknowledged,
                began.elapsed().as_secs()
            );
        }
    }
    let loop_time = began.elapsed();

    // The clients finish what they are doing (no more kills), then everything is deleted
    // through the API.
    runtime.block_on(check_after_restart(&shared, &agent, &docker));
    shared.stop.store(true, Ordering::SeqCst);
    for client in clients {
        runtime.block_on(client).unwrap();
    }
    runtime.block_on(check_after_restart(&shared, &agent, &docker));
    let listed: Vec<Workspace> = match runtime.block_on(shared.call("workspaces/list", json!({}))) {
        Answer::Status(200, body) => serde_json::from_value(body).unwrap(),
        _ => panic!("list before the final cleanup failed"),
    };
    let mut left_in_error = 0;
    for workspace in &listed {
        if workspace.status == perry_api::WorkspaceStatus::Error {
            left_in_error += 1;
        }
        match runtime.block_on(shared.call("workspaces/delete", json!({"name": workspace.name}))) {
            Answer::Status(200, _) => {}
            Answer::Status(status, body) => shared.violation(format!(
                "final delete of {} ({:?}) answered {status}: {body}",
                workspace.name, workspace.status
            )),
            _ => shared.violation(format!("final delete of {} broke", workspace.name)),
        }
    }
    // The startup of the last agent may still be probing the Docker-in-Docker mode: its probe
    // container goes away by itself.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (containers, volumes, networks) = loop {
        let containers: Vec<String> = runtime
            .block_on(docker.list_containers(&agent.prefix))
            .unwrap()
            .into_iter()
            .map(|container| container.name)
            .collect();
        let volumes = runtime
            .block_on(docker.list_volumes(PREFIX_LABEL, &agent.prefix))
            .unwrap();
        let networks: Vec<String> = runtime
            .block_on(docker.list_networks(PREFIX_LABEL, &agent.prefix))
            .unwrap()
            .into_iter()
            .map(|(_, name)| name)
            .collect();
        if (containers.is_empty() && volumes.is_empty()) || Instant::now() > deadline {
            break (containers, volumes, networks);
        }
        std::thread::sleep(Duration::from_millis(200));
    };

    let ledger = lock(&shared.ledger);
    let orphans = containers.len() + volumes.len() + networks.len().saturating_sub(1);
    println!(
        "crash loop: {kills_wanted} kills survived, {} creates and {} deletes acknowledged, \
         {acknowledged_checks} times an acknowledged workspace was found after a restart, \
         {} creates interrupted ({} interrupted workspaces deleted afterwards; they showed as {:?}), \
         at most {} workspaces listed and {} containers at once, {} left for the final cleanup \
         ({left_in_error} in error), {orphans} orphans; loop {} s (restarts {} ms and checks {} ms \
         on average), total {} s",
        ledger.creates_acknowledged,
        ledger.deletes_acknowledged,
        ledger.creates_interrupted,
        ledger.interrupted_deleted,
        ledger.interrupted_status,
        max_listed,
        max_containers,
        listed.len(),
        loop_time.as_secs(),
        restarting.as_millis() / u128::from(kills_wanted),
        checking.as_millis() / u128::from(kills_wanted),
        began.elapsed().as_secs(),
    );
    assert!(
        ledger.violations.is_empty(),
        "{} violations; the first ones:\n{}\n-- last lines of the agent's log:\n{}",
        ledger.violations.len(),
        ledger
            .violations
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
        last_log_lines(&agent, 60)
    );
    assert!(
        ledger.creates_acknowledged > 0 && ledger.deletes_acknowledged > 0,
        "the loop must really create and delete workspaces"
    );
    assert!(
        containers.is_empty() && volumes.is_empty(),
        "Docker still has objects of the prefix: {containers:?} {volumes:?}"
    );
    // The bridge network is the agent's, shared by all its workspaces, not a workspace's: it
    // stays, but there must never be two of them.
    assert!(
        networks.len() <= 1
            && networks
                .iter()
                .all(|name| *name == format!("{}network", agent.prefix)),
        "networks of the prefix: {networks:?}"
    );
}
