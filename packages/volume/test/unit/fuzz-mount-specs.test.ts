import { describe, expect, it } from 'vitest';
import { parseMount, parseTmpfs as parseTmpfsFlag } from '@tscr/cli';
import { fc, fuzz, resolvesOrRefuses, parsesOrRefuses } from '@tscr/testkit';
import { parseBind, parseTmpfs } from '../../src/index.js';
import { planMounts } from '../../src/local/plan-mounts.js';

const KIND = 'port/volume/mount/tmpfs/ulimit/device spec';
/** Sources that never exist, so planning never finds a host path it would use. */
const PATHS = [
  '/tscr-test-missing',
  '/tscr-test-missing/',
  '/ctr',
  '/',
  '//',
  '/a/../..',
  '/a/./b',
  'rel',
  '.',
  '..',
  '',
];
const WORDS = [
  'vol',
  'v_1',
  'a.b',
  '-x',
  'x y',
  'ro',
  'rw',
  'z',
  'Z',
  'nocopy',
  'rshared',
  'rslave',
  'private',
  'bogus',
];
const TMPFS_OPTS = [
  'size=64m',
  'size=-1',
  'size=1x',
  'mode=1777',
  'mode=99',
  'uid=0',
  'gid=x',
  'nr_inodes=1k',
  'exec',
  'noexec',
  'ro',
  'rw',
  'suid',
  'dev',
  '=',
  'x=',
];

const specs = (tokens: string[], sep: string, max: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 3 })), { maxLength: max })
    .map((a) => a.join(sep));

async function planned(m: Parameters<typeof planMounts>[1][number]): Promise<void> {
  const out = await resolvesOrRefuses(() => planMounts('tscr-test', [m], []), ['InvalidArgument', 'NotFound']);
  for (const p of out ?? []) expect(p.destination.startsWith('/') && p.destination !== '/').toBe(true);
}

describe('fuzz: -v, --mount and --tmpfs', () => {
  it('-v parses or refuses; a parsed spec plans or is refused with InvalidArgument/NotFound', async () => {
    await fuzz(
      'volume spec (-v)',
      specs([...PATHS, ...WORDS, ','], ':', 4),
      async (s) => {
        const m = parsesOrRefuses(() => parseBind(s));
        if (m) await planned(m);
      },
      { kind: KIND, runs: 1500 },
    );
  });

  it('--mount parses or refuses; a parsed spec plans or is refused', async () => {
    const fields = fc.oneof(
      fc.constantFrom(
        'type=bind',
        'type=volume',
        'type=tmpfs',
        'type=x',
        'readonly',
        'ro=false',
        'ro=2',
        'volume-nocopy',
        'bogus',
      ),
      fc
        .tuple(
          fc.constantFrom(
            'source',
            'src',
            'target',
            'dst',
            'destination',
            'bind-propagation',
            'volume-opt',
            'volume-label',
            'volume-driver',
            'tmpfs-size',
            'tmpfs-mode',
          ),
          fc.constantFrom(...PATHS, ...WORDS, 'k=v', '=', '64m', '0777'),
        )
        .map(([k, v]) => `${k}=${v}`),
    );
    await fuzz(
      'mount spec (--mount)',
      fc.array(fields, { maxLength: 6 }).map((a) => a.join(',')),
      async (s) => {
        const m = parsesOrRefuses(() => parseMount(s));
        if (m) await planned(m);
      },
      { kind: KIND, runs: 1500 },
    );
  });

  it('--tmpfs parses or refuses (CLI and daemon forms); a parsed spec plans or is refused', async () => {
    await fuzz(
      'tmpfs spec (--tmpfs)',
      fc.tuple(fc.constantFrom(...PATHS), specs(TMPFS_OPTS, ',', 4)),
      async ([path, opts]) => {
        const s = opts === '' ? path : `${path}:${opts}`;
        for (const parse of [parseTmpfs, parseTmpfsFlag]) {
          const m = parsesOrRefuses(() => parse(s));
          if (m) await planned(m);
        }
      },
      { kind: KIND, runs: 1500 },
    );
  });
});
