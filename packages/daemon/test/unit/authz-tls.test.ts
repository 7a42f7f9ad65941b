/**
 * Who the authorizer is told the client is, on both APIs: over mutual TLS the
 * common name of the client's certificate and `TLS` (as dockerd), on a UNIX
 * socket nobody. Certificates from `tscr system certs`' own code (openssl).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcSystemService, addSystemService, listen } from '@tscr/api/grpc';
import { type Authorizer, type AuthzRequest, type DockerApiServer, createDockerApiServer } from '@tscr/docker-api';
import { hasCommand, makeTempDir } from '@tscr/testkit';
import { makeCertSet } from '../../../cli/src/certs.js';
import { authzWireBody } from '../../src/authz/chain.js';
import { AuthorizingServer } from '../../src/authz/grpc-server.js';

const seen: AuthzRequest[] = [];
const authorizer: Authorizer = {
  async authorizeRequest(req) {
    seen.push(req);
  },
  async authorizeResponse() {},
};

describe.skipIf(!hasCommand('openssl'))('authorization: the client’s identity over mutual TLS', () => {
  let dir = '';
  let pem: { ca: Buffer; cert: Buffer; key: Buffer; serverCert: Buffer; serverKey: Buffer };
  let docker: DockerApiServer;
  let grpc: AuthorizingServer;
  let grpcAddress = '';

  beforeAll(async () => {
    dir = await makeTempDir('authz-tls');
    makeCertSet({ dir, hosts: ['localhost'], clients: ['alice'] });
    const read = (p: string) => readFileSync(join(dir, p));
    pem = {
      ca: read('ca.pem'),
      cert: read('alice/cert.pem'),
      key: read('alice/key.pem'),
      serverCert: read('server-cert.pem'),
      serverKey: read('server-key.pem'),
    };
    docker = await createDockerApiServer({} as never, 'tcp://127.0.0.1:0', {
      authorizer,
      tls: { cert: join(dir, 'server-cert.pem'), key: join(dir, 'server-key.pem'), ca: join(dir, 'ca.pem') },
    });
    grpc = new AuthorizingServer(authorizer);
    addSystemService(grpc, { ping: async () => undefined } as never);
    grpcAddress = await listen(grpc, 'tcp://127.0.0.1:0', {
      tls: { cert: pem.serverCert, key: pem.serverKey, ca: pem.ca },
    });
  });
  afterAll(async () => {
    await docker?.close();
    grpc?.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('Docker API: User is the certificate’s common name, UserAuthNMethod TLS', async () => {
    seen.length = 0;
    const port = Number(docker.address.split(':').at(-1));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/_ping', ca: pem.ca, cert: pem.cert, key: pem.key, servername: 'localhost' },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(seen[0]?.user).toBe('alice');
    expect(seen[0]?.userAuthNMethod).toBe('TLS');
    expectAliceCert(seen[0]);
  });

  it('gRPC: the same identity from the call’s TLS peer certificate', async () => {
    seen.length = 0;
    const client = new GrpcSystemService({
      address: grpcAddress,
      tls: { ca: pem.ca, cert: pem.cert, key: pem.key, serverName: 'localhost' },
    });
    try {
      await client.ping();
    } finally {
      client.close();
    }
    expect(seen[0]?.user).toBe('alice');
    expect(seen[0]?.userAuthNMethod).toBe('TLS');
    expectAliceCert(seen[0]);
  });

  /** The certificate shown is alice's, and goes to plugins as dockerd's `RequestPeerCertificates` (PEM, base64). */
  function expectAliceCert(req: AuthzRequest | undefined): void {
    const der = req?.peerCertificates?.[0];
    expect(der).toBeDefined();
    expect(new X509Certificate(Buffer.from(der ?? [])).subject).toContain('CN=alice');
    const wire = authzWireBody(req as AuthzRequest).RequestPeerCertificates as string[];
    const sent = Buffer.from(wire[0] ?? '', 'base64').toString();
    expect(sent).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(new X509Certificate(sent).fingerprint256).toBe(new X509Certificate(pem.cert).fingerprint256);
  }
});
