import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, isInvalidArgument, type Image } from '@tscr/api';
import { makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { createLocalImageService, type LocalImageService } from '../../src/local/index.js';
import { findCommand } from '../../src/local/commands.js';
import { rawTar, type RawEntry } from '../fixtures/raw-tar.js';

async function* bytes(data: Buffer): AsyncGenerator<Uint8Array> {
  yield data;
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    out.push(join(e.parentPath, e.name).slice(dir.length));
  }
  return out.sort();
}

// A layer imported (unpacked in this thread), and the same layer pulled (written as a blob) with the unpack in a
// worker thread: alike in every respect.
describe.skipIf(skipUnlessRoot('mknod')).each([
  ['imported', false],
  ['pulled, unpacked in a worker thread', true],
])('layer unpacking (root), %s', (_how, pulled) => {
  let root: string;
  let svc: LocalImageService;

  beforeAll(async () => {
    root = await makeTempDir('image-unpack');
    svc = createLocalImageService({ root, unpackWorkerMinBytes: 0 });
    await svc.list(); // lay out the root first, so "left behind" compares like with like
    // The scratch parents pulls take turns with, made up front: a failed pull leaves nothing new.
    if (pulled) for (let i = 0; i < 8; i++) await mkdir(join(root, 'tmp', `s${i}`), { recursive: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const fsOf = (img: Pick<Image, 'layers'>) => join(root, 'layers', (img.layers[0] as string).slice(7), 'fs');
  const load = async (entries: RawEntry[]): Promise<Pick<Image, 'layers'>> => {
    const tar = rawTar(entries);
    if (!pulled) return svc.importTar(bytes(tar), { reference: uniqueName('unpack') });
    const digest = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    await svc.writeBlob({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: tar.length }, bytes(tar));
    return { layers: [digest] };
  };

  it('preserves setuid modes, numeric ownership, hard links, devices and fifos', async () => {
    const img = await load([
      { name: './', type: '5', mode: 0o755 },
      { name: 'bin/', type: '5', mode: 0o750, uid: 1000, gid: 1000 },
      { name: 'bin/su', data: 'x', mode: 0o4755, uid: 0, gid: 0 },
      { name: 'bin/tool', data: 'tool', mode: 0o2711, uid: 1000, gid: 50 },
      { name: 'bin/tool-link', type: '1', linkname: 'bin/tool' },
      { name: 'bin/abs', type: '2', linkname: '/bin/tool', uid: 1000, gid: 1000 },
      { name: 'dev/', type: '5' },
      { name: 'dev/null', type: '3', mode: 0o666, devmajor: 1, devminor: 3 },
      { name: 'dev/pipe', type: '6', mode: 0o600 },
      { name: '/abs/file', data: 'absolute paths are taken relative' },
    ]);
    const fs = fsOf(img);
    expect((await stat(join(fs, 'bin/su'))).mode & 0o7777).toBe(0o4755);
    const tool = await stat(join(fs, 'bin/tool'));
    expect([tool.mode & 0o7777, tool.uid, tool.gid]).toEqual([0o2711, 1000, 50]);
    expect((await stat(join(fs, 'bin/tool-link'))).ino).toBe(tool.ino);
    const dir = await stat(join(fs, 'bin'));
    expect([dir.mode & 0o7777, dir.uid]).toEqual([0o750, 1000]);
    expect(await readlink(join(fs, 'bin/abs'))).toBe('/bin/tool');
    expect((await lstat(join(fs, 'bin/abs'))).uid).toBe(1000);
    const dev = await stat(join(fs, 'dev/null'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect([dev.rdev >> 8, dev.rdev & 0xff, dev.mode & 0o777]).toEqual([1, 3, 0o666]);
    expect((await stat(join(fs, 'dev/pipe'))).isFIFO()).toBe(true);
    expect(await readFile(join(fs, 'abs/file'), 'utf8')).toBe('absolute paths are taken relative');
    expect((await stat(join(fs, 'bin/su'))).mtime.getTime()).toBe(1_700_000_000_000);
  });

  it('gives files their owner, group and mode whatever the umask and setgid directories would give', async () => {
    const big = Buffer.alloc((1 << 20) + 4097, 7); // past the in-memory size: streamed
    const img = await load([
      { name: 'shared/', type: '5', mode: 0o2775, uid: 0, gid: 50 },
      { name: 'shared/root-owned', data: 'x', mode: 0o644, uid: 0, gid: 0 },
      { name: 'shared/sub/', type: '5', mode: 0o755 },
      { name: 'shared/sub/deep', data: 'y', mode: 0o640, uid: 0, gid: 0 },
      { name: 'open', data: 'z', mode: 0o777 },
      { name: 'sticky', data: 'z', mode: 0o1755 },
      { name: 'owned', data: 'z', mode: 0o4750, uid: 7, gid: 8 },
      { name: 'big', data: big, mode: 0o600, uid: 3, gid: 4 },
      { name: 'twice', data: 'first', mode: 0o600 },
      { name: 'twice', data: 'second', mode: 0o644 },
    ]);
    const fs = fsOf(img);
    const own = async (p: string) => {
      const st = await stat(join(fs, p));
      return [st.mode & 0o7777, st.uid, st.gid];
    };
    expect(await own('shared')).toEqual([0o2775, 0, 50]);
    expect(await own('shared/root-owned')).toEqual([0o644, 0, 0]);
    expect(await own('shared/sub/deep')).toEqual([0o640, 0, 0]);
    expect(await own('open')).toEqual([0o777, 0, 0]);
    expect(await own('sticky')).toEqual([0o1755, 0, 0]);
    expect(await own('owned')).toEqual([0o4750, 7, 8]);
    expect(await own('big')).toEqual([0o600, 3, 4]);
    expect((await readFile(join(fs, 'big'))).equals(big)).toBe(true);
    expect(await readFile(join(fs, 'twice'), 'utf8')).toBe('second');
    expect(await own('twice')).toEqual([0o644, 0, 0]);
    expect((await stat(join(fs, 'open'))).mtime.getTime()).toBe(1_700_000_000_000);
  });

  it('turns whiteout files into overlayfs whiteouts', async () => {
    const img = await load([
      { name: 'etc/', type: '5' },
      { name: 'etc/.wh.gone', data: '' },
      { name: 'etc/.wh.kept', data: '' },
      { name: 'etc/kept', data: 'the layer wins over its own whiteout' },
    ]);
    const fs = fsOf(img);
    const gone = await stat(join(fs, 'etc/gone'));
    expect(gone.isCharacterDevice()).toBe(true);
    expect(gone.rdev).toBe(0);
    expect(await readFile(join(fs, 'etc/kept'), 'utf8')).toContain('wins');
    expect((await readdir(join(fs, 'etc'))).sort()).toEqual(['gone', 'kept']);
  });

  it('handles opaque directories with setfattr, or says it cannot', async () => {
    const before = await tree(root);
    const attempt = load([
      { name: 'opt/', type: '5' },
      { name: 'opt/.wh..wh..opq', data: '' },
    ]);
    if (findCommand('setfattr')) {
      const img = await attempt;
      expect(await readdir(join(fsOf(img), 'opt'))).toEqual([]);
    } else {
      expect(errorCode(await attempt.catch((e: unknown) => e))).toBe('Unimplemented');
      expect(await tree(root)).toEqual(before);
    }
  });

  it.each<[string, RawEntry[]]>([
    ['a path with ..', [{ name: '../evil', data: 'x' }]],
    ['a deep path with ..', [{ name: 'a/../../evil', data: 'x' }]],
    [
      'a write through a symlink',
      [
        { name: 'link', type: '2', linkname: '/tmp' },
        { name: 'link/evil', data: 'x' },
      ],
    ],
    ['a hard link out of the layer', [{ name: 'passwd', type: '1', linkname: '../../../etc/passwd' }]],
    [
      'a hard link through a symlink',
      [
        { name: 'l', type: '2', linkname: '/etc' },
        { name: 'p', type: '1', linkname: 'l/passwd' },
      ],
    ],
  ])('refuses %s and leaves nothing behind', async (_what, entries) => {
    const before = await tree(root);
    const err = await load([{ name: 'ok', data: 'fine' }, ...entries]).catch((e: unknown) => e);
    expect(isInvalidArgument(err), String(err)).toBe(true);
    expect(await tree(root)).toEqual(before);
  });

  it('refuses a truncated archive', async () => {
    const before = await tree(root);
    const whole = rawTar([{ name: 'big', data: Buffer.alloc(5000, 1) }]);
    const err = await svc.importTar(bytes(whole.subarray(0, 2048))).catch((e: unknown) => e);
    expect(isInvalidArgument(err), String(err)).toBe(true);
    expect(await tree(root)).toEqual(before);
  });
});
