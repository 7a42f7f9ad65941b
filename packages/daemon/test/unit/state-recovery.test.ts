import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MirroredContainerStore,
  RECORD_FILE,
  RETIRED_RECORD_FILE,
  SqliteContainerStore,
  checkStateDatabase,
} from '@tscr/daemon/local';
import { makeTempDir } from '@tscr/testkit';
import { sampleRecord } from '../../../container/test/conformance/container-store.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('state database recovery', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function storeIn(root: string): MirroredContainerStore {
    return new MirroredContainerStore(new SqliteContainerStore(join(root, 'tscr.db')), join(root, 'containers'));
  }

  it('keeps a copy of each record in its directory, and re-adopts the copies a new database lacks', async () => {
    dir = await makeTempDir('state-recovery');
    mkdirSync(join(dir, 'containers', A), { recursive: true });
    mkdirSync(join(dir, 'containers', B), { recursive: true });
    const store = storeIn(dir);
    store.insert(sampleRecord(A, 'web'));
    store.insert(sampleRecord(B, 'db'));
    const web = { ...sampleRecord(A, 'web'), restartCount: 3 };
    store.update(web);
    await store.settled(A); // the copy of a change is written behind the database
    expect(JSON.parse(readFileSync(join(dir, 'containers', A, RECORD_FILE), 'utf8')).restartCount).toBe(3);
    store.delete(B);
    expect(existsSync(join(dir, 'containers', B, RECORD_FILE))).toBe(false);
    store.close();

    await rm(join(dir, 'tscr.db'), { force: true });
    await rm(join(dir, 'tscr.db-wal'), { force: true });
    const again = storeIn(dir);
    const said: string[] = [];
    expect(again.adoptOrphans((m) => said.push(m))).toEqual([A]);
    expect(again.get(A)?.restartCount).toBe(3);
    expect(said.join('\n')).toContain('re-adopted container aaaaaaaaaaaa (web');
    expect(again.adoptOrphans(() => undefined)).toEqual([]);
    again.close();
  });

  it('writes the copies of changes behind the database: the newest wins, a delete meanwhile leaves none', async () => {
    dir = await makeTempDir('state-recovery');
    mkdirSync(join(dir, 'containers', A), { recursive: true });
    mkdirSync(join(dir, 'containers', B), { recursive: true });
    const store = storeIn(dir);
    store.insert(sampleRecord(A, 'web'));
    store.insert(sampleRecord(B, 'db'));
    for (let n = 1; n <= 5; n++) store.update({ ...sampleRecord(A, 'web'), restartCount: n });
    expect(store.get(A)?.restartCount, 'the database has it at once').toBe(5);
    await store.settled(A);
    expect(JSON.parse(readFileSync(join(dir, 'containers', A, RECORD_FILE), 'utf8')).restartCount).toBe(5);
    store.update({ ...sampleRecord(B, 'db'), restartCount: 1 });
    store.delete(B);
    await store.settled(B);
    await new Promise((r) => setImmediate(r));
    expect(existsSync(join(dir, 'containers', B, RECORD_FILE)), 'no copy outlives its record').toBe(false);
    expect(readdirSync(join(dir, 'containers', A))).toEqual([RECORD_FILE]);
    store.close();
  });

  it('retires the copy of a container marked for removal: a new database does not re-adopt it', async () => {
    dir = await makeTempDir('state-recovery');
    mkdirSync(join(dir, 'containers', A), { recursive: true });
    mkdirSync(join(dir, 'containers', B), { recursive: true });
    const store = storeIn(dir);
    const web = sampleRecord(A, 'web');
    store.insert(web);
    store.insert(sampleRecord(B, 'db'));
    // Nothing being written: the copy is renamed aside at once, and there is nothing to wait for.
    store.update({ ...web, state: { ...web.state, status: 'removing' } });
    expect(readdirSync(join(dir, 'containers', A)).sort()).toEqual([RETIRED_RECORD_FILE]);
    expect(store.get(A)?.state.status, 'the database has the mark').toBe('removing');
    // A copy being written when the mark comes: retired after it, never left as the record.
    const db = sampleRecord(B, 'db');
    store.update({ ...db, restartCount: 2 });
    store.update({ ...db, state: { ...db.state, status: 'removing' } });
    await store.settled(B);
    expect(readdirSync(join(dir, 'containers', B)).sort()).toEqual([RETIRED_RECORD_FILE]);
    // A failed removal's later change (back from removing) gets its copy again.
    store.update({ ...db, restartCount: 3 });
    await store.settled(B);
    expect(JSON.parse(readFileSync(join(dir, 'containers', B, RECORD_FILE), 'utf8')).restartCount).toBe(3);
    store.close();

    await rm(join(dir, 'tscr.db'), { force: true });
    await rm(join(dir, 'tscr.db-wal'), { force: true });
    const again = storeIn(dir);
    expect(
      again.adoptOrphans(() => undefined),
      'the one being removed stays out',
    ).toEqual([B]);
    again.close();
  });

  it('writes no copy for a container whose directory is gone (being removed)', async () => {
    dir = await makeTempDir('state-recovery');
    const store = storeIn(dir);
    store.insert(sampleRecord(A, 'web'));
    store.update({ ...sampleRecord(A, 'web'), restartCount: 1 });
    expect(store.get(A)?.restartCount).toBe(1);
    expect(existsSync(join(dir, 'containers', A)), 'no directory is made for the copy').toBe(false);
    store.close();
  });

  it('moves a database SQLite cannot read aside and leaves a good one alone', async () => {
    dir = await makeTempDir('state-recovery');
    const path = join(dir, 'tscr.db');
    expect(checkStateDatabase(path)).toEqual({ status: 'missing' });
    new SqliteContainerStore(path).close();
    expect(checkStateDatabase(path)).toEqual({ status: 'ok' });
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    const found = checkStateDatabase(path);
    expect(found.status).toBe('corrupt');
    expect(found.reason).toMatch(/SQLITE_NOTADB/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).some((f) => f.startsWith('tscr.db.corrupt-'))).toBe(true);
  });
});
