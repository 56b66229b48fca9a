// Predictive local echo for a terminal on a slow link, as mosh does it: printable keys, backspace
// and left/right arrows typed at a prompt are drawn at once, underlined as tentative, and
// confirmed or repaired when the server's output arrives. The screen always ends exactly as the
// server says: before every server chunk the predictions are rolled back (the overwritten cells,
// the cursor and the pen restored), the chunk is written, and the predictions still pending are
// drawn again on top. Pure TypeScript over xterm's public API, shared by the web UI and the phone.
//
// # Rules taken from mosh (src/frontend/terminaloverlay.cc)
// - Epochs: predictions are made for every predictable key, but a line (epoch) of predictions is
//   shown only once one of its predictions was confirmed by the server; anything unpredictable
//   (Enter, Ctrl-C, escape sequences other than left/right, non-ASCII, the right margin) ends the
//   epoch, so the next line starts hidden again (`become_tentative`). This is what keeps password
//   prompts dark: the line after Enter is not shown until an echo confirms it, and no echo comes.
// - No credit for blanks (`CorrectNoCredit`): a confirmed space, backspace or arrow does not
//   confirm an epoch; only a printable non-space character that the server really drew does.
// - A misprediction (the server's screen matches neither the confirmed state nor any pending
//   prediction) or an echo that does not come within a timeout is a glitch: every prediction of
//   the line is dropped (`reset`), and the next epoch waits for a fresh confirmation. Since a
//   shell's redraw may arrive in pieces, a screen matching nothing hides the predictions at once
//   but counts as a misprediction only after three chunks in a row.
// - The display trigger: in 'auto' mode predictions show only while the smoothed round trip
//   exceeds the threshold, with mosh's hysteresis (on above the threshold, off at or below two
//   thirds of it, so a round trip hovering at the threshold does not flicker).
// - Nothing is predicted in the last column (mosh: "prediction in the last column is tricky"), nor
//   with origin mode on.
// - 'always' (mosh's `--predict=always`) ignores the round trip but keeps the epoch rule: showing
//   unconfirmed epochs would flash the first character typed at every password prompt.
//
// # Rules taken from VS Code's terminalTypeAheadAddon.ts
// - Predictions are written into xterm's buffer (not an overlay layer), styled with the
//   application's own pen plus underline; the pen is tracked through a CSI `m` handler that
//   returns false (xterm still handles it) and replayed after our own writes.
// - Backspace and left arrow may not reach into the prompt: only over what was typed in this epoch.
//
// # Where this does better
// - Judging is by state, not by matching the byte stream: after each server chunk the row the
//   user types on is compared with the state each pending keystroke predicts (text and cursor),
//   so any echo format works (bash's `\b \b`, zsh's redraws, colour from syntax highlighting).
// - Typing in the middle of a line (after left arrow) is predicted as insertion, and backspace
//   there as deletion, as readline, zle, fish and vim's insert mode do.
// - The alternate screen (vim, less, htop) needs no special case: switching buffers ends the
//   epoch, and a new one there is shown only after an echo was confirmed there (mosh's rule).
// - The pen is tracked across DECSC/DECRC, CSI s/u, 1048/1049, RIS and DECSTR; nothing is drawn
//   while G0 is the line-drawing set, an OSC 8 hyperlink is open, or insert mode is on.
// - Our writes never land inside a server escape sequence split across chunks: the server stream
//   is scanned and predictions are drawn only when it rests in the ground state.
// - Never DECSC/DECRC (ESC 7 / ESC 8): the application may be using its single save slot; the
//   cursor is restored with an absolute CUP, and only when it is not in the pending-wrap state.
//
// # Not predicted
// Anything but ASCII printable keys, backspace (DEL or BS) and plain left/right arrows: word
// moves (Ctrl-left, Alt-b), Home/End, Tab, Enter and Ctrl-C end the epoch. A new epoch starts only
// when xterm has parsed all output (its write is asynchronous: the write callback says when the
// buffer is current), the server stream rests between sequences, no key went out unpredicted since
// the last output, the cursor is short of the last column and the row right of it is blank (no
// zsh right prompt, no fish suggestion: text there moves in ways we cannot know). Within an epoch,
// keys that arrive while output is being parsed are predicted and drawn once it is. Cells holding
// wide characters are never drawn over. Not tracked: SO/SI charset shifts, REP (CSI b) right
// after a chunk boundary, and a resize while predictions are drawn is repaired only best-effort
// (xterm's reflow may have moved the cells).
//
// # Contract with the caller
// Every output byte goes through `onOutput` (LocalEcho writes it, in order and complete), every
// keystroke through `onInput` just before it is sent (LocalEcho never changes what is sent).
// Nothing else should write to the terminal. With @xterm/headless, `allowProposedApi: true` is
// needed for `parser` and `registerMarker`; @xterm/xterm 6 does not require it.

