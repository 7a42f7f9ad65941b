/**
 * The gRPC side of authorization: every method of every tscrd service has a
 * Docker API equivalent, a create is shown with Docker's create body, and the
 * guarding server refuses before the handler runs (PermissionDenied survives
 * the wire), checks streamed requests on their first message without losing it,
 * and shows unary answers before they leave.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ServiceDefinition,
  type ServerDuplexStream,
  credentials,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { permissionDenied } from '@tscr/api';
import {
  builderV1,
  containersV1,
  imagesV1,
  listen,
  networkV1,
  pluginsV1,
  registryV1,
  runtimeV1,
  systemV1,
  transferV1,
  volumeV1,
  addSystemService,
  GrpcSystemService,
} from '@tscr/api/grpc';
import type { Authorizer, AuthzRequest, AuthzResponse } from '@tscr/docker-api';
import { makeTempDir, rejection } from '@tscr/testkit';
import { dockerEquivalent, dockerUri, mappedMethods } from '../../src/authz/grpc-map.js';
import { AuthorizingServer } from '../../src/authz/grpc-server.js';

const SERVICES = [
  containersV1.ContainersService,
  systemV1.SystemService,
  builderV1.BuilderService,
  imagesV1.ImagesService,
  networkV1.NetworksService,
  volumeV1.VolumesService,
  registryV1.RegistryService,
  runtimeV1.RuntimeService,
  transferV1.TransferService,
  pluginsV1.PluginsService,
];

describe('gRPC → Docker API mapping', () => {
  it('maps every method of every service, each to a Docker path or a /tscr/ one', () => {
    const methods = SERVICES.flatMap((s) =>
      Object.values(s).map((m) => m as { path: string; requestDeserialize: (b: Buffer) => unknown }),
    );
    const all = methods.map((m) => m.path);
    expect(all.length).toBeGreaterThan(90);
    expect(new Set(mappedMethods())).toEqual(new Set(all));
    for (const { path, requestDeserialize } of methods) {
      // An empty message: every field at its default, as a client that sets nothing sends it.
      const eq = dockerEquivalent(path, requestDeserialize(Buffer.alloc(0)));
      expect(eq.path.startsWith('/grpc/'), path).toBe(false);
      expect(eq.path.startsWith('/'), path).toBe(true);
    }
  });

  it('shows a create as Docker’s create body, so HostConfig.Privileged reads as it does from the docker CLI', () => {
    const req = containersV1.CreateContainerRequest.fromJSON({
      name: 'web',
      config: { image: 'busybox', cmd: ['true'] },
      hostConfig: { security: { privileged: true } },
    });
    const eq = dockerEquivalent('/tscr.containers.v1.Containers/CreateContainer', req);
    expect(eq.method).toBe('POST');
    expect(dockerUri(eq)).toBe('/v1.51/containers/create?name=web');
    const body = eq.body as { Image: string; Cmd: string[]; HostConfig: { Privileged: boolean } };
    expect(body.Image).toBe('busybox');
    expect(body.Cmd).toEqual(['true']);
    expect(body.HostConfig.Privileged).toBe(true);
  });

  it('puts ids in the path, escaped, and options in the query', () => {
    const stop = dockerEquivalent(
      '/tscr.containers.v1.Containers/StopContainer',
      containersV1.StopContainerRequest.fromJSON({ id: 'a/b', timeout: 3, hasTimeout: true }),
    );
    expect(dockerUri(stop)).toBe('/v1.51/containers/a%2Fb/stop?t=3');
    const rm = dockerEquivalent(
      '/tscr.containers.v1.Containers/RemoveContainer',
      containersV1.RemoveContainerRequest.fromJSON({ id: 'web', force: true }),
    );
    expect(rm.method).toBe('DELETE');
    expect(dockerUri(rm)).toBe('/v1.51/containers/web?force=1');
    const exec = dockerEquivalent('/tscr.containers.v1.Containers/StartExec', {
      start: { execId: 'e1', detach: false },
    });
    expect(dockerUri(exec)).toBe('/v1.51/exec/e1/start');
    const pull = dockerEquivalent(
      '/tscr.registry.v1.Registry/Pull',
      registryV1.PullRequest.fromJSON({ ref: 'busybox:1', auth: { password: 'secret' } }),
    );
    expect(dockerUri(pull)).toBe('/v1.51/images/create?fromImage=busybox%3A1');
    expect(JSON.stringify(pull)).not.toContain('secret');
  });

  it('shows a method it does not know under /grpc/, never skipping the check', () => {
    expect(dockerEquivalent('/tscr.later.v1.Later/Unknown', {})).toEqual({
      method: 'POST',
      path: '/grpc/tscr.later.v1.Later/Unknown',
    });
  });
});

/** A bidi echo service: the guard must leave the first message for the handler. */
const ECHO: ServiceDefinition = {
  chat: {
    path: '/tscr.test.Echo/Chat',
    requestStream: true,
    responseStream: true,
    requestSerialize: (v: string) => Buffer.from(v),
    requestDeserialize: (b: Buffer) => b.toString(),
    responseSerialize: (v: string) => Buffer.from(v),
    responseDeserialize: (b: Buffer) => b.toString(),
  },
};

