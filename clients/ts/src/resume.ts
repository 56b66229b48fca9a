// Resuming a session: the terminal command that continues it where it was started.

import type { SessionInfo } from './api.gen.ts';

/** `value` as one shell word: single quotes, each ' written as '\''. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command line that continues `session`: cd into its project, then its resume command. */
export function resumeCommandLine(session: Pick<SessionInfo, 'projectPath' | 'resumeCommand'>): string {
  const path = session.projectPath?.trim() ? session.projectPath : '';
  return path ? `cd ${shellQuote(path)} && ${session.resumeCommand}` : session.resumeCommand;
}

/** The terminal's `cmd` for resuming `session` (the agent runs it as user workspace). */
export function resumeTerminalCommand(session: Pick<SessionInfo, 'projectPath' | 'resumeCommand'>): string[] {
  return ['bash', '-lc', resumeCommandLine(session)];
}

/** A short tab title: "Resume: Fix the footer links". */
export function resumeTabTitle(session: Pick<SessionInfo, 'title'>, max = 32): string {
  const title = session.title.trim() || 'session';
  const full = `Resume: ${title}`;
  return full.length <= max ? full : `${full.slice(0, max - 1).trimEnd()}…`;
}