/** The cell methods local echo reads (xterm's IBufferCell). */
export interface EchoCell {
  getChars(): string;
  getCode(): number;
  getWidth(): number;
  getFgColorMode(): number;
  getBgColorMode(): number;
  getFgColor(): number;
  getBgColor(): number;
  isBold(): number;
  isDim(): number;
  isItalic(): number;
  isUnderline(): number;
  isBlink(): number;
  isInverse(): number;
  isInvisible(): number;
  isStrikethrough(): number;
  isOverline(): number;
}

export interface EchoDisposable {
  dispose(): void;
}

/** The part of an xterm.js Terminal (@xterm/xterm or @xterm/headless) local echo uses. */
export interface EchoTerminal {
  readonly cols: number;
  readonly rows: number;
  readonly buffer: {
    readonly active: {
      readonly type: 'normal' | 'alternate';
      readonly cursorX: number;
      readonly cursorY: number;
      readonly baseY: number;
      getLine(y: number): { getCell(x: number): EchoCell | undefined } | undefined;
    };
  };
  readonly modes: { readonly insertMode: boolean; readonly originMode: boolean };
  write(data: string | Uint8Array, callback?: () => void): void;
  registerMarker(cursorYOffset?: number): ({ readonly line: number; readonly isDisposed: boolean } & EchoDisposable) | undefined;
  onResize(listener: (size: { cols: number; rows: number }) => void): EchoDisposable;
  readonly parser: {
    registerCsiHandler(
      id: { prefix?: string; intermediates?: string; final: string },
      callback: (params: (number | number[])[]) => boolean,
    ): EchoDisposable;
    registerEscHandler(id: { prefix?: string; intermediates?: string; final: string }, handler: () => boolean): EchoDisposable;
    registerOscHandler(ident: number, callback: (data: string) => boolean): EchoDisposable;
  };
}

export type LocalEchoMode = 'auto' | 'always' | 'off';

export interface LocalEchoOptions {
  /**
   * 'auto' (default): show predictions while the round trip is over the threshold; 'always':
   * regardless of it (a line is still shown only once the server confirmed it); 'off': never.
   */
  mode?: LocalEchoMode;
  /** Default 30: in auto mode predictions show only when the smoothed round trip exceeds it. */
  thresholdMs?: number;
  /**
   * How long a prediction may wait for its echo before it counts as wrong (no echo: a password
   * prompt). Default: the larger of 750 ms and four round trips.
   */
  echoTimeoutMs?: number;
}

export interface LocalEchoStats {
  /** Keystrokes predicted (shown or not). */
  predicted: number;
  /** Predictions the server's output matched. */
  confirmed: number;
  /** Predictions the server's output contradicted, or whose echo did not come in time. */
  mispredicted: number;
  /** Predictions that were drawn on the screen before the server answered. */
  displayed: number;
}

const ESC = '\x1b';
const DEFAULT_THRESHOLD_MS = 30;
const MIN_ECHO_TIMEOUT_MS = 750;
/** More SGR sequences than this since the last reset and the pen counts as unknown (nothing is drawn). */
const MAX_TRACKED_SGR = 256;
/** Server chunks a screen may match no prediction for before it counts as a misprediction. */
const MAX_UNMATCHED_CHUNKS = 2;

// Colour modes of xterm's attribute words (IBufferCell.getFgColorMode / getBgColorMode).
const COLOR_MODE_P16 = 0x1000000;
const COLOR_MODE_P256 = 0x2000000;
const COLOR_MODE_RGB = 0x3000000;

type Key =
  | { kind: 'char'; char: string }
  | { kind: 'backspace' }
  | { kind: 'left' }
  | { kind: 'right' }
  | { kind: 'other' };

/** The keys in one onData string; parsing stops at the first key that cannot be predicted. */
function parseKeys(data: string): Key[] {
  const keys: Key[] = [];
  let index = 0;
  while (index < data.length) {
    const char = data[index] as string;
    const code = char.charCodeAt(0);
    if (code === 0x7f || code === 0x08) {
      keys.push({ kind: 'backspace' });
      index += 1;
    } else if (code >= 0x20 && code < 0x7f) {
      keys.push({ kind: 'char', char });
      index += 1;
    } else if (char === ESC && (data.startsWith('\x1b[D', index) || data.startsWith('\x1bOD', index))) {
      keys.push({ kind: 'left' });
      index += 3;
    } else if (char === ESC && (data.startsWith('\x1b[C', index) || data.startsWith('\x1bOC', index))) {
      keys.push({ kind: 'right' });
      index += 3;
    } else {
      keys.push({ kind: 'other' });
      break;
    }
  }
  return keys;
}

