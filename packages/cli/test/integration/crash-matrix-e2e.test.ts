/**
 * The crash matrix: for every failpoint (`FAILPOINTS` in `@tscr/api`), a
 * private tscrd is started with it armed, the operation is driven through
 * the built CLI until the daemon kills itself there, the daemon is started
 * again without it, and the host and the daemon must agree (see
 * `fixtures/consistency.ts`): every container with its true state, no half
 * image, no partial blob or snapshot, nothing leaked. Then the operation
 * must work again. One registry, one base image and one daemon root serve
 * every case. Writes `docs/reliability/faults.md` when the whole matrix ran.
 * Root only.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILPOINTS, type FailpointName } from '@tscr/api';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import {
  skipUnlessRegistry,
  startRegistry,
  type RegistryFixture,
} from '../../../registry-client/test/fixtures/registry.js';
import { CHECKS, checkConsistent } from '../fixtures/consistency.js';
import { E2eDaemon, e2eSkipReason, runCliAsync, type Result } from '../fixtures/e2e.js';
import { CASE_NOTES, writeFaultsReport, type CaseResult } from '../fixtures/faults-report.js';

const skip = e2eSkipReason() ?? skipUnlessRegistry();
const DOC = fileURLToPath(new URL('../../../../docs/reliability/faults.md', import.meta.url));

/** One row of the matrix: what to set up, the CLI call that meets the failpoint, what must hold after. */
interface Case {
  fp: FailpointName;
  /** What must hold after the restart (shown in the report). */
  expects: string;
  setup?: () => void;
  drive: () => string[];
  after: () => void | Promise<void>;
}

