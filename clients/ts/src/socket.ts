// What the terminal and sessions sockets share.

/**
 * Closes `socket` and forgets its handlers. React Native on Android ignores close() on a socket
 * that is still connecting (its native side knows the socket only once it is open), so such a
 * socket is closed as soon as it opens instead of staying attached to a shell for ever.
 */
export function closeQuietly(socket: {
  readonly readyState: number;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  close(code?: number, reason?: string): void;
}): void {
  socket.onmessage = null;
  socket.onclose = null;
  if (socket.readyState === 0) {
    socket.onopen = () => socket.close(1000, 'client closed');
    socket.close(1000, 'client closed');
  } else {
    socket.onopen = null;
    if (socket.readyState === 1) socket.close(1000, 'client closed');
  }
}
