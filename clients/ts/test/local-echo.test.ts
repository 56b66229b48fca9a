import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import serializeAddon from '@xterm/addon-serialize';
import xtermHeadless from '@xterm/headless';

import { LocalEcho, type LocalEchoOptions } from '../src/index.ts';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;
type HeadlessTerminal = InstanceType<typeof Terminal>;

const COLS = 40;
const ROWS = 8;
const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const BACKSPACE = '\x7f';
const PROMPT = '\x1b[1;32muser\x1b[0m:\x1b[34m~\x1b[0m$ ';

function makeTerminal() {
  const terminal = new Terminal({ cols: COLS, rows: ROWS, scrollback: 50, allowProposedApi: true });
  const serializer = new SerializeAddon();
  terminal.loadAddon(serializer);
  return { terminal, serializer };
}

function written(terminal: HeadlessTerminal, data: string | Uint8Array = ''): Promise<void> {
  return new Promise((resolve) => terminal.write(data, resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a screen shows: every cell with its attributes, the cursor and which buffer is active. */
function screen(side: ReturnType<typeof makeTerminal>) {
  const buffer = side.terminal.buffer.active;
  return {
    content: side.serializer.serialize(),
    cursor: [buffer.cursorX, buffer.cursorY, buffer.baseY],
    buffer: buffer.type,
  };
}

const livePairs: Pair[] = [];

/** Pending predictions hold an echo timer; a test's terminals go away with it. */
afterEach(() => {
  for (const pair of livePairs.splice(0)) pair.dispose();
});

/**
 * A terminal with local echo and a plain one, fed the same output stream: whatever local echo
 * draws, once everything is settled the two must show the same screen.
 */
class Pair {
  readonly echoSide = makeTerminal();
  readonly plainSide = makeTerminal();
  readonly echo: LocalEcho;

  constructor(options: LocalEchoOptions = {}) {
    this.echo = new LocalEcho(this.echoSide.terminal, { echoTimeoutMs: 60_000, ...options });
    livePairs.push(this);
  }

  dispose() {
    this.echo.dispose();
    this.echoSide.terminal.dispose();
    this.plainSide.terminal.dispose();
  }

  output(data: string | Uint8Array) {
    this.echo.onOutput(data);
    this.plainSide.terminal.write(data);
  }

  input(data: string) {
    this.echo.onInput(data);
  }

  async settle() {
    await this.echo.flushed();
    await written(this.plainSide.terminal);
  }

  /** The echo side's row as text, and which of its cells are underlined. */
  row(y: number) {
    const buffer = this.echoSide.terminal.buffer.active;
    const line = buffer.getLine(buffer.baseY + y);
    let text = '';
    let underlined = '';
    for (let x = 0; x < COLS; x += 1) {
      const cell = line?.getCell(x);
      const chars = cell?.getChars() || ' ';
      text += chars;
      underlined += cell?.isUnderline() ? chars : '';
    }
    return { text: text.trimEnd(), underlined };
  }

  cursor() {
    const buffer = this.echoSide.terminal.buffer.active;
    return [buffer.cursorX, buffer.cursorY];
  }

  /** Settles, then writes one more plain character to both (it shows the pen), and compares. */
  async assertSame(message = 'screens differ') {
    await this.settle();
    this.output('Z');
    await this.settle();
    assert.deepEqual(screen(this.echoSide), screen(this.plainSide), message);
  }
}

/** A pair whose prediction display is on and whose prompt line is confirmed by typing `first`. */
async function confirmedPrompt(first = 'l', options: LocalEchoOptions = { mode: 'always' }) {
  const pair = new Pair(options);
  pair.output(PROMPT);
  await pair.settle();
  pair.input(first);
  await pair.settle();
  pair.output(first);
  await pair.settle();
  return pair;
}

/**
 * A small line-discipline shell (readline-like): it echoes typed characters, inserts in the
 * middle of the line, erases with backspace, and runs a few commands: `pw` (a password prompt
 * without echo), `up` (toggles echoing in uppercase: every prediction is then wrong), `vi` (an
 * alternate-screen editor in insert mode, left with Escape), `ls` (output that scrolls).
 */
class FakeShell {
  private line: string[] = [];
  private cursor = 0;
  private echo = true;
  private upper = false;
  private editor = false;
  private readonly maxLine = 24;

  start(): string {
    return PROMPT;
  }

  handle(data: string): string {
    let output = '';
    let index = 0;
    while (index < data.length) {
      if (data.startsWith(LEFT, index) || data.startsWith(RIGHT, index)) {
        output += data.startsWith(LEFT, index) ? this.left() : this.right();
        index += 3;
        continue;
      }
      const char = data[index] as string;
      index += 1;
      if (char === '\x1b') output += this.escape();
      else if (char === BACKSPACE) output += this.backspace();
      else if (char === '\r') output += this.enter();
      else if (char === '\x03') output += this.interrupt();
      else if (char >= ' ' && char <= '~') output += this.insert(char);
      else output += '\x07';
    }
    return output;
  }

  private shown(text: string): string {
    if (!this.echo) return '';
    return this.upper ? text.toUpperCase() : text;
  }

  private insert(char: string): string {
    if (this.line.length >= this.maxLine) return '\x07';
    this.line.splice(this.cursor, 0, char);
    this.cursor += 1;
    const rest = this.line.slice(this.cursor).join('');
    const typed = this.editor ? `\x1b[36m${this.shown(char)}\x1b[39m` : this.shown(char);
    return this.echo ? typed + this.shown(rest) + '\b'.repeat(rest.length) : '';
  }

  private backspace(): string {
    if (this.cursor === 0) return '\x07';
    this.line.splice(this.cursor - 1, 1);
    this.cursor -= 1;
    const rest = this.line.slice(this.cursor).join('');
    return this.echo ? '\b' + this.shown(rest) + ' ' + '\b'.repeat(rest.length + 1) : '';
  }

  private left(): string {
    if (this.cursor === 0) return '\x07';
    this.cursor -= 1;
    return this.echo ? '\b' : '';
  }

  private right(): string {
    if (this.cursor === this.line.length) return '\x07';
    const char = this.line[this.cursor] as string;
    this.cursor += 1;
    return this.echo ? this.shown(char) : '';
  }

  private escape(): string {
    if (!this.editor) return '\x07';
    this.editor = false;
    this.line = [];
    this.cursor = 0;
    return '\x1b[?1049l' + PROMPT;
  }

  private interrupt(): string {
    this.line = [];
    this.cursor = 0;
    this.echo = true;
    return '^C\r\n' + (this.editor ? '' : PROMPT);
  }

  private enter(): string {
    const command = this.line.join('').trim();
    this.line = [];
    this.cursor = 0;
    if (this.editor) return '\r\n';
    if (!this.echo) {
      this.echo = true;
      return '\r\n\x1b[2mwrong password\x1b[0m\r\n' + PROMPT;
    }
    switch (command) {
      case 'pw':
        this.echo = false;
        return '\r\nPassword: ';
      case 'up':
        this.upper = !this.upper;
        return '\r\n' + PROMPT;
      case 'vi':
        this.editor = true;
        return '\x1b[?1049h\x1b[H\x1b[2J\x1b[' + ROWS + ';1H\x1b[1m-- INSERT --\x1b[0m\x1b[H';
      case 'ls':
        return '\r\n' + Array.from({ length: 12 }, (_, i) => `\x1b[34mfile-${i}\x1b[0m`).join('\r\n') + '\r\n' + PROMPT;
      default:
        return '\r\n' + (command ? `\x1b[31mnot found:\x1b[0m ${command}\r\n` : '') + PROMPT;
    }
  }
}

/** Keystrokes go to the shell at once; its answers wait in a queue until the test delivers them. */
class Link {
  readonly shell = new FakeShell();
  private queue = '';

  constructor(readonly pair: Pair) {
    pair.output(this.shell.start());
  }

  type(data: string) {
    this.pair.input(data);
    this.queue += this.shell.handle(data);
  }

  /** Delivers the first `length` characters of what the shell wrote (all by default). */
  deliver(length = this.queue.length) {
    const chunk = this.queue.slice(0, length);
    this.queue = this.queue.slice(length);
    if (chunk) this.pair.output(chunk);
  }

  get queued() {
    return this.queue.length;
  }
}

describe('local echo', () => {
  test('the comparison notices an underline left behind', async () => {
    const a = makeTerminal();
    const b = makeTerminal();
    await written(a.terminal, 'x\x1b[4my\x1b[24m');
    await written(b.terminal, 'xy');
    assert.notDeepEqual(screen(a), screen(b));
  });

  test('a keystroke is drawn underlined before the server answers once the line is confirmed', async () => {
    const pair = await confirmedPrompt('l');
    pair.input('s');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$ ls', underlined: 's' });
    assert.deepEqual(pair.cursor(), [10, 0]);
    assert.equal(pair.echo.active, true);
    assert.deepEqual(pair.echo.stats, { predicted: 2, confirmed: 1, mispredicted: 0, displayed: 1 });
    pair.output('s');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$ ls', underlined: '' });
    assert.deepEqual(pair.echo.stats, { predicted: 2, confirmed: 2, mispredicted: 0, displayed: 1 });
    await pair.assertSame();
  });

  test('the first keystroke of a line is not shown until the server confirms one (mosh epochs)', async () => {
    const pair = new Pair({ mode: 'always' });
    pair.output(PROMPT);
    await pair.settle();
    pair.input('l');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$', underlined: '' });
    await pair.assertSame();
  });

  test('nothing is drawn with mode off', async () => {
    const pair = await confirmedPrompt('l', { mode: 'off' });
    pair.input('s');
    await pair.settle();
    assert.equal(pair.echo.active, false);
    assert.deepEqual(pair.row(0), { text: 'user:~$ l', underlined: '' });
    assert.equal(pair.echo.stats.predicted, 0);
  });

  test('in auto mode predictions show only while the round trip is over the threshold', async () => {
    const pair = await confirmedPrompt('l', { mode: 'auto' });
    pair.echo.setRoundTrip(10);
    pair.input('s');
    await pair.settle();
    assert.equal(pair.echo.active, false);
    assert.deepEqual(pair.row(0), { text: 'user:~$ l', underlined: '' });
    pair.echo.setRoundTrip(80);
    await pair.settle();
    assert.equal(pair.echo.active, true);
    assert.deepEqual(pair.row(0), { text: 'user:~$ ls', underlined: 's' });
    // mosh's hysteresis: just under the threshold stays on, two thirds of it turns off.
    pair.echo.setRoundTrip(25);
    assert.equal(pair.echo.active, true);
    pair.echo.setRoundTrip(20);
    await pair.settle();
    assert.equal(pair.echo.active, false);
    assert.deepEqual(pair.row(0), { text: 'user:~$ l', underlined: '' });
    pair.echo.setThreshold(5);
    await pair.settle();
    assert.equal(pair.echo.active, true);
    assert.deepEqual(pair.row(0), { text: 'user:~$ ls', underlined: 's' });
    pair.output('s');
    await pair.assertSame();
  });

  test('typing a line with backspace, arrows and insertion ends as the shell draws it', async () => {
    const pair = new Pair({ mode: 'always' });
    const link = new Link(pair);
    await pair.settle();
    link.type('e');
    link.deliver();
    await pair.settle();
    // The echo lags three keystrokes behind from here on.
    const keys = ['c', 'h', 'o', ' ', 'w', 'o', 'r', 'l', 'x', BACKSPACE, 'd', LEFT, LEFT, LEFT, 'X', RIGHT, BACKSPACE, 'Y'];
    const lagging: number[] = [];
    for (const key of keys) {
      const before = link.queued;
      link.type(key);
      lagging.push(link.queued - before);
      if (lagging.length > 3) link.deliver(lagging.shift());
      await pair.settle();
    }
    // Before the last three answers arrive, the screen already shows the typed line.
    assert.equal(pair.row(0).text, 'user:~$ echo woXYld');
    assert.deepEqual(pair.cursor(), [8 + 'echo woXY'.length, 0]);
    assert.ok(pair.echo.stats.displayed > 10, JSON.stringify(pair.echo.stats));
    link.deliver();
    await pair.assertSame();
    assert.equal(pair.echo.stats.mispredicted, 0);
  });

  test('a password prompt (no echo) keeps nothing predicted on the screen', async () => {
    for (const mode of ['auto', 'always'] as const) {
      const pair = new Pair({ mode, echoTimeoutMs: 40 });
      pair.echo.setRoundTrip(100);
      const link = new Link(pair);
      for (const key of ['p', 'w']) {
        link.type(key);
        link.deliver();
        await pair.settle();
      }
      link.type('\r');
      link.deliver();
      await pair.settle();
      assert.equal(pair.row(1).text, 'Password:');
      for (const key of 'secret') {
        link.type(key);
        await pair.settle();
        assert.equal(pair.row(1).text, 'Password:', `${mode}: a password character was drawn`);
      }
      await sleep(60);
      await pair.settle();
      assert.equal(pair.row(1).text, 'Password:');
      link.type('\r');
      link.deliver();
      await pair.assertSame(mode);
    }
  });

  test('a misprediction (the server echoes uppercase) is repaired and hides the next epoch', async () => {
    const pair = await confirmedPrompt('l');
    pair.input('s');
    pair.input('x');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$ lsx', underlined: 'sx' });
    pair.output('S');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$ lS', underlined: '' });
    pair.output('X');
    await pair.settle();
    pair.input('y');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$ lSX', underlined: '' });
    pair.output('Y');
    await pair.settle();
    assert.deepEqual(pair.echo.stats, { predicted: 4, confirmed: 1, mispredicted: 3, displayed: 2 });
    // After the glitch, nothing more is shown until a fresh prediction is confirmed.
    pair.input('z');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$ lSXY', underlined: '' });
    pair.output('z');
    await pair.settle();
    pair.input('w');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$ lSXYzw', underlined: 'w' });
    pair.output('w');
    await pair.assertSame();
  });

  test('a shell that echoes in uppercase never leaves a prediction on the screen', async () => {
    const pair = new Pair({ mode: 'always' });
    const link = new Link(pair);
    for (const key of ['u', 'p', '\r', 'a', 'b', 'c', LEFT, 'd', BACKSPACE, 'e']) {
      link.type(key);
      if (link.queued > 0 && key !== 'c') link.deliver();
      await pair.settle();
      assert.equal(pair.row(pair.cursor()[1] as number).underlined, '');
    }
    link.deliver();
    await pair.assertSame();
  });

  test('the alternate screen (an editor in insert mode) is predicted once an echo there is confirmed', async () => {
    const pair = new Pair({ mode: 'always' });
    const link = new Link(pair);
    for (const key of ['v', 'i', '\r']) {
      link.type(key);
      link.deliver();
      await pair.settle();
    }
    assert.equal(pair.echoSide.terminal.buffer.active.type, 'alternate');
    link.type('h');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: '', underlined: '' });
    link.deliver();
    await pair.settle();
    link.type('i');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'hi', underlined: 'i' });
    link.deliver();
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'hi', underlined: '' });
    await pair.assertSame('in the editor');
    link.type('\x1b');
    link.deliver();
    await pair.assertSame('back from the editor');
    assert.equal(pair.echoSide.terminal.buffer.active.type, 'normal');
  });

  test('the pen of a coloured prompt is restored after predictions are drawn', async () => {
    const pair = new Pair({ mode: 'always' });
    // The prompt leaves the pen set: typed text is bold cyan on blue, as is the next output.
    pair.output('\x1b[33m$ \x1b[1;36;44m');
    await pair.settle();
    pair.input('a');
    pair.output('a');
    await pair.settle();
    pair.input('b');
    pair.input('c');
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: '$ abc', underlined: 'bc' });
    const cell = pair.echoSide.terminal.buffer.active.getLine(0)?.getCell(3);
    assert.equal(cell?.getFgColor(), 6, 'predictions are drawn with the application pen');
    pair.output('b');
    await pair.settle();
    pair.output('c');
    await pair.assertSame();
  });

  test('the pen is restored across DECSC/DECRC and 256-colour and RGB attributes', async () => {
    const pair = new Pair({ mode: 'always' });
    pair.output('\x1b[38;5;202;48;2;10;20;30m> \x1b7\x1b[0;4m');
    await pair.settle();
    pair.input('a');
    pair.output('a');
    await pair.settle();
    pair.input('b');
    await pair.settle();
    // A status line drawn elsewhere while a prediction is shown: the row we type on is untouched.
    pair.output('\x1b7\x1b[3;1H\x1b[7mstatus\x1b8');
    await pair.settle();
    assert.equal(pair.row(0).text, '> ab');
    pair.output('b');
    await pair.assertSame();
  });

  test('output arriving while predictions are pending is written in order and predictions repaired', async () => {
    const pair = await confirmedPrompt('l');
    pair.input('s');
    pair.input(' ');
    pair.input('-');
    await pair.settle();
    assert.equal(pair.row(0).text, 'user:~$ ls -');
    // A background job reports, and the shell redraws its prompt and line below.
    pair.output('\r\n[1]+ Done\r\n' + PROMPT + 'ls');
    await pair.settle();
    assert.equal(pair.row(0).text, 'user:~$ l');
    assert.equal(pair.row(2).text, 'user:~$ ls');
    pair.output(' -');
    await pair.assertSame();
  });

  test('server chunks split inside escape sequences are never interleaved with predictions', async () => {
    const pair = await confirmedPrompt('l');
    pair.input('s');
    await pair.settle();
    pair.output('s\x1b[3');
    await pair.settle();
    pair.input('x');
    await pair.settle();
    pair.output('1mred\x1b]0;ti');
    pair.input('y');
    await pair.settle();
    pair.output('tle\x07');
    await pair.assertSame();
  });

  test('typing in the last column is not predicted', async () => {
    const pair = new Pair({ mode: 'always' });
    pair.output('$'.repeat(COLS - 4));
    await pair.settle();
    pair.input('a');
    pair.output('a');
    await pair.settle();
    for (const key of 'bcd') pair.input(key);
    await pair.settle();
    assert.deepEqual(pair.row(0).underlined, 'bc');
    pair.output('bcd');
    await pair.assertSame();
  });

  test('dispose rolls back what is drawn and passes output through', async () => {
    const pair = await confirmedPrompt('l');
    pair.input('s');
    await pair.settle();
    assert.equal(pair.row(0).underlined, 's');
    pair.echo.dispose();
    await pair.settle();
    assert.deepEqual(pair.row(0), { text: 'user:~$ l', underlined: '' });
    pair.output('s');
    await pair.assertSame();
  });

  test('random typing against a shell with random delays and chunking ends on the same screen', async () => {
    const alphabet = ['a', 'b', 'e', 'l', 's', 'p', 'w', 'u', 'v', 'i', ' '];
    let displayed = 0;
    for (let seed = 1; seed <= 30; seed += 1) {
      const random = mulberry32(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const pair = new Pair({ mode: random() < 0.5 ? 'always' : 'auto', echoTimeoutMs: 15 });
      pair.echo.setRoundTrip(random() * 100);
      const link = new Link(pair);
      const commands = ['ls', 'pw', 'up', 'vi', 'xyz'];
      for (let step = 0; step < 150; step += 1) {
        const roll = random();
        if (roll < 0.55) {
          const keyRoll = random();
          if (keyRoll < 0.62) link.type(pick(alphabet));
          else if (keyRoll < 0.74) link.type(BACKSPACE);
          else if (keyRoll < 0.82) link.type(LEFT);
          else if (keyRoll < 0.88) link.type(RIGHT);
          else if (keyRoll < 0.93) link.type(pick(commands) + '\r');
          else if (keyRoll < 0.96) link.type('\r');
          else if (keyRoll < 0.98) link.type('\x1b');
          else link.type('\x03');
        } else if (roll < 0.85) {
          // The network delivers everything so far, or a piece cut anywhere (inside sequences too).
          link.deliver(random() < 0.5 ? link.queued : Math.ceil(random() * link.queued));
        } else if (roll < 0.95) {
          await pair.settle();
        } else if (roll < 0.97) {
          await sleep(30);
        } else {
          pair.echo.setRoundTrip(random() * 100);
        }
      }
      link.deliver();
      await pair.settle();
      await sleep(20);
      await pair.assertSame(`seed ${seed}`);
      const stats = pair.echo.stats;
      assert.ok(stats.confirmed + stats.mispredicted <= stats.predicted, `seed ${seed}: ${JSON.stringify(stats)}`);
      displayed += stats.displayed;
      pair.dispose();
    }
    assert.ok(displayed > 20, `predictions were displayed ${displayed} times`);
  });
});

/** A small seeded generator, so a failing seed can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
