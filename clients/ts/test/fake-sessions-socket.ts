import type { SessionsSocket } from '../src/index.ts';

/** A sessions socket the test drives as the server. */
export class FakeSessionsSocket implements SessionsSocket {
  readyState = 0;
  closes = 0;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {}
  close() {
    this.closes += 1;
    // React Native on Android: a close while connecting does nothing.
    if (this.readyState === 1) this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  send(event: unknown) {
    this.onmessage?.({ data: JSON.stringify(event) });
  }
  serverClose(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}
