import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKGROUND_FILE_OPS, backgroundFileOp, DirTrash, removeTree } from '@tscr/api';

describe('DirTrash', () => {
  let root: string;
  let trash: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tscr-test-dirtrash-'));
    trash = join(root, 'trash');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A directory with a few files and a sub-directory. */
  const filled = (name: string): string => {
    const dir = join(root, name);
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a'), 'a');
    writeFileSync(join(dir, 'sub', 'b'), 'b');
    return dir;
  };

  it('frees the name at once (making the trash directory) and removes the files behind the call', async () => {
    const t = new DirTrash({ dir: trash });
    const dir = filled('c1');
    expect(t.take(dir, 'c1')).toBe(true);
    expect(existsSync(dir)).toBe(false);
    mkdirSync(dir); // the name can be used again at once
    await t.settledFor('c1');
    expect(readdirSync(trash)).toEqual([]);
    expect(existsSync(dir)).toBe(true);
  });

  it('takes nothing when the directory does not exist', async () => {
    const t = new DirTrash({ dir: trash });
    expect(t.take(join(root, 'missing'), 'missing')).toBe(false);
    await t.settled();
    expect(existsSync(trash)).toBe(false);
  });

  it("sweeps an earlier instance's entries, never its own", async () => {
    const before = new DirTrash({ dir: trash, removeEntry: () => new Promise(() => undefined) });
    before.take(filled('old'), 'old'); // its removal never ends: a crash
    const [left] = readdirSync(trash);
    expect(left?.startsWith('old.')).toBe(true);
    const gate: { open?: () => void } = {};
    const held = new Promise<void>((r) => {
      gate.open = r;
    });
    const removed: string[] = [];
    const next = new DirTrash({
      dir: trash,
      removeEntry: async (entry, key) => {
        if (key === 'mine') await held;
        removed.push(key);
        rmSync(entry, { recursive: true, force: true });
      },
    });
    next.take(filled('mine'), 'mine'); // in flight while the sweep runs
    await next.sweep();
    expect(removed).toEqual(['old']);
    gate.open?.();
    await next.settled();
    expect(removed.sort()).toEqual(['mine', 'old']);
    expect(readdirSync(trash)).toEqual([]);
  });

  it('logs a failed removal and leaves the entry for the next sweep', async () => {
    const logged: string[] = [];
    const t = new DirTrash({
      dir: trash,
      log: (m) => logged.push(m),
      removeEntry: () => Promise.reject(new Error('disk on fire')),
    });
    t.take(filled('c2'), 'c2');
    await t.settled();
    expect(logged.join('\n')).toContain('disk on fire');
    expect(readdirSync(trash)).toHaveLength(1);
    await new DirTrash({ dir: trash }).sweep();
    expect(readdirSync(trash)).toEqual([]);
  });

  it('keeps keys that hold dots apart', async () => {
    const seen: string[] = [];
    const t = new DirTrash({
      dir: trash,
      removeEntry: async (entry, key) => {
        seen.push(key);
        rmSync(entry, { recursive: true });
      },
    });
    t.take(filled('a.b'), 'a.b');
    t.take(filled('a'), 'a');
    await t.settled();
    expect(seen.sort()).toEqual(['a', 'a.b']);
  });

  it('removes a tree one operation at a time, without following links', async () => {
    const dir = filled('tree');
    mkdirSync(join(dir, 'sub', 'deeper'));
    writeFileSync(join(dir, 'sub', 'deeper', 'c'), 'c');
    const outside = filled('outside');
    symlinkSync(outside, join(dir, 'link'));
    await removeTree(dir);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(outside).sort()).toEqual(['a', 'sub']);
    await removeTree(join(root, 'missing')); // nothing there: fine
  });

  it('runs background file operations a few at a time, in order, a failure stopping none of the rest', async () => {
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const op = (i: number, fail: boolean) => async () => {
      order.push(i);
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (fail) throw new Error('failed');
      return 'ok';
    };
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => backgroundFileOp(op(i, i === 2))));
    expect(most).toBe(BACKGROUND_FILE_OPS);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  });
});
