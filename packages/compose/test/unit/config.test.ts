/**
 * `config` of the fixture projects against the normalised output checked in
 * next to them (`expected.yaml`; absolute paths written as `<DIR>`).
 * `TSCR_UPDATE_EXPECTED=1` rewrites the expected files.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatConfig, loadProject } from '@tscr/compose';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

const cases: { name: string; profiles?: string[]; env?: Record<string, string>; format?: 'json' }[] = [
  { name: 'basic' },
  { name: 'overrides' },
  { name: 'extends' },
  { name: 'include' },
  { name: 'interpolation', env: { SET: 'set', EMPTY: '', BOTH: 'from-shell' } },
  { name: 'profiles', profiles: ['tools'] },
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
