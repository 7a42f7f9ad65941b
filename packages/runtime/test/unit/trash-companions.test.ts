import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '@tscr/testkit';
import { TRASHED_EXIT_FILE, TRASHED_SOCKET_LINK, Trash } from '../../src/local/trash.js';

describe("a deleted task's files outside its bundle", () => {
  it('go into the bundle on its way to the trash, or are removed when there is no bundle', async () => {
    const dir = await makeTempDir('trash-companions');
    try {
      const trash = new Trash(join(dir, 'trash'), () => '/bin/false');
      const exits = join(dir, 'exits');
      const sockets = join(dir, 'sockets');
      await Promise.all([mkdir(exits), mkdir(sockets), mkdir(join(dir, 'tasks', 'a'), { recursive: true })]);
      await writeFile(join(exits, 'a'), '3');
      await symlink(join(dir, 'tasks', 'a'), join(sockets, 'a'));
      const companions = (id: string) => ({
        [TRASHED_EXIT_FILE]: join(exits, id),
        [TRASHED_SOCKET_LINK]: join(sockets, id),
      });

      trash.take('a', join(dir, 'tasks', 'a'), undefined, companions('a'));
      expect(readdirSync(exits)).toEqual([]);
      expect(readdirSync(sockets)).toEqual([]);
      const [entry] = readdirSync(join(dir, 'trash'));
      expect(readFileSync(join(dir, 'trash', entry!, TRASHED_EXIT_FILE), 'utf8')).toBe('3');
      await trash.settled();
      expect(readdirSync(join(dir, 'trash'))).toEqual([]);

      // A bundle already gone (a delete repeated after a crash): the files are removed, nothing is trashed.
      await writeFile(join(exits, 'b'), '0');
      trash.take('b', join(dir, 'tasks', 'b'), undefined, companions('b'));
      expect(existsSync(join(exits, 'b'))).toBe(false);
      expect(readdirSync(join(dir, 'trash'))).toEqual([]);
      // Neither there: nothing to do, no error.
      trash.take('c', join(dir, 'tasks', 'c'), undefined, companions('c'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
