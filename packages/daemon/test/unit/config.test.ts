import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_LIMITS, parseCommandLine, parseConfigFile } from '@tscr/daemon';
import { isInvalidArgument } from '@tscr/api';
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

  it('takes network drivers from the file and --network-driver', async () => {
    const dir = await makeTempDir('config');
    const file = join(dir, 'tscrd.json');
    await writeFile(file, JSON.stringify({ networkDrivers: { weave: 'unix:///tmp/w.sock' } }));
    const cmd = await parseCommandLine(['--config', file, '--network-driver', 'nodenet=unix:///tmp/n.sock']);
    expect(cmd).toMatchObject({
      config: { networkDrivers: { weave: 'unix:///tmp/w.sock', nodenet: 'unix:///tmp/n.sock' } },
    });
    for (const argv of [
      ['--network-driver', 'bridge=unix:///x'],
      ['--network-driver', 'nope'],
    ]) {
      await expect(parseCommandLine(argv)).rejects.toMatchObject({ code: 'InvalidArgument' });
    }
    await writeFile(file, JSON.stringify({ networkDrivers: { host: 'unix:///x' } }));
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
    for (const host of ['tcp://127.0.0.1:7070', '[::1]:7070', 'localhost:7070']) {
      await expect(parseCommandLine(['--host', host])).rejects.toThrow(/--insecure-loopback/);
      await expect(parseCommandLine(['--host', host, '--insecure-loopback'])).resolves.toMatchObject({
        kind: 'daemon',
      });
    }
    await expect(parseCommandLine(['--host', 'unix:///run/x.sock'])).resolves.toMatchObject({ kind: 'daemon' });
    await expect(parseCommandLine(['--config', '/nonexistent/tscr-test.json'])).rejects.toMatchObject({
      code: 'NotFound',
    });
  });
});

describe('limits in the config file', () => {
  it('fills what is not given from the defaults', () => {
    expect(parseConfigFile({ limits: { eventQueue: 64 } }).limits).toEqual({ ...DEFAULT_LIMITS, eventQueue: 64 });
  });

  it('refuses unknown limits and values that are not positive integers', () => {
    for (const limits of [{ nope: 1 }, { eventQueue: 0 }, { headersTimeoutMs: 1.5 }, { bodyTimeoutMs: '10' }, []]) {
      let err: unknown;
      try {
        parseConfigFile({ limits });
      } catch (e) {
        err = e;
      }
      expect(isInvalidArgument(err), JSON.stringify(limits)).toBe(true);
    }
  });
});

describe('remote access flags', () => {
  it('takes -H more than once, and mutual TLS files with --tlsverify', async () => {
    const tls = ['--tlsverify', '--tlscacert', '/c/ca.pem', '--tlscert', '/c/s.pem', '--tlskey', '/c/k.pem'];
    const cmd = await parseCommandLine(['-H', 'unix:///tmp/a.sock', '-H', 'tcp://0.0.0.0:2376', ...tls]);
    expect(cmd).toMatchObject({
      kind: 'daemon',
      config: {
        host: 'unix:///tmp/a.sock',
        hosts: ['unix:///tmp/a.sock', 'tcp://0.0.0.0:2376'],
        tls: { ca: '/c/ca.pem', cert: '/c/s.pem', key: '/c/k.pem' },
      },
    });
  });

  it('refuses TCP off loopback without --tlsverify, naming the flag, and half-given TLS', async () => {
    await expect(parseCommandLine(['-H', 'tcp://10.1.2.3:2376'])).rejects.toThrow(/--tlsverify/);
    await expect(parseCommandLine(['--tlsverify', '--tlscacert', '/c/ca.pem'])).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(parseCommandLine(['--tlscert', '/c/s.pem'])).rejects.toThrow(/--tlsverify/);
  });

  it('gives a TCP Docker API the daemon TLS when it has none of its own', async () => {
    const tls = ['--tlsverify', '--tlscacert', '/c/ca.pem', '--tlscert', '/c/s.pem', '--tlskey', '/c/k.pem'];
    const cmd = await parseCommandLine(['--docker-host', 'tcp://0.0.0.0:2375', ...tls]);
    expect(cmd).toMatchObject({ config: { dockerTls: { ca: '/c/ca.pem', cert: '/c/s.pem', key: '/c/k.pem' } } });
  });

  it('takes peers and the network prefix and pool', async () => {
    const cmd = await parseCommandLine([
      '--peer',
      'tcp://10.0.0.2:2376',
      '--peer',
      'unix:///run/b.sock',
      '--network-prefix',
      'ab12',
      '--network-pool',
      '10.99.0.0/16',
    ]);
    expect(cmd).toMatchObject({
      config: {
        peers: ['tcp://10.0.0.2:2376', 'unix:///run/b.sock'],
        networkPrefix: 'ab12',
        networkPool: '10.99.0.0/16',
      },
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
