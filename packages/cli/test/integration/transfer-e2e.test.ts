/**
 * Daemons talking to daemons, two on this machine with mutual TLS between
 * them: image transfer (only missing blobs travel, checked on the target's
 * counters), a receiver that refuses wrong or cut-short blobs, peers as a
 * layer source (a lying peer and an unreachable one cost nothing but time;
 * an honest one serves the layers), and the start-up reconcile of one daemon
 * leaving the other's bridges, rules and namespaces alone. Root only.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { listen } from '@tscr/api/grpc';
import { createTransferServer, GrpcTransferService, type TransferService } from '@tscr/daemon/grpc';
import { transferV1 } from '@tscr/api/grpc';
import { networkPrefixForRoot } from '@tscr/network/local';
import { makeTempDir, uniqueName } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  skipUnlessRegistry,
  startRegistry,
  type RegistryFixture,
} from '../../../registry-client/test/fixtures/registry.js';
import { e2eSkipReason, runCliAsync } from '../fixtures/e2e.js';
import { startTwoDaemons, type TwoDaemons } from '../fixtures/two-daemons.js';

const skip = e2eSkipReason() ?? skipUnlessRegistry();

/** A peer that claims every blob and serves garbage. */
function lyingPeer(calls: { getBlob: number }): TransferService {
  const no = () => {
    throw new Error('not a receiver');
  };
  return {
    sendImages: no,
    sendVolume: no,
    putBlob: no,
    recordImage: no,
    putVolume: no,
    async missingBlobs() {
      return [];
    },
    async *getBlob() {
      calls.getBlob++;
      yield Buffer.from('these are not the bytes you are looking for');
    },
    async stats() {
      return { blobsReceived: 0, blobBytesReceived: 0, blobsServed: 0, blobBytesServed: 0, volumeBytesReceived: 0 };
    },
  };
}

