import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseCommandLine, parseConfigFile } from '@tscr/daemon';
import { makeTempDir } from '@tscr/testkit';

describe('parseCommandLine', () => {
  it('uses the defaults', async () => {
    // The Docker API socket defaults to <exec-root>/docker.sock (not in DEFAULT_CONFIG, which embedders spread).
    expect(await parseCommandLine([])).toEqual({
      kind: 'daemon',
      config: { ...DEFAULT_CONFIG, dockerHost: 'unix:///run/tscr/docker.sock', criHost: 'unix:///run/tscr/cri.sock' },
    });
  });

  it('layers flags over the config file over the defaults', async () => {
    const dir = await makeTempDir('config');
    const file = join(dir, 'tscrd.json');
    await writeFile(
      file,
      JSON.stringify({ root: '/srv/tscr', cgroupParent: 'x', layers: { images: 'unix:///tmp/i.sock' } }),
    );
    const cmd = await parseCommandLine(['--config', file, '--root', '/data', '--layer', 'volumes=unix:///tmp/v.sock']);
    expect(cmd).toMatchObject({
      kind: 'daemon',
      config: {
        root: '/data',
        cgroupParent: 'x',
        execRoot: '/run/tscr',
        layers: { images: 'unix:///tmp/i.sock', volumes: 'unix:///tmp/v.sock', runtime: 'local' },
      },
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('takes volume plug-in drivers from the file and --volume-driver', async () => {
    const dir = await makeTempDir('config');
    const file = join(dir, 'tscrd.json');
    await writeFile(
      file,
      JSON.stringify({ volumeDrivers: { nfs: 'unix:///tmp/nfs.sock', keep: 'unix:///tmp/k.sock' } }),
    );
    const cmd = await parseCommandLine(['--config', file, '--volume-driver', 'nfs=unix:///tmp/other.sock']);
    expect(cmd).toMatchObject({
      config: { volumeDrivers: { nfs: 'unix:///tmp/other.sock', keep: 'unix:///tmp/k.sock' } },
    });
    await expect(parseCommandLine(['--volume-driver', 'local=unix:///x'])).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(parseCommandLine(['--volume-driver', 'nope'])).rejects.toMatchObject({ code: 'InvalidArgument' });
    await writeFile(file, JSON.stringify({ volumeDrivers: { bad: 3 } }));
    await expect(parseCommandLine(['--config', file])).rejects.toMatchObject({ code: 'InvalidArgument' });
    await rm(dir, { recursive: true, force: true });
  });

  it('parses serve-layer', async () => {
    const cmd = await parseCommandLine(['serve-layer', 'images', '--listen', 'unix:///tmp/x.sock', '--root', '/tmp/r']);
    expect(cmd).toMatchObject({
      kind: 'serve-layer',
      layer: 'images',
      listen: 'unix:///tmp/x.sock',
      config: { root: '/tmp/r' },
    });
  });

  it('rejects what it does not know', async () => {
    for (const argv of [
      ['--nope'],
      ['serve-layer', 'kitchen', '--listen', '/x'],
      ['serve-layer', 'images'],
      ['--root', 'rel'],
      ['--layer', 'disks=local'],
      ['frobnicate'],
      ['--host', 'tcp://0.0.0.0:2375'],
      ['--host', '10.0.0.5:7070'],
    ]) {
      await expect(parseCommandLine(argv)).rejects.toMatchObject({ code: 'InvalidArgument' });
    }
    for (const host of ['tcp://127.0.0.1:7070', '[::1]:7070', 'localhost:7070', 'unix:///run/x.sock']) {
      await expect(parseCommandLine(['--host', host])).resolves.toMatchObject({ kind: 'daemon' });
    }
    await expect(parseCommandLine(['--config', '/nonexistent/tscr-test.json'])).rejects.toMatchObject({
      code: 'NotFound',
    });
  });
});

describe('registry mirrors and the CRI', () => {
  it('reads --registry-mirror (Docker Hub), --mirror and the CRI flags', async () => {
    const cmd = await parseCommandLine([
      '--registry-mirror',
      'https://hub.example',
      '--mirror',
      'registry.k8s.io=http://127.0.0.1:5100',
      '--mirror',
      'registry.k8s.io=http://127.0.0.1:5101',
      '--cri-host',
      'unix:///tmp/x/cri.sock',
      '--cri-sandbox-image',
      'pause:1',
    ]);
    expect(cmd.kind === 'daemon' && cmd.config).toMatchObject({
      mirrors: {
        'docker.io': ['https://hub.example'],
        'registry.k8s.io': ['http://127.0.0.1:5100', 'http://127.0.0.1:5101'],
      },
      criHost: 'unix:///tmp/x/cri.sock',
      criSandboxImage: 'pause:1',
    });
    const off = await parseCommandLine(['--no-cri']);
    expect(off.kind === 'daemon' && off.config.criHost).toBe('');
  });

  it('refuses malformed mirrors', async () => {
    await expect(parseCommandLine(['--mirror', 'registry.k8s.io'])).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(() => parseConfigFile({ mirrors: { 'gcr.io': 'http://x' } })).toThrow(/list/);
  });
});
