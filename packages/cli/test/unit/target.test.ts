import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@tscr/testkit';
import { rmSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ContextStore, configDir } from '../../src/context-store.js';
import { resolveTarget } from '../../src/target.js';
import { runCli } from '../fixtures/fake-daemon.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('which daemon a command talks to', () => {
  let home = '';
  let env: Record<string, string | undefined> = {};
  const tls = { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' };

  beforeEach(async () => {
    home = await makeTempDir('cli-target');
    made.push(home);
    env = { HOME: home };
    new ContextStore(configDir(env)).save({ name: 'remote', description: '', host: 'tcp://10.0.0.9:2376', tls });
  });

  it('keeps contexts under HOME with the keys at mode 0600', () => {
    const key = join(home, '.tscr', 'contexts', 'remote', 'tls', 'key.pem');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(new ContextStore(configDir(env)).get('remote')).toMatchObject({ host: 'tcp://10.0.0.9:2376', tls });
  });

  it('takes -H, then --context, then TSCR_HOST, then TSCR_CONTEXT, then the current context, then the socket', () => {
    expect(resolveTarget({}, env).address).toBe('unix:///run/tscr/tscr.sock');
    new ContextStore(configDir(env)).setCurrent('remote');
    expect(resolveTarget({}, env)).toMatchObject({ address: 'tcp://10.0.0.9:2376', context: 'remote', tls });
    expect(resolveTarget({}, { ...env, TSCR_CONTEXT: 'default' }).address).toBe('unix:///run/tscr/tscr.sock');
    expect(resolveTarget({}, { ...env, TSCR_HOST: 'unix:///x.sock' }).address).toBe('unix:///x.sock');
    expect(resolveTarget({ host: 'unix:///h.sock' }, env).address).toBe('unix:///h.sock');
    expect(resolveTarget({ context: 'remote' }, { ...env, TSCR_HOST: 'unix:///x.sock' }).context).toBe('remote');
    expect(() => resolveTarget({ host: 'unix:///h.sock', context: 'remote' }, env)).toThrow(/not both/);
    expect(() => resolveTarget({ context: 'nope' }, env)).toThrow(/does not exist/);
  });

  it('reads TLS files from TSCR_CERT_PATH when TSCR_TLS_VERIFY is set, and flags override them', async () => {
    const dir = join(home, 'certs');
    await mkdir(dir);
    for (const f of ['ca', 'cert', 'key']) await writeFile(join(dir, `${f}.pem`), `${f} from dir`);
    await writeFile(join(home, 'other-key.pem'), 'flag key');
    const t = resolveTarget(
      { host: 'tcp://h:1', tlskey: join(home, 'other-key.pem') },
      { ...env, TSCR_TLS_VERIFY: '1', TSCR_CERT_PATH: dir },
    );
    expect(t.tls).toEqual({ ca: 'ca from dir', cert: 'cert from dir', key: 'flag key' });
    expect(resolveTarget({ host: 'tcp://h:1' }, env).tls).toBeUndefined();
    expect(() => resolveTarget({ host: 'tcp://h:1', tlsverify: true }, env)).toThrow(/--tlscacert/);
  });
});

describe('tscr context commands', () => {
  it('create, ls, use, show, inspect, export, import and rm, with no daemon', async () => {
    const home = await makeTempDir('cli-contexts');
    made.push(home);
    const env = { HOME: home };
    const created = await runCli(['context', 'create', 'one', '--host', 'unix:///tmp/tscr-test-one.sock'], { env });
    expect(created.stderr).toBe('');
    expect((await runCli(['context', 'ls', '-q'], { env })).stdout).toBe('default\none\n');
    expect((await runCli(['context', 'use', 'one'], { env })).code).toBe(0);
    expect((await runCli(['context', 'show'], { env })).stdout).toBe('one\n');
    const ls = (await runCli(['context', 'ls'], { env })).stdout;
    expect(ls).toMatch(/^one \*\s+unix:\/\/\/tmp\/tscr-test-one\.sock\s+no$/m);
    const ps = await runCli(['ps'], { env });
    expect(ps.stderr).toContain('unix:///tmp/tscr-test-one.sock');
    expect((await runCli(['context', 'export', 'one', '-'], { env })).stdout).toContain('"tscrContext":1');
    expect((await runCli(['context', 'rm', 'one'], { env })).stderr).toContain('in use');
    // A current context that is gone: other commands say so, context commands still work.
    const gone = { ...env, TSCR_CONTEXT: 'gone' };
    expect((await runCli(['ps'], { env: gone })).stderr).toContain('context "gone" does not exist');
    expect((await runCli(['context', 'use', 'default'], { env: gone })).code).toBe(0);
    expect((await runCli(['context', 'rm', 'one'], { env })).code).toBe(0);
    expect((await runCli(['context', 'create', 'default', '--host', 'unix:///x'], { env })).code).not.toBe(0);
  });
});
