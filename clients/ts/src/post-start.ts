// What a person should know of a workspace's post-start scripts at its last start (the agent
// runs them in the background after every start; see `Workspace.postStart`): those still
// running, and those that failed, which is a warning: the workspace runs on. Nothing when all
// went well. The CLI says the same in Rust (crates/perry/src/cli/output.rs post_start_note).
// A workspace built from a devcontainer.json reports that file's lifecycle commands
// (`postCreateCommand`, …) the same way; they are named as what they are, not as scripts.

import type { Workspace } from './api.gen.ts';

export interface PostStartNote {
  tone: 'info' | 'warning';
  text: string;
  /** The failed scripts, each with why. */
  failed: { name: string; error: string }[];
}

/** The names devcontainer.json gives its lifecycle commands, as the agent reports them. */
const LIFECYCLE_COMMAND = /^(onCreate|updateContent|postCreate|postStart|postAttach)Command( of Feature .+)?$/u;

/** What runs after a start is called: "Post-start script", "devcontainer.json command", or both. */
function kindOf(names: string[]): { one: string; many: string } {
  const commands = names.filter((name) => LIFECYCLE_COMMAND.test(name)).length;
  if (commands === 0) return { one: 'Post-start script', many: 'Post-start scripts' };
  if (commands === names.length) return { one: 'devcontainer.json command', many: 'devcontainer.json commands' };
  return { one: 'Post-start step', many: 'Post-start steps' };
}

export function postStartNote(workspace: Pick<Workspace, 'name' | 'postStart'>): PostStartNote | undefined {
  const runs = workspace.postStart;
  if (!runs || runs.length === 0) return undefined;
  const failed = runs.filter((run) => run.error !== undefined).map((run) => ({ name: run.name, error: run.error ?? '' }));
  if (failed.length > 0) {
    const names = failed.map((run) => run.name);
    const kind = kindOf(names);
    return { tone: 'warning', text: `${failed.length === 1 ? kind.one : kind.many} failed: ${names.join(', ')} (the workspace runs; their output is in its log)`, failed };
  }
  if (runs.some((run) => !run.finished)) {
    // A lifecycle command is named: they run one after the other and can take minutes.
    const commands = runs.filter((run) => !run.finished && LIFECYCLE_COMMAND.test(run.name)).map((run) => run.name);
    return { tone: 'info', text: commands.length > 0 ? `${commands.join(', ')} running…` : 'Post-start scripts running…', failed };
  }
  return undefined;
}
