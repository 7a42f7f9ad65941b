/**
 * A full disk: tscrd's root on a small ext4 filesystem (a loop mount the
 * test makes, `tscr-test-…`), filled to 2 MiB from the top. A pull, a build,
 * a commit and a `cp` into a container each fail with ResourceExhausted,
 * leave the store consistent and take no space; once the filler is gone
 * each works, and removing what it made gives the space back. Writes its
 * section of `docs/reliability/faults.md`. Root only.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, hasCommand, uniqueName } from '@tscr/testkit';
import {
  skipUnlessRegistry,
  startRegistry,
  type RegistryFixture,
} from '../../../registry-client/test/fixtures/registry.js';
import { checkConsistent } from '../fixtures/consistency.js';
import { E2eDaemon, e2eSkipReason, waitFor, type Result } from '../fixtures/e2e.js';
import { writeSection } from '../fixtures/faults-report.js';

const DOC = fileURLToPath(new URL('../../../../docs/reliability/faults.md', import.meta.url));
const MiB = 1024 * 1024;
const skip =
  e2eSkipReason() ??
  skipUnlessRegistry() ??
  (['mkfs.ext4', 'fallocate'].every(hasCommand) ? undefined : 'needs mkfs.ext4 (e2fsprogs) and fallocate');

interface Row {
  op: string;
  error: string;
  leftBehind: string;
  afterwards: string;
}

describe.skipIf(skip)('a full disk under the daemon root', () => {
  let d: E2eDaemon;
  let reg: RegistryFixture;
  let root = '';
  let image = '';
  const rows: Row[] = [];
  let survived = false;
  const base = `${uniqueName('full-base')}:1`;
  const ctr = uniqueName('full-ctr');
  let bigRef = '';
  let ctxDir = '';
  let bigFile = '';

  const ok = (r: Result): Result => {
    expect(r.code, `${r.stderr}${r.stdout}`).toBe(0);
    return r;
  };
  const tscr = (...args: string[]) => d.tscr(args);
  const free = () => {
    const s = statfsSync(root);
    return s.bavail * s.bsize;
  };
  const filler = () => join(root, 'tscr-test-filler');
  const fill = (keep: number) => {
    rmSync(filler(), { force: true });
    // The filler's own extent blocks come out of the free space too: step down until it fits.
    for (let size = free() - keep; size > 0; size -= 64 * 1024) {
      if (spawnSync('fallocate', ['-l', String(size), filler()]).status === 0) break;
    }
    expect(free()).toBeLessThan(keep + MiB);
  };

  beforeAll(async () => {
    d = await E2eDaemon.create('disk-full');
    root = join(d.dir, 'root');
    image = join(d.dir, 'tscr-test-disk.img');
    mkdirSync(root);
    // 64 MiB of ext4 with no blocks reserved for root (the daemon runs as root).
    expect(spawnSync('truncate', ['-s', '64M', image]).status).toBe(0);
    expect(spawnSync('mkfs.ext4', ['-q', '-m', '0', '-F', image]).status).toBe(0);
    expect(spawnSync('mount', ['-o', 'loop', image, root]).status).toBe(0);
    reg = await startRegistry();
    await d.start();
    ok(tscr('image', 'import', await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar')), base));
    // A 6 MB layer of random bytes, in the registry and in a build context.
    ctxDir = join(d.dir, 'ctx');
    mkdirSync(ctxDir);
    bigFile = join(ctxDir, 'big');
    writeFileSync(bigFile, randomBytes(6 * 1000 * 1000));
    writeFileSync(join(ctxDir, 'Dockerfile'), `FROM ${base}\nCOPY big /big\n`);
    bigRef = `${reg.host}/tscr-test/full:1`;
    ok(tscr('build', '-q', '-t', bigRef, ctxDir));
    ok(tscr('push', bigRef));
    ok(tscr('rmi', bigRef));
    ok(tscr('image', 'prune', '-a', '-f'));
    ok(tscr('image', 'import', join(d.dir, 'busybox.tar'), base));
    ok(
      tscr(
        'run',
        '-d',
        '--name',
        ctr,
        base,
        'sh',
        '-c',
        'head -c 6000000 /dev/urandom > /big && touch /done; sleep 1000',
      ),
    );
    await waitFor('the container to write its file', () => tscr('exec', ctr, 'test', '-f', '/done').code === 0);
  }, 180_000);

  afterAll(async () => {
    if (rows.length === 4) {
      writeSection(
        DOC,
        'disk-full',
        [
          '## A full disk',
          '',
          "tscrd's root on a 64 MiB ext4 filesystem (a loop mount, no blocks reserved for root), filled with one",
          'file until 2 MiB are free. Each operation needs more than that:',
          '',
          '| operation | error (code) | left behind | after the filler is removed |',
          '|---|---|---|---|',
          ...rows.map((r) => `| ${r.op} | ${r.error} | ${r.leftBehind} | ${r.afterwards} |`),
          '',
          'After each failure every check of the crash matrix holds (the store is consistent), and the free space is',
          'what it was before the operation (within 512 KiB).',
          '',
          'Found and fixed: a failed `cp` left its partial file in the container (it now removes what it created,',
          'and puts back whole the files it was replacing, which it moves aside until the copy is done);',
          "a create on a full disk said ENOENT (NotFound), because Node's recursive `mkdir` reports ENOSPC so (the",
          "container's directory is made non-recursively); a failed write of the events history would have been",
          "thrown from a timer and ended tscrd; EDQUOT, EFBIG and SQLite's SQLITE_FULL now map to ResourceExhausted.",
          ...(survived
            ? [
                '',
                'With the disk filled to the last block, `tscr run --rm` fails (or not) and tscrd stays up: writes of',
                'the events history that fail (SQLITE_FULL) lose those events, not the daemon.',
              ]
            : []),
        ].join('\n'),
      );
    }
    await reg?.stop();
    await d?.cleanup(); // unmounts the loop filesystem (and with it the loop device) with everything under the directory
  }, 120_000);

  /** Runs `args` on the full disk: it must fail with ResourceExhausted and take no space. */
  async function failsFull(args: string[], what: string): Promise<string> {
    fill(2 * MiB);
    const before = free();
    const r = tscr('--debug', ...args);
    expect(r.code, `${what} on a full disk: ${r.stdout}`).not.toBe(0);
    expect(r.stderr, r.stderr).toContain('code: ResourceExhausted');
    expect(free(), 'space taken by the failed operation').toBeGreaterThan(before - MiB / 2);
    rmSync(filler(), { force: true });
    // Unreferenced blobs are collected at start-up (while running, young ones are kept for pulls in flight).
    await d.stop();
    await d.start();
    checkConsistent(d);
    const message = (r.stderr.split('\n').find((l) => l.startsWith('Error:')) ?? '').slice('Error: '.length);
    return `ResourceExhausted: "${message.replace(d.dir, '<dir>').slice(0, 100)}"`;
  }

  /** Runs `make` with room, then `remove`: the space comes back. */
  function spaceComesBack(make: () => void, remove: () => void): void {
    const before = free();
    make();
    expect(free(), 'the operation took space').toBeLessThan(before - 4 * MiB);
    remove();
    expect(free(), 'space back after removal').toBeGreaterThan(before - MiB / 2);
  }

  it('pull', async () => {
    const error = await failsFull(['pull', bigRef], 'pull');
    expect(tscr('image', 'inspect', bigRef).code, 'no half image').not.toBe(0);
    spaceComesBack(
      () => ok(tscr('pull', bigRef)),
      () => ok(tscr('rmi', bigRef)),
    );
    rows.push({
      op: `\`tscr pull\` (6 MB layer)`,
      error,
      leftBehind: 'nothing',
      afterwards: 'pulls; `rmi` frees it all',
    });
  });

  it('build', async () => {
    const error = await failsFull(['build', '-t', 'tscr-test-full-build:1', ctxDir], 'build');
    expect(tscr('image', 'inspect', 'tscr-test-full-build:1').code).not.toBe(0);
    spaceComesBack(
      () => ok(tscr('build', '-q', '-t', 'tscr-test-full-build:1', ctxDir)),
      () => {
        ok(tscr('rmi', 'tscr-test-full-build:1'));
        ok(tscr('image', 'prune', '-f'));
      },
    );
    rows.push({
      op: '`tscr build` (a 6 MB context to COPY)',
      error,
      leftBehind: 'nothing',
      afterwards: 'builds; `rmi` frees it all',
    });
  });

  it('commit', async () => {
    const error = await failsFull(['commit', ctr, 'tscr-test-full-commit:1'], 'commit');
    expect(tscr('image', 'inspect', 'tscr-test-full-commit:1').code).not.toBe(0);
    expect(JSON.parse(ok(tscr('inspect', ctr)).stdout)[0].State.Status, 'unpaused').toBe('running');
    spaceComesBack(
      () => ok(tscr('commit', ctr, 'tscr-test-full-commit:1')),
      () => ok(tscr('rmi', 'tscr-test-full-commit:1')),
    );
    rows.push({
      op: '`tscr commit` (6 MB changed)',
      error,
      leftBehind: 'nothing; the container runs on',
      afterwards: 'commits; `rmi` frees it all',
    });
  });

  it('the daemon survives a disk filled to the last block (events, records)', async () => {
    fill(0);
    const r = tscr('run', '--rm', base, 'true');
    if (r.code !== 0) expect(r.stderr).toMatch(/no space left|ResourceExhausted/i);
    await new Promise((res) => setTimeout(res, 300)); // the events history flushes every 50 ms
    expect(d.process?.exitCode, 'tscrd is alive').toBeNull();
    ok(tscr('version'));
    rmSync(filler(), { force: true });
    ok(tscr('run', '--rm', base, 'true'));
    survived = true;
  });

  it('cp into a container', async () => {
    const error = await failsFull(['cp', bigFile, `${ctr}:/copied`], 'cp');
    // Over a file that is there: the failed copy puts the old one back whole.
    const sum = () => ok(tscr('exec', ctr, 'md5sum', '/big')).stdout;
    const old = sum();
    await failsFull(['cp', bigFile, `${ctr}:/big`], 'cp over a file');
    expect(sum(), 'the file the failed cp was replacing').toBe(old);
    spaceComesBack(
      () => ok(tscr('cp', bigFile, `${ctr}:/copied`)),
      () => ok(tscr('exec', ctr, 'rm', '/copied')),
    );
    rows.push({
      op: '`tscr cp` (6 MB file)',
      error,
      leftBehind: 'a partial file is removed; a file it was replacing is put back whole',
      afterwards: 'copies; deleting it frees it',
    });
  });
});
