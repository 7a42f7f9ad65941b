import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '@tscr/api';
import {
  fc,
  fuzz,
  fuzzTimeout,
  hasCommand,
  isRoot,
  makeTempDir,
  regression,
  rejection,
  resolvesOrRefuses,
} from '@tscr/testkit';
import { createLocalImageService, type LocalImageService } from '../../src/local/index.js';
import { rawTar, type RawEntry } from '../fixtures/raw-tar.js';

const KIND = 'layer tarball';
const LIMITS = { maxBytes: 1 << 20, maxEntries: 64 };
const CODES: ErrorCode[] = [
  'InvalidArgument',
  'ResourceExhausted',
  ...(isRoot() ? [] : (['PermissionDenied'] as ErrorCode[])),
];
const zstd = hasCommand('zstd');

/** Everything under `dir` (but `skip`), as `path type size ino` lines: what must not change. */
function listing(dir: string, skip: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const abs = join(dir, name);
    if (abs === skip) continue;
    const st = lstatSync(abs);
    out.push(`${prefix}${name} ${st.mode.toString(8)} ${st.size} ${st.ino} ${st.nlink} ${st.mtimeMs}`);
    if (st.isDirectory()) out.push(...listing(abs, skip, `${prefix}${name}/`));
  }
  return out;
}

