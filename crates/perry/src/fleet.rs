//! The person's agents as one fleet (`perry agents`): the named agents of client.json, each
//! asked at once with a short patience, so an agent that is down or cut off is one line saying
//! so and never holds up the others.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use perry_api::AgentInfo;
use perry_api::procedures::{AgentInfoCall, Void, WorkspacesList};

use crate::client::{AgentClient, ClientFile, WorkerSource, pointed_worker};

/// How long a question to the whole fleet waits for each agent: an agent dropped off the
/// network (packets lost, not refused) is told as such after this, the others at once.
pub const PATIENCE: Duration = Duration::from_secs(3);

/// The first line of an agent's error: the rest is advice for that agent's own commands.
pub fn first_line(error: &str) -> &str {
    error.lines().next().unwrap_or_default()
}

/// "No agent named X", with the names there are (`known`).
pub fn unknown_agent<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.collect();
    if known.is_empty() {
        return format!(
            "No agent named {name:?}: none is added yet (`perry agents add <name> <host[:port]>`)"
        );
    }
    format!(
        "No agent named {name:?}; the agents are: {}",
        known.join(", ")
    )
}

/// One agent of the fleet.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub client: AgentClient,
}

/// The named agents, in name order.
#[derive(Debug)]
pub struct Fleet {
    pub members: Vec<Member>,
    /// The agent a command goes to when it names none
    /// ([`ClientFile::default_named_agent`]).
    pub default: String,
}

/// Where a workspace name was found.
#[derive(Debug)]
pub struct Lookup<'a> {
    pub holder: Option<&'a Member>,
    /// The agents that did not answer, each with why: the name may be on one of them.
    pub silent: Vec<String>,
}

/// One agent's answer to a fleet-wide question, and how long it took.
#[derive(Debug)]
pub struct Answer<'a, T> {
    pub member: &'a Member,
    pub result: Result<T, String>,
    pub round_trip: Duration,
}

impl Fleet {
    /// The named agents of client.json; `None` when there are none, or when `--worker` or
    /// `PERRY_WORKER` points this command at one agent.
    pub fn load(config_dir: &Path, worker_flag: Option<&str>) -> anyhow::Result<Option<Fleet>> {
        if pointed_worker(worker_flag).is_some() {
            return Ok(None);
        }
        let file = ClientFile::read(config_dir)?;
        let Some((default, _)) = file.default_named_agent() else {
            return Ok(None);
        };
        let default = default.to_owned();
        let members = file
            .agents
            .iter()
            .map(|(name, agent)| {
                Ok(Member {
                    name: name.clone(),
                    client: AgentClient::new(
                        &agent.url,
                        WorkerSource::Agents,
                        agent.token.clone(),
                        file.ca.as_deref(),
                    )?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Some(Fleet { members, default }))
    }

    /// Asks every agent at once with `ask`; each answer within [`PATIENCE`], in name order.
    pub async fn ask<'a, T, E, F, Fut>(&'a self, ask: F) -> Vec<Answer<'a, T>>
    where
        F: Fn(&'a Member) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let mut answers: Vec<Answer<'a, T>> = self.ask_each(ask).collect().await;
        answers.sort_by(|a, b| a.member.name.cmp(&b.member.name));
        answers
    }

    /// Asks every agent at once with `ask`: the answers as they come, each within
    /// [`PATIENCE`].
    pub fn ask_each<'a, T, E, F, Fut>(
        &'a self,
        ask: F,
    ) -> futures_util::stream::FuturesUnordered<impl Future<Output = Answer<'a, T>>>
    where
        F: Fn(&'a Member) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        self.members
            .iter()
            .map(move |member| {
                let question = ask(member);
                async move {
                    let started = Instant::now();
                    let result = match tokio::time::timeout(PATIENCE, question).await {
                        Ok(Ok(answer)) => Ok(answer),
                        Ok(Err(error)) => Err(error.to_string()),
                        Err(_) => Err(format!(
                            "no answer from {} within {} s",
                            member.client.base_url(),
                            PATIENCE.as_secs()
                        )),
                    };
                    Answer {
                        member,
                        result,
                        round_trip: started.elapsed(),
                    }
                }
            })
            .collect()
    }
}

impl Fleet {
    /// The agent named `name`, or an error naming the ones there are.
    pub fn member(&self, name: &str) -> anyhow::Result<&Member> {
        self.members
            .iter()
            .find(|member| member.name == name)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{}",
                    unknown_agent(name, self.members.iter().map(|member| member.name.as_str()))
                )
            })
    }

    /// The agent commands go to when they name none: the default, else the first.
    pub fn default_member(&self) -> &Member {
        self.member(&self.default)
            .expect("the default is one of the members")
    }

    /// The agent that has workspace `name` (`None` when no agent that answered has it), and
    /// the agents that did not answer; an error when several have it (name one as
    /// `agent/name`).
    pub async fn find(&self, name: &str) -> anyhow::Result<Lookup<'_>> {
        let answers = self
            .ask(|member| member.client.call::<WorkspacesList>(&Void))
            .await;
        let holders: Vec<&Member> = answers
            .iter()
            .filter(|answer| {
                answer
                    .result
                    .as_ref()
                    .is_ok_and(|listed| listed.iter().any(|workspace| workspace.name == name))
            })
            .map(|answer| answer.member)
            .collect();
        let silent: Vec<String> = answers
            .iter()
            .filter_map(|answer| {
                let error = answer.result.as_ref().err()?;
                Some(format!("{} ({})", answer.member.name, first_line(error)))
            })
            .collect();
        match holders.as_slice() {
            [] => Ok(Lookup {
                holder: None,
                silent,
            }),
            [holder] => Ok(Lookup {
                holder: Some(holder),
                silent,
            }),
            several => anyhow::bail!(
                "{name} is on several agents: {}; name one, e.g. `{}/{name}`",
                several
                    .iter()
                    .map(|member| format!("{}/{name}", member.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                several[0].name
            ),
        }
    }

    /// The agents a new workspace may go to, best first, by the capacity each reports (see
    /// [`placement_order`]); agents that do not answer are left out.
    pub async fn placement(&self) -> Vec<&Member> {
        let answers = self
            .ask(|member| member.client.call::<AgentInfoCall>(&Void))
            .await;
        let reported: Vec<(&Member, AgentInfo)> = answers
            .into_iter()
            .filter_map(|answer| Some((answer.member, answer.result.ok()?)))
            .collect();
        placement_order(&reported)
    }
}

