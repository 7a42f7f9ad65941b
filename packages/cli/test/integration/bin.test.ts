import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDaemon, type FakeDaemon } from '../fixtures/fake-daemon.js';

const bin = fileURLToPath(new URL('../../dist/main.cjs', import.meta.url));
const run = promisify(execFile);

async function tscr(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Runs the built bin (npx tsup in packages/cli first); skipped when it has not been built.
describe.skipIf(!existsSync(bin))('the tscr bin (dist/main.cjs)', () => {
  let d: FakeDaemon;
  let env: Record<string, string>;

  beforeAll(async () => {
    d = await startFakeDaemon();
    d.images.add('busybox:test');
    env = { TSCR_HOST: d.address, XDG_CACHE_HOME: join(d.dir, 'cache') };
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('talks to the daemon and keeps a code cache across runs', async () => {
    const first = await tscr(['version'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Server: tscr Engine');
    expect(readdirSync(join(d.dir, 'cache', 'tscr'))).toEqual([expect.stringMatching(/^cli-v\d+.*-version\.v8cache$/)]);
    const second = await tscr(['run', '--rm', 'busybox:test', 'exit', '7'], env);
    expect(second.code).toBe(7);
    // Each command word keeps its own cache: `run` compiles other functions than `version`.
    // (Named by the bundle that ran: `version` and `run` have lean bundles of their own, so the names' order varies.)
    const caches = readdirSync(join(d.dir, 'cache', 'tscr'));
    expect(caches.every((f) => /^cli-v\d+.*\.v8cache$/.test(f))).toBe(true);
    expect(caches.map((f) => f.replace(/^.*-(\w+)\.v8cache$/, '$1')).sort()).toEqual(['run', 'version']);
    expect((await tscr(['version'], env)).code).toBe(0);
    const plain = await tscr(['run', '--rm', 'busybox:test', 'echo', 'hi'], { ...env, TSCR_NO_COMPILE_CACHE: '1' });
    expect(plain).toMatchObject({ code: 0, stdout: 'hi\n' });
  });

  it('holds no dynamic import() of a module outside the bundle (it fails in the vm.Script the bin runs)', () => {
    const bundle = readFileSync(fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url)), 'utf8');
    expect(bundle.match(/\bimport\(["'`][^"'`]*["'`]\)/g) ?? []).toEqual([]);
  });

  it('is ASCII only (the bin reads it as latin1) and loads no grpc-js for unary and streaming calls', async () => {
    const bundle = readFileSync(fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url)));
    expect(bundle.findIndex((b) => b > 0x7f)).toBe(-1);
    const trace = { ...env, TSCR_STARTUP_TRACE: '1' };
    const version = await tscr(['version'], trace);
    expect(version.stderr).toContain('command done');
    expect(version.stderr).not.toContain('grpc-js loaded');
    // `run` attaches to the container's output: a bidirectional stream.
    const run = await tscr(['run', '--rm', 'busybox:test', 'echo', 'hi'], trace);
    expect(run).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect(run.stderr).toContain('command done');
    expect(run.stderr).not.toContain('grpc-js loaded');
  });

  it('runs the lean bundle of the command word (src/lean-bundles.ts), the whole CLI for other words', async () => {
    const trace = { ...env, TSCR_STARTUP_TRACE: '1' };
    const version = await tscr(['version'], trace);
    expect(version.stderr).toMatch(/ cli-system\.cjs compiled /);
    // info decodes int64 fields (Long, without its WebAssembly in the bin).
    const info = await tscr(['-D', 'info'], trace);
    expect(info.stdout).toContain(' Total Memory: 8GiB\n');
    expect(info.stderr).toMatch(/ cli-system\.cjs compiled /);
    const ps = await tscr(['-H', d.address, 'ps', '-a'], trace);
    expect(ps).toMatchObject({ code: 0 });
    expect(ps.stderr).toMatch(/ cli-containers\.cjs compiled /);
    const images = await tscr(['images'], trace);
    expect(images.stdout).toContain('busybox');
    expect(images.stderr).toMatch(/ cli\.cjs compiled /);
    // A lean bundle holds the command table: help for any command still works from it.
    expect((await tscr(['ps', '--help'], env)).stdout).toContain('Usage:  tscr ps [OPTIONS]');
    for (const file of ['cli.cjs', 'cli-system.cjs', 'cli-containers.cjs']) {
      const text = readFileSync(fileURLToPath(new URL(`../../dist/${file}`, import.meta.url)), 'latin1');
      expect(text, file).not.toContain('new WebAssembly.Module(');
      // One copy of long (its CommonJS build), not also its ESM one.
      expect(text.match(/new WebAssembly\.Instance\(/g)?.length ?? 0, file).toBeLessThanOrEqual(1);
    }
    const sizes = ['cli.cjs', 'cli-system.cjs', 'cli-containers.cjs'].map(
      (f) => readFileSync(fileURLToPath(new URL(`../../dist/${f}`, import.meta.url))).length,
    );
    expect(sizes[1]).toBeLessThan(sizes[0]! / 3);
    expect(sizes[2]).toBeLessThan(sizes[0]!);
  });

  it('exits 125 from run and 1 otherwise when no daemon listens', async () => {
    const gone = { ...env, TSCR_HOST: `unix://${d.dir}/none.sock` };
    const r = await tscr(['run', 'busybox:test'], gone);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`Cannot connect to the tscr daemon at unix://${d.dir}/none.sock. Is tscrd running?\n`);
    expect((await tscr(['ps'], gone)).code).toBe(1);
  });

  it('runs as npm links it (through its sh line) with NODE_EXTRA_CA_CERTS set, which its children still see', async () => {
    // A fake openssl (what `tscr system certs` runs) records the environment it was given.
    const tools = join(d.dir, 'tools');
    mkdirSync(tools, { recursive: true });
    writeFileSync(join(tools, 'openssl'), `#!/bin/sh\nenv > ${tools}/openssl.env\nexit 3\n`);
    chmodSync(join(tools, 'openssl'), 0o755);
    // A file Node cannot read: Node itself would warn on stderr before running a line; deferred, nothing reads it.
    const cas = join(d.dir, 'no-such-cas.pem');
    const caEnv = { ...env, NODE_EXTRA_CA_CERTS: cas, PATH: `${tools}:${process.env.PATH}` };
    const direct = (args: string[]) =>
      run(bin, args, { env: caEnv }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const version = await direct(['version']);
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout).toContain('Server: tscr Engine');
    const certs = await direct(['system', 'certs', '--dir', join(d.dir, 'certs')]);
    expect(certs.stderr).toContain('openssl genpkey failed');
    const seen = readFileSync(join(tools, 'openssl.env'), 'utf8').split('\n');
    expect(seen).toContain(`NODE_EXTRA_CA_CERTS=${cas}`);
    expect(seen.filter((l) => l.startsWith('TSCR_DEFERRED_CA_CERTS='))).toEqual([]);
  });
});
