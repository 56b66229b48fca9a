import { describe, expect, it } from 'vitest';

import { formatCommandLine, parseCommandLine } from './command-line';

describe('parseCommandLine', () => {
  it('splits words on spaces, as a shell does', () => {
    expect(parseCommandLine('  npx -y   @modelcontextprotocol/server-memory ')).toEqual({ args: ['npx', '-y', '@modelcontextprotocol/server-memory'] });
    expect(parseCommandLine('')).toEqual({ args: [] });
  });

  it('keeps quoted words whole, and empty quotes as an empty word', () => {
    expect(parseCommandLine(`node "my server.js" --name 'it'\\''s' ''`)).toEqual({ args: ['node', 'my server.js', '--name', "it's", ''] });
    expect(parseCommandLine('a\\ b "c\\"d"')).toEqual({ args: ['a b', 'c"d'] });
  });

  it('says when a quote is left open', () => {
    expect(parseCommandLine('node "server.js')).toEqual({ error: 'A double quote is not closed' });
    expect(parseCommandLine("node 'x")).toEqual({ error: 'A single quote is not closed' });
  });
});

describe('formatCommandLine', () => {
  it('leaves plain words alone and quotes the others so they read back the same', () => {
    expect(formatCommandLine(['npx', '-y', '@scope/pkg@1.2', 'KEY=v', '/a/b.js'])).toBe('npx -y @scope/pkg@1.2 KEY=v /a/b.js');
    const tricky = ['node', 'my server.js', "it's", '', '$HOME', 'a"b'];
    expect(parseCommandLine(formatCommandLine(tricky))).toEqual({ args: tricky });
  });
});
