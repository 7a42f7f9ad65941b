import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, makeTempDir } from '@tscr/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { prebuiltRelayPackage, relayCandidates } from '../../src/local/relay.js';

const native = fileURLToPath(new URL('../../native/', import.meta.url));

/** A copy of the package's native/ folder, as npm would unpack it (no build/). */
async function unpacked(dirs: string[]): Promise<string> {
  const dir = await makeTempDir('relay-install');
  dirs.push(dir);
  mkdirSync(join(dir, 'native'));
  copyFileSync(join(native, 'install.cjs'), join(dir, 'native', 'install.cjs'));
  cpSync(join(native, 'relay'), join(dir, 'native', 'relay'), { recursive: true });
  return join(dir, 'native');
}

describe('the install script of @tscr/runtime', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.skipIf(!hasCommand('cc'))('compiles tscr-relay into native/build, which then runs', async () => {
    const dir = await unpacked(dirs);
    execFileSync(process.execPath, [join(dir, 'install.cjs')], { stdio: 'pipe' });
    const relay = join(dir, 'build', 'tscr-relay');
    accessSync(relay, constants.X_OK);
    // Without arguments the relay prints its usage and fails: it is a working binary.
    const r = spawnSync(relay, [], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/usage/i);
  });

  it('without a compiler, succeeds and says what to do instead', async () => {
    const dir = await unpacked(dirs);
    const r = spawnSync(process.execPath, [join(dir, 'install.cjs')], {
      encoding: 'utf8',
      env: { PATH: '/nonexistent', CC: '' },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/no C compiler found/);
    expect(r.stderr).toMatch(/relayPath/);
    expect(r.stderr).toMatch(/TSCR_RELAY/);
    expect(r.stderr).toContain(`cc -O2 -o ${join(dir, 'build', 'tscr-relay')} ${join(dir, 'relay', '*.c')}`);
  });
});

describe('the prebuilt relay', () => {
  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')(
    'is looked for in the per-platform optional package, after the compiled one',
    () => {
      expect(prebuiltRelayPackage()).toBe('@tscr/relay-linux-x64');
      const candidates = relayCandidates();
      expect(candidates.at(-1)).toMatch(/relay-linux-x64\/bin\/tscr-relay$/);
      expect(candidates[0]).toMatch(/native\/build\/tscr-relay$/);
    },
  );
});