describe.skipIf(skip)('crash matrix: tscrd killed at every failpoint, then restarted', () => {
  let d: E2eDaemon;
  let reg: RegistryFixture;
  let logFd = -1;
  let logFile = '';
  const base = `${uniqueName('crash-base')}:1`;
  let pullRef = '';
  let ctxDir = '';
  const results: CaseResult[] = [];

  const ok = (r: Result): Result => {
    expect(r.code, `${r.stderr}${r.stdout}`).toBe(0);
    return r;
  };
  const tscr = (...args: string[]) => d.tscr(args);
  const state = (ref: string) =>
    (JSON.parse(ok(tscr('inspect', ref)).stdout)[0] as { State: { Status: string; ExitCode: number } }).State;
  const listed = (ref: string) => tscr('inspect', ref).code === 0;
  const networksOf = (ref: string) =>
    (JSON.parse(ok(tscr('inspect', ref)).stdout)[0] as { NetworkSettings: { Networks: Record<string, unknown> } })
      .NetworkSettings.Networks;
  const hasImage = (ref: string) => tscr('image', 'inspect', ref).code === 0;
  const start = (env: NodeJS.ProcessEnv = {}) => d.start([], { env, stderr: logFd });
  const dockerfile = (text: string) => writeFileSync(join(ctxDir, 'Dockerfile'), text);

  beforeAll(async () => {
    d = await E2eDaemon.create('crash-matrix');
    logFile = join(d.dir, 'tscrd.log');
    logFd = openSync(logFile, 'a');
    reg = await startRegistry();
    await start();
    ok(tscr('image', 'import', await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar')), base));
    // The image pulls go through: the base (kept here) and two layers of random bytes (not kept).
    ctxDir = join(d.dir, 'ctx');
    mkdirSync(ctxDir);
    dockerfile(`FROM ${base}\nRUN head -c 1500000 /dev/urandom > /l1\nRUN head -c 1500000 /dev/urandom > /l2\n`);
    pullRef = `${reg.host}/tscr-test/crash-pull:1`;
    ok(tscr('build', '-q', '-t', pullRef, ctxDir));
    ok(tscr('push', pullRef));
    ok(tscr('rmi', pullRef));
    ok(tscr('image', 'prune', '-a', '-f'));
    ok(tscr('image', 'import', join(d.dir, 'busybox.tar'), base));
  }, 180_000);

  afterAll(async () => {
    if (results.length === CASES.length) writeFaultsReport(DOC, results);
    await reg?.stop();
    await d?.cleanup();
    if (logFd >= 0) closeSync(logFd);
  }, 120_000);

  /** Restarts tscrd with `fp` armed, runs `args` until the daemon dies there, and starts it again unarmed. */
  async function crashAt(fp: FailpointName, args: string[]): Promise<Result> {
    await d.stop('SIGTERM');
    const mark = readFileSync(logFile, 'utf8').length;
    await start({ TSCR_FAILPOINTS: `${fp}=kill` });
    const daemon = d.process!;
    const died = new Promise<NodeJS.Signals | null>((resolve) => daemon.once('exit', (_c, s) => resolve(s)));
    const cli = runCliAsync(args, d.env());
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000));
    const ended = cli.then(() => new Promise<'the call ended'>((r) => setTimeout(() => r('the call ended'), 3000)));
    const signal = await Promise.race([died, ended, timeout]);
    const result = await cli;
    expect(signal, `failpoint ${fp} not reached by tscr ${args.join(' ')}: ${result.stderr}`).toBe('SIGKILL');
    expect(readFileSync(logFile, 'utf8').slice(mark)).toContain(`tscrd: failpoint ${fp}: kill`);
    expect(result.code, 'the CLI reports the lost daemon').not.toBe(0);
    await start();
    return result;
  }

  const ctr = (n: string) => uniqueName(`crash-${n}`);
  const names: Record<string, string> = {};
  const name = (key: string) => (names[key] ??= ctr(key));
  const trapTerm = ['sh', '-c', 'trap "exit 3" TERM; sleep 1000 & wait'];

  const CASES: Case[] = [
    {
      fp: 'container.create.after-snapshot',
      expects: 'not listed; the name is free again',
      drive: () => ['create', '--name', name('c1'), base, 'true'],
      after: () => {
        expect(listed(name('c1')), 'a create cut before its record is not listed').toBe(false);
        ok(tscr('create', '--name', name('c1'), base, 'true'));
        ok(tscr('rm', name('c1')));
      },
    },
    {
      fp: 'container.create.after-record',
      expects: 'listed as created; starts',
      drive: () => ['create', '--name', name('c2'), base, 'sleep', '1000'],
      after: () => {
        expect(state(name('c2')).Status).toBe('created');
        ok(tscr('start', name('c2')));
        ok(tscr('rm', '-f', name('c2')));
      },
    },
    ...(['after-network', 'after-task-create', 'after-task-start'] as const).map(
      (step): Case => ({
        fp: `container.start.${step}`,
        expects:
          step === 'after-network'
            ? 'created, no namespace, veth, address or monitor left; starts'
            : // A start creates its task to run at once (startEarly: the process is released as soon as runc's
              // init is ready, before the create returns), so a crash after the create finds it running too.
              'adopted as running (its process and monitor kept); a second start is a no-op',
        setup: () => ok(tscr('create', '--name', name(step), '-p', '127.0.0.1::80', base, 'sleep', '1000')),
        drive: () => ['start', name(step)],
        after: () => {
          // Before the task was created the container is still created; after, it runs (and is adopted).
          expect(state(name(step)).Status).toBe(step === 'after-network' ? 'created' : 'running');
          ok(tscr('start', name(step)));
          expect(state(name(step)).Status).toBe('running');
          checkConsistent(d);
          ok(tscr('rm', '-f', name(step)));
        },
      }),
    ),
    {
      fp: 'container.stop.after-signal',
      expects: 'exited with the code it ended with (3) while the daemon was down',
      setup: () => ok(tscr('run', '-d', '--name', name('stop'), base, ...trapTerm)),
      drive: () => ['stop', '-t', '5', name('stop')],
      after: () => {
        // It ended on SIGTERM while the daemon was down: the exit is recorded with its code.
        expect(state(name('stop'))).toMatchObject({ Status: 'exited', ExitCode: 3 });
        ok(tscr('rm', name('stop')));
      },
    },
    {
      fp: 'container.remove.after-mark',
      expects: 'the removal is finished at start (record, snapshot, anonymous volume gone)',
      setup: () => ok(tscr('create', '--name', name('rm1'), '-v', '/data', base, 'true')),
      drive: () => ['rm', '-v', name('rm1')],
      after: () => expect(listed(name('rm1')), 'an interrupted removal is finished').toBe(false),
    },
    {
      fp: 'container.remove.after-snapshot',
      expects: 'the removal is finished at start (and its port rule, veth and address gone)',
      setup: () => ok(tscr('run', '-d', '--name', name('rm2'), '-p', '127.0.0.1::80', base, 'sleep', '1000')),
      drive: () => ['rm', '-f', name('rm2')],
      after: () => expect(listed(name('rm2')), 'an interrupted removal is finished').toBe(false),
    },
    ...(
      [
        ['container.remove.after-trash', 'containers/.trash', 'the container directory'],
        ['image.snapshot.after-trash', 'image/trash', 'the snapshot (upper, work)'],
      ] as const
    ).map(
      ([fp, trash, what]): Case => ({
        fp,
        expects: `the removal is finished at start; ${what} left in ${trash} is removed by the next instance`,
        setup: () => ok(tscr('create', '--name', name(fp), base, 'true')),
        drive: () => ['rm', name(fp)],
        after: async () => {
          expect(listed(name(fp)), 'an interrupted removal is finished').toBe(false);
          // The next instance sweeps the trash behind its start-up: wait for it to empty.
          const dir = join(d.dir, 'root', trash);
          const until = Date.now() + 20_000;
          while (readdirSync(dir).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
          expect(readdirSync(dir), `${dir} after the sweep`).toEqual([]);
        },
      }),
    ),
    {
      fp: 'runtime.delete.after-trash',
      expects:
        'exited (the kill ended it; its exit handling met the failpoint before the removal began); no task left; rm works',
      setup: () => ok(tscr('run', '-d', '--name', name('trash'), base, 'sleep', '1000')),
      drive: () => ['rm', '-f', name('trash')],
      after: () => {
        // The trashed runc state, cgroups and bundle are gone (checkConsistent ran before this).
        expect(state(name('trash'))).toMatchObject({ Status: 'exited', ExitCode: 137 });
        ok(tscr('rm', name('trash')));
        expect(listed(name('trash'))).toBe(false);
      },
    },
    {
      fp: 'container.commit.after-layer',
      expects: 'no image; the container runs (unpaused); a second commit works',
      setup: () => ok(tscr('run', '-d', '--name', name('commit'), base, 'sh', '-c', 'echo c > /f; sleep 1000')),
      drive: () => ['commit', name('commit'), 'tscr-test-crash-commit:1'],
      after: () => {
        expect(hasImage('tscr-test-crash-commit:1'), 'no image from a cut commit').toBe(false);
        expect(state(name('commit')).Status, 'the paused container runs again').toBe('running');
        ok(tscr('commit', name('commit'), 'tscr-test-crash-commit:1'));
        expect(ok(tscr('run', '--rm', 'tscr-test-crash-commit:1', 'cat', '/f')).stdout).toBe('c\n');
        ok(tscr('rm', '-f', name('commit')));
        ok(tscr('rmi', 'tscr-test-crash-commit:1'));
      },
    },
    {
      fp: 'container.exec.after-start',
      expects: 'the container runs; a new exec works',
      setup: () => ok(tscr('run', '-d', '--name', name('exec'), base, 'sleep', '1000')),
      drive: () => ['exec', name('exec'), 'sh', '-c', 'echo started; sleep 2'],
      after: () => {
        expect(state(name('exec')).Status).toBe('running');
        expect(ok(tscr('exec', name('exec'), 'echo', 'again')).stdout).toBe('again\n');
        ok(tscr('rm', '-f', name('exec')));
      },
    },
    ...(['mid-layer', 'between-layers', 'before-tag'] as const).map(
      (step): Case => ({
        fp: `image.pull.${step}`,
        expects: 'no image; scratch and unreferenced blobs gone; the re-pull works and runs',
        drive: () => ['pull', pullRef],
        after: () => {
          expect(hasImage(pullRef), 'no half image after a cut pull').toBe(false);
          ok(tscr('pull', pullRef));
          expect(ok(tscr('run', '--rm', pullRef, 'sh', '-c', 'wc -c < /l1; wc -c < /l2')).stdout).toBe(
            '1500000\n1500000\n',
          );
          ok(tscr('rmi', pullRef));
        },
      }),
    ),
    {
      fp: 'registry.push.between-blobs',
      expects: 'the local image intact; the re-push works',
      setup: () => ok(tscr('tag', base, `${reg.host}/tscr-test/crash-push:1`)),
      drive: () => ['push', `${reg.host}/tscr-test/crash-push:1`],
      after: () => {
        ok(tscr('push', `${reg.host}/tscr-test/crash-push:1`));
        ok(tscr('rmi', `${reg.host}/tscr-test/crash-push:1`));
      },
    },
    {
      fp: 'build.run.mid-run',
      expects: 'no image; the RUN task, its mount and snapshot gone; the rebuild works',
      setup: () => dockerfile(`FROM ${base}\nRUN echo one > /one && sleep 2\n`),
      drive: () => ['build', '-t', 'tscr-test-crash-build:1', ctxDir],
      after: () => {
        expect(hasImage('tscr-test-crash-build:1'), 'no image from a cut build').toBe(false);
        ok(tscr('build', '-q', '-t', 'tscr-test-crash-build:1', ctxDir));
        ok(tscr('rmi', 'tscr-test-crash-build:1'));
      },
    },
    {
      fp: 'build.between-steps',
      expects: 'no image; the rebuild reuses the finished step from the cache',
      setup: () => dockerfile(`FROM ${base}\nRUN echo one > /one\nRUN echo two > /two\n`),
      drive: () => ['build', '-t', 'tscr-test-crash-build:2', ctxDir],
      after: () => {
        expect(hasImage('tscr-test-crash-build:2'), 'no image from a cut build').toBe(false);
        // The step that finished before the crash is a complete cached step.
        expect(ok(tscr('build', '-t', 'tscr-test-crash-build:2', ctxDir)).stdout).toContain('Using cache');
        ok(tscr('rmi', 'tscr-test-crash-build:2'));
        ok(tscr('image', 'prune', '-f'));
      },
    },
    {
      fp: 'volume.create.after-dir',
      expects: 'no volume, no directory; the create works',
      drive: () => ['volume', 'create', 'tscr-test-crash-vol1'],
      after: () => {
        expect(tscr('volume', 'inspect', 'tscr-test-crash-vol1').code, 'no half-made volume').not.toBe(0);
        ok(tscr('volume', 'create', 'tscr-test-crash-vol1'));
        ok(tscr('volume', 'rm', 'tscr-test-crash-vol1'));
      },
    },
    {
      fp: 'volume.remove.after-meta',
      expects: 'no volume, no directory; the name can be used again',
      setup: () => ok(tscr('volume', 'create', 'tscr-test-crash-vol2')),
      drive: () => ['volume', 'rm', 'tscr-test-crash-vol2'],
      after: () => {
        expect(tscr('volume', 'inspect', 'tscr-test-crash-vol2').code).not.toBe(0);
        ok(tscr('volume', 'create', 'tscr-test-crash-vol2'));
        ok(tscr('volume', 'rm', 'tscr-test-crash-vol2'));
      },
    },
    {
      fp: 'network.create.after-record',
      expects: 'the network exists with its bridge and rules, and works',
      drive: () => ['network', 'create', 'tscr-test-crash-net1'],
      after: () => {
        // The record was saved: the network exists after the restart, and it works.
        ok(tscr('run', '--rm', '--network', 'tscr-test-crash-net1', base, 'true'));
        ok(tscr('network', 'rm', 'tscr-test-crash-net1'));
      },
    },
    {
      fp: 'network.connect.after-record',
      expects: 'not connected (the record never said so), no address held; the connect works',
      setup: () => {
        ok(tscr('network', 'create', 'tscr-test-crash-net2'));
        ok(tscr('run', '-d', '--name', name('net'), base, 'sleep', '1000'));
      },
      drive: () => ['network', 'connect', 'tscr-test-crash-net2', name('net')],
      after: () => {
        // The record never said connected: the endpoint the network layer recorded is gone, the connect can be redone.
        expect(Object.keys(networksOf(name('net')))).toEqual(['bridge']);
        ok(tscr('network', 'connect', 'tscr-test-crash-net2', name('net')));
        expect(Object.keys(networksOf(name('net'))).sort()).toEqual(['bridge', 'tscr-test-crash-net2']);
      },
    },
    {
      fp: 'network.disconnect.after-record',
      expects: 'still connected (as its record says), with a working endpoint; the disconnect works',
      drive: () => ['network', 'disconnect', 'tscr-test-crash-net2', name('net')],
      after: () => {
        // The record still says connected: the endpoint is made again (a new veth and address), then the disconnect works.
        expect(Object.keys(networksOf(name('net'))).sort()).toEqual(['bridge', 'tscr-test-crash-net2']);
        ok(tscr('network', 'disconnect', 'tscr-test-crash-net2', name('net')));
        expect(Object.keys(networksOf(name('net')))).toEqual(['bridge']);
        ok(tscr('rm', '-f', name('net')));
        ok(tscr('network', 'rm', 'tscr-test-crash-net2'));
      },
    },
  ];

  it('covers every failpoint', () => {
    expect(CASES.map((c) => c.fp).sort()).toEqual(Object.keys(FAILPOINTS).sort());
  });

  for (const c of CASES) {
    it(`${c.fp}: ${FAILPOINTS[c.fp]}`, async () => {
      const row: CaseResult = { failpoint: c.fp, operation: '', expects: c.expects, checks: [], outcome: 'failed' };
      results.push(row);
      c.setup?.();
      const args = c.drive();
      const shown = (a: string) =>
        a
          .replace(d.dir, '<dir>')
          .replace(reg.host, '<registry>')
          .replace(/tscr-test-[\w.-]+/, '…');
      row.operation = `tscr ${args.map(shown).join(' ')}`;
      await crashAt(c.fp, args);
      row.checks = checkConsistent(d);
      await c.after();
      row.checks = [...CHECKS, 'the operation works again'];
      checkConsistent(d);
      row.outcome = 'passed';
      row.note = CASE_NOTES[c.fp];
    }, 180_000);
  }
});
