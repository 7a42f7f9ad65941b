/**
 * gRPC services registered from a table of their methods, their code loaded
 * on their first call. grpc-js needs every method's path, kind and codecs at
 * registration; the codecs here are forwarders, so registering reads nothing
 * of a service's generated messages. The first request that arrives (its
 * codec runs first, synchronously) runs the service's real registrar against
 * a recorder: that loads its messages (`@tscr/api/grpc` loads each generated
 * namespace on first use in its CommonJS build) and builds its handlers,
 * which every call is then handed to. An idle daemon holds none of that:
 * ~1.2 MiB of heap (bench/README.md, Idle RSS).
 */
import type { MethodDefinition, Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { traceSince, tracing } from '@tscr/api';

/** How a method streams: `unary`, `server` (stream of responses), `client` (of requests) or `bidi`. */
export type MethodKind = 'unary' | 'server' | 'client' | 'bidi';

/** A service as registered lazily: its full proto name and its methods by their (camelCase) key. */
export interface LazyServiceTable {
  service: string;
  methods: Record<string, MethodKind>;
}

/** The services tscrd registers lazily (checked against the generated definitions by lazy-service.test.ts). */
export const LAZY_SERVICES = {
  images: {
    service: 'tscr.images.v1.Images',
    methods: {
      listImages: 'unary',
      getImage: 'unary',
      tagImage: 'unary',
      removeImage: 'unary',
      importImage: 'client',
      prepareSnapshot: 'unary',
      snapshotMounts: 'unary',
      removeSnapshot: 'unary',
      diffSnapshot: 'unary',
      createImage: 'unary',
      saveImages: 'server',
      loadImages: 'client',
      imageHistory: 'unary',
      pruneImages: 'unary',
    },
  },
  runtime: {
    service: 'tscr.runtime.v1.Runtime',
    methods: {
      createTask: 'unary',
      startTask: 'unary',
      killTask: 'unary',
      waitTask: 'unary',
      getTask: 'unary',
      listTasks: 'unary',
      deleteTask: 'unary',
      updateTask: 'unary',
      pauseTask: 'unary',
      resumeTask: 'unary',
      taskStats: 'unary',
      topTask: 'unary',
      execTask: 'bidi',
      resizeExec: 'unary',
      attachTask: 'bidi',
      resizeTask: 'unary',
    },
  },
  networks: {
    service: 'tscr.network.v1.Networks',
    methods: {
      listNetworks: 'unary',
      getNetwork: 'unary',
      createNetwork: 'unary',
      removeNetwork: 'unary',
      pruneNetworks: 'unary',
      attach: 'unary',
      detach: 'unary',
      connect: 'unary',
      disconnect: 'unary',
      getAttachment: 'unary',
    },
  },
  volumes: {
    service: 'tscr.volume.v1.Volumes',
    methods: {
      listVolumes: 'unary',
      getVolume: 'unary',
      createVolume: 'unary',
      removeVolume: 'unary',
      resolveMounts: 'unary',
      pruneVolumes: 'unary',
      releaseVolumes: 'unary',
    },
  },
  registry: {
    service: 'tscr.registry.v1.Registry',
    methods: { parseReference: 'unary', pull: 'server', push: 'server', login: 'unary', listTags: 'unary' },
  },
  containers: {
    service: 'tscr.containers.v1.Containers',
    methods: {
      createContainer: 'unary',
      startContainer: 'unary',
      stopContainer: 'unary',
      killContainer: 'unary',
      waitContainer: 'unary',
      removeContainer: 'unary',
      listContainers: 'unary',
      inspectContainer: 'unary',
      containerLogs: 'server',
      attachContainer: 'server',
      attachStdio: 'bidi',
      resizeContainer: 'unary',
      createExec: 'unary',
      startExec: 'bidi',
      inspectExec: 'unary',
      resizeExec: 'unary',
      updateContainer: 'unary',
      pauseContainer: 'unary',
      unpauseContainer: 'unary',
      restartContainer: 'unary',
      renameContainer: 'unary',
      connectContainerNetwork: 'unary',
      disconnectContainerNetwork: 'unary',
      topContainer: 'unary',
      containerStats: 'server',
      containerChanges: 'unary',
      exportContainer: 'server',
      statContainerPath: 'unary',
      getContainerArchive: 'server',
      putContainerArchive: 'client',
      commitContainer: 'unary',
    },
  },
  builder: {
    service: 'tscr.builder.v1.Builder',
    methods: { uploadContext: 'client', build: 'server' },
  },
  plugins: {
    service: 'tscr.plugins.v1.Plugins',
    methods: { listPlugins: 'unary', inspectPlugin: 'unary' },
  },
} as const satisfies Record<string, LazyServiceTable>;

/** The path grpc-js routes a method by: `/package.Service/Method`. */
function methodPath(service: string, key: string): string {
  return `/${service}/${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

interface Loaded {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

/**
 * With TSCR_TRACE on: times a call from its handler's start (its request read and decoded) as `step` for the
 * request's `id` ('' when it has none): a unary call to its answer handed to grpc-js, a server stream to its
 * first message. The client's time for a call less this is the wire: encoding, HTTP/2 and both event loops
 * (bench/grpc-call.mjs measures that apart).
 */
function timeCall(kind: MethodKind, step: string, args: unknown[]): void {
  if (kind !== 'unary' && kind !== 'server') return;
  const call = args[0] as { request?: { id?: unknown }; write?: (...a: unknown[]) => boolean };
  const start = performance.now();
  const id = typeof call.request?.id === 'string' ? call.request.id : '';
  if (kind === 'unary') {
    const callback = args[1] as (...a: unknown[]) => void;
    args[1] = (...a: unknown[]) => {
      traceSince(step, id, start);
      callback(...a);
    };
    return;
  }
  const write = call.write as (...a: unknown[]) => boolean;
  call.write = (...a: unknown[]) => {
    traceSince(step, id, start);
    call.write = write;
    return write.apply(call, a);
  };
}

/** Runs `register` against a recorder of the one service it adds. */
function record(register: (server: Server) => void): Loaded {
  let loaded: Loaded | undefined;
  const recorder = {
    addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation) {
      loaded = { definition, implementation };
    },
  };
  register(recorder as unknown as Server);
  if (!loaded) throw new Error('the service registrar added no service');
  return loaded;
}

/**
 * Registers the service of `table` on `server`; `register` (e.g.
 * `(s) => addImageService(s, images)`) runs on the service's first call and
 * must add exactly that service.
 * @returns whether the service's code was loaded (for tests).
 */
export function addLazyService(
  server: Server,
  table: LazyServiceTable,
  register: (server: Server) => void,
): { loaded(): boolean } {
  let loaded: Loaded | undefined;
  const load = (): Loaded => {
    loaded ??= record(register);
    return loaded;
  };
  const method = (key: string): MethodDefinition<unknown, unknown> => {
    const real = load().definition[key];
    if (!real) throw new Error(`${table.service} has no method ${key}: the lazy table is stale`);
    return real;
  };
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const [key, kind] of Object.entries(table.methods)) {
    definition[key] = {
      path: methodPath(table.service, key),
      requestStream: kind === 'client' || kind === 'bidi',
      responseStream: kind === 'server' || kind === 'bidi',
      requestSerialize: (value) => method(key).requestSerialize(value),
      requestDeserialize: (bytes) => method(key).requestDeserialize(bytes),
      responseSerialize: (value) => method(key).responseSerialize(value),
      responseDeserialize: (bytes) => method(key).responseDeserialize(bytes),
    };
    implementation[key] = (...args: unknown[]) => {
      const real = load().implementation;
      if (tracing()) timeCall(kind, `grpc.${key}`, args);
      return (real[key] as (...a: unknown[]) => unknown).apply(real, args);
    };
  }
  server.addService(definition, implementation);
  return { loaded: () => loaded !== undefined };
}
