// What a person should know of a workspace's post-start scripts at its last start (the agent
// runs them in the background after every start; see `Workspace.postStart`): those still
// running, and those that failed, which is a warning: the workspace runs on. Nothing when all
// went well. The CLI says the same in Rust (crates/perry/src/cli/output.rs post_start_note).

import type { Workspace } from './api.gen.ts';

export interface PostStartNote {
  tone: 'info' | 'warning';
  text: string;
  /** The failed scripts, each with why. */
  failed: { name: string; error: string }[];
}

export function postStartNote(workspace: Pick<Workspace, 'name' | 'postStart'>): PostStartNote | undefined {
  const runs = workspace.postStart;
  if (!runs || runs.length === 0) return undefined;
  const failed = runs.filter((run) => run.error !== undefined).map((run) => ({ name: run.name, error: run.error ?? '' }));
  const running = runs.filter((run) => !run.finished).length;
  if (failed.length > 0) {
    const names = failed.map((run) => run.name).join(', ');
    return { tone: 'warning', text: `Post-start ${failed.length === 1 ? 'script' : 'scripts'} failed: ${names} (the workspace runs; their output is in its log)`, failed };
  }
  if (running > 0) return { tone: 'info', text: 'Post-start scripts running…', failed };
  return undefined;
}
