import {
  chmodSync,
  copyFileSync,
  existsSync,
  readFileSync,
  readlinkSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { findRelay } from '../../src/local/relay.js';
import { RelaySpawner } from '../../src/local/relay-spawner.js';

const relay = await findRelay().catch(() => undefined);

/** `tscr-relay spawner` starting processes as the monitor needs them (no root needed). */
describe.skipIf(!relay)('the relay spawner', () => {
  let dir: string;
  let spawner: RelaySpawner;
  const log = () => join(dir, 'out.log');
  const sh = (script: string, env: Record<string, string> = {}, cwd?: string) =>
    spawner.spawn({ file: '/bin/sh', args: ['-c', script], env, logPath: log(), ...(cwd ? { cwd } : {}) });

  beforeAll(async () => {
    dir = await makeTempDir('relay-spawner');
    spawner = new RelaySpawner(relay!);
  });
  afterAll(() => {
    spawner?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers with the first line written to fd 3, from a process the relay forked in its own session', async () => {
    const out = await sh(
      'echo "$$ $(cut -d" " -f4,6 /proc/$$/stat) $X $(pwd) $(readlink /proc/$$/fd/0)" >&3',
      { X: 'x1' },
      dir,
    );
    expect(out?.kind).toBe('line');
    const [pid, ppid, sid, x, cwd, stdin] = (out as { line: string }).line.split(' ');
    expect(ppid).not.toBe(String(process.pid)); // forked by the relay, not by this process
    expect(sid).toBe(pid); // setsid: its own session
    expect([x, cwd, stdin]).toEqual(['x1', dir, '/dev/null']);
  });

  it('appends stdout and stderr to the log and reports an exit without a line', async () => {
    writeFileSync(log(), 'before\n');
    expect(await sh('echo out; echo err >&2; exit 7')).toEqual({ kind: 'exited', code: 7 });
    expect(readFileSync(log(), 'utf8')).toBe('before\nout\nerr\n');
  });

  it('waits for a line written after the first process exited (a double fork, as conmon does)', async () => {
    expect(await sh('(sleep 0.2; echo late >&3) & exit 0')).toEqual({ kind: 'line', line: 'late' });
  });

  it('reaps a process that lives on after its line (conmon --sync) when it exits', async () => {
    const out = await sh('echo $$ >&3; exec sleep 0.3');
    expect(out?.kind).toBe('line');
    const pid = Number((out as { line: string }).line);
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^State:\s*[RSD]/m); // still running (on a CPU or asleep), the relay's child
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(50);
    expect(existsSync(`/proc/${pid}`)).toBe(false); // reaped, not a zombie
  });

  it('raises NotFound for a missing binary or working directory, PermissionDenied for a file it cannot run', async () => {
    const missing = spawner.spawn({ file: join(dir, 'nope'), args: [], env: {}, logPath: log() });
    expect(errorCode(await missing.catch((e: unknown) => e))).toBe('NotFound');
    expect(errorCode(await sh('true', {}, join(dir, 'no-dir')).catch((e: unknown) => e))).toBe('NotFound');
    writeFileSync(join(dir, 'plain'), 'x');
    const plain = spawner.spawn({ file: join(dir, 'plain'), args: [], env: {}, logPath: log() });
    expect(errorCode(await plain.catch((e: unknown) => e))).toBe('PermissionDenied');
  });

  it('serves many starts at once, each with its own answer', async () => {
    const outs = await Promise.all(Array.from({ length: 30 }, (_, i) => sh(`sleep 0.0${i % 7}; echo ${i} >&3`)));
    expect(outs.map((o) => (o as { line: string }).line)).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
  });

  it('gives way (undefined) when the relay has no spawner mode', async () => {
    const old = join(dir, 'old-relay');
    writeFileSync(old, '#!/bin/sh\necho "usage: tscr-relay attach" >&2\nexit 125\n');
    chmodSync(old, 0o755);
    const stale = new RelaySpawner(old);
    expect(await stale.spawn({ file: '/bin/true', args: [], env: {}, logPath: log() })).toBeUndefined();
    stale.close();
  });

  it('keeps a sealed copy of the runtime binary: runnable, the same bytes, refusing writes and resizes', async () => {
    const bin = join(dir, 'runc');
    copyFileSync('/bin/true', bin);
    chmodSync(bin, 0o755);
    const sealing = new RelaySpawner(relay!, bin);
    try {
      const path = await sealing.sealedPath(bin);
      expect(path).toMatch(/^\/proc\/\d+\/fd\/\d+$/);
      expect(readlinkSync(path!)).toMatch(/^\/memfd:/);
      expect(readFileSync(path!).equals(readFileSync(bin))).toBe(true);
      // runc 1.1 skips its per-container copy only for a memfd sealed against writes, growth and shrinking.
      expect(() => writeFileSync(path!, 'x', { flag: 'r+' })).toThrow(/EPERM/);
      expect(() => truncateSync(path!, 1)).toThrow(/EPERM/);
      expect(() => truncateSync(path!, readFileSync(bin).length + 1)).toThrow(/EPERM/);
      expect(await sealing.spawn({ file: path!, args: [], env: {}, logPath: log() })).toEqual({
        kind: 'exited',
        code: 0,
      });
      expect(await sealing.sealedPath('/bin/true')).toBeUndefined(); // not the binary it copied
      copyFileSync('/bin/false', bin); // replaced on disk: the copy is no longer handed out
      expect(await sealing.sealedPath(bin)).toBeUndefined();
    } finally {
      sealing.close();
    }
    expect(await spawner.sealedPath(bin)).toBeUndefined(); // a spawner asked for no copy
  });
});