describe('AuthorizingServer', () => {
  const seen: { req: AuthzRequest; res?: AuthzResponse }[] = [];
  let refuse: (req: AuthzRequest, res?: AuthzResponse) => string | undefined = () => undefined;
  const authorizer: Authorizer = {
    async authorizeRequest(req) {
      seen.push({ req });
      const why = refuse(req);
      if (why) throw permissionDenied(`authorization denied by plugin fake: ${why}`);
    },
    async authorizeResponse(req, res) {
      seen.push({ req, res });
      const why = refuse(req, res);
      if (why) throw permissionDenied(`authorization denied by plugin fake: ${why}`);
    },
  };
  let server: AuthorizingServer;
  let dir = '';
  let address = '';
  let handled = 0;

  beforeAll(async () => {
    dir = await makeTempDir('authz-grpc');
    server = new AuthorizingServer(authorizer);
    addSystemService(server, {
      async ping() {
        handled++;
      },
      async version() {
        handled++;
        return {
          version: '1',
          apiVersion: '1',
          nodeVersion: 'v20',
          os: 'linux',
          arch: 'x64',
          kernelVersion: '6',
          runtime: 'runc',
          runtimeVersion: '1',
          monitor: 'conmon',
          monitorVersion: '2',
        };
      },
    } as never);
    server.addService(ECHO, {
      chat: (call: ServerDuplexStream<string, string>) => {
        handled++;
        call.on('data', (m: string) => call.write(`echo:${m}`));
        call.on('end', () => call.end());
      },
    });
    address = await listen(server, `unix://${join(dir, 'g.sock')}`);
  });
  afterAll(async () => {
    server?.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen.length = 0;
    handled = 0;
    refuse = () => undefined;
  });

  it('asks before the handler runs and refuses with PermissionDenied and the plugin’s message', async () => {
    const client = new GrpcSystemService(address);
    try {
      await client.ping();
      expect(handled).toBe(1);
      expect(seen[0]?.req.requestUri).toBe('/v1.51/_ping');
      expect(seen[0]?.req.requestHeaders['X-Tscr-Grpc-Method']).toBe('/tscr.system.v1.System/Ping');
      refuse = (req) => (req.requestUri.endsWith('/_ping') ? 'no pings today' : undefined);
      const err = await rejection(client.ping());
      expect(err.code).toBe('PermissionDenied');
      expect(err.message).toContain('authorization denied by plugin fake: no pings today');
      expect(handled).toBe(1);
    } finally {
      client.close();
    }
  });

  it('shows a unary answer before it leaves, and a refused answer does not leave', async () => {
    const client = new GrpcSystemService(address);
    try {
      const v = await client.version();
      expect(v.version).toBe('1');
      const shown = seen.find((s) => s.res);
      expect(shown?.req.requestUri).toBe('/v1.51/version');
      expect(JSON.parse(Buffer.from(shown?.res?.body ?? []).toString()).os).toBe('linux');
      refuse = (_req, res) => (res ? 'answer withheld' : undefined);
      const err = await rejection(client.version());
      expect(err.code).toBe('PermissionDenied');
      expect(err.message).toContain('answer withheld');
    } finally {
      client.close();
    }
  });

  it('checks a streamed request on its first message, which the handler still gets', async () => {
    const Echo = makeGenericClientConstructor(ECHO, 'Echo');
    const client = new Echo(address, credentials.createInsecure()) as unknown as {
      chat(): ServerDuplexStream<string, string>;
      close(): void;
    };
    try {
      const call = client.chat();
      const got: string[] = [];
      call.on('data', (m: string) => got.push(m));
      const ended = new Promise<void>((resolve, reject) => {
        call.on('end', resolve);
        call.on('error', reject);
      });
      call.write('one');
      call.write('two');
      call.end();
      await ended;
      expect(got).toEqual(['echo:one', 'echo:two']);
      expect(seen[0]?.req.requestUri).toBe('/v1.51/grpc/tscr.test.Echo/Chat');

      refuse = () => 'streams refused';
      const denied = client.chat();
      denied.on('data', () => undefined);
      const failed = new Promise<Error & { code?: number }>((resolve) => denied.on('error', resolve));
      denied.write('x'); // the check waits for the first message
      const err = await failed;
      expect(err.code).toBe(7); // PERMISSION_DENIED
      expect(err.message).toContain('streams refused');
    } finally {
      client.close();
    }
  });
});
