// An MCP server's command is a list of strings on the wire; a person types it as one line, the
// way a shell would split it: words separated by spaces, quotes around a word with spaces.

/** The words of `line` as a POSIX shell splits them (quotes and backslashes, no expansions), or an error. */
export function parseCommandLine(line: string): { args: string[] } | { error: string } {
  const args: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i] ?? '';
    if (quote === "'") {
      if (char === "'") quote = null;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = null;
      else if (char === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] ?? '')) word += line[++i];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\') {
      if (i + 1 < line.length) word += line[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) args.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote !== null) return { error: `A ${quote === "'" ? 'single' : 'double'} quote is not closed` };
  if (inWord) args.push(word);
  return { args };
}

/** `args` as one line that {@link parseCommandLine} splits back into the same words. */
export function formatCommandLine(args: readonly string[]): string {
  return args.map((arg) => (arg !== '' && /^[A-Za-z0-9_\-+=:,./@%^]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
