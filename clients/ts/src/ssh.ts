/**
 * The command that opens a shell in a workspace over its published SSH port on the agent's
 * machine `host` (a browser passes `location.hostname`, the app its saved agent's host).
 */
export function sshCommand(port: number, host: string): string {
  // An IPv6 literal arrives bracketed (from `location.hostname` or a URL); ssh wants it bare.
  const bareHost = host.replace(/^\[(.*)\]$/, '$1');
  return `ssh -p ${port} workspace@${bareHost}`;
}