/** Where the server's byte stream is: only in `ground` may our own sequences be interleaved. */
type StreamState = 'ground' | 'escape' | 'escapeIntermediate' | 'csi' | 'osc' | 'string';

/** Follows the server stream just far enough to know whether a chunk ended inside a sequence. */
class StreamScanner {
  state: StreamState = 'ground';

  feed(data: Uint8Array | string): void {
    for (let index = 0; index < data.length; index += 1) {
      const code = typeof data === 'string' ? data.charCodeAt(index) : (data[index] as number);
      this.step(code);
    }
  }

  private step(code: number): void {
    // CAN and SUB abort any sequence; ESC starts a new one (and ends OSC and DCS strings).
    if (code === 0x18 || code === 0x1a) {
      this.state = 'ground';
      return;
    }
    if (code === 0x1b) {
      this.state = 'escape';
      return;
    }
    switch (this.state) {
      case 'ground':
        return;
      case 'escape':
        if (code === 0x5b) this.state = 'csi';
        else if (code === 0x5d) this.state = 'osc';
        else if (code === 0x50 || code === 0x58 || code === 0x5e || code === 0x5f) this.state = 'string';
        else if (code >= 0x20 && code <= 0x2f) this.state = 'escapeIntermediate';
        else if (code >= 0x30 && code <= 0x7e) this.state = 'ground';
        return;
      case 'escapeIntermediate':
        if (code >= 0x30 && code <= 0x7e) this.state = 'ground';
        return;
      case 'csi':
        if (code >= 0x40 && code <= 0x7e) this.state = 'ground';
        return;
      case 'osc':
        if (code === 0x07) this.state = 'ground';
        return;
      case 'string':
        return;
    }
  }
}

/** The SGR parameters of one sequence as text, sub-parameters joined with colons as sent. */
function sgrText(params: (number | number[])[]): string {
  let text = '';
  params.forEach((param, index) => {
    if (typeof param === 'number') text += (index > 0 ? ';' : '') + String(param);
    else text += ':' + param.map((value) => (value < 0 ? '' : String(value))).join(':');
  });
  return text;
}

/** What the application's pen and charset are, mirrored from the sequences xterm parses. */
interface PenState {
  /** The SGR sequences applied since the pen was last at its default. */
  sgr: string[];
  /** Whether G0 is DEC special graphics (line drawing): then 'q' would draw a line. */
  lineDrawing: boolean;
}

function defaultPen(): PenState {
  return { sgr: [], lineDrawing: false };
}

function copyPen(pen: PenState): PenState {
  return { sgr: [...pen.sgr], lineDrawing: pen.lineDrawing };
}

/** A cell of the real screen as it was before we drew over it, enough to write it back. */
interface SavedCell {
  chars: string;
  width: number;
  /** SGR parameters reproducing the cell's attributes. */
  sgr: string;
  /** An empty cell whose only attribute is its background: restored by erasing (ECH). */
  erased: boolean;
  /** Whether writing it back reproduces it exactly (no wide characters, no attributes we cannot see). */
  restorable: boolean;
}

function colorParams(mode: number, color: number, base: number, brightBase: number, extended: number): string[] {
  switch (mode) {
    case COLOR_MODE_P16:
      return [String(color < 8 ? base + color : brightBase + color - 8)];
    case COLOR_MODE_P256:
      return [String(extended), '5', String(color)];
    case COLOR_MODE_RGB:
      return [String(extended), '2', String((color >> 16) & 0xff), String((color >> 8) & 0xff), String(color & 0xff)];
    default:
      return [];
  }
}