/** Inodes of every regular file in `dir`'s tree. */
function inodes(dir: string, out = new Set<number>()): Set<number> {
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    if (st.isFile()) out.add(st.ino);
    else if (st.isDirectory()) inodes(join(dir, name), out);
  }
  return out;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe("fuzz: layer tarballs through the image store (a pull's ImageSink)", () => {
  let work: string;
  let root: string;
  let outside: string;
  let images: LocalImageService;
  beforeAll(async () => {
    work = await makeTempDir('fuzz-layer');
    root = join(work, 'store');
    outside = join(work, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'outside the store\n');
    images = createLocalImageService({ root, layerLimits: LIMITS });
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function store(blob: Buffer, gz: 'none' | 'gzip' | 'zstd'): Promise<void> {
    const mediaType = `application/vnd.oci.image.layer.v1.tar${gz === 'none' ? '' : `+${gz}`}`;
    const desc = { mediaType, digest: sha(blob), size: blob.length };
    async function* chunks() {
      for (let i = 0; i < blob.length; i += 4096) yield blob.subarray(i, i + 4096);
    }
    await images.writeBlob(desc, chunks(), { signal: AbortSignal.timeout(8000) });
  }

  /** What is in the store's scratch space `tmp/` (inside the parents `s0`… pulls take turns with). */
  const scratch = () =>
    existsSync(join(root, 'tmp'))
      ? readdirSync(join(root, 'tmp')).flatMap((n) => (/^s\d$/.test(n) ? readdirSync(join(root, 'tmp', n)) : [n]))
      : [];

  /** Unpacks `blob`; checks the invariants whatever happens. */
  async function check(blob: Buffer, gz: 'none' | 'gzip' | 'zstd'): Promise<void> {
    const before = listing(work, root);
    const outsideFiles = inodes(outside);
    const scratchBefore = scratch();
    await resolvesOrRefuses(() => store(blob, gz), CODES);
    expect(listing(work, root)).toEqual(before);
    // No hard link of the store shares an inode with a file outside it.
    for (const ino of inodes(join(root, 'layers'))) expect(outsideFiles.has(ino)).toBe(false);
    // Whatever happened, this input left no scratch behind (compared with before it, so a leftover is
    // blamed on the input that made it).
    expect(scratch().filter((n) => !scratchBefore.includes(n))).toEqual([]);
  }

  const NAMES = [
    '..',
    '.',
    '',
    'a',
    'b',
    'etc',
    'lnk',
    'dir',
    '.wh.a',
    '.wh..wh..opq',
    'outside',
    '\u00e9',
    'x'.repeat(120),
  ];
  const name = fc
    .array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 })
    .chain((parts) => fc.constantFrom(parts.join('/'), `/${parts.join('/')}`, `${parts.join('/')}/`));
  const target = () =>
    fc.oneof(
      name,
      fc.nat({ max: 8 }).map((n) => `${'../'.repeat(n)}outside/keep`),
      fc.constantFrom('@OUT', '@OUT/keep', '/', '/etc/passwd', '..', 'lnk/keep'),
    );
  const entry: fc.Arbitrary<RawEntry> = fc.record(
    {
      name,
      type: fc.constantFrom('0', '0', '0', '1', '2', '2', '3', '4', '5', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'V'),
      linkname: target(),
      data: fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)),
      mode: fc.oneof(fc.constantFrom(0o644, 0o755, 0o4755, 0o7777, 0), fc.nat({ max: 0o7777777 })),
      uid: fc.nat({ max: 2 ** 21 - 1 }),
      devmajor: fc.nat({ max: 300 }),
      devminor: fc.nat({ max: 300 }),
      size: fc.oneof(
        fc.constantFrom(0, 1, 511, 513, 2 ** 33 - 1),
        fc.constantFrom(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])),
        fc.constantFrom(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff])),
        fc.constantFrom(Buffer.from('garbage!!!!\0')),
      ),
      badChecksum: fc.constantFrom(false, false, false, false, true),
    },
    { requiredKeys: ['name'] },
  );
  const damage = fc.oneof(
    fc.constant({ kind: 'intact' as const }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  );
  type Comp = 'none' | 'gzip' | 'zstd';
  const comp = fc.constantFrom<Comp>(...(['none', 'gzip', ...(zstd ? ['zstd'] : [])] as Comp[]));

  it(
    'entries that escape, link out, lie about sizes or are corrupt: clear errors, nothing written outside',
    async () => {
      await fuzz(
        'layer tar entries',
        fc.tuple(fc.array(entry, { maxLength: 8 }), comp, damage),
        async ([entries, gz, dmg]) => {
          const real = entries.map((e) => (e.linkname ? { ...e, linkname: e.linkname.replace('@OUT', outside) } : e));
          let blob = rawTar(real);
          if (gz === 'gzip') blob = gzipSync(blob);
          if (gz === 'zstd') blob = execFileSync('zstd', ['-q', '-c'], { input: blob });
          if (dmg.kind === 'truncate') blob = blob.subarray(0, dmg.at % (blob.length + 1));
          if (dmg.kind === 'flip' && blob.length > 0) {
            blob = Buffer.from(blob);
            const i = dmg.at % blob.length;
            blob[i] = (blob[i] as number) ^ (1 << dmg.bit);
          }
          const slow = setTimeout(
            () => process.stderr.write(`fuzz-layer: slow input ${JSON.stringify([entries, gz, dmg])}\n`),
            5000,
          );
          try {
            await check(blob, gz);
          } finally {
            clearTimeout(slow);
          }
        },
        { kind: KIND, runs: 250, timeoutMs: 10_000 },
      );
    },
    fuzzTimeout(120_000),
  );

  it(
    'compression bombs stop at the configured limits with ResourceExhausted',
    async () => {
      await fuzz(
        'layer compression bombs',
        fc.record({
          files: fc.integer({ min: 1, max: 3 }),
          mib: fc.integer({ min: 1, max: 16 }),
          gz: comp,
          many: fc.boolean(),
        }),
        async ({ files, mib, gz, many }) => {
          const entries: RawEntry[] = many
            ? Array.from({ length: 100 }, (_, i) => ({ name: `f${i}` }))
            : Array.from({ length: files }, (_, i) => ({ name: `zeros${i}`, data: Buffer.alloc(mib << 20) }));
          const tar = rawTar(entries);
          const blob =
            gz === 'gzip' ? gzipSync(tar) : gz === 'zstd' ? execFileSync('zstd', ['-q', '-c'], { input: tar }) : tar;
          const err = await rejection(store(blob, gz));
          expect(err.code).toBe('ResourceExhausted');
          expect(err.details.limit).toBe(many ? 'maxEntries' : 'maxBytes');
          await check(Buffer.alloc(0), 'none').catch(() => undefined);
        },
        { kind: KIND, runs: 12, timeoutMs: 20_000 },
      );
    },
    fuzzTimeout(120_000),
  );

  describe('regressions', () => {
    const tar = (entries: RawEntry[]) => rawTar(entries);
    it('a hard link to a directory, to a missing file or to a whiteout is InvalidArgument (was PermissionDenied/NotFound)', async () => {
      regression(
        KIND,
        'a hard link to a directory (`.`) failed with PermissionDenied (EPERM from link(2)), and one to a missing file or a whiteout with NotFound; now InvalidArgument naming the link',
      );
      for (const entries of [
        [{ name: 'dir', type: '1' as const, linkname: '.' }],
        [{ name: 'etc', type: '1' as const, linkname: join(outside, 'keep') }],
        [{ name: 'a', type: '1' as const, linkname: '.wh..wh..opq' }],
        [
          { name: 'd', type: '5' as const },
          { name: 'x', type: '1' as const, linkname: 'd' },
        ],
      ]) {
        const err = await rejection(store(tar(entries), 'none'));
        expect(err.code).toBe('InvalidArgument');
        await check(Buffer.alloc(0), 'none').catch(() => undefined);
      }
    });

    it('an empty archive followed by garbage unpacks to nothing (was Internal "Premature close")', async () => {
      regression(
        KIND,
        'an empty archive (end-of-archive blocks) followed by more bytes failed with Internal "Premature close": the unpacker stopped reading its source; now the rest is read and ignored, as tar readers do',
      );
      const blob = Buffer.concat([Buffer.alloc(512), Buffer.from([1]), Buffer.alloc(600)]);
      await store(blob, 'none');
      await store(gzipSync(Buffer.concat([Buffer.alloc(1024), Buffer.alloc(1 << 16, 7)])), 'gzip');
    });

    it('a failed layer leaves no scratch behind, even when its blob file was still being opened', async () => {
      regression(
        KIND,
        'hardening while chasing `npm run fuzz` seed 982397004 (scratch directories `tmp/sN/pull-…` left behind; their cause was the hang below): a failed layer now waits for its blob file to close before its scratch directory is removed',
      );
      for (let i = 0; i < 30; i++) {
        await resolvesOrRefuses(() => store(Buffer.alloc(0), 'none'), CODES);
        await resolvesOrRefuses(() => store(Buffer.from('not a tar at all, not even close'), 'none'), CODES);
        await check(Buffer.alloc(0), 'none');
      }
    });

    it('a file whose body is cut short by a broken stream fails, instead of waiting for the rest forever', async () => {
      regression(
        KIND,
        'a file entry declaring more bytes than the stream held (a truncated or corrupt gzip) left the unpacker waiting forever for the rest of the body (a hung pull, and its scratch directory left behind); a broken source now fails the entry being read',
      );
      const size = Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff]); // base-256: 2 GiB - 1
      const tar = rawTar([{ name: 'dir/file', data: Buffer.alloc(70_000, 1), size }]);
      const gz = gzipSync(tar);
      const err = await rejection(store(gz.subarray(0, gz.length - 8), 'gzip'));
      expect(CODES).toContain(err.code);
      await check(Buffer.alloc(0), 'none');
    });

    it('a bomb past the limit while a file body streams ends the unpack without an unhandled stream error', async () => {
      regression(
        KIND,
        'no size bound existed: a gzip bomb unpacked without limit; now `layerLimits` (image service option, daemon config `layerLimits`) stop it with ResourceExhausted, and the entry being written fails quietly',
      );
      const err = await rejection(store(gzipSync(rawTar([{ name: 'big', data: Buffer.alloc(3 << 20) }])), 'gzip'));
      expect(err.code).toBe('ResourceExhausted');
      expect(err.details).toMatchObject({ limit: 'maxBytes', value: String(LIMITS.maxBytes) });
    });
  });
});
