/**
 * tscr's archives against podman's and skopeo's (Debian packages), both
 * ways: podman save → tscr load, tscr save → podman load / skopeo copy.
 * Podman runs with a private root under a /tmp/tscr-test-* directory.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, hasCommand, isRoot, makeTempDir, uniqueName } from '@tscr/testkit';
import { createLocalImageService, type LocalImageService } from '../../src/local/index.js';

const run = promisify(execFile);
const usable = isRoot() && hasCommand('podman') && hasCommand('skopeo') && hasCommand('busybox');

describe.skipIf(!usable)('archives interchange with podman and skopeo (root, podman, skopeo)', () => {
  let dir: string;
  let svc: LocalImageService;
  let podmanArgs: string[];
  let repo: string;
  let podmanId: string;
  const podman = async (...args: string[]) => (await run('podman', [...podmanArgs, ...args])).stdout.trim();

  beforeAll(async () => {
    dir = await makeTempDir('podman');
    podmanArgs = [
      '--root',
      join(dir, 'root'),
      '--runroot',
      join(dir, 'runroot'),
      '--storage-driver',
      'vfs',
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'file',
    ];
    svc = createLocalImageService({ root: join(dir, 'tscr') });
    repo = uniqueName('pm');
    const tar = await busyboxRootfsTar(dir, join(dir, 'busybox.tar'));
    podmanId = (await podman('import', '--change', 'CMD ["sh"]', '--change', 'ENV A=b', tar, `${repo}:1`))
      .split('\n')
      .pop() as string;
  });
  afterAll(async () => {
    if (!dir) return;
    await run('podman', [...podmanArgs, 'system', 'reset', '-f']).catch(() => undefined);
    await run('sh', ['-c', `grep -o ' ${dir}[^ ]*' /proc/mounts | xargs -r -n1 umount -l`]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  for (const format of ['docker-archive', 'oci-archive'] as const) {
    it(`podman save --format ${format} → tscr load keeps the ID, name and config`, async () => {
      const file = join(dir, `podman-${format}.tar`);
      await podman('save', '--format', format, '-o', file, `${repo}:1`);
      const loaded = await svc.load(createReadStream(file));
      expect(loaded).toEqual([{ id: podmanId, refs: [`localhost/${repo}:1`] }]);
      const img = await svc.get(`localhost/${repo}:1`);
      expect(img.config.cmd).toEqual(['sh']);
      expect(img.config.env).toContain('A=b');
      const mounts = await svc.prepare(uniqueName('snap'), img.id);
      expect(mounts[0]?.options.find((o) => o.startsWith('lowerdir='))).toBeTruthy();
      // Saved again as a docker-archive (podman's OCI layers are gzip: they go out as plain tars).
      const again = join(dir, `again-${format}.tar`);
      await pipeline(Readable.from(svc.save([img.id])), createWriteStream(again));
      await run('skopeo', ['copy', `docker-archive:${again}`, `oci:${join(dir, `again-${format}`)}:x`]);
      const config = JSON.parse(
        (await run('skopeo', ['inspect', '--config', `oci:${join(dir, `again-${format}`)}:x`])).stdout,
      ) as { rootfs: { diff_ids: string[] } };
      expect(config.rootfs.diff_ids).toEqual(img.layers);
      await svc.remove(img.id, { force: true });
    });
  }

  it('tscr save (docker-archive) → podman load, and skopeo copy of both formats to an OCI layout', async () => {
    const imported = await svc.importTar(createReadStream(join(dir, 'busybox.tar')), {
      reference: `${repo}:tscr`,
      config: { cmd: ['echo', 'hi'], labels: { from: 'tscr' } },
    });
    const dockerFile = join(dir, 'tscr-docker.tar');
    const ociFile = join(dir, 'tscr-oci.tar');
    await pipeline(Readable.from(svc.save([`${repo}:tscr`])), createWriteStream(dockerFile));
    await pipeline(Readable.from(svc.save([`${repo}:tscr`], { format: 'oci-archive' })), createWriteStream(ociFile));

    expect(await podman('load', '-i', dockerFile)).toContain(`${repo}:tscr`);
    const inspected = JSON.parse(await podman('image', 'inspect', `docker.io/library/${repo}:tscr`)) as {
      Id: string;
      Config: { Cmd: string[]; Labels: Record<string, string> };
    }[];
    expect(`sha256:${inspected[0]?.Id}`).toBe(imported.id);
    expect(inspected[0]?.Config.Cmd).toEqual(['echo', 'hi']);
    expect(inspected[0]?.Config.Labels).toEqual({ from: 'tscr' });

    const ref = `docker.io/library/${repo}:tscr`;
    await run('skopeo', ['copy', `oci-archive:${ociFile}:${ref}`, `oci:${join(dir, 'layout1')}:x`]);
    await run('skopeo', ['copy', `docker-archive:${dockerFile}`, `oci:${join(dir, 'layout2')}:x`]);
    for (const layout of ['layout1', 'layout2']) {
      const config = JSON.parse(
        (await run('skopeo', ['inspect', '--config', `oci:${join(dir, layout)}:x`])).stdout,
      ) as { config: { Cmd: string[] }; rootfs: { diff_ids: string[] } };
      expect(config.config.Cmd).toEqual(['echo', 'hi']);
      expect(config.rootfs.diff_ids).toEqual(imported.layers);
    }
    expect(await podman('load', '-i', ociFile)).toContain(repo);
  });
});