function saveCell(cell: EchoCell | undefined): SavedCell {
  if (!cell) return { chars: '', width: 1, sgr: '0', erased: true, restorable: false };
  const flags: string[] = [];
  if (cell.isBold()) flags.push('1');
  if (cell.isDim()) flags.push('2');
  if (cell.isItalic()) flags.push('3');
  if (cell.isUnderline()) flags.push('4');
  if (cell.isBlink()) flags.push('5');
  if (cell.isInverse()) flags.push('7');
  if (cell.isInvisible()) flags.push('8');
  if (cell.isStrikethrough()) flags.push('9');
  if (cell.isOverline()) flags.push('53');
  const foreground = colorParams(cell.getFgColorMode(), cell.getFgColor(), 30, 90, 38);
  const background = colorParams(cell.getBgColorMode(), cell.getBgColor(), 40, 100, 48);
  const sgr = ['0', ...flags, ...foreground, ...background].join(';');
  const width = cell.getWidth();
  const empty = cell.getCode() === 0;
  // xterm erases with the pen's background only, so an empty cell with any other attribute
  // (left behind when a wide character was overwritten) cannot be made again by erasing.
  const erased = empty && flags.length === 0 && foreground.length === 0;
  return { chars: cell.getChars(), width, sgr, erased, restorable: width === 1 && (!empty || erased) };
}

function isBlank(chars: string): boolean {
  return chars === '' || chars === ' ';
}

function cursorTo(row: number, col: number): string {
  return `${ESC}[${row + 1};${col + 1}H`;
}

/** The typed region of a line as a keystroke leaves it. */
interface LineState {
  /** The characters typed in this epoch, from the line's start column. */
  text: string[];
  /** The cursor as an offset from the start column. */
  cursor: number;
}

interface Prediction extends LineState {
  /** Enter, Ctrl-C and the like: judged by the text alone, and it ends the line. */
  boundary: boolean;
  /** Whether confirming it confirms the epoch (mosh gives no credit for blanks and moves). */
  credit: boolean;
  /** When it was predicted (ms). */
  time: number;
  displayed: boolean;
}

/** One epoch: the predictions typed on one row since the last unpredictable key. */
interface PredictionLine {
  marker: { readonly line: number; readonly isDisposed: boolean } & EchoDisposable;
  bufferType: 'normal' | 'alternate';
  cols: number;
  startX: number;
  /** The state the server has confirmed. */
  base: LineState;
  pending: Prediction[];
  /** The widest the typed region has been: the cells compared with the server's screen. */
  width: number;
  /** Whether a prediction of this epoch was confirmed: only then is it shown. */
  confirmed: boolean;
  /** An unpredictable key was typed: no more predictions on this line. */
  closed: boolean;
  /** Server chunks in a row after which the screen matched no state: then nothing is shown. */
  unmatched: number;
}

/** What we drew over one cell. */
type DrawnCell = { kind: 'glyph'; char: string } | { kind: 'blank' };

export class LocalEcho {
  private readonly terminal: EchoTerminal;
  private mode: LocalEchoMode;
  private thresholdMs: number;
  private readonly echoTimeoutOption: number | undefined;
  private roundTripMs = 0;
  /** mosh's srtt trigger, with hysteresis. */
  private roundTripTrigger = false;
  private readonly counters: LocalEchoStats = { predicted: 0, confirmed: 0, mispredicted: 0, displayed: 0 };

  private line: PredictionLine | null = null;
  /** Keys were sent without a prediction and no output came since: the real cursor may move. */
  private keysUnseen = false;
  /** Whose bytes xterm is parsing, in write order: the head is the write being parsed now. */
  private readonly writes: ('own' | 'server')[] = [];
  private serverWritesInFlight = 0;
  private readonly scanner = new StreamScanner();

  private pen: PenState = defaultPen();
  private readonly savedPens: { normal: PenState; alternate: PenState } = { normal: defaultPen(), alternate: defaultPen() };
  private hyperlinkOpen = false;

  /** The real cursor (screen row, column) while the buffer is current. */
  private realCursor = { x: 0, y: 0 };
  /** Real cells of the prediction row, read before we first drew over them. */
  private readonly savedCells = new Map<number, SavedCell>();
  /** What is drawn over the real screen now, by column of the prediction row. */
  private readonly drawnCells = new Map<number, DrawnCell>();
  private drawnRow = -1;
  private overlayShown = false;

  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly disposables: EchoDisposable[] = [];
  private disposed = false;

  constructor(terminal: EchoTerminal, options: LocalEchoOptions = {}) {
    this.terminal = terminal;
    this.mode = options.mode ?? 'auto';
    this.thresholdMs = options.thresholdMs ?? DEFAULT_THRESHOLD_MS;
    this.echoTimeoutOption = options.echoTimeoutMs;
    this.trackTerminalState();
  }

  /** Whether predictions are shown (once an epoch is confirmed): the mode and the round trip allow it. */
  get active(): boolean {
    if (this.disposed) return false;
    if (this.mode === 'always') return true;
    return this.mode === 'auto' && this.roundTripTrigger;
  }

