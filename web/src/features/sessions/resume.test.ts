import { describe, expect, it } from 'vitest';

import { resumeCommandLine, resumeTabTitle, resumeTerminalCommand, shellQuote } from '@perry/client';

describe('shellQuote', () => {
  it('wraps in single quotes and escapes single quotes', () => {
    expect(shellQuote('/home/workspace/app')).toBe(`'/home/workspace/app'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
  });

  it('leaves everything else to the quotes: $, backticks, spaces, ;, newlines', () => {
    expect(shellQuote('a $(rm -rf ~) `x` ; b\nc')).toBe(`'a $(rm -rf ~) \`x\` ; b\nc'`);
  });
});

describe('resuming a session', () => {
  it('changes into the project directory, then runs the resume command', () => {
    const session = { projectPath: '/home/workspace/my app', resumeCommand: 'claude --resume 0b7c' };
    expect(resumeCommandLine(session)).toBe(`cd '/home/workspace/my app' && claude --resume 0b7c`);
    expect(resumeTerminalCommand(session)).toEqual(['bash', '-lc', `cd '/home/workspace/my app' && claude --resume 0b7c`]);
  });

  it('runs just the resume command without a project directory', () => {
    expect(resumeTerminalCommand({ projectPath: '', resumeCommand: 'codex resume 42' })).toEqual(['bash', '-lc', 'codex resume 42']);
  });

  it('quotes a hostile path so it stays one word', () => {
    expect(resumeCommandLine({ projectPath: `/tmp/x'; touch /tmp/pwned; '`, resumeCommand: 'opencode --session s' })).toBe(
      `cd '/tmp/x'\\''; touch /tmp/pwned; '\\''' && opencode --session s`,
    );
  });

  it('names the tab after the session, shortened', () => {
    expect(resumeTabTitle({ title: 'Fix the footer links' })).toBe('Resume: Fix the footer links');
    expect(resumeTabTitle({ title: 'A very long title that goes on and on' })).toBe('Resume: A very long title that…');
    expect(resumeTabTitle({ title: '' })).toBe('Resume: session');
  });
});
