import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GrpcSystemService } from '@tscr/api/grpc';
import { GrpcContainerService } from '@tscr/container/grpc';
import { makeTempDir, skipUnlessRoot } from '@tscr/testkit';
import { USAGE } from '../../src/config.js';
import { cleanupHost, configFlags, testConfig } from '../fixtures/host.js';

const bin = fileURLToPath(new URL('../../dist/main.cjs', import.meta.url));

// The built bin as npm links it (`tscrd`): its first line is a shell script (see binBanner in tsup.shared.js).
describe.skipIf(!existsSync(bin))('the tscrd bin (dist/main.cjs)', () => {
  it('runs Node with its flags, and leaves NODE_EXTRA_CA_CERTS to tscr (Node would warn about a missing file)', async () => {
    const firstLines = readFileSync(bin, 'utf8').split('\n', 2);
    expect(firstLines[0]).toBe('#!/bin/sh');
    expect(firstLines[1]).toContain('exec node --max-semi-space-size=2 --interrupt-budget=270336 "$0" "$@"');
    const env = { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: '/nonexistent/tscr-test-cas.pem' };
    const { stdout, stderr } = await promisify(execFile)(bin, ['--help'], { env });
    // The help text whole: the bundle drops indentation and comments, never whitespace inside a template literal.
    expect(stdout).toBe(USAGE);
    expect(stderr).toBe('');
    // Run by node itself (no shell line), Node reads the file as usual and warns.
    const direct = await promisify(execFile)(process.execPath, [bin, '--help'], { env });
    expect(direct.stderr).toContain('Ignoring extra certs from `/nonexistent/tscr-test-cas.pem`');
  });

  it("fixes glibc's malloc trim threshold for Node, after the caller's own GLIBC_TUNABLES", async () => {
    // A stand-in `node` first in PATH shows what the shell line hands to Node.
    const dir = mkdtempSync(join(tmpdir(), 'tscr-test-bin-'));
    try {
      writeFileSync(join(dir, 'node'), '#!/bin/sh\necho "$GLIBC_TUNABLES|$1"\n');
      chmodSync(join(dir, 'node'), 0o755);
      const run = (extra: Record<string, string>) =>
        promisify(execFile)(bin, ['--help'], { env: { PATH: `${dir}:${process.env.PATH ?? ''}`, ...extra } });
      expect((await run({})).stdout).toBe('glibc.malloc.trim_threshold=131072|--max-semi-space-size=2\n');
      expect((await run({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=8' })).stdout).toBe(
        'glibc.malloc.arena_max=8:glibc.malloc.trim_threshold=131072|--max-semi-space-size=2\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The bin is a bundle (tsup.bin.js): a started daemon has read its own few files, not the ~120 of the packages and
// grpc-js; what it loads from elsewhere is only what the packages' builds load from their own folders.
describe.skipIf(skipUnlessRoot() || !existsSync(bin))('the tscrd bin as a bundle', () => {
  it('starts and answers having loaded only its own files and the SQLite addon', async () => {
    const dir = await makeTempDir('bin-bundle');
    const config = testConfig(dir);
    const list = join(dir, 'loaded.json');
    const preload = join(dir, 'preload.cjs');
    writeFileSync(
      preload,
      `process.once('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));`,
    );
    const child = spawn(bin, configFlags(config), {
      env: { ...process.env, NODE_OPTIONS: `--require ${preload}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('tscrd listening on')) resolve();
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`tscrd exited with ${code}:\n${out}`)));
      });
      const system = new GrpcSystemService(config.host);
      const containers = new GrpcContainerService(config.host);
      try {
        expect((await system.version()).version).toMatch(/^\d+\.\d+\.\d+/);
        expect(await containers.list({ all: true })).toEqual([]);
      } finally {
        system.close();
        containers.close();
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      const loaded = (JSON.parse(readFileSync(list, 'utf8')) as string[]).filter((f) => f !== preload);
      // Besides its own files only better-sqlite3's addon: no @tscr package's build, no grpc-js, no protobufjs.
      const outside = loaded.filter((f) => dirname(f) !== dirname(bin));
      expect(outside).toEqual([expect.stringMatching(/[\\/]better-sqlite3[\\/].*\.node$/)]);
      expect(loaded.length).toBeLessThan(20);
      // The generated messages, each its own file of the bin loaded on first use: the containers' (and the
      // namespaces they import) for the list call, not the builder's or the plugins'.
      const gen = loaded.map((f) => basename(f)).filter((f) => f.startsWith('tscrd-gen-'));
      expect(gen).toContain('tscrd-gen-containersV1.cjs');
      expect(gen).not.toContain('tscrd-gen-builderV1.cjs');
      expect(gen).not.toContain('tscrd-gen-pluginsV1.cjs');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await cleanupHost(dir, config.cgroupParent);
    }
  });
});
