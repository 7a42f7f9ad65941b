import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInvalidArgument } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { looksLikeTar, spoolTar } from '../../src/local/spool.js';
import { cleanEntryPath } from '../../src/local/unpack.js';

async function* once(data: Buffer): AsyncGenerator<Uint8Array> {
  // Odd-sized pieces, so the gzip sniff has to look across chunks.
  let at = 0;
  let n = 1;
  while (at < data.length) {
    yield data.subarray(at, at + n);
    at += n;
    n = n === 1 ? 700 : 1;
  }
}

describe('spoolTar', () => {
  let dir: string;
  let tar: Buffer;

  beforeEach(async () => {
    dir = await makeTempDir('spool');
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'hello.txt'), 'hello\n');
    execFileSync('tar', ['-C', join(dir, 'src'), '-cf', join(dir, 'in.tar'), '.']);
    tar = await readFile(join(dir, 'in.tar'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

  it('stores a plain tar as is and hashes it', async () => {
    const out = join(dir, 'plain.tar');
    expect(await spoolTar(once(tar), out)).toEqual({ digest: sha(tar), size: tar.length });
    expect((await readFile(out)).equals(tar)).toBe(true);
  });

  it('decompresses gzip and hashes the uncompressed bytes', async () => {
    const out = join(dir, 'gz.tar');
    expect(await spoolTar(once(gzipSync(tar)), out)).toEqual({ digest: sha(tar), size: tar.length });
    expect((await readFile(out)).equals(tar)).toBe(true);
  });

  it('rejects data that is not a tar', async () => {
    for (const data of [Buffer.from('definitely not a tar archive'.repeat(40)), Buffer.alloc(0), gzipSync('nope')]) {
      const err = await spoolTar(once(data), join(dir, `x-${Math.random()}`)).catch((e: unknown) => e);
      expect(isInvalidArgument(err)).toBe(true);
    }
    const broken = gzipSync(tar).subarray(0, 40);
    expect(isInvalidArgument(await spoolTar(once(broken), join(dir, 'y')).catch((e: unknown) => e))).toBe(true);
  });

  it('recognizes tar headers by checksum', () => {
    expect(looksLikeTar(tar.subarray(0, 512))).toBe(true);
    expect(looksLikeTar(Buffer.alloc(512))).toBe(true);
    const bad = Buffer.from(tar.subarray(0, 512));
    bad[0] = (bad[0] as number) ^ 0xff;
    expect(looksLikeTar(bad)).toBe(false);
    expect(looksLikeTar(Buffer.alloc(100))).toBe(false);
  });
});

describe('cleanEntryPath', () => {
  it('cleans paths the way Docker does', () => {
    expect(cleanEntryPath('./bin/sh')).toBe('bin/sh');
    expect(cleanEntryPath('/etc/passwd')).toBe('etc/passwd');
    expect(cleanEntryPath('./')).toBe('');
    expect(cleanEntryPath('a/../b/')).toBe('b');
  });
  it('refuses paths that escape', () => {
    for (const p of ['..', '../x', 'a/../../x', '/../../etc']) {
      expect(() => cleanEntryPath(p)).toThrow(/escapes/);
    }
  });
});
