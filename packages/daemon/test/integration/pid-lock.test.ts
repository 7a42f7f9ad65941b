/**
 * The pid file's lock: a daemon killed with SIGKILL and not yet reaped (a
 * zombie, which still answers kill(pid, 0)) does not block a restart, and of
 * two daemons started at once on the same roots exactly one runs. Root only
 * (the daemon sets up cgroups and networks); everything under /tmp/tscr-test-….
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonConfig } from '@tscr/daemon';
import { makeTempDir, skipUnlessRoot } from '@tscr/testkit';
import { TSCRD_BIN, cleanupHost, configFlags, startTscrd, testConfig, until } from '../fixtures/host.js';

const skip = skipUnlessRoot('runc', 'conmon', 'flock');

/** The state letter of a process (`R`, `S`, `Z`…), or undefined when it is gone. */
function procState(pid: number): string | undefined {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Runs tscrd to its first verdict: listening, or exited with a message. */
function race(args: string[]): Promise<{ listening: boolean; code: number | null; output: string; pid: number }> {
  const proc = spawn(process.execPath, [TSCRD_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve) => {
    const onData = (b: Buffer) => {
      output += b.toString();
      if (output.includes('tscrd listening on')) resolve({ listening: true, code: null, output, pid: proc.pid ?? 0 });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => resolve({ listening: false, code, output, pid: proc.pid ?? 0 }));
  });
}

describe.skipIf(skip)('tscrd pid file lock', () => {
  let dir: string;
  let config: DaemonConfig;
  const started: number[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('pidlock');
    config = testConfig(dir);
  });

  afterAll(async () => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (dir) await cleanupHost(dir, config.cgroupParent);
  });

  it('a restart right after kill -9 works while the killed daemon is still an unreaped zombie', async () => {
    // `exec sleep` leaves a parent that never waits: the killed daemon stays a zombie until it ends.
    const log = join(dir, 'first.log');
    const quoted = [process.execPath, TSCRD_BIN, ...configFlags(config)].map((a) => `'${a}'`).join(' ');
    const parent = spawn('sh', ['-c', `${quoted} >${log} 2>&1 & echo $!; exec sleep 600`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.push(parent.pid ?? 0);
    const first = await new Promise<number>((r) => parent.stdout.once('data', (b: Buffer) => r(Number(String(b)))));
    started.push(first);
    await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('tscrd listening on'), 30_000);
    expect(readFileSync(join(config.execRoot, 'tscrd.pid'), 'utf8').trim()).toBe(String(first));

    process.kill(first, 'SIGKILL');
    await until(() => procState(first) === 'Z');
    // What made the old check refuse: the zombie still "exists" for kill(pid, 0).
    expect(() => process.kill(first, 0)).not.toThrow();

    const second = await startTscrd(configFlags(config));
    expect(readFileSync(join(config.execRoot, 'tscrd.pid'), 'utf8').trim()).toBe(String(second.proc.pid));
    // While it runs, the lock refuses a third.
    const third = await race(configFlags(config));
    expect(third.listening).toBe(false);
    expect(third.code).toBe(1);
    expect(third.output).toContain(`tscrd is already running with pid ${second.proc.pid}`);
    expect(third.output).toContain('FailedPrecondition');
    await second.stop();
    expect(existsSync(join(config.execRoot, 'tscrd.pid'))).toBe(false);
    parent.kill('SIGKILL');
    await until(() => procState(first) === undefined);
  }, 90_000);

  it('of two daemons started at once on the same roots, exactly one runs', async () => {
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([race(configFlags(config)), race(configFlags(config))]);
      for (const r of results) if (r.listening) started.push(r.pid);
      const winners = results.filter((r) => r.listening);
      const losers = results.filter((r) => !r.listening);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0]?.code).toBe(1);
      expect(losers[0]?.output).toContain('tscrd is already running');
      const winner = winners[0]!;
      process.kill(winner.pid, 'SIGTERM');
      await until(() => procState(winner.pid) === undefined || procState(winner.pid) === 'Z');
    }
  }, 90_000);
});
