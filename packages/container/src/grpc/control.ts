import type { ContainerStats, ContainerTop, FilesystemChange, PathStat, Resources } from '@tscr/api';
import { internal, invalidArgument } from '@tscr/api';
import {
  callClientStream,
  callServerStream,
  callUnary,
  clientStreamHandler,
  type containersV1,
  serverStreamHandler,
  unaryHandler,
} from '@tscr/api/grpc';
import { resourcesFromProto, resourcesToProto } from '@tscr/runtime/grpc';
import type { ArchiveResult, ConnectNetworkOptions, ContainerControl, PutArchiveOptions } from '../control-types.js';
import type { CallOptions } from '../types.js';

/** The wire size of tar chunks sent by the server and the client. */
const CHUNK = 64 * 1024;

function statToProto(s: PathStat): containersV1.PathStat {
  return { ...s };
}

function statFromProto(s: containersV1.PathStat | undefined): PathStat {
  if (!s) throw internal('archive response without a stat');
  return { name: s.name, size: s.size, mode: s.mode, mtime: s.mtime, linkTarget: s.linkTarget };
}

function statsFromProto(s: containersV1.ContainerStats | undefined): ContainerStats {
  if (!s) throw internal('stats response without stats');
  return { ...s };
}

/** Splits big chunks so that one message stays well under gRPC's limit. */
async function* rechunk(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let off = 0; off < buf.length; off += CHUNK) yield buf.subarray(off, off + CHUNK);
  }
}

/** The Containers service's control handlers (update … putArchive), forwarding to `impl`. */
export function controlHandlers(
  impl: ContainerControl,
): Pick<
  containersV1.ContainersServer,
  | 'updateContainer'
  | 'pauseContainer'
  | 'unpauseContainer'
  | 'restartContainer'
  | 'renameContainer'
  | 'connectContainerNetwork'
  | 'disconnectContainerNetwork'
  | 'topContainer'
  | 'containerStats'
  | 'containerChanges'
  | 'exportContainer'
  | 'statContainerPath'
  | 'getContainerArchive'
  | 'putContainerArchive'
> {
  return {
    updateContainer: unaryHandler(async (req, { signal }) =>
      impl.update(req.id, resourcesFromProto(req.resources), { signal }),
    ),
    pauseContainer: unaryHandler(async (req, { signal }) => {
      await impl.pause(req.id, { signal });
      return {};
    }),
    unpauseContainer: unaryHandler(async (req, { signal }) => {
      await impl.unpause(req.id, { signal });
      return {};
    }),
    restartContainer: unaryHandler(async (req, { signal }) => {
      await impl.restart(req.id, req.hasTimeout ? { signal, timeout: req.timeout } : { signal });
      return {};
    }),
    renameContainer: unaryHandler(async (req, { signal }) => {
      await impl.rename(req.id, req.newName, { signal });
      return {};
    }),
    connectContainerNetwork: unaryHandler(async (req, { signal }) => {
      await impl.connectNetwork(req.id, req.network, {
        signal,
        ...(req.aliases.length > 0 && { aliases: req.aliases }),
        ...(req.ip && { ip: req.ip }),
      });
      return {};
    }),
    disconnectContainerNetwork: unaryHandler(async (req, { signal }) => {
      await impl.disconnectNetwork(req.id, req.network, { signal });
      return {};
    }),
    topContainer: unaryHandler(async (req, { signal }) => {
      const top = await impl.top(req.id, { signal, psArgs: req.psArgs });
      return { titles: top.titles, processes: top.processes.map((fields) => ({ fields })) };
    }),
    containerStats: serverStreamHandler(async function* (req, { signal }) {
      for await (const stats of impl.stats(req.id, { signal, stream: !req.noStream })) yield { stats };
    }),
    containerChanges: unaryHandler(async (req, { signal }) => ({
      changes: await impl.changes(req.id, { signal }),
    })),
    exportContainer: serverStreamHandler(async function* (req, { signal }) {
      for await (const data of rechunk(impl.export(req.id, { signal }))) yield { data };
    }),
    statContainerPath: unaryHandler(async (req, { signal }) => ({
      stat: statToProto(await impl.statPath(req.id, req.path, { signal })),
    })),
    getContainerArchive: serverStreamHandler(async function* (req, { signal }) {
      const { stat, tar } = await impl.getArchive(req.id, req.path, { signal });
      yield { stat: statToProto(stat), data: Buffer.alloc(0) };
      for await (const data of rechunk(tar)) yield { data };
    }),
    putContainerArchive: clientStreamHandler(async (requests, { signal }) => {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done || !first.value.id)
        throw invalidArgument('PutContainerArchive: the first message names no container');
      const head = first.value;
      async function* data(): AsyncGenerator<Uint8Array> {
        for (;;) {
          const next = await it.next();
          if (next.done) return;
          if (next.value.data.length > 0) yield next.value.data;
        }
      }
      await impl.putArchive(head.id, head.path, data(), { signal, noOverwriteDirNonDir: head.noOverwriteDirNonDir });
      return {};
    }),
  };
}

