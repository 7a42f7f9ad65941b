import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { type DoorServer, isUnixAddress, type LazyDoor, listenLazily } from '../../src/lazy-door.js';

/** A server that echoes what each connection sends. */
function echo(): DoorServer & { accepted: number; closed: boolean } {
  const sockets = new Set<Socket>();
  return {
    accepted: 0,
    closed: false,
    accept(socket) {
      this.accepted++;
      sockets.add(socket);
      socket.pipe(socket);
    },
    async close() {
      this.closed = true;
      for (const s of sockets) s.destroy();
    },
  };
}

/** Connects, writes `text`, and resolves with what came back before the connection ended or `ms` passed. */
function roundTrip(path: string, text: string, ms = 2000): Promise<{ reply: string; ended: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(path);
    let reply = '';
    const done = (ended: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, ended });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply === text) done(false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(true));
    socket.write(text);
  });
}

describe('listenLazily', () => {
  let dir: string;
  let door: LazyDoor | undefined;

  beforeEach(async () => {
    dir = await makeTempDir('lazy-door');
  });

  afterEach(async () => {
    await door?.close();
    door = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('knows UNIX socket addresses', () => {
    expect(isUnixAddress('unix:///run/tscr/cri.sock')).toBe(true);
    expect(isUnixAddress('/run/tscr/cri.sock')).toBe(true);
    expect(isUnixAddress('tcp://127.0.0.1:0')).toBe(false);
    expect(isUnixAddress('127.0.0.1:2375')).toBe(false);
  });

  it('listens at once but loads its server only on the first connection, which waits for it', async () => {
    const path = join(dir, 'door.sock');
    // A socket left by a daemon that was killed: bound, never unlinked.
    spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
    expect(statSync(path).isSocket()).toBe(true);
    const server = echo();
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    door = await listenLazily(
      `unix://${path}`,
      async () => {
        loads++;
        await gate;
        return server;
      },
      () => undefined,
    );
    expect(door.address).toBe(`unix://${path}`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(door.loaded()).toBe(false);
    expect(loads).toBe(0);

    // Bytes sent while the server loads are not lost: the connection is handed over unread.
    const first = roundTrip(path, 'sent before the load finished');
    await new Promise((r) => setTimeout(r, 100));
    expect(loads).toBe(1);
    release();
    expect(await first).toEqual({ reply: 'sent before the load finished', ended: false });
    expect(door.loaded()).toBe(true);

    expect(await roundTrip(path, 'second')).toEqual({ reply: 'second', ended: false });
    expect(loads).toBe(1);
    expect(server.accepted).toBe(2);

    await door.close();
    door = undefined;
    expect(server.closed).toBe(true);
  });

  it('ends the waiting connections when the load fails, logs it, and tries again on the next one', async () => {
    const path = join(dir, 'door.sock');
    const logged: string[] = [];
    let loads = 0;
    door = await listenLazily(
      path,
      async () => {
        loads++;
        if (loads === 1) throw new Error('no such module');
        return echo();
      },
      (m) => logged.push(m),
    );
    expect(await roundTrip(path, 'lost')).toEqual({ reply: '', ended: true });
    expect(logged).toEqual([`${path}: cannot load its server: no such module`]);
    expect(await roundTrip(path, 'again')).toEqual({ reply: 'again', ended: false });
    expect(loads).toBe(2);
  });

  it('refuses a path that holds something other than a socket', async () => {
    const path = join(dir, 'door.sock');
    writeFileSync(path, 'not a socket');
    await expect(
      listenLazily(
        path,
        async () => echo(),
        () => undefined,
      ),
    ).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });

  it('closes without ever loading when nobody came', async () => {
    let loads = 0;
    door = await listenLazily(
      join(dir, 'door.sock'),
      async () => {
        loads++;
        return echo();
      },
      () => undefined,
    );
    await door.close();
    door = undefined;
    expect(loads).toBe(0);
  });
});
