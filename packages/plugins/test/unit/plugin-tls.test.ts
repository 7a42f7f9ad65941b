import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PluginRegistry } from '@tscr/plugins/local';
import { hasCommand, makeTempDir, rejection } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A plug-in over HTTPS, found through NAME.json with dockerd's TLSConfig.
describe.skipIf(!hasCommand('openssl'))('plug-ins over TLS (NAME.json)', () => {
  let dir: string;
  let server: Server;
  let port = 0;
  const seen: string[] = [];

  const cert = (name: string) => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.crt`),
      ],
      { stdio: 'ignore' },
    );
  };

  beforeAll(async () => {
    dir = await makeTempDir('plugin-tls');
    cert('server');
    cert('other');
    server = createServer(
      { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) },
      (req, res) => {
        seen.push(req.url ?? '');
        res.end(JSON.stringify(req.url === '/Plugin.Activate' ? { Implements: ['authz'] } : { Allow: true }));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  const spec = (name: string, addr: string, tls: Record<string, unknown>) =>
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ Name: name, Addr: addr, TLSConfig: tls }));
  const registry = () => new PluginRegistry({ dirs: { sockets: [], specs: [dir] }, retryMs: 200, retryBaseMs: 20 });

  it('verifies the plug-in against CAFile (https:// and tcp:// with TLSConfig)', async () => {
    spec('tscr-test-https', `https://127.0.0.1:${port}`, { CAFile: join(dir, 'server.crt') });
    spec('tscr-test-tcptls', `tcp://127.0.0.1:${port}`, { CAFile: join(dir, 'server.crt') });
    const reg = registry();
    const p = await reg.get('tscr-test-https', 'authz');
    expect(await p.call('AuthZPlugin.AuthZReq', { RequestMethod: 'GET' })).toEqual({ Allow: true });
    expect((await reg.get('tscr-test-tcptls', 'authz')).implements).toEqual(['authz']);
  });

  it('refuses a certificate the CA did not sign; without a CA it does not verify, as dockerd', async () => {
    spec('tscr-test-wrongca', `https://127.0.0.1:${port}`, { CAFile: join(dir, 'other.crt') });
    spec('tscr-test-noca', `https://127.0.0.1:${port}`, {});
    const reg = registry();
    expect(await rejection(reg.get('tscr-test-wrongca', 'authz'))).toMatchObject({ code: 'Unavailable' });
    expect((await reg.get('tscr-test-noca', 'authz')).implements).toEqual(['authz']);
  });
});
