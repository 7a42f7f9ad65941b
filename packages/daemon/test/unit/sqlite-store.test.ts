import { rm } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteContainerStore } from '@tscr/daemon/local';
import type { ContainerInfo } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { describeContainerStore, sampleRecord } from '../../../container/test/conformance/container-store.js';

describeContainerStore('sqlite', async () => {
  const dir = await makeTempDir('sqlite');
  const opened: SqliteContainerStore[] = [new SqliteContainerStore(join(dir, 'tscr.db'))];
  return {
    store: opened[0]!,
    reopen() {
      opened[0]!.close();
      const again = new SqliteContainerStore(join(dir, 'tscr.db'));
      opened.push(again);
      return again;
    },
    async cleanup() {
      for (const s of opened) s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteContainerStore', () => {
  it('migrates a new database to the latest schema and says who holds a name', async () => {
    const store = new SqliteContainerStore(':memory:');
    expect(store.schemaVersion).toBe(2);
    store.insert(sampleRecord('a'.repeat(64), 'web'));
    expect(() => store.insert(sampleRecord('b'.repeat(64), 'web'))).toThrow(
      `the container name "/web" is already in use by container ${'a'.repeat(64)}`,
    );
    store.close();
  });

  it('migrates a version 1 database, marking the running and restarting rows active', async () => {
    const dir = await makeTempDir('sqlite-v1');
    const path = join(dir, 'tscr.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
      CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL, record TEXT NOT NULL)`);
    const rows: [string, string, ContainerInfo['state']['status'], boolean][] = [
      ['a'.repeat(64), 'up', 'running', true],
      ['b'.repeat(64), 'down', 'exited', false],
      ['c'.repeat(64), 'again', 'restarting', false],
    ];
    for (const [id, name, status, running] of rows) {
      const rec = sampleRecord(id, name);
      rec.state = { ...rec.state, status, running };
      old.prepare('INSERT INTO containers VALUES (?, ?, ?, ?)').run(id, name, rec.created, JSON.stringify(rec));
    }
    old.close();
    const store = new SqliteContainerStore(path);
    try {
      expect(store.schemaVersion).toBe(2);
      expect(
        store
          .list({ active: true })
          .map((r) => r.name)
          .sort(),
      ).toEqual(['again', 'up']);
      expect(store.list().length).toBe(3);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