  get stats(): { predicted: number; confirmed: number; mispredicted: number; displayed: number } {
    return { ...this.counters };
  }

  /** Every keystroke string the user typed (xterm onData), called just before it is sent to the agent. */
  onInput(data: string): void {
    if (this.disposed || this.mode === 'off') return;
    for (const key of parseKeys(data)) this.predict(key);
    if (this.bufferCurrent()) this.draw();
    this.scheduleTimeout();
  }

  /**
   * Every output chunk from the agent; LocalEcho writes it to the terminal. Resolves once xterm
   * has parsed it: what a client acks for the agent's flow control, so a flood waits at the agent
   * (where Ctrl-C skips it) rather than in xterm's write queue.
   */
  onOutput(data: Uint8Array | string): Promise<void> {
    return new Promise((written) => {
      if (this.disposed) {
        this.writes.push('server');
        this.terminal.write(data, () => {
          this.writes.shift();
          written();
        });
        return;
      }
      this.undraw();
      this.scanner.feed(data);
      this.writes.push('server');
      this.serverWritesInFlight += 1;
      this.terminal.write(data, () => {
        this.writes.shift();
        this.serverWritesInFlight -= 1;
        if (this.serverWritesInFlight === 0) this.settle();
        written();
      });
    });
  }

  /** The smoothed round trip in ms (measured elsewhere by pings). */
  setRoundTrip(ms: number): void {
    this.roundTripMs = ms;
    this.updateTrigger();
    this.refresh();
  }

  setMode(mode: LocalEchoMode): void {
    this.mode = mode;
    if (mode === 'off' && this.line) this.dropLine();
    this.refresh();
  }

  setThreshold(ms: number): void {
    this.thresholdMs = ms;
    this.updateTrigger();
    this.refresh();
  }

