import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCriServer } from '../../src/server.js';
import type { CriBackends, CriServer } from '../../src/types.js';

const DEADLINE_MS = 500;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Sends the HTTP/2 preface a byte every `everyMs`; resolves with how long the server kept the connection. */
function trickle(path: string, everyMs: number): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(path);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < PREFACE.length) socket.write(PREFACE.subarray(sent, ++sent));
    }, everyMs);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    });
  });
}

describe('the CRI listener', () => {
  let dir: string;
  let cri: CriServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tscr-test-cri-first-call-'));
    // No call reaches the backends in this test: the connection never gets that far.
    cri = await createCriServer({} as CriBackends, `unix://${join(dir, 'cri.sock')}`, {
      sandboxImage: 'tscr-test/pause',
      imageRoot: join(dir, 'images'),
      logger: () => undefined,
      firstCallTimeoutMs: DEADLINE_MS,
    });
  });

  afterAll(async () => {
    await cri?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a connection whose preface trickles in slower than the first-call deadline', async () => {
    // The whole preface would take 24 × 200 ms = 4.8 s; the deadline is 0.5 s.
    const held = await trickle(join(dir, 'cri.sock'), 200);
    expect(held).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(held).toBeLessThan(4000);
  });
});