/** {@link ContainerControl} over a Containers client. */
export class GrpcContainerControl implements ContainerControl {
  constructor(
    private readonly client: () => containersV1.ContainersClient,
    private readonly target: string,
  ) {}

  async update(id: string, resources: Resources, opts: CallOptions = {}): Promise<{ warnings: string[] }> {
    const req = { id, resources: resourcesToProto(resources) };
    const res = await callUnary<containersV1.UpdateContainerResponse>(
      (cb) => this.client().updateContainer(req, cb),
      opts,
      this.target,
    );
    return { warnings: res.warnings };
  }

  async pause(id: string, opts: CallOptions = {}): Promise<void> {
    await callUnary((cb) => this.client().pauseContainer({ id }, cb), opts, this.target);
  }

  async unpause(id: string, opts: CallOptions = {}): Promise<void> {
    await callUnary((cb) => this.client().unpauseContainer({ id }, cb), opts, this.target);
  }

  async restart(id: string, opts: CallOptions & { timeout?: number } = {}): Promise<void> {
    const req = { id, timeout: opts.timeout ?? 0, hasTimeout: opts.timeout !== undefined };
    await callUnary((cb) => this.client().restartContainer(req, cb), opts, this.target);
  }

  async rename(id: string, newName: string, opts: CallOptions = {}): Promise<void> {
    await callUnary((cb) => this.client().renameContainer({ id, newName }, cb), opts, this.target);
  }

  async connectNetwork(id: string, network: string, opts: ConnectNetworkOptions = {}): Promise<void> {
    const req = { id, network, aliases: opts.aliases ?? [], ip: opts.ip ?? '' };
    await callUnary((cb) => this.client().connectContainerNetwork(req, cb), opts, this.target);
  }

  async disconnectNetwork(id: string, network: string, opts: CallOptions = {}): Promise<void> {
    await callUnary((cb) => this.client().disconnectContainerNetwork({ id, network }, cb), opts, this.target);
  }

  async top(id: string, opts: CallOptions & { psArgs?: string[] } = {}): Promise<ContainerTop> {
    const res = await callUnary<containersV1.TopContainerResponse>(
      (cb) => this.client().topContainer({ id, psArgs: opts.psArgs ?? [] }, cb),
      opts,
      this.target,
    );
    return { titles: res.titles, processes: res.processes.map((r) => r.fields) };
  }

  async *stats(id: string, opts: CallOptions & { stream?: boolean } = {}): AsyncGenerator<ContainerStats> {
    const req = { id, noStream: opts.stream === false };
    for await (const res of callServerStream<containersV1.ContainerStatsResponse>(
      () => this.client().containerStats(req),
      opts,
      this.target,
    )) {
      yield statsFromProto(res.stats);
    }
  }

  async changes(id: string, opts: CallOptions = {}): Promise<FilesystemChange[]> {
    const res = await callUnary<containersV1.ContainerChangesResponse>(
      (cb) => this.client().containerChanges({ id }, cb),
      opts,
      this.target,
    );
    return res.changes.map((c) => ({ kind: c.kind as FilesystemChange['kind'], path: c.path }));
  }

  async *export(id: string, opts: CallOptions = {}): AsyncGenerator<Uint8Array> {
    for await (const res of callServerStream<containersV1.ExportContainerResponse>(
      () => this.client().exportContainer({ id }),
      opts,
      this.target,
    )) {
      yield res.data;
    }
  }

  async statPath(id: string, path: string, opts: CallOptions = {}): Promise<PathStat> {
    const res = await callUnary<containersV1.StatContainerPathResponse>(
      (cb) => this.client().statContainerPath({ id, path }, cb),
      opts,
      this.target,
    );
    return statFromProto(res.stat);
  }

  async getArchive(id: string, path: string, opts: CallOptions = {}): Promise<ArchiveResult> {
    const it = callServerStream<containersV1.GetContainerArchiveResponse>(
      () => this.client().getContainerArchive({ id, path }),
      opts,
      this.target,
    );
    const first = await it.next();
    if (first.done) throw internal('GetContainerArchive ended before its stat');
    const stat = statFromProto(first.value.stat);
    async function* tar(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          const next = await it.next();
          if (next.done) return;
          if (next.value.data.length > 0) yield next.value.data;
        }
      } finally {
        await it.return(undefined);
      }
    }
    return { stat, tar: tar() };
  }

  async putArchive(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    opts: PutArchiveOptions = {},
  ): Promise<void> {
    const head = { id, path, noOverwriteDirNonDir: Boolean(opts.noOverwriteDirNonDir), copyUidGid: false };
    async function* messages(): AsyncGenerator<containersV1.PutContainerArchiveRequest> {
      yield { ...head, data: Buffer.alloc(0) };
      for await (const data of rechunk(tar)) {
        yield { id: '', path: '', noOverwriteDirNonDir: false, copyUidGid: false, data };
      }
    }
    await callClientStream<containersV1.PutContainerArchiveRequest, containersV1.PutContainerArchiveResponse>(
      (cb) => this.client().putContainerArchive(cb),
      messages(),
      opts,
      this.target,
    );
  }
}
