/**
 * The CRI gRPC server: runtime.v1 RuntimeService and ImageService on one
 * UNIX socket, every handler forwarding to the pod, container, image and
 * stats modules; errors leave through `@tscr/api/grpc`'s one status mapping
 * (NotFound, AlreadyExists, InvalidArgument… as kubelet expects them).
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { unimplemented } from '@tscr/api';
import { criV1 } from '@tscr/api/cri';
import { limitFirstCall, listen, serverStreamHandler, unaryHandler } from '@tscr/api/grpc';
import { CriContainers } from './containers.js';
import { containerEvents } from './events.js';
import { CriImages } from './images.js';
import { podMetadata } from './meta.js';
import { PodNetwork } from './pod-network.js';
import { PodSandboxes } from './pods.js';
import { CriStats } from './stats.js';
import { StreamingServer } from './streaming/server.js';
import type { CriBackends, CriConnections, CriOptions, CriServer } from './types.js';

/** The CRI API version this runtime speaks. */
export const CRI_API_VERSION = 'v1';

/** CgroupDriver.CGROUPFS: tscr puts containers under `/<cgroupParent>/<id>` itself. */
const CGROUPFS = 1;

/** The handlers of both services, built over the backends (exported for in-process tests). */
export function criHandlers(b: CriBackends, o: CriOptions & { imageRoot: string }, streaming: StreamingServer) {
  const log = o.logger ?? ((m: string) => console.error(m));
  const network = new PodNetwork(b.networks, o.podNetwork ?? 'k8s-pods', log);
  const pods = new PodSandboxes(b, o, network);
  const containers = new CriContainers(b, pods);
  const images = new CriImages(b, o.imageRoot);
  const stats = new CriStats(b, containers, pods);

  const runtime: criV1.RuntimeServiceServer = {
    version: unaryHandler(async () => ({
      version: '0.1.0',
      runtimeName: o.runtimeName ?? 'tscr',
      runtimeVersion: o.runtimeVersion ?? '0.1.0',
      runtimeApiVersion: CRI_API_VERSION,
    })),
    runPodSandbox: unaryHandler(async (req: criV1.RunPodSandboxRequest, ctx) => ({
      podSandboxId: await pods.run(req.config, req.runtimeHandler, ctx),
    })),
    stopPodSandbox: unaryHandler(async (req: criV1.StopPodSandboxRequest, ctx) => {
      await pods.stop(req.podSandboxId, ctx);
      return {};
    }),
    removePodSandbox: unaryHandler(async (req: criV1.RemovePodSandboxRequest, ctx) => {
      await pods.remove(req.podSandboxId, ctx);
      return {};
    }),
    podSandboxStatus: unaryHandler(async (req: criV1.PodSandboxStatusRequest) => ({
      status: await pods.status(req.podSandboxId),
      info: {},
      containersStatuses: [],
      timestamp: Date.now() * 1e6,
    })),
    listPodSandbox: unaryHandler(async (req: criV1.ListPodSandboxRequest) => ({
      items: (await pods.list(req.filter)).map((p) => ({
        id: p.id,
        metadata: podMetadata(p.meta),
        state: p.ready ? 0 : 1,
        createdAt: p.meta.createdAt,
        labels: p.meta.labels,
        annotations: p.meta.annotations,
        runtimeHandler: p.meta.runtimeHandler,
      })),
    })),
    createContainer: unaryHandler(async (req: criV1.CreateContainerRequest, ctx) => ({
      containerId: await containers.create(req.podSandboxId, req.config, ctx),
    })),
    startContainer: unaryHandler(async (req: criV1.StartContainerRequest, ctx) => {
      await containers.start(req.containerId, ctx);
      return {};
    }),
    stopContainer: unaryHandler(async (req: criV1.StopContainerRequest, ctx) => {
      await containers.stop(req.containerId, req.timeout, ctx);
      return {};
    }),
    removeContainer: unaryHandler(async (req: criV1.RemoveContainerRequest, ctx) => {
      await containers.remove(req.containerId, ctx);
      return {};
    }),
    listContainers: unaryHandler(async (req: criV1.ListContainersRequest) => ({
      containers: await containers.list(req.filter),
    })),
    containerStatus: unaryHandler(async (req: criV1.ContainerStatusRequest) => ({
      status: await containers.status(req.containerId),
      info: {},
    })),
    updateContainerResources: unaryHandler(async (req: criV1.UpdateContainerResourcesRequest, ctx) => {
      await containers.updateResources(req.containerId, req.linux, ctx);
      return {};
    }),
    reopenContainerLog: unaryHandler(async (req: criV1.ReopenContainerLogRequest, ctx) => {
      await containers.reopenLog(req.containerId, ctx);
      return {};
    }),
    execSync: unaryHandler(async (req: criV1.ExecSyncRequest, ctx) =>
      containers.execSync(req.containerId, req.cmd, req.timeout, ctx),
    ),
    exec: unaryHandler(async (req: criV1.ExecRequest) => {
      const info = await containers.get(req.containerId);
      return { url: streaming.register({ ...req, kind: 'exec', containerId: info.id }) };
    }),
    attach: unaryHandler(async (req: criV1.AttachRequest) => {
      const info = await containers.get(req.containerId);
      return {
        url: streaming.register({
          kind: 'attach',
          ...req,
          containerId: info.id,
          cmd: [],
          tty: info.config.tty === true,
        }),
      };
    }),
    portForward: unaryHandler(async (req: criV1.PortForwardRequest) => {
      const pod = await pods.get(req.podSandboxId);
      return { url: streaming.register({ kind: 'portforward', podId: pod.id, ports: req.port }) };
    }),
    containerStats: unaryHandler(async (req: criV1.ContainerStatsRequest) => ({
      stats: await stats.container(req.containerId),
    })),
    listContainerStats: unaryHandler(async (req: criV1.ListContainerStatsRequest) => ({
      stats: await stats.list(req.filter),
    })),
    podSandboxStats: unaryHandler(async (req: criV1.PodSandboxStatsRequest) => ({
      stats: await stats.pod(req.podSandboxId),
    })),
    listPodSandboxStats: unaryHandler(async (req: criV1.ListPodSandboxStatsRequest) => ({
      stats: await stats.listPods(req.filter),
    })),
    updateRuntimeConfig: unaryHandler(async (req: criV1.UpdateRuntimeConfigRequest) => {
      await network.setPodCidr(req.runtimeConfig?.networkConfig?.podCidr ?? '');
      return {};
    }),
    status: unaryHandler(async () => {
      const net = await network.ready();
      return {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true, reason: '', message: '' },
            {
              type: 'NetworkReady',
              status: net.ok,
              reason: net.ok ? '' : 'NetworkPluginNotReady',
              message: net.message,
            },
          ],
        },
        info: {},
        runtimeHandlers: ['', 'runc'].map((name) => ({
          name,
          features: { recursiveReadOnlyMounts: false, userNamespaces: false },
        })),
        features: { supplementalGroupsPolicy: false },
      };
    }),
    checkpointContainer: unaryHandler(async () => {
      throw unimplemented('CheckpointContainer (container checkpoint/restore)');
    }),
    getContainerEvents: serverStreamHandler((_req: criV1.GetEventsRequest, ctx) =>
      containerEvents(b, pods, containers, ctx.signal),
    ),
    listMetricDescriptors: unaryHandler(async () => ({ descriptors: [] })),
    listPodSandboxMetrics: unaryHandler(async () => ({ podMetrics: [] })),
    runtimeConfig: unaryHandler(async () => ({ linux: { cgroupDriver: CGROUPFS } })),
  };

  const imageService: criV1.ImageServiceServer = {
    listImages: unaryHandler(async (req: criV1.ListImagesRequest) => ({ images: await images.list(req.filter) })),
    imageStatus: unaryHandler(async (req: criV1.ImageStatusRequest): Promise<criV1.ImageStatusResponse> => {
      const image = await images.find(req.image?.image ?? '');
      if (!image) return { info: {} };
      const [one] = await images.list({
        image: { image: image.id, annotations: {}, userSpecifiedImage: '', runtimeHandler: '' },
      });
      return {
        image: one,
        info: req.verbose
          ? { info: JSON.stringify({ config: image.config, layers: image.layers }) }
          : ({} as Record<string, string>),
      };
    }),
    pullImage: unaryHandler(async (req: criV1.PullImageRequest, ctx) => ({
      imageRef: await images.pull(req.image?.image ?? '', req.auth, ctx),
    })),
    removeImage: unaryHandler(async (req: criV1.RemoveImageRequest, ctx) => {
      await images.remove(req.image?.image ?? '', ctx);
      return {};
    }),
    imageFsInfo: unaryHandler(async () => images.fsInfo()),
  };
  return { runtime, images: imageService, pods, containers };
}

