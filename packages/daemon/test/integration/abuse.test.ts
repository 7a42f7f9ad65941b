/**
 * Abuse of the APIs, against a real tscrd (gRPC and Docker API): oversized
 * messages and bodies, clients that send a byte a second, clients that go
 * away in the middle of every kind of stream, and 1,000 event subscribers
 * that do not read. Root only; everything under /tmp/tscr-test-…, a private
 * registry on loopback. With `TSCR_ABUSE_REPORT=FILE` it also writes the
 * figures it measured to FILE (bench/abuse.sh → docs/reliability/abuse.md).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { systemV1 } from '@tscr/api/grpc';
import { GrpcContainerService } from '@tscr/container/grpc';
import type { DaemonConfig } from '@tscr/daemon';
import { GrpcImageService } from '@tscr/image/grpc';
import { GrpcRegistryClient } from '@tscr/registry-client/grpc';
import { makeTempDir, rejection, skipUnlessRoot, uniqueName } from '@tscr/testkit';
import { GrpcVolumeService } from '@tscr/volume/grpc';
import { GrpcSystemService } from '@tscr/api/grpc';
import {
  type RegistryFixture,
  skipUnlessRegistry,
  startRegistry,
} from '../../../registry-client/test/fixtures/registry.js';
import {
  type Figure,
  childPids,
  dockerCall,
  dockerStream,
  fdCount,
  processesRunning,
  rssMiB,
  settle,
  slowWriter,
  slowestOf,
  writeReport,
} from '../fixtures/abuse.js';
import { type StreamTargets, openEveryStream } from '../fixtures/streams.js';
import { type Child, cleanupHost, configFlags, importBusybox, startTscrd, testConfig } from '../fixtures/host.js';

const skip = skipUnlessRoot('runc', 'conmon') ?? skipUnlessRegistry();

const LIMITS = {
  grpcMaxMessageBytes: 1024 * 1024,
  dockerMaxJsonBody: 256 * 1024,
  headersTimeoutMs: 2000,
  bodyTimeoutMs: 2000,
  eventQueue: 256,
  grpcFirstCallTimeoutMs: 2000,
};
const SUBSCRIBERS = 1000;

/** The RUN step of the builds this test cuts: a marker process to look for afterwards. */
const RUN_MARKER = ['sleep', '37'];

