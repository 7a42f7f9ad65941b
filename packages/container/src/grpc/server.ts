import type { Server } from '@grpc/grpc-js';
import { invalidArgument } from '@tscr/api';
import { containersV1, serverStreamHandler, unaryHandler } from '@tscr/api/grpc';
import type { ContainerService, LogsOptions, WaitCondition } from '../types.js';
import {
  configFromProto,
  exitStatusToProto,
  hostConfigFromProto,
  infoToProto,
  logEntryToProto,
  summaryToProto,
} from './convert.js';
import { endpointsFromProto } from './network-convert.js';
import { controlHandlers } from './control.js';
import { stdioHandlers } from './stdio-server.js';
import { commitFromProto } from './commit-convert.js';
import { imageToProto } from '@tscr/image/grpc';

const WAIT_CONDITIONS: readonly string[] = ['not-running', 'next-exit', 'removed'];

/**
 * Attach over the wire: the first message carries no entry and tells the
 * client the attachment is in place (so it can start the container).
 */
async function* attachStream(
  impl: ContainerService,
  req: containersV1.AttachContainerRequest,
  signal: AbortSignal,
): AsyncGenerator<containersV1.AttachContainerResponse> {
  let onAttached!: () => void;
  const attached = new Promise<'attached'>((resolve) => (onAttached = () => resolve('attached')));
  const it = impl
    .attach(req.id, { signal, stdout: req.stdout, stderr: req.stderr, onAttached })
    [Symbol.asyncIterator]();
  try {
    let next = it.next();
    const first = await Promise.race([attached, next]);
    yield {};
    if (first !== 'attached') {
      if (first.done) return;
      yield { entry: logEntryToProto(first.value) };
      next = it.next();
    }
    for (;;) {
      const result = await next;
      if (result.done) return;
      yield { entry: logEntryToProto(result.value) };
      next = it.next();
    }
  } finally {
    void it.return?.(undefined).catch(() => undefined);
  }
}

/** The Containers service's handlers, forwarding every call to `impl`. */
export function createContainerServer(impl: ContainerService): containersV1.ContainersServer {
  return {
    createContainer: unaryHandler(async (req, { signal }) => {
      const create = {
        config: configFromProto(req.config),
        hostConfig: hostConfigFromProto(req.hostConfig),
        ...(Object.keys(req.networkingConfig).length > 0 && {
          networkingConfig: endpointsFromProto(req.networkingConfig),
        }),
        ...(req.logPath && { logPath: req.logPath }),
      };
      return impl.create(req.name ? { ...create, name: req.name } : create, { signal });
    }),
    startContainer: unaryHandler(async (req, { signal }) => {
      await impl.start(req.id, { signal });
      return {};
    }),
    stopContainer: unaryHandler(async (req, { signal }) => {
      await impl.stop(req.id, req.hasTimeout ? { signal, timeout: req.timeout } : { signal });
      return {};
    }),
    killContainer: unaryHandler(async (req, { signal }) => {
      await impl.kill(req.id, req.signal || undefined, { signal });
      return {};
    }),
    waitContainer: unaryHandler(async (req, { signal }) => {
      const condition = req.condition || 'not-running';
      if (!WAIT_CONDITIONS.includes(condition)) throw invalidArgument(`invalid wait condition: ${condition}`);
      const status = await impl.wait(req.id, { signal, condition: condition as WaitCondition });
      return { exitStatus: exitStatusToProto(status) };
    }),
    removeContainer: unaryHandler(async (req, { signal }) => {
      await impl.remove(req.id, { signal, force: req.force, volumes: req.volumes });
      return {};
    }),
    listContainers: unaryHandler(async (req, { signal }) => ({
      containers: (await impl.list({ signal, all: req.all })).map(summaryToProto),
    })),
    commitContainer: unaryHandler(async (req, { signal }) => ({
      image: imageToProto(await impl.commit(req.id, { ...commitFromProto(req), signal })),
    })),
    inspectContainer: unaryHandler(async (req, { signal }) => ({
      container: infoToProto(await impl.inspect(req.id, { signal })),
    })),
    containerLogs: serverStreamHandler(async function* (req, { signal }) {
      const opts: LogsOptions = { signal, follow: req.follow, stdout: req.stdout, stderr: req.stderr };
      if (req.tail >= 0) opts.tail = req.tail;
      if (req.since) opts.since = req.since;
      if (req.until) opts.until = req.until;
      for await (const entry of impl.logs(req.id, opts)) yield { entry: logEntryToProto(entry) };
    }),
    attachContainer: serverStreamHandler((req, { signal }) => attachStream(impl, req, signal)),
    ...controlHandlers(impl),
    ...stdioHandlers(impl),
  };
}

/** Registers the Containers service, backed by `impl`, on `server`. */
export function addContainerService(server: Server, impl: ContainerService): void {
  server.addService(containersV1.ContainersService, createContainerServer(impl));
}