/** The CRI's gRPC server with both services registered, and its streaming server listening. */
async function criServer(backends: CriBackends, options: CriOptions & { imageRoot: string }) {
  const streaming = new StreamingServer(backends, options.logger ?? ((m) => console.error(m)));
  const streamUrl = await streaming.listen(options.streamAddress ?? '127.0.0.1:0');
  const handlers = criHandlers(backends, options, streaming);
  const server = new Server();
  server.addService(criV1.RuntimeServiceService, handlers.runtime);
  server.addService(criV1.ImageServiceService, handlers.images);
  const close = async () => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await streaming.close();
  };
  return { server, streamUrl, close };
}

/**
 * Serves the CRI on `address` (`unix:///run/tscr/cri.sock`, mode 0600) and
 * its streaming server (exec, attach, port-forward) on loopback.
 */
export async function createCriServer(
  backends: CriBackends,
  address: string,
  options: CriOptions & { imageRoot: string },
): Promise<CriServer> {
  const { server, streamUrl, close } = await criServer(backends, options);
  let bound: string;
  try {
    const { firstCallTimeoutMs } = options;
    bound = await listen(server, address, firstCallTimeoutMs === undefined ? {} : { firstCallTimeoutMs });
  } catch (err) {
    server.forceShutdown();
    await close();
    throw err;
  }
  return { address: bound, streamUrl, close };
}

/**
 * The CRI served on connections accepted elsewhere: the daemon listens on the
 * CRI's socket itself and loads this package on the first connection (an idle
 * daemon then holds none of the CRI's code), handing that connection and every
 * later one to {@link CriConnections.accept}. Same services, same first-call
 * deadline as {@link createCriServer}; no TLS (the CRI is served on UNIX sockets).
 */
export async function createCriConnections(
  backends: CriBackends,
  options: CriOptions & { imageRoot: string },
): Promise<CriConnections> {
  const { server, streamUrl, close } = await criServer(backends, options);
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  if (options.firstCallTimeoutMs !== undefined) limitFirstCall(server, options.firstCallTimeoutMs);
  return {
    streamUrl,
    accept(connection) {
      injector.injectConnection(connection);
      // A connection accepted paused starts flowing only now, into the HTTP/2 session that took its handle.
      connection.resume();
    },
    close,
  };
}
