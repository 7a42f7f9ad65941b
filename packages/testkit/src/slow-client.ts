import { connect } from 'node:net';

/** The bytes a client sends before its first HTTP/2 frame. */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** How long a server kept a slow client's connection, and how many bytes got through. */
export interface Trickled {
  heldMs: number;
  sent: number;
}

/**
 * Connects to the UNIX socket `path` and writes `bytes` one byte every
 * `everyMs` (a slow or stuck client); resolves when the server closes the
 * connection.
 */
export function trickle(path: string, bytes: Buffer, everyMs: number): Promise<Trickled> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(path);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < bytes.length) socket.write(bytes.subarray(sent, ++sent));
    }, everyMs);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ heldMs: Date.now() - started, sent });
    });
  });
}
