/**
 * One Docker JSON: `tscr inspect` (the native CLI over gRPC) and the Docker Engine API print the
 * same document for the same object, field for field, because both render it with
 * `@tscr/docker-api/json`.
 */
import { request } from 'node:http';
import { uniqueName } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompatDaemon, compatSkipReason } from '../fixtures/compat.js';

const skip = compatSkipReason();

/** GET on the daemon's Docker API socket, parsed. */
function get(socketPath: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(skip)('tscr inspect and the Docker API agree', () => {
  let c: CompatDaemon;
  let socket: string;
  const image = `${uniqueName('json')}:1`;
  const running = uniqueName('json-run');
  const created = uniqueName('json-created');
  const network = uniqueName('json-net');
  const volume = uniqueName('json-vol');

  beforeAll(async () => {
    c = await CompatDaemon.create('one-json');
    await c.start();
    socket = c.dockerHost.replace(/^unix:\/\//, '');
    await c.importBusybox(image);
    for (const args of [
      ['network', 'create', network],
      ['volume', 'create', '--label', 'k=v', volume],
      [
        'run',
        '-d',
        '--name',
        running,
        '--network',
        network,
        '-p',
        '127.0.0.1::80',
        '-v',
        `${volume}:/data`,
        '--memory',
        '64m',
        '--label',
        'a=b',
        image,
        'sleep',
        '1000',
      ],
      ['create', '--name', created, '--network', 'none', image, 'true'],
    ]) {
      const r = c.tscr(args);
      if (r.code !== 0) throw new Error(`tscr ${args.join(' ')}: ${r.stderr}`);
    }
  });
  afterAll(async () => {
    await c?.cleanup();
  });

  /** `tscr <kind> inspect NAME` as parsed JSON (one document). */
  function tscrInspect(kind: string, name: string): unknown {
    const r = c.tscr([kind, 'inspect', name]);
    expect(r.code, r.stderr).toBe(0);
    const docs = JSON.parse(r.stdout) as unknown[];
    expect(docs).toHaveLength(1);
    return docs[0];
  }

  it('for a running container on a bridge network, with a port, a volume and limits', async () => {
    const api = await get(socket, `/containers/${running}/json`);
    expect(api.status).toBe(200);
    const cli = tscrInspect('container', running);
    expect(cli).toEqual(api.body);
    expect((cli as { GraphDriver: { Name: string } }).GraphDriver.Name).toBe('overlay2');
  });

  it('for a created container without an address', async () => {
    const api = await get(socket, `/containers/${created}/json`);
    expect(tscrInspect('container', created)).toEqual(api.body);
  });

  it('for an image', async () => {
    const api = await get(socket, `/images/${image}/json`);
    expect(api.status).toBe(200);
    expect(tscrInspect('image', image)).toEqual(api.body);
  });

  it('for a network with a container in it', async () => {
    const api = await get(socket, `/networks/${network}`);
    expect(api.status).toBe(200);
    const cli = tscrInspect('network', network) as { IPAM: { Options: unknown }; Containers: object };
    expect(cli).toEqual(api.body);
    expect(Object.keys(cli.Containers)).toHaveLength(1);
  });

  it('for a volume', async () => {
    const api = await get(socket, `/volumes/${volume}`);
    expect(api.status).toBe(200);
    expect(tscrInspect('volume', volume)).toEqual(api.body);
  });
});