/// The placement policy of `perry start --on auto`, among agents that answered: only those
/// that report their capacity and have the workspace image; the most memory free first
/// (rounded to GiB, so near-equals tie; an agent whose machine's free memory is unknown, on
/// Kubernetes, counts its largest node's), then the lowest load per CPU, then the fewest
/// running workspaces, then the name.
pub fn placement_order<'a>(reported: &[(&'a Member, AgentInfo)]) -> Vec<&'a Member> {
    let mut candidates: Vec<(&Member, (u64, u64, u32))> = reported
        .iter()
        .filter_map(|(member, info)| {
            let capacity = info
                .capacity
                .as_ref()
                .filter(|capacity| capacity.image_present)?;
            let free_gib = capacity
                .memory_available_mb
                .or(capacity.memory_total_mb)
                .unwrap_or(0)
                / 1024;
            let load_per_cpu =
                capacity.load1.unwrap_or(0.0) / f64::from(capacity.cpus.unwrap_or(1).max(1));
            // In hundredths, to sort as an integer.
            let load = (load_per_cpu * 100.0).round() as u64;
            Some((*member, (free_gib, load, capacity.running_workspaces)))
        })
        .collect();
    candidates.sort_by(
        |(a, (a_free, a_load, a_running)), (b, (b_free, b_load, b_running))| {
            b_free
                .cmp(a_free)
                .then(a_load.cmp(b_load))
                .then(a_running.cmp(b_running))
                .then(a.name.cmp(&b.name))
        },
    );
    candidates.into_iter().map(|(member, _)| member).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use perry_api::AgentCapacity;

    fn member(name: &str) -> Member {
        Member {
            name: name.to_owned(),
            client: AgentClient::new("box:7391", WorkerSource::Agents, None, None).unwrap(),
        }
    }

    fn info(free_mb: Option<u64>, load1: f64, running: u32, image: bool) -> AgentInfo {
        AgentInfo {
            version: "0".to_owned(),
            hostname: "box".to_owned(),
            uptime: 0.0,
            workspaces_count: running,
            docker_version: None,
            dind_mode: None,
            engine: None,
            capacity: Some(AgentCapacity {
                cpus: Some(4),
                memory_total_mb: Some(32 * 1024),
                memory_available_mb: free_mb,
                load1: Some(load1),
                running_workspaces: running,
                image_present: image,
            }),
        }
    }

    #[test]
    fn auto_placement_prefers_free_memory_then_low_load_then_few_workspaces() {
        let (big, busy, idle, bare, old, cluster) = (
            member("big"),
            member("busy"),
            member("idle"),
            member("bare"),
            member("old"),
            member("cluster"),
        );
        let mut old_info = info(Some(30_000), 0.0, 0, true);
        old_info.capacity = None;
        let reported = vec![
            (&busy, info(Some(8 * 1024 + 300), 3.0, 1, true)),
            (&idle, info(Some(8 * 1024 + 100), 0.5, 5, true)),
            (&big, info(Some(20 * 1024), 3.9, 9, true)),
            // No image: never chosen; no capacity (an older agent): never chosen.
            (&bare, info(Some(64 * 1024), 0.0, 0, false)),
            (&old, old_info),
            // Kubernetes: the largest node's memory stands for free memory.
            (&cluster, info(None, 0.0, 0, true)),
        ];
        let order: Vec<&str> = placement_order(&reported)
            .into_iter()
            .map(|member| member.name.as_str())
            .collect();
        // 32 GiB (cluster) > 20 GiB (big) > 8 GiB each (idle's lower load wins the tie).
        assert_eq!(order, ["cluster", "big", "idle", "busy"]);
    }
}
