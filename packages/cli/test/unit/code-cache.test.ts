import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheName, commandKey, saveCache } from '../../src/code-cache.js';

describe('the bin code cache', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    delete process.env.XDG_CACHE_HOME;
  });

  it('keys a run by its command word, skipping global flags and their values', () => {
    expect(commandKey(['ps', '-a'])).toBe('ps');
    expect(commandKey(['-H', 'unix:///x.sock', 'run', '--rm', 'busybox'])).toBe('run');
    expect(commandKey(['--context', 'prod', '-D', 'version'])).toBe('version');
    expect(commandKey(['--version'])).toBe('none');
    expect(commandKey([])).toBe('none');
    expect(commandKey(['Weird/Word'])).toBe('none');
  });

  it("writes one file per command and drops only this bundle's other builds and long-unused foreign files", () => {
    const base = mkdtempSync(join(tmpdir(), 'tscr-test-cache-'));
    dirs.push(base);
    process.env.XDG_CACHE_HOME = base;
    const bundle = join(base, 'cli.cjs');
    writeFileSync(bundle, 'one');
    const ps = cacheName(bundle, commandKey(['ps']));
    const run = cacheName(bundle, commandKey(['run', 'x']));
    expect(ps.file).not.toBe(run.file);
    saveCache(ps, Buffer.from('a'));
    saveCache(run, Buffer.from('b'));
    const foreign = join(ps.dir, 'cli-v20.0.0-x64-other-build-ps.v8cache');
    const stale = join(ps.dir, 'cli-v20.0.0-x64-gone-build-ps.v8cache');
    writeFileSync(foreign, 'x');
    writeFileSync(stale, 'x');
    const old = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    utimesSync(stale, old, old);
    writeFileSync(bundle, 'rebuilt, longer'); // a new build of the same bundle
    const rebuilt = cacheName(bundle, commandKey(['ps']));
    expect(rebuilt.file).not.toBe(ps.file);
    saveCache(rebuilt, Buffer.from('c'));
    expect(readdirSync(ps.dir).sort()).toEqual(
      [rebuilt.file.slice(ps.dir.length + 1), 'cli-v20.0.0-x64-other-build-ps.v8cache'].sort(),
    );
  });
});
