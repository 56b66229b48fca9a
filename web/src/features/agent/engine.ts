import type { AgentInfo } from '@perry/client';

/** `docker` or `kubernetes`; an agent older than engines drives Docker. */
export function engineKind(info: AgentInfo): string {
  return info.engine?.kind ?? 'docker';
}

/** What the agent's workspaces run on, in words: the engine before the agent has answered. */
export function engineNoun(info: AgentInfo | undefined): string {
  if (!info) return 'the engine';
  return engineKind(info) === 'kubernetes' ? 'the Kubernetes cluster' : 'the Docker Engine';
}

export function engineVersion(info: AgentInfo): string | undefined {
  return info.engine ? info.engine.version : info.dockerVersion;
}