  /** Resolves once xterm has parsed everything written so far, predictions included. */
  async flushed(): Promise<void> {
    while (this.writes.length > 0) {
      await new Promise<void>((resolve) => {
        this.writes.push('own');
        this.terminal.write('', () => {
          this.writes.shift();
          resolve();
        });
      });
    }
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.line) this.dropLine();
    this.disposed = true;
    this.clearTimer();
    for (const disposable of this.disposables) disposable.dispose();
    this.disposables.length = 0;
  }

  // --- Display trigger -------------------------------------------------------------------------

  private updateTrigger(): void {
    if (this.roundTripMs > this.thresholdMs) this.roundTripTrigger = true;
    else if (this.roundTripMs <= (this.thresholdMs * 2) / 3) this.roundTripTrigger = false;
  }

  private echoTimeoutMs(): number {
    return this.echoTimeoutOption ?? Math.max(MIN_ECHO_TIMEOUT_MS, 4 * this.roundTripMs);
  }

  private refresh(): void {
    if (this.bufferCurrent()) this.draw();
  }

  // --- Predicting keys -------------------------------------------------------------------------

  private predict(key: Key): void {
    let line = this.line;
    if (!line) {
      line = key.kind === 'other' ? null : this.startLine();
      if (!line) {
        this.keysUnseen = true;
        return;
      }
    }
    if (line.closed) {
      this.keysUnseen = true;
      return;
    }
    const current = line.pending.at(-1) ?? line.base;
    const text = [...current.text];
    let cursor = current.cursor;
    let credit = false;
    switch (key.kind) {
      case 'char':
        // The last column is never predicted: the shell may wrap, an editor may not.
        if (line.startX + text.length + 1 > line.cols - 1) return this.closeLine(line);
        text.splice(cursor, 0, key.char);
        cursor += 1;
        credit = key.char !== ' ';
        break;
      case 'backspace':
        if (cursor === 0) return this.closeLine(line);
        text.splice(cursor - 1, 1);
        cursor -= 1;
        break;
      case 'left':
        if (cursor === 0) return this.closeLine(line);
        cursor -= 1;
        break;
      case 'right':
        if (cursor === text.length) return this.closeLine(line);
        cursor += 1;
        break;
      case 'other':
        return this.closeLine(line);
    }
    line.pending.push({ text, cursor, boundary: false, credit, time: Date.now(), displayed: false });
    line.width = Math.max(line.width, text.length);
    this.counters.predicted += 1;
  }

  /** A new epoch at the real cursor, when the buffer is current and prediction there is sound. */
  private startLine(): PredictionLine | null {
    // Our own writes (a rollback) still in flight would make the buffer lie about the real cells,
    // and a key sent without a prediction may still move the cursor when its echo comes.
    if (!this.bufferCurrent() || this.writes.length > 0 || this.keysUnseen) return null;
    const buffer = this.terminal.buffer.active;
    const cols = this.terminal.cols;
    const x = buffer.cursorX;
    if (x >= cols - 1) return null;
    const row = buffer.getLine(buffer.baseY + buffer.cursorY);
    if (!row) return null;
    // Text right of the cursor (a right prompt, a suggestion, a line being edited) would move in
    // ways we cannot know: predict only into a blank remainder of the row.
    for (let column = x; column < cols; column += 1) {
      const cell = row.getCell(column);
      if (cell && !isBlank(cell.getChars())) return null;
    }
    // xterm keeps markers only in the normal buffer; the alternate one has no scrollback to trim.
    const marker =
      buffer.type === 'normal'
        ? this.terminal.registerMarker(0)
        : { line: buffer.baseY + buffer.cursorY, isDisposed: false, dispose: () => undefined };
    if (!marker) return null;
    this.line = {
      marker,
      bufferType: buffer.type,
      cols,
      startX: x,
      base: { text: [], cursor: 0 },
      pending: [],
      width: 0,
      confirmed: false,
      closed: false,
      unmatched: 0,
    };
    this.savedCells.clear();
    this.realCursor = { x, y: buffer.cursorY };
    return this.line;
  }

  /** An unpredictable key: what is pending is still judged, but nothing more is predicted. */
  private closeLine(line: PredictionLine): void {
    line.closed = true;
    this.keysUnseen = true;
    const last = line.pending.at(-1);
    if (!last) {
      this.dropLine();
      return;
    }
    line.pending.push({ text: last.text, cursor: last.cursor, boundary: true, credit: false, time: Date.now(), displayed: false });
  }

  private dropLine(): void {
    this.undraw();
    this.line?.marker.dispose();
    this.line = null;
    this.savedCells.clear();
    this.clearTimer();
  }

  // --- Judging predictions against the server's screen ----------------------------------------

  /** Whether xterm has parsed every server byte and the stream rests between sequences. */
  private bufferCurrent(): boolean {
    return this.serverWritesInFlight === 0 && this.scanner.state === 'ground';
  }

  /** After the last server chunk was parsed: the buffer shows the real screen. */
  private settle(): void {
    if (this.scanner.state !== 'ground') return;
    this.keysUnseen = false;
    const buffer = this.terminal.buffer.active;
    this.realCursor = { x: buffer.cursorX, y: buffer.cursorY };
    this.savedCells.clear();
    this.judge();
    this.draw();
    this.scheduleTimeout();
  }

  private lineValid(line: PredictionLine): boolean {
    return (
      !line.marker.isDisposed &&
      line.marker.line >= 0 &&
      line.bufferType === this.terminal.buffer.active.type &&
      line.cols === this.terminal.cols
    );
  }

  private judge(): void {
    const line = this.line;
    if (!line) return;
    if (!this.lineValid(line)) {
      this.dropLine();
      return;
    }
    this.match(line);
    if (this.line) this.expired(this.line);
  }

  /** Confirms the pending predictions the real screen shows, or drops the line when it shows none. */
  private match(line: PredictionLine): void {
    const buffer = this.terminal.buffer.active;
    const row = buffer.getLine(line.marker.line);
    const chars: string[] = [];
    for (let index = 0; index < line.width; index += 1) chars.push(row?.getCell(line.startX + index)?.getChars() ?? '');
    const onRow = buffer.baseY + buffer.cursorY === line.marker.line;
    const cursor = onRow ? buffer.cursorX - line.startX : Number.NaN;
    const matches = (state: LineState, boundary: boolean): boolean => {
      // A boundary (Enter, Ctrl-C) is judged by the typed text alone: the shell then moves on.
      const cells = boundary ? state.text.length : line.width;
      for (let index = 0; index < cells; index += 1) {
        const want = state.text[index] ?? ' ';
        const have = chars[index] ?? '';
        if (isBlank(want) ? !isBlank(have) : have !== want) return false;
      }
      return boundary || cursor === state.cursor;
    };
    if (matches(line.base, false)) {
      line.unmatched = 0;
      return;
    }
    const index = line.pending.findIndex((prediction) => matches(prediction, prediction.boundary));
    if (index < 0) {
      // Nothing pending: the row changed under a line that was fully confirmed; start afresh.
      if (line.pending.length === 0) {
        this.dropLine();
        return;
      }
      // A redraw may arrive in pieces (bash's insertion is the character, the rest of the line,
      // then backspaces): hide the predictions and give the screen a few more chunks to match.
      line.unmatched += 1;
      if (line.unmatched <= MAX_UNMATCHED_CHUNKS) return;
      this.counters.mispredicted += line.pending.filter((prediction) => !prediction.boundary).length;
      this.dropLine();
      return;
    }
    line.unmatched = 0;
    const confirmed = line.pending.splice(0, index + 1);
    for (const prediction of confirmed) {
      if (prediction.boundary) continue;
      this.counters.confirmed += 1;
      if (prediction.credit) line.confirmed = true;
    }
    const last = confirmed.at(-1) as Prediction;
    line.base = { text: last.text, cursor: last.cursor };
    if (line.closed && line.pending.every((prediction) => prediction.boundary)) this.dropLine();
  }

  /** An echo that did not come in time is a glitch (mosh): drop the line. */
  private expired(line: PredictionLine): boolean {
    const oldest = line.pending[0];
    if (!oldest || Date.now() - oldest.time < this.echoTimeoutMs()) return false;
    this.counters.mispredicted += line.pending.filter((prediction) => !prediction.boundary).length;
    this.dropLine();
    return true;
  }

  private scheduleTimeout(): void {
    this.clearTimer();
    const oldest = this.line?.pending[0];
    if (!oldest || this.disposed) return;
    const delay = Math.max(0, oldest.time + this.echoTimeoutMs() - Date.now()) + 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      // With server output in flight, settle() judges once it is parsed.
      if (!this.bufferCurrent() || !this.line) return;
      if (!this.expired(this.line)) this.scheduleTimeout();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  // --- Drawing ---------------------------------------------------------------------------------

  /** The application's pen, replayed from its default. */
  private penSequence(): string {
    return `${ESC}[0m` + this.pen.sgr.map((params) => `${ESC}[${params}m`).join('');
  }

  private savedCell(row: number, x: number): SavedCell {
    let saved = this.savedCells.get(x);
    if (!saved) {
      saved = saveCell(this.terminal.buffer.active.getLine(row)?.getCell(x));
      this.savedCells.set(x, saved);
    }
    return saved;
  }

  /** Whether predictions can be drawn now and rolled back exactly later. */
  private drawable(line: PredictionLine): boolean {
    if (!this.active || !line.confirmed || line.unmatched > 0 || !this.lineValid(line)) return false;
    if (this.terminal.modes.insertMode || this.terminal.modes.originMode) return false;
    if (this.pen.sgr.length > MAX_TRACKED_SGR || this.pen.lineDrawing || this.hyperlinkOpen) return false;
    const buffer = this.terminal.buffer.active;
    const screenRow = line.marker.line - buffer.baseY;
    if (screenRow < 0 || screenRow >= this.terminal.rows) return false;
    // A cursor in the pending-wrap state (just past the last column) cannot be put back by CUP.
    return this.realCursor.x < this.terminal.cols;
  }

  /** Draws the newest pending state of the line over the real screen (only what changed). */
  private draw(): void {
    const line = this.line;
    const shown = line?.pending.filter((prediction) => !prediction.boundary).at(-1);
    if (!line || !shown || !this.drawable(line)) {
      this.undraw();
      return;
    }
    const buffer = this.terminal.buffer.active;
    const absoluteRow = line.marker.line;
    const screenRow = absoluteRow - buffer.baseY;
    const target = new Map<number, DrawnCell>();
    for (let index = 0; index < line.width; index += 1) {
      const x = line.startX + index;
      const want = shown.text[index] ?? ' ';
      const real = this.savedCell(absoluteRow, x);
      if (isBlank(want) ? isBlank(real.chars) : real.chars === want) continue;
      if (!real.restorable) {
        this.undraw();
        return;
      }
      target.set(x, isBlank(want) ? { kind: 'blank' } : { kind: 'glyph', char: want });
    }
    if (this.overlayShown && this.drawnRow !== screenRow) this.undraw();
    let sequence = '';
    for (const x of [...this.drawnCells.keys()]) {
      if (target.has(x)) continue;
      sequence += cursorTo(screenRow, x) + this.restoreCellSequence(this.savedCell(absoluteRow, x));
      this.drawnCells.delete(x);
    }
    const pen = this.penSequence();
    for (const [x, want] of target) {
      const drawn = this.drawnCells.get(x);
      if (drawn && drawn.kind === want.kind && (drawn.kind === 'blank' || (want.kind === 'glyph' && drawn.char === want.char))) continue;
      sequence += cursorTo(screenRow, x) + pen + (want.kind === 'glyph' ? `${ESC}[4m${want.char}` : `${ESC}[X`);
      this.drawnCells.set(x, want);
    }
    sequence += cursorTo(screenRow, line.startX + shown.cursor) + pen;
    this.writeOwn(sequence);
    this.overlayShown = true;
    this.drawnRow = screenRow;
    for (const prediction of line.pending) {
      if (prediction.displayed || prediction.boundary) continue;
      prediction.displayed = true;
      this.counters.displayed += 1;
    }
  }

  private restoreCellSequence(saved: SavedCell): string {
    return `${ESC}[${saved.sgr}m` + (saved.erased ? `${ESC}[X` : saved.chars);
  }

  /** Puts back every cell we drew over, the cursor and the pen. */
  private undraw(): void {
    if (!this.overlayShown) return;
    const line = this.line;
    let sequence = '';
    if (line) {
      for (const x of this.drawnCells.keys()) {
        sequence += cursorTo(this.drawnRow, x) + this.restoreCellSequence(this.savedCell(line.marker.line, x));
      }
    }
    sequence += cursorTo(this.realCursor.y, this.realCursor.x) + this.penSequence();
    this.writeOwn(sequence);
    this.drawnCells.clear();
    this.overlayShown = false;
  }

  private writeOwn(data: string): void {
    this.writes.push('own');
    this.terminal.write(data, () => {
      this.writes.shift();
    });
  }

  // --- Mirroring the application's pen ---------------------------------------------------------

  /** Registers parser hooks that watch (and never consume) the sequences that change the pen. */
  private trackTerminalState(): void {
    const parser = this.terminal.parser;
    const fromServer = () => this.writes[0] === 'server';
    const watch = (disposable: EchoDisposable) => this.disposables.push(disposable);
    watch(
      parser.registerCsiHandler({ final: 'm' }, (params) => {
        if (fromServer()) this.onSgr(params);
        return false;
      }),
    );
    const save = (type: 'normal' | 'alternate') => {
      this.savedPens[type] = copyPen(this.pen);
    };
    const restore = (type: 'normal' | 'alternate') => {
      this.pen = copyPen(this.savedPens[type]);
    };
    const activeType = () => this.terminal.buffer.active.type;
    for (const final of ['7', 's']) {
      const handler = () => {
        if (fromServer()) save(activeType());
        return false;
      };
      watch(final === '7' ? parser.registerEscHandler({ final }, handler) : parser.registerCsiHandler({ final }, handler));
    }
    for (const final of ['8', 'u']) {
      const handler = () => {
        if (fromServer()) restore(activeType());
        return false;
      };
      watch(final === '8' ? parser.registerEscHandler({ final }, handler) : parser.registerCsiHandler({ final }, handler));
    }
    watch(
      parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => {
        if (!fromServer()) return false;
        // 1049 saves the cursor (and pen) on the normal screen before switching; 1048 just saves.
        for (const param of params) if (param === 1049 || param === 1048) save(param === 1049 ? 'normal' : activeType());
        return false;
      }),
    );
    watch(
      parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
        if (!fromServer()) return false;
        for (const param of params) if (param === 1049 || param === 1048) restore(param === 1049 ? 'normal' : activeType());
        return false;
      }),
    );
    watch(
      parser.registerEscHandler({ final: 'c' }, () => {
        if (fromServer()) {
          this.pen = defaultPen();
          this.savedPens.normal = defaultPen();
          this.savedPens.alternate = defaultPen();
          this.hyperlinkOpen = false;
        }
        return false;
      }),
    );
    watch(
      parser.registerCsiHandler({ intermediates: '!', final: 'p' }, () => {
        if (fromServer()) {
          this.pen = defaultPen();
          this.savedPens[activeType()] = defaultPen();
        }
        return false;
      }),
    );
    for (const final of ['0', 'A', 'B']) {
      watch(
        parser.registerEscHandler({ intermediates: '(', final }, () => {
          if (fromServer()) this.pen.lineDrawing = final === '0';
          return false;
        }),
      );
    }
    watch(
      parser.registerOscHandler(8, (data) => {
        if (fromServer()) this.hyperlinkOpen = data.slice(data.indexOf(';') + 1) !== '';
        return false;
      }),
    );
    watch(
      this.terminal.onResize(() => {
        // Reflow may have moved what we drew; put back what we can and start over.
        if (this.line) this.dropLine();
      }),
    );
  }

  private onSgr(params: (number | number[])[]): void {
    const first = params[0];
    if (params.length === 0 || first === 0) this.pen.sgr = [];
    const text = sgrText(params);
    if (text !== '0' && text !== '') this.pen.sgr.push(text);
  }
}
