/** The command that opens a shell in a workspace over its published SSH port. */
export function sshCommand(port: number, host: string = window.location.hostname): string {
  // An IPv6 literal arrives bracketed from `location.hostname`; ssh wants it bare.
  const bareHost = host.replace(/^\[(.*)\]$/, '$1');
  return `ssh -p ${port} workspace@${bareHost}`;
}
