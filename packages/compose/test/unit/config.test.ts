/**
 * `config` of the fixture projects against the normalised output checked in
 * next to them (`expected.yaml`; absolute paths written as `<DIR>`).
 * `TSCR_UPDATE_EXPECTED=1` rewrites the expected files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatConfig, loadProject, normalizeProjectName } from '@tscr/compose';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

const cases: { name: string; profiles?: string[]; env?: Record<string, string>; format?: 'json' }[] = [
  { name: 'basic' },
  { name: 'overrides' },
  { name: 'extends' },
  { name: 'include' },
  { name: 'interpolation', env: { SET: 'set', EMPTY: '', BOTH: 'from-shell' } },
  { name: 'profiles', profiles: ['tools'] },
  { name: 'reset' },
];

describe('compose config: fixture projects against their expected output', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const dir = join(fixtures, c.name);
      const model = await loadProject({ cwd: dir, env: { HOME: '/root', ...c.env }, profiles: c.profiles });
      const out = formatConfig(model).replaceAll(fixtures.replace(/\/$/, ''), '<DIR>');
      const file = join(dir, 'expected.yaml');
      if (process.env.TSCR_UPDATE_EXPECTED === '1' || !existsSync(file)) writeFileSync(file, out);
      expect(out).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('compose loader: where files, variables and names come from', () => {
  const dir = join(fixtures, 'interpolation');
  it('--env-file replaces .env; COMPOSE_FILE names the files; COMPOSE_PROJECT_NAME names the project', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tscr-test-compose-env-'));
    try {
      writeFileSync(join(tmp, 'other.env'), 'DOTENV_ONLY=from-env-file\nCOMPOSE_PROJECT_NAME=from_env_file\n');
      const m = await loadProject({ cwd: dir, env: { SET: 's' }, envFiles: [join(tmp, 'other.env')] });
      expect(m.services.t!.environment!.FROM_DOTENV).toBe('from-env-file');
      expect(m.name).toBe('from_env_file');
      expect(m.environmentFiles).toEqual([join(tmp, 'other.env')]);
      const viaEnv = await loadProject({ cwd: tmp, env: { COMPOSE_FILE: join(fixtures, 'profiles', 'compose.yaml') } });
      expect(Object.keys(viaEnv.services)).toEqual(['app']);
      expect(viaEnv.name).toBe('profiles');
      const named = await loadProject({ cwd: dir, env: { SET: 's' }, projectName: 'given' });
      expect(named.name).toBe('given');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  it('normalises a directory name as Compose does', () => {
    expect(normalizeProjectName('My App.v2')).toBe('myappv2');
    expect(normalizeProjectName('__x-Y')).toBe('x-y');
  });
  it('finds the file in a parent directory, with its override', async () => {
    const m = await loadProject({ cwd: join(fixtures, 'extends', 'common'), env: {} });
    expect(m.configFiles).toEqual([join(fixtures, 'extends', 'compose.yaml')]);
    const o = await loadProject({ cwd: join(fixtures, 'overrides'), env: {} });
    expect(o.configFiles.map((f) => f.split('/').at(-1))).toEqual(['compose.yaml', 'compose.override.yaml']);
  });
});
