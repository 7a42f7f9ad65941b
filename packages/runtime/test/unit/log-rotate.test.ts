import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogConfig } from '@tscr/api';
import {
  DEFAULT_LOG_ROTATION,
  LogRotator,
  logRotationOf,
  parseLogSize,
  readLogs,
  rotateLog,
} from '@tscr/runtime/local';

const line = (i: number, stream = 'stdout') =>
  `2026-11-28T14:54:${String(i % 60).padStart(2, '0')}.000000000Z ${stream} F line${i}\n`;

async function texts(path: string, opts: Parameters<typeof readLogs>[1] = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLogs(path, opts)) out.push(Buffer.from(e.data).toString().trim());
  return out;
}

describe('log rotation', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tscr-test-rotate-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('parses log options with defaults and rejects bad ones', () => {
    expect(logRotationOf(undefined)).toEqual(DEFAULT_LOG_ROTATION);
    expect(logRotationOf({ type: 'k8s-file', config: { 'max-size': '1m', 'max-file': '5' } })).toEqual({
      maxSize: 1024 * 1024,
      maxFiles: 5,
    });
    expect(parseLogSize('512k')).toBe(512 * 1024);
    const bads: LogConfig[] = [
      { type: 'syslog' },
      { config: { 'max-size': 'ten' } },
      { config: { 'max-file': '0' } },
      { config: { colour: 'red' } },
      { config: { 'max-size': '10' } },
    ];
    for (const bad of bads) {
      expect(() => logRotationOf(bad)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
  });

  it('rotates into a bounded number of files and reads across them in order', async () => {
    const path = join(dir, 'container.log');
    let n = 0;
    for (let round = 0; round < 5; round++) {
      await writeFile(path, [0, 1, 2].map(() => line(n++)).join(''));
      await rotateLog(path, dir, 3); // no monitor here: nothing reopens, the next write makes the file
    }
    await writeFile(path, line(n++));
    expect((await readdir(dir)).sort()).toEqual(['container.log', 'container.log.1', 'container.log.2']);
    expect(await texts(path)).toEqual(['line9', 'line10', 'line11', 'line12', 'line13', 'line14', 'line15']);
    expect(await texts(path, { tail: 2 })).toEqual(['line14', 'line15']);
    expect(await texts(path, { tail: 5 })).toEqual(['line11', 'line12', 'line13', 'line14', 'line15']);
    expect(await texts(path, { tail: 100 })).toHaveLength(7);
  });

  it('follows the log through a rotation without losing lines', async () => {
    const path = join(dir, 'container.log');
    await writeFile(path, line(0));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const reading = texts(path, { follow: true, stopped, pollIntervalMs: 20 });
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(path, line(0) + line(1));
    await rotateLog(path, dir, 2);
    await writeFile(path, line(2));
    await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(await reading).toEqual(['line0', 'line1', 'line2']);
  });

  it('checks sizes on its own and rotates past max-size', async () => {
    const path = join(dir, 'container.log');
    await writeFile(path, line(0).repeat(200));
    const rotator = new LogRotator(() => undefined, 60_000);
    rotator.add('t', path, dir, { maxSize: 4096, maxFiles: 2 });
    await rotator.checkAll();
    rotator.close();
    expect((await readdir(dir)).sort()).toEqual(['container.log.1']);
  });

  it('checks a quiet log less often, and a growing one at every tick', async () => {
    const path = join(dir, 'container.log');
    await writeFile(path, line(0));
    const rotator = new LogRotator(() => undefined, 60_000);
    rotator.add('t', path, dir, { maxSize: 4096, maxFiles: 2 });
    for (let i = 0; i < 8; i++) await rotator.tick(); // quiet: backs off to one check every 4 ticks
    await writeFile(path, line(1).repeat(200));
    await rotator.tick();
    expect((await readdir(dir)).sort()).toEqual(['container.log']); // not its turn yet
    for (let i = 0; i < 3; i++) await rotator.tick();
    expect((await readdir(dir)).sort()).toEqual(['container.log.1']);
    // Growing logs are checked at every tick.
    await writeFile(path, line(2));
    await rotator.tick();
    await writeFile(path, line(3).repeat(200));
    await rotator.tick();
    rotator.close();
    expect((await readdir(dir)).sort()).toEqual(['container.log.1']);
    expect(await texts(join(dir, 'container.log.1'))).toHaveLength(200);
  });
});
