import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { resumeCommandLine, resumeTabTitle, resumeTerminalCommand, shellQuote } from '../src/index.ts';

describe('shellQuote', () => {
  test('wraps in single quotes and escapes single quotes', () => {
    assert.equal(shellQuote('/home/workspace/app'), `'/home/workspace/app'`);
    assert.equal(shellQuote(`it's`), `'it'\\''s'`);
    assert.equal(shellQuote(''), `''`);
  });

  test('leaves everything else to the quotes: $, backticks, spaces, ;, newlines', () => {
    assert.equal(shellQuote('a $(rm -rf ~) `x` ; b\nc'), `'a $(rm -rf ~) \`x\` ; b\nc'`);
  });
});

describe('resuming a session', () => {
  test('changes into the project directory, then runs the resume command', () => {
    const session = { projectPath: '/home/workspace/my app', resumeCommand: 'claude --resume 0b7c' };
    assert.equal(resumeCommandLine(session), `cd '/home/workspace/my app' && claude --resume 0b7c`);
    assert.deepEqual(resumeTerminalCommand(session), ['bash', '-lc', `cd '/home/workspace/my app' && claude --resume 0b7c`]);
  });

  test('runs just the resume command without a project directory', () => {
    assert.deepEqual(resumeTerminalCommand({ projectPath: '', resumeCommand: 'codex resume 42' }), ['bash', '-lc', 'codex resume 42']);
  });

  test('quotes a hostile path so it stays one word', () => {
    assert.equal(
      resumeCommandLine({ projectPath: `/tmp/x'; touch /tmp/pwned; '`, resumeCommand: 'opencode --session s' }),
      `cd '/tmp/x'\\''; touch /tmp/pwned; '\\''' && opencode --session s`,
    );
  });

  test('names the tab after the session, shortened', () => {
    assert.equal(resumeTabTitle({ title: 'Fix the footer links' }), 'Resume: Fix the footer links');
    assert.equal(resumeTabTitle({ title: 'A very long title that goes on and on' }), 'Resume: A very long title that…');
    assert.equal(resumeTabTitle({ title: '' }), 'Resume: session');
  });
});
