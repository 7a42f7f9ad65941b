import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteContainerStore } from '@tscr/daemon/local';
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
    expect(store.schemaVersion).toBe(1);
    store.insert(sampleRecord('a'.repeat(64), 'web'));
    expect(() => store.insert(sampleRecord('b'.repeat(64), 'web'))).toThrow(
      `the container name "/web" is already in use by container ${'a'.repeat(64)}`,
    );
    store.close();
  });
});
