/**
 * What an idle `tscrd` does not load until it is used (the builder; the Docker API and the CRI behind their
 * sockets) still works on its first use after a plain start, and what a crash left of a build is still removed
 * at start-up (which then loads the builder).
 * The daemon is the built bin, as users run it.
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials } from '@grpc/grpc-js';
import { criV1 } from '@tscr/api/cri';
import type { BuildEvent } from '@tscr/builder';
import { GrpcBuilderService } from '@tscr/builder/grpc';
import type { DaemonConfig } from '@tscr/daemon';
import { GrpcImageService } from '@tscr/image/grpc';
import { makeTempDir, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { cleanupHost, configFlags, startTscrd, testConfig, type Child } from '../fixtures/host.js';

const skip = skipUnlessRoot('runc', 'conmon');

describe.skipIf(skip)('tscrd loads its builder on first use', () => {
  let dir: string;
  let config: DaemonConfig;
  let daemon: Child | undefined;
  let builderTmp: string;

  beforeAll(async () => {
    dir = await makeTempDir('lazy-start');
    config = testConfig(dir);
    builderTmp = join(config.root, 'builder', 'tmp');
  });

  afterAll(async () => {
    await daemon?.stop();
    if (dir) await cleanupHost(dir, config.cgroupParent);
  });

  it('builds on the first call after an idle start', async () => {
    daemon = await startTscrd(configFlags(config));
    // Nothing of the builder ran at start: its scratch directory is made by its first clean-up.
    expect(existsSync(builderTmp)).toBe(false);
    const ctx = join(dir, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\nLABEL lazy=yes\n');
    writeFileSync(join(ctx, 'a.txt'), 'first build\n');
    const tar = spawnSync('tar', ['-C', ctx, '-cf', '-', '.']).stdout;
    const builder = new GrpcBuilderService(daemon.address);
    const images = new GrpcImageService(daemon.address);
    try {
      const tag = `${uniqueName('lazy')}:built`;
      const events: BuildEvent[] = [];
      for await (const e of builder.build(
        (async function* () {
          yield tar;
        })(),
        { tags: [tag] },
      ))
        events.push(e);
      const result = events.find((e) => e.type === 'result');
      expect(result).toMatchObject({ type: 'result', tags: [tag] });
      const image = await images.get(tag);
      expect(image.config.labels).toMatchObject({ lazy: 'yes' });
      await images.remove(tag);
    } finally {
      builder.close();
      images.close();
    }
    expect(readdirSync(builderTmp)).toEqual([]);
    await daemon.stop();
    daemon = undefined;
  });

  it('answers the first Docker API and CRI calls on the sockets it listened on from the start', async () => {
    daemon = await startTscrd(configFlags(config));
    const ping = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: join(config.execRoot, 'docker.sock'), path: '/_ping' }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => {
          body += b.toString();
        });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(ping).toBe('OK');
    const cri = new criV1.RuntimeServiceClient(
      `unix://${join(config.execRoot, 'cri.sock')}`,
      credentials.createInsecure(),
    );
    try {
      const version = await new Promise<criV1.VersionResponse>((resolve, reject) =>
        cri.version({ version: 'v1' }, (err, res) => (err ? reject(err) : resolve(res))),
      );
      expect(version).toMatchObject({ runtimeName: 'tscr', runtimeApiVersion: 'v1' });
    } finally {
      cri.close();
    }
    await daemon.stop();
    daemon = undefined;
  });

  it('removes what an interrupted build left at start-up', async () => {
    // A build's scratch directory with the marker of a step snapshot, as a kill -9 mid-build leaves them.
    const scratch = join(builderTmp, 'build-00112233445566778899aabb');
    mkdirSync(scratch, { recursive: true });
    writeFileSync(join(scratch, 'build-00112233445566778899aabbccddeeff.snapshot'), '');
    daemon = await startTscrd(configFlags(config));
    expect(readdirSync(builderTmp)).toEqual([]);
  });
});

describe('the CommonJS build of @tscr/api/grpc (what tscrd runs)', () => {
  it('evaluates a generated namespace on its first use, with the namespaces it imports', () => {
    const script = [
      "const grpc = require('@tscr/api/grpc');",
      "const gen = () => Object.keys(require.cache).filter((k) => k.includes('/grpc/gen/')).map((k) => k.split('/').pop()).sort();",
      'const before = gen();',
      'const path = grpc.imagesV1.ImagesService.listImages.path;',
      'console.log(JSON.stringify({ before, path, after: gen(), system: typeof grpc.systemV1.SystemService }));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      before: [],
      path: '/tscr.images.v1.Images/ListImages',
      after: ['imagesV1.cjs', 'typesV1.cjs'],
      system: 'object',
    });
  });
});
