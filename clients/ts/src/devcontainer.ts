// Workspaces built from a repository's devcontainer.json, as web and phone show them: the config
// chosen at create, the rebuild and what it keeps, and the build log beside the container's.
// The agent does the work (crates/perry-agent/src/workspace/devcontainer.rs); these are the
// words and rules both apps say the same way.

import type { LogsInput, Workspace } from './api.gen.ts';

/** What the create forms say about an empty config field. */
export const DEVCONTAINER_DEFAULT_HINT =
  'A folder name under .devcontainer/ (e.g. python for .devcontainer/python/devcontainer.json). Empty: the repository’s .devcontainer/devcontainer.json, when it has one.';

/** The field's placeholder: what happens when nothing is typed. */
export const DEVCONTAINER_PLACEHOLDER = 'default: .devcontainer/devcontainer.json';

/** The config a folder name stands for: `.devcontainer/<name>/devcontainer.json`. */
export function devcontainerPath(name: string): string {
  return `.devcontainer/${name}/devcontainer.json`;
}

/**
 * What is wrong with a config name as typed, or null (empty is the default config). The agent's
 * rule (`find_config`): one folder name, no path; whether the folder exists only it can tell.
 */
export function devcontainerProblem(text: string): string | null {
  const name = text.trim();
  if (name === '') return null;
  if (name === '.' || name === '..' || /[/\\]/u.test(name)) {
    return `"${name}" is not a folder name: give the name of a folder under .devcontainer/ that holds a devcontainer.json.`;
  }
  return null;
}

/** `workspaces.create`'s `devcontainer`: the name as typed, only with a repository to clone. */
export function devcontainerInput(clone: string, text: string): { devcontainer?: string } {
  const name = text.trim();
  return clone.trim() !== '' && name !== '' ? { devcontainer: name } : {};
}

/** Whether a workspace can be rebuilt: it was built from a repository's devcontainer.json. */
export function canRebuild(workspace: Pick<Workspace, 'devcontainer'>): boolean {
  return workspace.devcontainer !== undefined;
}

/** "Built from .devcontainer/devcontainer.json", or undefined for a workspace of the agent's image. */
export function builtFromText(workspace: Pick<Workspace, 'devcontainer'>): string | undefined {
  return workspace.devcontainer === undefined ? undefined : `Built from ${workspace.devcontainer}`;
}

/** What a person confirms before a rebuild: what is made again, what is kept, what is lost. */
export function rebuildConfirmation(workspace: Pick<Workspace, 'name' | 'devcontainer'>): { title: string; message: string; confirm: string } {
  const config = workspace.devcontainer ?? 'devcontainer.json';
  return {
    title: `Rebuild ${workspace.name}?`,
    message:
      `Its container is made again from the repository’s current ${config} (this can take minutes). ` +
      'Its home and Docker data are kept; running terminals are closed.',
    confirm: 'Rebuild',
  };
}

/**
 * Whether a workspace may have a build log: it was built from a devcontainer.json, or it cloned a
 * repository (a build that failed leaves its log, and says so, before anything is recorded).
 */
export function mayHaveBuildLog(workspace: Pick<Workspace, 'devcontainer' | 'clone'>): boolean {
  return workspace.devcontainer !== undefined || workspace.clone !== undefined;
}

/** Which log of a workspace: its container's output, or its last image build's. */
export type LogSource = 'container' | 'build';

/**
 * `workspaces.logs`'s input: the last `tail` lines first, then (with `since`, the last reply's
 * `until`) what followed; `build` only for the build log, so the container's stays as before.
 */
export function logsInput(name: string, source: LogSource, from: { since: string } | { tail: number }): LogsInput {
  return { name, ...from, ...(source === 'build' ? { build: true } : {}) };
}
