/**
 * The state database (SQLite, `<root>/tscr.db`) deleted or corrupted while
 * containers run: tscrd starts, says what it lost, kills no container, and
 * re-adopts each from the copy of its record kept in its directory. A
 * container with no copy either is left running and reported. Writes its
 * section of `docs/reliability/faults.md`. Root only.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { checkConsistent } from '../fixtures/consistency.js';
import { E2eDaemon, e2eSkipReason, type Result } from '../fixtures/e2e.js';
import { writeSection } from '../fixtures/faults-report.js';

const DOC = fileURLToPath(new URL('../../../../docs/reliability/faults.md', import.meta.url));

interface Scenario {
  what: string;
  said: string;
  outcome: string;
}

describe.skipIf(e2eSkipReason())('state database lost or corrupted while containers run', () => {
  let d: E2eDaemon;
  let logFd = -1;
  let logFile = '';
  const base = `${uniqueName('state-base')}:1`;
  const scenarios: Scenario[] = [];
  const db = () => join(d.dir, 'root', 'tscr.db');

  const ok = (r: Result): Result => {
    expect(r.code, `${r.stderr}${r.stdout}`).toBe(0);
    return r;
  };
  const tscr = (...args: string[]) => d.tscr(args);
  const inspect = (ref: string) =>
    JSON.parse(ok(tscr('inspect', ref)).stdout)[0] as {
      Id: string;
      State: { Status: string; Pid: number; ExitCode: number };
    };
  const start = () => d.start([], { stderr: logFd });
  const logSince = (mark: number) => readFileSync(logFile, 'utf8').slice(mark);

  /** The containers this test runs, by role. */
  const names = {
    web: uniqueName('state-web'),
    plain: uniqueName('state-plain'),
    ended: uniqueName('state-ended'),
    fresh: uniqueName('state-fresh'),
  };
  let before: Record<string, { Status: string; Pid: number }> = {};

  beforeAll(async () => {
    d = await E2eDaemon.create('state-loss');
    logFile = join(d.dir, 'tscrd.log');
    logFd = openSync(logFile, 'a');
    await start();
    ok(tscr('image', 'import', await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar')), base));
    ok(tscr('run', '-d', '--name', names.web, '-p', '127.0.0.1::80', base, 'httpd', '-f', '-p', '80'));
    ok(tscr('run', '-d', '--name', names.plain, '--network', 'none', base, 'sleep', '1000'));
    ok(tscr('run', '--name', names.ended, base, 'true'));
    ok(tscr('create', '--name', names.fresh, base, 'true'));
    before = Object.fromEntries(Object.values(names).map((n) => [n, inspect(n).State]));
  }, 120_000);

  afterAll(async () => {
    if (scenarios.length === 3) {
      writeSection(
        DOC,
        'state-loss',
        [
          '## The state database lost or corrupted',
          '',
          'Four containers (one publishing a port on the default bridge, one with `--network none`, one exited, one',
          'created); then, with tscrd killed (SIGKILL):',
          '',
          '| what happened to `tscr.db` | what tscrd said at start | what became of the containers |',
          '|---|---|---|',
          ...scenarios.map((s) => `| ${s.what} | ${s.said} | ${s.outcome} |`),
          '',
          'Every container record is also kept as `containers/<id>/record.json` (replaced atomically at each change, as',
          "dockerd keeps `config.v2.json`); at start tscrd checks the database with SQLite's `quick_check`, moves a",
          'corrupt one aside as `tscr.db.corrupt-<time>`, and inserts the copy of every container the database lacks.',
          'A running task that neither names is never killed: it is left running and reported. The events history is',
          'what is lost.',
          '',
          'Found and fixed: before, a daemon started without its database took every container directory for the',
          'leftover of an interrupted create and removed it, with `runc delete --force`: every running container was',
          'killed. Directories with a running task are now left alone.',
        ].join('\n'),
      );
    }
    await d?.cleanup();
    if (logFd >= 0) closeSync(logFd);
  }, 120_000);

  /** Every container is back with the state (and, for running ones, the very process) it had. */
  function expectAllBack(): void {
    for (const [n, s] of Object.entries(before)) {
      const now = inspect(n).State;
      expect(now.Status, n).toBe(s.Status);
      if (s.Status === 'running') expect(now.Pid, `${n} is the same process`).toBe(s.Pid);
    }
    checkConsistent(d);
  }

  it('deleted while the daemon runs: every container re-adopted, none stopped', async () => {
    for (const f of [db(), `${db()}-wal`, `${db()}-shm`]) rmSync(f, { force: true });
    await d.stop('SIGKILL');
    const mark = readFileSync(logFile, 'utf8').length;
    await start();
    const said = logSince(mark);
    expect(said).toMatch(/state database lost records: 4 container\(s\) re-adopted/);
    expectAllBack();
    ok(tscr('stop', '-t', '1', names.plain));
    ok(tscr('start', names.plain));
    before[names.plain] = inspect(names.plain).State;
    scenarios.push({
      what: 'deleted (with its WAL) while tscrd ran, then tscrd killed',
      said: '"state database lost records: 4 container(s) re-adopted from their directories; …"',
      outcome: 'all 4 listed with their states; the running ones are the same processes; stop/start work',
    });
  });

  it('corrupted (garbage over its header): moved aside, containers re-adopted', async () => {
    await d.stop('SIGKILL');
    // The main file and its write-ahead log (which may hold every page): garbage over both headers.
    for (const f of [db(), `${db()}-wal`].filter(existsSync)) {
      const fd = openSync(f, 'r+');
      writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 0);
      closeSync(fd);
    }
    const mark = readFileSync(logFile, 'utf8').length;
    await start();
    const said = logSince(mark);
    expect(said).toMatch(/state database .*tscr\.db is corrupt .*: moved to .*tscr\.db\.corrupt-/);
    expect(said).toMatch(/4 container\(s\) re-adopted/);
    expectAllBack();
    scenarios.push({
      what: 'the first 4 KiB of the file and of its WAL overwritten with garbage, tscrd killed',
      said: '"state database … is corrupt (SQLITE_NOTADB …): moved to ….corrupt-<time>; starting a new one", then the re-adoption line',
      outcome: 'all 4 listed with their states, the running ones untouched; the bad file kept for inspection',
    });
  });

  it('deleted with a record copy gone too: that container is left running and reported', async () => {
    const plain = inspect(names.plain);
    const copy = join(d.dir, 'root', 'containers', plain.Id, 'record.json');
    expect(existsSync(copy)).toBe(true);
    await d.stop('SIGKILL');
    for (const f of [db(), `${db()}-wal`, `${db()}-shm`]) rmSync(f, { force: true });
    renameSync(copy, `${copy}.held`);
    const mark = readFileSync(logFile, 'utf8').length;
    await start();
    const said = logSince(mark);
    expect(said).toContain(`container ${plain.Id} runs but has no record`);
    expect(tscr('inspect', names.plain).code, 'not managed').not.toBe(0);
    expect(existsSync(`/proc/${plain.State.Pid}`), 'still running').toBe(true);
    // Given its copy back, the next start adopts it (and the test can remove it).
    renameSync(`${copy}.held`, copy);
    await d.stop('SIGTERM');
    await start();
    expectAllBack();
    scenarios.push({
      what: "deleted, and one running container's `record.json` removed too",
      said: '"container <id> runs but has no record (the state database lost it): left running, not managed"',
      outcome:
        'the other 3 re-adopted; that one keeps running (not listed); given its copy back, the next start adopts it',
    });
  });
});
