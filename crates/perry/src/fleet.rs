//! The person's agents as one fleet (`perry agents`): the named agents of client.json, each
//! asked at once with a short patience, so an agent that is down or cut off is one line saying
//! so and never holds up the others.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::client::{AgentClient, ClientFile, WorkerSource};

/// How long a question to the whole fleet waits for each agent: an agent dropped off the
/// network (packets lost, not refused) is told as such after this, the others at once.
pub const PATIENCE: Duration = Duration::from_secs(3);

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
    /// The agent a command goes to when it names none.
    pub default: Option<String>,
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
        let environment = std::env::var("PERRY_WORKER")
            .ok()
            .filter(|worker| !worker.is_empty());
        if worker_flag.is_some() || environment.is_some() {
            return Ok(None);
        }
        let file = ClientFile::read(config_dir)?;
        if file.agents.is_empty() {
            return Ok(None);
        }
        let default = file.default_named_agent().map(|(name, _)| name.to_owned());
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
        let questions = self.members.iter().map(|member| {
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
        });
        futures_util::future::join_all(questions).await
    }
}