describe.skipIf(skip)('API abuse against a real tscrd', () => {
  let dir: string;
  let config: DaemonConfig;
  let daemon: Child;
  let registry: RegistryFixture;
  let dockerSock: string;
  let pid: number;
  const figures: Figure[] = [];
  const closers: { close(): void }[] = [];
  const image = `${uniqueName('abuse')}:test`;
  let bigRef = '';
  let ctxTar: Buffer;
  let ticker = '';
  let catter = '';

  const client = <T extends { close(): void }>(c: T): T => {
    closers.push(c);
    return c;
  };
  const streams = (): StreamTargets => ({
    address: daemon.address,
    dockerSock,
    ticker,
    catter,
    bigRef,
    registryHost: registry.host,
    ctxTar,
    client,
  });
  const note = (section: string, what: string, value: string | number) =>
    figures.push({ section, what, value: String(value) });

  beforeAll(async () => {
    dir = await makeTempDir('abuse');
    config = testConfig(dir);
    dockerSock = join(dir, 'docker.sock');
    const file = join(dir, 'tscrd.json');
    const pool = `10.${200 + Math.floor(Math.random() * 50)}.0.0/16`;
    await writeFile(file, JSON.stringify({ networkPool: pool, limits: LIMITS }));
    daemon = await startTscrd([...configFlags(config), '--config', file, '--docker-host', `unix://${dockerSock}`]);
    pid = daemon.proc.pid ?? 0;
    registry = await startRegistry();
    const images = client(new GrpcImageService(daemon.address));
    await importBusybox(images, dir, image);
    // An image with a 48 MiB layer in the registry, so a pull is still streaming when its client goes.
    const big = join(dir, 'big');
    await mkdir(big);
    execFileSync('sh', ['-c', `head -c ${48 * 1024 * 1024} /dev/urandom > '${join(big, 'blob')}'`]);
    execFileSync('tar', ['-C', big, '-cf', join(dir, 'big.tar'), '.']);
    bigRef = `${registry.host}/tscr-test/big:1`;
    await images.importTar(createReadStream(join(dir, 'big.tar')), { reference: bigRef });
    const reg = client(new GrpcRegistryClient(daemon.address));
    for await (const _ of reg.push(bigRef)) {
      // progress
    }
    await images.remove(bigRef);
    // A build context whose RUN step prints, then waits.
    const ctx = join(dir, 'ctx');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${image}\nRUN echo building && ${RUN_MARKER.join(' ')}\n`);
    execFileSync('tar', ['-C', ctx, '-cf', join(dir, 'ctx.tar'), 'Dockerfile']);
    ctxTar = readFileSync(join(dir, 'ctx.tar'));
    const containers = client(new GrpcContainerService(daemon.address));
    const { id } = await containers.create({
      name: uniqueName('ticker'),
      config: { image, cmd: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'] },
      hostConfig: { networkMode: 'none' },
    });
    await containers.start(id);
    ticker = id;
    const cat = await containers.create({
      name: uniqueName('catter'),
      config: { image, cmd: ['cat'], openStdin: true },
      hostConfig: { networkMode: 'none' },
    });
    await containers.start(cat.id);
    catter = cat.id;
  }, 180_000);

  afterAll(async () => {
    if (process.env.TSCR_ABUSE_REPORT && figures.length > 0)
      await writeReport(process.env.TSCR_ABUSE_REPORT, figures, LIMITS);
    if (daemon && process.env.TSCR_ABUSE_DAEMON_LOG) writeFileSync(process.env.TSCR_ABUSE_DAEMON_LOG, daemon.output());
    if (daemon) {
      const c = new GrpcContainerService(daemon.address);
      for (const x of await c.list({ all: true }).catch(() => []))
        await c.remove(x.id, { force: true }).catch(() => undefined);
      c.close();
      await daemon.stop();
    }
    for (const c of closers) c.close();
    await registry?.stop();
    if (dir) await cleanupHost(dir, config.cgroupParent);
  }, 60_000);

  it('refuses a gRPC message and a Docker API body past the configured limit, with a clear error', async () => {
    const containers = client(new GrpcContainerService(daemon.address));
    const huge = { image, labels: { big: 'x'.repeat(2 * LIMITS.grpcMaxMessageBytes) } };
    const err = await rejection(containers.create({ config: huge }));
    expect(errorCode(err)).toBe('ResourceExhausted');
    expect((err as Error).message).toMatch(/larger than max/);
    note('Size limits', 'gRPC create with a 2 MiB label (limit 1 MiB)', `${errorCode(err)}: ${(err as Error).message}`);
    // Under the limit, the same call reaches the service (which then finds no such image).
    const fine = await rejection(
      containers.create({ config: { image: 'tscr-test-nosuch:1', labels: { big: 'x'.repeat(1000) } } }),
    );
    expect(errorCode(fine)).toBe('NotFound');

    const body = JSON.stringify({ Image: image, Labels: { big: 'x'.repeat(2 * LIMITS.dockerMaxJsonBody) } });
    const declared = await dockerCall(dockerSock, 'POST', '/v1.41/containers/create', body);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).message).toContain('request body too large');
    const chunked = await dockerCall(dockerSock, 'POST', '/v1.41/containers/create', [Buffer.from(body)], {
      'Transfer-Encoding': 'chunked',
    });
    expect(chunked.status).toBe(413);
    note(
      'Size limits',
      'Docker API create with a 512 KiB body (limit 256 KiB), Content-Length',
      `${declared.status} ${JSON.parse(declared.body).message}`,
    );
    note('Size limits', 'the same body chunked (no Content-Length)', `${chunked.status}`);
    expect((await dockerCall(dockerSock, 'GET', '/_ping')).status).toBe(200);
  });

  it('a client sending a byte a second holds up no one, and the Docker API cuts it', async () => {
    const system = client(new GrpcSystemService(daemon.address));
    let lateEvent: Promise<string> = Promise.resolve('none');
    const quiet = await slowestOf(20, () => dockerCall(dockerSock, 'GET', '/v1.41/containers/json'));
    // Docker API: headers a byte a second; a body a byte a second after complete headers.
    const slowHeaders = slowWriter(
      dockerSock,
      Buffer.from('GET /v1.41/containers/json HTTP/1.1\r\nHost: x\r\n\r\n'),
      1000,
    );
    const slowBody = slowWriter(
      dockerSock,
      Buffer.from(
        `POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"Image":"x"}`,
      ),
      0,
    );
    // gRPC: the HTTP/2 preface a byte a second; beside it a quiet events stream that outlives the deadline.
    const grpcSock = config.host.slice('unix://'.length);
    const slowGrpc = slowWriter(grpcSock, Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 1000);
    const quietEvents = new AbortController();
    const subscribed = new Promise<void>((resolve, reject) => {
      const stream = system.events({ types: ['volume'], signal: quietEvents.signal, onSubscribed: resolve });
      lateEvent = (async () => {
        for await (const e of stream) return e.action;
        return 'ended';
      })();
      lateEvent.catch(reject);
    });
    await subscribed;
    await new Promise((r) => setTimeout(r, 500));
    const busyDocker = await slowestOf(20, () => dockerCall(dockerSock, 'GET', '/v1.41/containers/json'));
    const busyGrpc = await slowestOf(20, () => system.ping());
    const headers = await slowHeaders;
    expect(headers.answer).toBe('');
    expect(headers.heldMs).toBeLessThan(LIMITS.headersTimeoutMs + 5000);
    const body = await slowBody;
    expect(body.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(body.answer).toContain('request body not received within 2000 ms');
    note(
      'Slow clients',
      'Docker API: slowest of 20 list calls, alone / beside two slow clients',
      `${quiet} ms / ${busyDocker} ms`,
    );
    note(
      'Slow clients',
      'gRPC: slowest of 20 pings beside a client sending the HTTP/2 preface a byte a second',
      `${busyGrpc} ms`,
    );
    note(
      'Slow clients',
      'Docker API: headers a byte a second, cut after',
      `${headers.heldMs} ms (headersTimeoutMs ${LIMITS.headersTimeoutMs})`,
    );
    note(
      'Slow clients',
      'Docker API: a JSON body that stops coming, answered',
      `${body.answer.split('\r\n')[0]} after ${body.heldMs} ms`,
    );
    // The gRPC listener cuts a connection that has not opened its first call within grpcFirstCallTimeoutMs.
    const grpcSlow = await slowGrpc;
    expect(grpcSlow.heldMs).toBeGreaterThanOrEqual(LIMITS.grpcFirstCallTimeoutMs - 100);
    expect(grpcSlow.heldMs).toBeLessThan(LIMITS.grpcFirstCallTimeoutMs + 5000);
    note(
      'Slow clients',
      'gRPC: the slow preface connection itself',
      `closed after ${grpcSlow.heldMs} ms (grpcFirstCallTimeoutMs ${LIMITS.grpcFirstCallTimeoutMs})`,
    );
    // The events stream, quiet for longer than that, still gets the next event; the client's connection still serves.
    const volumes = client(new GrpcVolumeService(daemon.address));
    const vol = uniqueName('late-event');
    await volumes.create(vol);
    expect(await lateEvent).toBe('create');
    quietEvents.abort();
    await volumes.remove(vol);
    await system.ping();
    note(
      'Slow clients',
      'gRPC: an events stream quiet for longer than grpcFirstCallTimeoutMs',
      'kept: it received the next event (a volume create)',
    );
  }, 60_000);

  it('a client that goes away mid-stream (logs -f, attach, events, pull, build; both APIs) frees all it held', async () => {
    const docker = () =>
      dockerCall(dockerSock, 'GET', '/v1.41/info').then((a) => JSON.parse(a.body).NEventsListener as number);
    const childrenAtFirst = childPids(pid).length;
    // A first round warms up what the daemon opens once (database handles, caches).
    for (const cut of await openEveryStream(streams())) cut();
    expect(await settle(() => processesRunning(RUN_MARKER).length === 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    const fds = fdCount(pid);
    expect(await settle(() => childPids(pid).length <= childrenAtFirst)).toBe(true);
    const children = childPids(pid).length;
    const rounds = 3;
    let held = 0;
    let runs = 0;
    let relays = 0;
    for (let i = 0; i < rounds; i++) {
      const cuts = await openEveryStream(streams());
      held = Math.max(held, fdCount(pid));
      // `building` is printed just before the step's sleep starts.
      await settle(() => processesRunning(RUN_MARKER).length >= 2, 5000);
      runs = Math.max(runs, processesRunning(RUN_MARKER).length);
      relays = Math.max(relays, childPids(pid).length);
      for (const cut of cuts) cut();
    }
    const back = await settle(() => fdCount(pid) <= fds && childPids(pid).length <= children);
    const after = fdCount(pid);
    const section = 'Clients that go away mid-stream';
    note(
      section,
      `daemon fds: before / while 11 streams are open / after ${rounds} rounds cut`,
      `${fds} / ${held} / ${after}`,
    );
    note(
      section,
      'RUN steps of the two builds running while held / left after the cut',
      `${runs} / ${processesRunning(RUN_MARKER).length}`,
    );
    note(
      section,
      'daemon child processes (stdin relays): before / while held / after',
      `${children} / ${relays} / ${childPids(pid).length}`,
    );
    expect(held).toBeGreaterThan(fds);
    expect(runs).toBe(2);
    expect(relays).toBeGreaterThan(children);
    expect(back, `fds ${fds} → ${after}, children ${children} → ${childPids(pid).length}`).toBe(true);
    expect(await settle(() => processesRunning(RUN_MARKER).length === 0)).toBe(true);
    expect(await docker()).toBe(0);
    note(section, 'Docker API event listeners after the cut', `${await docker()}`);
  }, 240_000);

  it(`${SUBSCRIBERS} event subscribers that stop reading are dropped with ResourceExhausted; memory stays bounded`, async () => {
    const section = `${SUBSCRIBERS} event subscribers that stop reading`;
    const target = config.host;
    const fds = fdCount(pid);
    const rssBefore = rssMiB(pid);
    // Separate connections (local subchannel pools), 50 subscriptions each: the daemon's fd limit is 1024.
    const channels = Array.from(
      { length: SUBSCRIBERS / 50 },
      () => new systemV1.SystemClient(target, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
    );
    closers.push(...channels);
    const subs: ClientReadableStream<systemV1.EventsResponse>[] = [];
    await Promise.all(
      Array.from({ length: SUBSCRIBERS }, (_, i) => {
        const call = channels[i % channels.length]!.events({ types: [], since: '', until: '', filters: [] });
        subs.push(call);
        call.on('error', () => undefined);
        // The first message says the subscription is in place; then this reader stops reading.
        return new Promise<void>((r) =>
          call.once('data', () => {
            call.pause();
            r();
          }),
        );
      }),
    );
    // And a few on the Docker API that stop reading once the stream has started.
    const dockerReaders = await Promise.all(
      Array.from({ length: 5 }, () =>
        dockerStream(dockerSock, 'GET', '/v1.41/events?filters=%7B%22type%22%3A%5B%22volume%22%5D%7D', () => true).then(
          (s) => {
            s.res.pause();
            return s;
          },
        ),
      ),
    );
    const rssIdle = rssMiB(pid);
    // A reader that keeps up, on its own connection, while volumes come and go.
    const system = client(new GrpcSystemService(target));
    let seen = 0;
    const fast = new AbortController();
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    const fastDone = (async () => {
      for await (const e of system.events({ signal: fast.signal, types: ['volume'], onSubscribed: () => subscribed() }))
        if (e.action === 'destroy') seen++;
    })().catch((err: unknown) => err);
    await ready;
    const volumes = client(new GrpcVolumeService(target));
    const pairs = 600;
    let rssPeak = rssIdle;
    for (let i = 0; i < pairs; i += 8) {
      await Promise.all(
        Array.from({ length: 8 }, async (_, k) => {
          const v = await volumes.create(`${uniqueName('ev')}-${i + k}`);
          await volumes.remove(v.name);
        }),
      );
      if (i % 80 === 0) rssPeak = Math.max(rssPeak, rssMiB(pid));
    }
    rssPeak = Math.max(rssPeak, rssMiB(pid));
    expect(await settle(() => seen === pairs, 20_000)).toBe(true);
    // A sample of the stalled readers read on: what was sent, then the error.
    const sample = subs.slice(0, 10);
    const ends = await Promise.all(
      sample.map(
        (call) =>
          new Promise<{ code: number; details: string; got: number }>((resolve) => {
            let got = 0;
            call.on('data', () => got++);
            call.on('error', (e: { code: number; details: string }) =>
              resolve({ code: e.code, details: e.details, got }),
            );
            call.on('end', () => resolve({ code: 0, details: 'ended', got }));
            call.resume();
          }),
      ),
    );
    const dockerEnds = await Promise.all(
      dockerReaders.map(
        ({ res }) =>
          new Promise<string>((resolve) => {
            res.on('error', () => resolve('cut'));
            res.on('end', () => resolve('ended'));
            res.resume();
          }),
      ),
    );
    expect(dockerEnds).toEqual(dockerEnds.map(() => 'cut'));
    for (const e of ends) {
      expect(e.code).toBe(8); // RESOURCE_EXHAUSTED
      expect(e.details).toContain('event subscriber dropped');
    }
    note(
      section,
      'daemon RSS: before / with the idle subscribers / peak over the burst',
      `${rssBefore} / ${rssIdle} / ${rssPeak} MiB`,
    );
    note(
      section,
      `events published (${pairs} volume create+destroy)`,
      `${pairs * 2}; the reader that kept up saw all ${seen} destroys`,
    );
    note(
      section,
      'a stalled reader that reads on gets',
      `${ends[0]?.got} events, then RESOURCE_EXHAUSTED: ${ends[0]?.details}`,
    );
    note(
      section,
      'Docker API readers that stopped reading, when they read on',
      `cut after what was sent (${dockerEnds.join(', ')})`,
    );
    // Memory is bounded by the queue (shared events) and HTTP/2's windows, not by the events published.
    expect(rssPeak - rssBefore).toBeLessThan(400);
    for (const call of subs) call.cancel();
    for (const c of channels) c.close();
    fast.abort();
    await fastDone;
    const back = await settle(() => fdCount(pid) <= fds, 20_000);
    note(section, 'daemon fds: before / after all went', `${fds} / ${fdCount(pid)}`);
    note(section, 'daemon RSS after all went', `${rssMiB(pid)} MiB`);
    expect(back).toBe(true);
  }, 300_000);
});
