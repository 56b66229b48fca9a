/** The port `perry agent run` listens on unless told otherwise. */
export const DEFAULT_AGENT_PORT = 7391;

/**
 * The agent's base URL from what a person typed or scanned: `host`, `host:port`, a URL, or the
 * sign-in URL the agent prints (`http://host:7391/?token=…`, whose token is returned too).
 * Returns an error sentence instead when it cannot be an agent's address.
 */
export function parseAgentAddress(
  input: string,
): { url: string; token: string | null } | { error: string } {
  const trimmed = input.trim();
  if (trimmed === '') return { error: "Enter the agent's address, e.g. devbox:7391." };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { error: `"${trimmed}" is not an address. Use host or host:port, e.g. devbox:7391.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { error: `Use http:// or https://, not ${url.protocol}//.` };
  }
  if (url.hostname === '') return { error: 'The address has no host name.' };
  // URL drops a port that is its scheme's default; an agent without one is on 7391 (http) or
  // behind a TLS proxy (https, 443).
  const typedPort = /^[a-z][a-z0-9+.-]*:\/\/(?:\[[^\]]*\]|[^/:?#]*):(\d+)/i.exec(withScheme)?.[1];
  const port = typedPort ?? (url.protocol === 'http:' ? String(DEFAULT_AGENT_PORT) : '');
  const token = url.searchParams.get('token')?.trim() || null;
  return { url: `${url.protocol}//${url.hostname}${port ? `:${port}` : ''}`, token };
}

/** The host part of an agent URL, for the SSH command (ssh reaches the same machine). */
export function agentHost(agentUrl: string): string {
  try {
    return new URL(agentUrl).hostname;
  } catch {
    return agentUrl;
  }
}
