import { base64ToBytes, bytesToBase64, parsePageMessage } from '../src/terminal/bridge';
import { BAR_KEYS, keySequence, withCtrl } from '../src/terminal/keys';
import { commandParam } from '../src/terminal/use-terminal';

describe('the key bar', () => {
  it('sends arrows in the cursor-key mode the program asked for', () => {
    expect(keySequence('up', false)).toBe('\x1b[A');
    expect(keySequence('down', false)).toBe('\x1b[B');
    expect(keySequence('right', false)).toBe('\x1b[C');
    expect(keySequence('left', false)).toBe('\x1b[D');
    expect(keySequence('up', true)).toBe('\x1bOA');
    expect(keySequence('left', true)).toBe('\x1bOD');
  });

  it('sends Esc, Tab and the characters a phone keyboard hides', () => {
    expect(keySequence('escape', false)).toBe('\x1b');
    expect(keySequence('tab', false)).toBe('\t');
    expect(keySequence('pipe', false)).toBe('|');
    expect(keySequence('tilde', false)).toBe('~');
    for (const key of BAR_KEYS) expect(keySequence(key, false).length).toBeGreaterThan(0);
  });

  it('turns the next key into its control code when Ctrl is latched', () => {
    expect(withCtrl('c')).toBe('\x03');
    expect(withCtrl('C')).toBe('\x03');
    expect(withCtrl('d')).toBe('\x04');
    expect(withCtrl('[')).toBe('\x1b');
    expect(withCtrl(' ')).toBe('\x00');
    expect(withCtrl('?')).toBe('\x7f');
    // Nothing sensible to do with these: they go through as typed.
    expect(withCtrl('1')).toBe('1');
    expect(withCtrl('ls')).toBe('ls');
  });
});

describe('the bridge to the terminal page', () => {
  // The platform's own encoder, through a Latin-1 string.
  const reference = (bytes: Uint8Array) => btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''));

  it('encodes bytes as base64 exactly as the platform does, for every tail length', () => {
    for (let length = 0; length < 12; length += 1) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 89 + 7) & 0xff);
      expect(bytesToBase64(bytes)).toBe(reference(bytes));
    }
    const random = Uint8Array.from({ length: 4099 }, () => Math.floor(Math.random() * 256));
    const encoded = bytesToBase64(random);
    expect(encoded).toBe(reference(random));
    expect(base64ToBytes(encoded)).toEqual(random);
  });

  it('takes only the page’s own messages', () => {
    expect(parsePageMessage('{"type":"ready","cols":80,"rows":24}')).toEqual({ type: 'ready', cols: 80, rows: 24 });
    expect(parsePageMessage({ type: 'input', data: 'ls\r' })).toEqual({ type: 'input', data: 'ls\r' });
    expect(parsePageMessage('{"type":"ctrl","on":false}')).toEqual({ type: 'ctrl', on: false });
    expect(parsePageMessage('{"type":"echo","active":true}')).toEqual({ type: 'echo', active: true });
    expect(parsePageMessage('{"type":"echo","active":"yes"}')).toBeNull();
    expect(parsePageMessage('{"type":"resize","cols":0,"rows":24}')).toBeNull();
    expect(parsePageMessage('{"type":"input","data":5}')).toBeNull();
    expect(parsePageMessage('{"type":"other"}')).toBeNull();
    expect(parsePageMessage('not json')).toBeNull();
    expect(parsePageMessage(null)).toBeNull();
  });

  it('reads a command from the route only when it is a list of strings', () => {
    expect(commandParam('["bash","-lc","claude --resume 1"]')).toEqual(['bash', '-lc', 'claude --resume 1']);
    expect(commandParam(undefined)).toBeNull();
    expect(commandParam('[]')).toBeNull();
    expect(commandParam('[1]')).toBeNull();
    expect(commandParam('bash')).toBeNull();
  });
});
