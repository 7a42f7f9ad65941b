import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFERRED_CA_CERTS_ENV, adoptDeferredCaCerts, errorCode } from '@tscr/api';
import { createHttpTransport } from '@tscr/registry-client/local';
import { hasCommand, makeTempDir, rejection } from '@tscr/testkit';

describe.skipIf(!hasCommand('openssl'))('HTTPS transport (skipped without openssl)', () => {
  let dir: string;
  let server: https.Server;
  let url: string;
  let ca: Buffer;
  beforeAll(async () => {
    dir = await makeTempDir('registry-tls');
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
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'));
    server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (_req, res) => res.end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}/v2/`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a certificate the system does not trust', async () => {
    const err = await rejection(createHttpTransport().send({ method: 'GET', url }));
    expect(errorCode(err)).toBe('Unavailable');
    expect(err.details.registry).toBe(new URL(url).host);
  });

  it('trusts a configured CA on top of the system ones', async () => {
    const res = await createHttpTransport({ ca }).send({ method: 'GET', url });
    expect(res.status).toBe(200);
    res.discard();
  });

  // Last: what the bins do when NODE_EXTRA_CA_CERTS is set (Node never loaded it), for the rest of this file.
  it('trusts a CA that only the deferred NODE_EXTRA_CA_CERTS file holds', async () => {
    const bundle = join(dir, 'extra-cas.pem');
    writeFileSync(bundle, `# a bundle as distributions ship it\n${rootCertificates[0]}\n${ca}`);
    const env: NodeJS.ProcessEnv = { [DEFERRED_CA_CERTS_ENV]: bundle };
    adoptDeferredCaCerts(env);
    expect(env.NODE_EXTRA_CA_CERTS).toBe(bundle);
    const res = await createHttpTransport().send({ method: 'GET', url });
    expect(res.status).toBe(200);
    res.discard();
  });
});