describe.skipIf(skip)('daemon to daemon: transfer and peers', () => {
  let t: TwoDaemons;
  let registry: RegistryFixture | undefined;
  const liar = new Server();
  const lies = { getBlob: 0 };
  let liarAddress = '';
  let liarDir = '';

  beforeAll(async () => {
    t = await startTwoDaemons();
    registry = await startRegistry();
    liar.addService(transferV1.TransferService, createTransferServer(lyingPeer(lies)));
    liarDir = await makeTempDir('liar');
    liarAddress = await listen(liar, `unix://${join(liarDir, 'liar.sock')}`);
  }, 120_000);

  afterAll(async () => {
    liar.forceShutdown();
    if (liarDir) rmSync(liarDir, { recursive: true, force: true });
    await registry?.stop();
    await t?.cleanup();
  });

  it('transfers an image over mutual TLS, and a second time sends no layer bytes', async () => {
    const first = t.withContexts(['-c', 'a', 'image', 'transfer', t.image, '--to', 'b']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${t.image}: transferred to b`);
    const after1 = await t.b.stats();
    expect(after1.blobsReceived).toBeGreaterThanOrEqual(3); // layer, config, manifest
    expect(after1.blobBytesReceived).toBeGreaterThan(100_000);
    const run = t.withContexts(['-c', 'b', 'run', '--rm', '--network', 'none', t.image, 'echo', 'moved-bytes']);
    expect(run.stdout).toBe('moved-bytes\n');

    const second = t.withContexts(['-c', 'a', 'image', 'transfer', t.image, '--to', 'b']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Already exists');
    const after2 = await t.b.stats();
    expect(after2.blobBytesReceived).toBe(after1.blobBytesReceived);
    expect(after2.blobsReceived).toBe(after1.blobsReceived);
  });

  it('refuses a blob whose bytes do not match, or that is cut short, and records nothing without its blobs', async () => {
    const b = new GrpcTransferService(t.b.daemon.host);
    try {
      const bytes = Buffer.from('tscr-test blob that is not what it claims\n');
      const desc = {
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: `sha256:${'ab'.repeat(32)}`,
        size: bytes.length,
      };
      async function* once() {
        yield bytes;
      }
      await expect(b.putBlob(desc, once())).rejects.toMatchObject({ code: 'DataLoss' });
      async function* broken() {
        yield bytes.subarray(0, 5);
        throw new Error('sender went away');
      }
      await expect(b.putBlob(desc, broken())).rejects.toBeDefined();
      expect(await b.missingBlobs([desc.digest])).toEqual([desc.digest]);
      const ref = `${uniqueName('never')}:x`;
      await expect(
        b.recordImage(ref, { ...desc, mediaType: 'application/vnd.oci.image.manifest.v1+json' }),
      ).rejects.toMatchObject({ code: 'FailedPrecondition' });
      expect(t.b.tscr(['images', '-q', ref]).stdout).toBe('');
    } finally {
      b.close();
    }
  });

  it('keeps nothing of a blob whose sender stops half-way: no blob, no unpacked layer, no temp file', async () => {
    const src = await makeTempDir('cut');
    writeFileSync(join(src, 'big'), randomBytes(24 << 20));
    const tar = execFileSync('tar', ['-C', src, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
    rmSync(src, { recursive: true, force: true });
    const desc = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
      size: tar.length,
    };
    const b = new GrpcTransferService(t.b.daemon.host);
    const stop = new AbortController();
    async function* halfThenStop() {
      for (let at = 0; at < tar.length / 2; at += 1 << 20) yield tar.subarray(at, at + (1 << 20));
      await new Promise((r) => setTimeout(r, 200));
      stop.abort();
      await new Promise((r) => setTimeout(r, 60_000));
    }
    try {
      await expect(b.putBlob(desc, halfThenStop(), { signal: stop.signal })).rejects.toMatchObject({
        code: 'Cancelled',
      });
      const tmp = join(t.b.daemon.dir, 'root', 'image', 'tmp');
      // The staging folders (s0…s7) stay; nothing may be left inside them.
      const leftovers = () =>
        existsSync(tmp) ? readdirSync(tmp, { recursive: true }).filter((p) => String(p).includes('/')) : [];
      for (let i = 0; i < 50 && leftovers().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(leftovers()).toEqual([]);
      expect(await b.missingBlobs([desc.digest])).toEqual([desc.digest]);
    } finally {
      b.close();
    }
  });

  it('asks peers for layers before the registry: a lying and a dead peer cost nothing, an honest one serves', async () => {
    const ref = `${registry?.host}/tscr-test/peers:1`;
    const ok = (args: string[], who = t.a) => {
      const r = who.tscr(args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return r.stdout;
    };
    ok(['tag', t.image, ref]);
    ok(['push', ref]);
    ok(['rmi', ref, t.image]);
    const dead = `tcp://127.0.0.1:${await freePort()}`;
    await t.restart(t.a, ['--peer', liarAddress, '--peer', dead]);
    // The lying peer lives in this process: the CLI must not block its event loop (no spawnSync).
    const pull = await runCliAsync(['pull', ref], t.a.daemon.env());
    expect(pull.code).toBe(0);
    const pulled = pull.stdout;
    expect(pulled).toMatch(/^[0-9a-f]{12}: Pull complete$/m); // from the registry after the lie
    expect(lies.getBlob).toBeGreaterThan(0);
    expect(ok(['run', '--rm', '--network', 'none', ref, 'echo', 'verified'])).toBe('verified\n');

    // b pulls from the registry; a, with b as its peer, gets the layer from b.
    ok(['pull', ref], t.b);
    ok(['rmi', ref]);
    await t.restart(t.a, ['--peer', t.b.tcp]);
    const served = (await t.b.stats()).blobBytesServed;
    const fromPeer = ok(['pull', ref]);
    expect(fromPeer).toContain('(from a peer)');
    expect((await t.b.stats()).blobBytesServed).toBeGreaterThan(served);
    expect(ok(['run', '--rm', '--network', 'none', ref, 'echo', 'from-peer'])).toBe('from-peer\n');
    await t.restart(t.a);
  });

  it("leaves the other daemon's bridges, rules and namespaces alone when one starts", async () => {
    // b has the image from the transfer above; a starts again while b's container runs.
    const [mine, other] = [t.b, t.a];
    const name = uniqueName('iso');
    const run = mine.tscr(['run', '-d', '--name', name, t.image, 'sleep', '1000']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const prefixA = networkPrefixForRoot(join(mine.daemon.dir, 'root'));
    const links = () =>
      execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(prefixA));
    const rules = () =>
      execFileSync('iptables-save', { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(prefixA.toUpperCase()) || l.includes(prefixA));
    const netnsDir = join(mine.daemon.dir, 'exec', 'netns');
    const before = { links: links(), rules: rules(), netns: existsSync(netnsDir) ? readdirSync(netnsDir) : [] };
    expect(before.links.length).toBeGreaterThan(0);
    expect(before.rules.length).toBeGreaterThan(0);
    expect(before.netns.length).toBeGreaterThan(0);
    await t.restart(other);
    expect(links().length).toBe(before.links.length);
    expect(rules().sort()).toEqual(before.rules.sort());
    expect(readdirSync(netnsDir)).toEqual(before.netns);
    expect(mine.tscr(['inspect', '-f', '{{.State.Running}}', name]).stdout).toBe('true\n');
    mine.tscr(['rm', '-f', name]);
  });
});
