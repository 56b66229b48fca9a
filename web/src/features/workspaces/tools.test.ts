import type { LogLine } from '@perry/client';
import { describe, expect, it } from 'vitest';

import {
  appendLogLines,
  cloneProblem,
  createInput,
  EMPTY_CREATE_FORM,
  filterLogLines,
  formatLimits,
  forwardUrl,
  highlightParts,
  limitProblem,
  parsePort,
  parseTimeout,
  shellCommand,
} from './tools';

const line = (time: string, text: string, stream = 'stdout'): LogLine => ({ time, text, stream });

describe('the create input', () => {
  it('holds only the name when nothing else is given, so the agent defaults hold', () => {
    expect(createInput({ ...EMPTY_CREATE_FORM, name: 'alpha', image: '  ', cpus: ' ' })).toEqual({ name: 'alpha' });
  });

  it('carries the repository, the image and each limit given, 0 included', () => {
    expect(
      createInput({ name: 'alpha', clone: ' https://example.com/a/b.git ', devcontainer: '', image: 'my-image:1', cpus: '1.5', memoryMb: '0', pids: '' }),
    ).toEqual({ name: 'alpha', clone: 'https://example.com/a/b.git', image: 'my-image:1', limits: { cpus: 1.5, memoryMb: 0 } });
  });

  it('carries the devcontainer config only with a repository to clone', () => {
    const form = { ...EMPTY_CREATE_FORM, name: 'alpha', devcontainer: ' python ' };
    expect(createInput({ ...form, clone: 'https://example.com/a/b.git' })).toEqual({ name: 'alpha', clone: 'https://example.com/a/b.git', devcontainer: 'python' });
    expect(createInput(form)).toEqual({ name: 'alpha' });
  });

  it('checks limits as typed: numbers, whole where they must be; empty is the default', () => {
    expect(limitProblem('cpus', '')).toBeNull();
    expect(limitProblem('cpus', '0.5')).toBeNull();
    expect(limitProblem('cpus', '0')).toBeNull();
    expect(limitProblem('cpus', 'two')).toMatch(/Give a number/);
    expect(limitProblem('memoryMb', '-1')).toMatch(/Give a number/);
    expect(limitProblem('memoryMb', '512.5')).toBe('Give a whole number.');
    expect(limitProblem('pids', '1024')).toBeNull();
  });

  it('checks the repository URL with the agent’s words; empty is no clone', () => {
    expect(cloneProblem('')).toBeNull();
    expect(cloneProblem('git@github.com:owner/repo.git')).toBeNull();
    expect(cloneProblem('not a url')).toMatch(/^Cannot clone "not a url"/);
  });
});

describe('limits for people', () => {
  it('says which are limited and which are not', () => {
    expect(formatLimits({ cpus: 2, memoryMb: 4096, pids: 8192 })).toBe('CPU: 2 CPUs · Memory: 4096 MiB · Processes: 8192');
    expect(formatLimits({ pids: 8192 })).toBe('CPU: no limit · Memory: no limit · Processes: 8192');
    expect(formatLimits({ cpus: 1 })).toBe('CPU: 1 CPU · Memory: no limit · Processes: no limit');
  });
});

describe('ports', () => {
  it('reads a port from 1 to 65535, or says why not', () => {
    expect(parsePort('8080')).toEqual({ port: 8080, problem: null });
    expect(parsePort(' ')).toEqual({ port: null, problem: null });
    expect(parsePort('0').problem).toMatch(/1 to 65535/);
    expect(parsePort('65536').problem).toMatch(/1 to 65535/);
    expect(parsePort('80.5').problem).toMatch(/1 to 65535/);
    expect(parsePort('http').problem).toMatch(/1 to 65535/);
  });

  it('links a forward on the host the page came from, IPv6 in brackets', () => {
    expect(forwardUrl('devbox', 8080)).toBe('http://devbox:8080/');
    expect(forwardUrl('[::1]', 3000)).toBe('http://[::1]:3000/');
    expect(forwardUrl('::1', 3000)).toBe('http://[::1]:3000/');
  });
});

describe('logs', () => {
  it('appends what follows and drops a line repeated at the seam', () => {
    const first = [line('t1', 'a'), line('t2', 'b')];
    const next = [line('t2', 'b'), line('t3', 'c', 'stderr')];
    expect(appendLogLines(first, next)).toEqual([line('t1', 'a'), line('t2', 'b'), line('t3', 'c', 'stderr')]);
    expect(appendLogLines(first, [])).toBe(first);
  });

  it('keeps at most the newest lines', () => {
    const lines = [line('t1', 'a'), line('t2', 'b')];
    expect(appendLogLines(lines, [line('t3', 'c')], 2).map((l) => l.text)).toEqual(['b', 'c']);
  });

  it('filters and highlights case-insensitively', () => {
    const lines = [line('t1', 'Server started'), line('t2', 'listening'), line('t3', 'server stopped')];
    expect(filterLogLines(lines, 'SERVER').map((l) => l.time)).toEqual(['t1', 't3']);
    expect(filterLogLines(lines, '')).toBe(lines);
    expect(highlightParts('a Server and a server', 'server')).toEqual([
      { text: 'a ', match: false },
      { text: 'Server', match: true },
      { text: ' and a ', match: false },
      { text: 'server', match: true },
    ]);
    expect(highlightParts('abc', '')).toEqual([{ text: 'abc', match: false }]);
  });
});

describe('commands', () => {
  it('runs a typed line in a login shell', () => {
    expect(shellCommand('ls -la | wc -l')).toEqual(['bash', '-lc', 'ls -la | wc -l']);
  });

  it('reads a timeout of 1 to 3600 seconds', () => {
    expect(parseTimeout('')).toEqual({ seconds: null, problem: null });
    expect(parseTimeout('120')).toEqual({ seconds: 120, problem: null });
    expect(parseTimeout('0').problem).toMatch(/1 to 3600/);
    expect(parseTimeout('4000').problem).toMatch(/1 to 3600/);
  });
});
