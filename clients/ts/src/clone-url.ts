/**
 * The agent's rule for the repository a workspace clones at create (`clone_target` in the
 * agent's workspace module): the same words, so a person sees at once what the agent would say.
 */
const SCHEMES = ['https://', 'http://', 'ssh://', 'git://', 'file://'];

const EXAMPLE = 'give a git URL such as https://github.com/owner/repo.git or git@github.com:owner/repo.git';

/** The directory git makes for `url` in the workspace user's home, or null for a URL the agent refuses. */
export function cloneDirectory(url: string): string | null {
  return checkCloneUrl(url).directory;
}

/** What is wrong with a repository URL as typed, or null when the agent will accept its form. */
export function validateCloneUrl(url: string): string | null {
  return checkCloneUrl(url).error;
}

function checkCloneUrl(url: string): { directory: string | null; error: string | null } {
  const bad = (why: string) => ({ directory: null, error: `Cannot clone ${JSON.stringify(url)}: ${why}; ${EXAMPLE}` });
  // eslint-disable-next-line no-control-regex
  if (url.startsWith('-') || /[\s\u0000-\u001f\u007f]/u.test(url)) return bad("it must not start with '-' or contain spaces");
  const knownScheme = SCHEMES.some((scheme) => url.startsWith(scheme));
  const colon = url.indexOf(':');
  const scpLike = !url.includes('://') && colon > 0 && !url.slice(0, colon).includes('/') && colon < url.length - 1;
  if (!knownScheme && !scpLike) return bad('it is not a URL git can clone');
  const tail = url.replace(/\/+$/u, '').split(/[/:]/u).pop() ?? '';
  const directory = tail.endsWith('.git') ? tail.slice(0, -'.git'.length) : tail;
  if (directory === '' || directory === '.' || directory === '..' || !/^[A-Za-z0-9._-]+$/u.test(directory)) {
    return bad('its last part is not a usable directory name');
  }
  return { directory, error: null };
}
