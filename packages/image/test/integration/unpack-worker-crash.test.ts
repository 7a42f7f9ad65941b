import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FAILPOINTS_ENV } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { createLocalImageService } from '../../src/local/index.js';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(join(packageDir, 'dist', 'local', 'index.js'));
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * A daemon killed while a layer unpacks in the worker thread (the `image.pull.mid-layer`
 * failpoint, armed in a child process that runs the built package): the worker dies with it, the
 * half-made layer stays in scratch space, and the next start of the store sweeps it; the layer
 * then stores whole.
 */
describe.skipIf(!built)('a process killed while a layer unpacks in the worker thread', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('leaves scratch that the next start sweeps, and the layer then stores whole', async () => {
    const work = await makeTempDir('unpack-worker-crash');
    dirs.push(work);
    const src = join(work, 'src');
    const root = join(work, 'store');
    // Many files, text and random: several MiB of zlib output, so the kill comes mid-layer.
    mkdirSync(src);
    for (let i = 0; i < 400; i++)
      writeFileSync(join(src, `f${i}`), i % 2 ? randomBytes(20_000) : Buffer.alloc(20_000, i));
    const layer = spawnSync('tar', ['-C', src, '--sort=name', '-cf', '-', '.'], { maxBuffer: 64 << 20 }).stdout;
    const gz = gzipSync(layer);
    writeFileSync(join(work, 'layer.tar.gz'), gz);
    const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(gz), size: gz.length };

    const script = `
      import { createReadStream } from 'node:fs';
      import { createLocalImageService } from '@tscr/image/local';
      const svc = createLocalImageService({ root: ${JSON.stringify(root)}, unpackWorkerMinBytes: 0 });
      await svc.writeBlob(${JSON.stringify(desc)}, createReadStream(${JSON.stringify(join(work, 'layer.tar.gz'))}, { highWaterMark: 64 << 10 }));
      console.log('stored');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      env: { ...process.env, [FAILPOINTS_ENV]: 'image.pull.mid-layer=kill' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const scratch = () =>
      readdirSync(join(root, 'tmp')).flatMap((n) => (/^s\d$/.test(n) ? readdirSync(join(root, 'tmp', n)) : [n]));
    expect(scratch().some((n) => n.startsWith('pull-'))).toBe(true);

    const svc = createLocalImageService({ root, unpackWorkerMinBytes: 0 });
    expect(await svc.list()).toEqual([]);
    expect(scratch()).toEqual([]);
    expect(await svc.hasBlob(desc.digest)).toBe(false);

    async function* pieces() {
      for (let at = 0; at < gz.length; at += 64 << 10) yield gz.subarray(at, at + (64 << 10));
    }
    await svc.writeBlob(desc, pieces());
    const fs = join(root, 'layers', sha(layer).slice(7), 'fs');
    expect(readdirSync(fs).length).toBe(400);
  });
});
