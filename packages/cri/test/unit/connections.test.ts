import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { criV1 } from '@tscr/api/cri';
import { HTTP2_PREFACE, trickle } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCriConnections } from '../../src/server.js';
import type { CriBackends, CriConnections } from '../../src/types.js';

const DEADLINE_MS = 500;

// The daemon's lazy front door accepts the CRI's connections itself, paused, and hands them over.
describe('the CRI on connections accepted elsewhere', () => {
  let dir: string;
  let cri: CriConnections;
  let door: Server;
  let path: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tscr-test-cri-connections-'));
    path = join(dir, 'cri.sock');
    // Version and a first-call deadline need no backend.
    cri = await createCriConnections({} as CriBackends, {
      sandboxImage: 'tscr-test/pause',
      imageRoot: join(dir, 'images'),
      logger: () => undefined,
      firstCallTimeoutMs: DEADLINE_MS,
    });
    door = createServer({ pauseOnConnect: true }, (socket) => cri.accept(socket));
    await new Promise<void>((resolve) => door.listen(path, resolve));
  });

  afterAll(async () => {
    const closed = new Promise((resolve) => door?.close(resolve));
    await cri?.close();
    await closed;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers calls on a connection handed over unread', async () => {
    expect(cri.streamUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new criV1.RuntimeServiceClient(`unix://${path}`, credentials.createInsecure());
    try {
      const reply = await new Promise<criV1.VersionResponse>((resolve, reject) =>
        client.version({ version: 'v1' }, (err, res) => (err ? reject(err) : resolve(res))),
      );
      expect(reply).toMatchObject({ runtimeName: 'tscr', runtimeApiVersion: 'v1' });
    } finally {
      client.close();
    }
  });

  it('keeps the first-call deadline on those connections', async () => {
    const { heldMs } = await trickle(path, HTTP2_PREFACE, 200);
    expect(heldMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(heldMs).toBeLessThan(4000);
  });
});
