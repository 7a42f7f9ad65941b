/**
 * Remote access over real mutual TLS, end to end: certificates made by
 * `tscr system certs` (openssl) in the test; a daemon listening on its UNIX
 * socket and on loopback TCP with `--tlsverify` for gRPC and the Docker API.
 * Clients without a certificate, with one from another CA and with an
 * expired one are refused on both; the CLI's flags, variables and contexts,
 * and the Docker 28 CLI (flags and its own contexts) get in. Root only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { systemV1 } from '@tscr/api/grpc';
import { GrpcSystemService } from '@tscr/daemon/grpc';
import { busyboxRootfsDir, uniqueName } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCa, makeCertSet, signCert } from '../../src/certs.js';
import { freePort } from '../../../registry-client/test/fixtures/registry.js';
import { E2eDaemon, e2eSkipReason, runCli, type Result } from '../fixtures/e2e.js';
import { tlsFlags } from '../fixtures/two-daemons.js';

const skip = e2eSkipReason() ?? (spawnSync('openssl', ['version']).status === 0 ? undefined : 'needs openssl');
const DOCKER = '/usr/local/bin/docker';

/** GET /_ping on the Docker API with `opts` TLS material; resolves with the status or the error's code. */
function ping(port: number, opts: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/_ping', ...opts, servername: 'localhost' }, (res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/** A gRPC ping with raw channel credentials; resolves with 'ok' or the error's gRPC code. */
function grpcPing(address: string, creds: ReturnType<typeof credentials.createSsl>): Promise<string> {
  const client = new systemV1.SystemClient(address, creds);
  return new Promise((resolve) => {
    client.ping({}, new Metadata(), { deadline: Date.now() + 5000 }, (err) => {
      client.close();
      resolve(err ? `code ${err.code}` : 'ok');
    });
  });
}

describe.skipIf(skip)('remote access with mutual TLS', () => {
  let d: E2eDaemon;
  let certs = '';
  let other = '';
  let home = '';
  let tcp = '';
  let dockerPort = 0;
  const image = `${uniqueName('tlsimg')}:test`;
  const pem = (f: string) => readFileSync(join(certs, f));

  beforeAll(async () => {
    d = await E2eDaemon.create('remote-tls');
    certs = join(d.dir, 'certs');
    other = join(d.dir, 'other-ca');
    home = join(d.dir, 'home');
    await mkdir(home);
    // The product's command makes the set; another CA and an expired client come from the same code.
    const made = runCli(
      ['system', 'certs', '--dir', certs, '--host', 'tscr-test.local', '--client', 'ops'],
      process.env,
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    makeCertSet({ dir: other, hosts: [], clients: [] });
    signCert({
      ca: ensureCa(certs),
      commonName: 'expired',
      kind: 'client',
      days: -1,
      certPath: join(certs, 'expired-cert.pem'),
      keyPath: join(certs, 'expired-key.pem'),
    });
    expect(statSync(join(certs, 'key.pem')).mode & 0o777).toBe(0o600);
    const sans = spawnSync(
      'openssl',
      ['x509', '-in', join(certs, 'server-cert.pem'), '-noout', '-ext', 'subjectAltName'],
      {
        encoding: 'utf8',
      },
    ).stdout;
    expect(sans).toContain('DNS:tscr-test.local');
    expect(sans).toContain('IP Address:127.0.0.1');
    const port = await freePort();
    dockerPort = await freePort();
    tcp = `tcp://127.0.0.1:${port}`;
    await d.start([...tlsFlags(certs, tcp), '--docker-host', `tcp://127.0.0.1:${dockerPort}`]);
    const rootfs = join(d.dir, 'rootfs');
    await mkdir(rootfs);
    await busyboxRootfsDir(rootfs);
    const tar = join(d.dir, 'image.tar');
    expect(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']).status).toBe(0);
    expect(d.tscr(['image', 'import', tar, image]).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await d?.cleanup();
  });

  const viaTcp = (args: string[], env: NodeJS.ProcessEnv = {}): Result =>
    runCli(args, { ...process.env, HOME: home, TSCR_HOST: '', TSCR_CONTEXT: '', ...env });

  it('refuses gRPC clients without a certificate, with another CA, or expired', async () => {
    const target = tcp.slice('tcp://'.length);
    const ca = pem('ca.pem');
    expect(await grpcPing(target, credentials.createSsl(ca, pem('key.pem'), pem('cert.pem')))).toBe('ok');
    expect(await grpcPing(target, credentials.createSsl(ca))).not.toBe('ok');
    const foreign = credentials.createSsl(
      ca,
      readFileSync(join(other, 'key.pem')),
      readFileSync(join(other, 'cert.pem')),
    );
    expect(await grpcPing(target, foreign)).not.toBe('ok');
    expect(await grpcPing(target, credentials.createSsl(ca, pem('expired-key.pem'), pem('expired-cert.pem')))).not.toBe(
      'ok',
    );
    // Nor does a plain-text client get in.
    expect(await grpcPing(target, credentials.createInsecure() as never)).not.toBe('ok');
    // Through the layer clients' one channel code, with TLS.
    const client = new GrpcSystemService({ address: tcp, tls: { ca, cert: pem('cert.pem'), key: pem('key.pem') } });
    await expect(client.ping()).resolves.toBeUndefined();
    client.close();
  });

  it('refuses Docker API clients without a certificate, with another CA, or expired', async () => {
    const ca = pem('ca.pem');
    expect(await ping(dockerPort, { ca, cert: pem('cert.pem'), key: pem('key.pem') })).toBe('200');
    expect(await ping(dockerPort, { ca })).not.toBe('200');
    const foreign = { ca, cert: readFileSync(join(other, 'cert.pem')), key: readFileSync(join(other, 'key.pem')) };
    expect(await ping(dockerPort, foreign)).not.toBe('200');
    expect(await ping(dockerPort, { ca, cert: pem('expired-cert.pem'), key: pem('expired-key.pem') })).not.toBe('200');
  });

  it('lets the CLI in with --tlsverify flags or TSCR_CERT_PATH, and not without', () => {
    const flags = ['--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'cert.pem')];
    const withFlags = viaTcp(['-H', tcp, ...flags, '--tlskey', join(certs, 'key.pem'), 'version']);
    expect(withFlags.stderr).toBe('');
    expect(withFlags.stdout).toContain('Server: tscr Engine');
    const withEnv = viaTcp(['version'], { TSCR_HOST: tcp, TSCR_TLS_VERIFY: '1', TSCR_CERT_PATH: join(certs, 'ops') });
    expect(withEnv.code).toBe(0);
    const plain = viaTcp(['version'], { TSCR_HOST: tcp });
    expect(plain.code).not.toBe(0);
  });

  it('keeps contexts under HOME with 0600 keys, and runs containers through one', () => {
    const created = viaTcp([
      'context',
      'create',
      'remote',
      '--host',
      tcp,
      '--tlscacert',
      join(certs, 'ca.pem'),
      '--tlscert',
      join(certs, 'cert.pem'),
      '--tlskey',
      join(certs, 'key.pem'),
    ]);
    expect(created.stderr).toBe('');
    const key = join(home, '.tscr', 'contexts', 'remote', 'tls', 'key.pem');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(viaTcp(['context', 'ls', '-q']).stdout).toBe('default\nremote\n');
    const run = viaTcp(['-c', 'remote', 'run', '--rm', '--network', 'none', image, 'echo', 'over-tls']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('over-tls\n');
    expect(viaTcp(['version'], { TSCR_CONTEXT: 'remote' }).code).toBe(0);
    expect(viaTcp(['context', 'use', 'remote']).code).toBe(0);
    expect(viaTcp(['context', 'show']).stdout).toBe('remote\n');
    expect(viaTcp(['version']).stdout).toContain('Server: tscr Engine');
    expect(viaTcp(['-H', tcp, '-c', 'remote', 'version']).code).not.toBe(0);
    // export / import round trip, then rm.
    const exported = join(d.dir, 'remote.tscrcontext');
    expect(viaTcp(['context', 'export', 'remote', exported]).code).toBe(0);
    expect(statSync(exported).mode & 0o777).toBe(0o600);
    expect(viaTcp(['context', 'import', 'copy', exported]).code).toBe(0);
    expect(viaTcp(['-c', 'copy', 'version']).code).toBe(0);
    const inspect = JSON.parse(viaTcp(['context', 'inspect', 'copy']).stdout) as {
      Endpoints: { tscr: { Host: string } };
    }[];
    expect(inspect[0]?.Endpoints.tscr.Host).toBe(tcp);
    expect(JSON.stringify(inspect)).not.toContain('PRIVATE KEY');
    expect(viaTcp(['context', 'rm', 'remote']).code).not.toBe(0); // in use
    expect(viaTcp(['context', 'use', 'default']).code).toBe(0);
    expect(viaTcp(['context', 'rm', 'remote', 'copy']).code).toBe(0);
    expect(existsSync(key)).toBe(false);
  });

  it.skipIf(!existsSync(DOCKER))('serves the Docker 28 CLI with --tlsverify and with a docker context', () => {
    const dockerConfig = join(d.dir, 'docker-config');
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_HOST: '', DOCKER_CONTEXT: '' };
    const host = `tcp://127.0.0.1:${dockerPort}`;
    const tlsArgs = ['--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'cert.pem')];
    const direct = spawnSync(
      DOCKER,
      [
        '--tlsverify',
        ...tlsArgs,
        '--tlskey',
        join(certs, 'key.pem'),
        '-H',
        host,
        'version',
        '-f',
        '{{.Server.Version}}',
      ],
      { env, encoding: 'utf8', timeout: 30_000 },
    );
    expect(direct.stderr).toBe('');
    expect(direct.status).toBe(0);
    const name = uniqueName('ctx');
    const endpoint = `host=${host},ca=${join(certs, 'ca.pem')},cert=${join(certs, 'cert.pem')},key=${join(certs, 'key.pem')}`;
    const create = spawnSync(DOCKER, ['context', 'create', name, '--docker', endpoint], { env, encoding: 'utf8' });
    expect(create.status).toBe(0);
    const run = spawnSync(
      DOCKER,
      ['--context', name, 'run', '--rm', '--network', 'none', image, 'echo', 'docker-tls'],
      {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('docker-tls\n');
    // Without a client certificate the Docker CLI is turned away.
    const bare = spawnSync(DOCKER, ['-H', host, '--tls', '--tlscacert', join(certs, 'ca.pem'), 'version'], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(bare.status).not.toBe(0);
  });
});
