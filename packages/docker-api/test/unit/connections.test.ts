/**
 * The Docker API on connections accepted elsewhere (the daemon's lazy front door accepts them paused and
 * hands them over): requests are answered, and the headers deadline still cuts a client that trickles.
 */
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { type DockerApiBackends, type DockerApiConnections, createDockerApiConnections } from '../../src/index.js';

const HEADERS_DEADLINE_MS = 400;

describe('createDockerApiConnections', () => {
  let dir: string;
  let path: string;
  let api: DockerApiConnections;
  let door: Server;

  beforeAll(async () => {
    dir = await makeTempDir('docker-api-connections');
    path = join(dir, 'docker.sock');
    // _ping and a malformed request reach no backend.
    api = createDockerApiConnections({} as DockerApiBackends, {
      logger: () => undefined,
      headersTimeoutMs: HEADERS_DEADLINE_MS,
    });
    door = createServer({ pauseOnConnect: true }, (socket) => api.accept(socket));
    await new Promise<void>((resolve) => door.listen(path, resolve));
  });

  afterAll(async () => {
    const closed = new Promise((resolve) => door?.close(resolve));
    await api?.close();
    await closed;
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a request on a connection handed over unread', async () => {
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath: path, path: '/_ping' }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => {
          body += b.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(reply).toEqual({ status: 200, body: 'OK' });
  });

  it('closes a connection whose headers trickle in past the deadline', async () => {
    const started = Date.now();
    const heldMs = await new Promise<number>((resolve) => {
      const socket = connect(path);
      const line = 'GET /_ping HTTP/1.1\r\nHost: docker\r\nX-Slow: ';
      let sent = 0;
      const timer = setInterval(() => {
        socket.write(sent < line.length ? line[sent++] : 'a');
      }, 50);
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      });
    });
    expect(heldMs).toBeGreaterThanOrEqual(HEADERS_DEADLINE_MS - 50);
    expect(heldMs).toBeLessThan(5000);
  });
});
