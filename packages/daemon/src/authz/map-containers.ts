/**
 * The gRPC → Docker API mapping of the Containers, System and Builder
 * services (the calls the `tscr` CLI makes most). See `docs/authorization.md`.
 */
import type { builderV1, containersV1, systemV1 } from '@tscr/api/grpc';
import { configFromProto, endpointsFromProto, hostConfigFromProto } from '@tscr/container/grpc';
import { createBodyJson } from '@tscr/docker-api';
import { type ServiceMap, del, get, pascal, post, seg, splitTag } from './docker-path.js';

const c = (id: string | undefined, rest = '') => `/containers/${seg(id)}${rest}`;

/** `tscr run`/`create`: Docker's create body, so a plugin reading `HostConfig.Privileged` sees `--privileged`. */
function createBody(r: containersV1.CreateContainerRequest) {
  return createBodyJson({
    config: configFromProto(r.config),
    hostConfig: hostConfigFromProto(r.hostConfig),
    networkingConfig: endpointsFromProto(r.networkingConfig ?? {}),
  });
}

/** Containers: every method as the Docker endpoint that does the same. */
export const containersMap: ServiceMap<containersV1.ContainersServer> = {
  createContainer: (r) => post('/containers/create', { name: r.name }, createBody(r)),
  startContainer: (r) => post(c(r.id, '/start')),
  stopContainer: (r) => post(c(r.id, '/stop'), { t: r.hasTimeout ? r.timeout : undefined }),
  killContainer: (r) => post(c(r.id, '/kill'), { signal: r.signal }),
  waitContainer: (r) => post(c(r.id, '/wait'), { condition: r.condition }),
  removeContainer: (r) => del(c(r.id), { force: r.force, v: r.volumes }),
  listContainers: (r) => get('/containers/json', { all: r.all }),
  inspectContainer: (r) => get(c(r.id, '/json')),
  containerLogs: (r) =>
    get(c(r.id, '/logs'), {
      follow: r.follow,
      stdout: r.stdout,
      stderr: r.stderr,
      tail: r.tail > 0 ? r.tail : undefined,
      since: r.since,
      until: r.until,
    }),
  attachContainer: (r) => post(c(r.id, '/attach'), { stream: true, stdout: r.stdout, stderr: r.stderr }),
  attachStdio: (r) =>
    post(c(r.start?.id, '/attach'), {
      stream: true,
      stdin: r.start?.stdin,
      stdout: r.start?.stdout,
      stderr: r.start?.stderr,
    }),
  resizeContainer: (r) => post(c(r.id, '/resize'), { h: r.size?.height, w: r.size?.width }),
  createExec: (r) =>
    post(c(r.id, '/exec'), undefined, {
      AttachStdin: Boolean(r.config?.attachStdin),
      AttachStdout: Boolean(r.config?.attachStdout),
      AttachStderr: Boolean(r.config?.attachStderr),
      Tty: Boolean(r.config?.tty),
      Env: r.config?.env ?? [],
      Cmd: r.config?.cmd ?? [],
      User: r.config?.user ?? '',
      WorkingDir: r.config?.workingDir ?? '',
      Privileged: Boolean(r.config?.privileged),
    }),
  startExec: (r) => post(`/exec/${seg(r.start?.execId)}/start`, undefined, { Detach: Boolean(r.start?.detach) }),
  inspectExec: (r) => get(`/exec/${seg(r.id)}/json`),
  resizeExec: (r) => post(`/exec/${seg(r.id)}/resize`, { h: r.size?.height, w: r.size?.width }),
  updateContainer: (r) => post(c(r.id, '/update'), undefined, pascal(r.resources ?? {})),
  pauseContainer: (r) => post(c(r.id, '/pause')),
  unpauseContainer: (r) => post(c(r.id, '/unpause')),
  restartContainer: (r) => post(c(r.id, '/restart'), { t: r.hasTimeout ? r.timeout : undefined }),
  renameContainer: (r) => post(c(r.id, '/rename'), { name: r.newName }),
  connectContainerNetwork: (r) =>
    post(`/networks/${seg(r.network)}/connect`, undefined, {
      Container: r.id,
      EndpointConfig: { Aliases: r.aliases, ...(r.ip && { IPAMConfig: { IPv4Address: r.ip } }) },
    }),
  disconnectContainerNetwork: (r) => post(`/networks/${seg(r.network)}/disconnect`, undefined, { Container: r.id }),
  topContainer: (r) => get(c(r.id, '/top'), { ps_args: r.psArgs.join(' ') }),
  containerStats: (r) => get(c(r.id, '/stats'), { stream: r.noStream ? '0' : '1' }),
  containerChanges: (r) => get(c(r.id, '/changes')),
  exportContainer: (r) => get(c(r.id, '/export')),
  statContainerPath: (r) => ({ method: 'HEAD', path: c(r.id, '/archive'), query: { path: r.path } }),
  getContainerArchive: (r) => get(c(r.id, '/archive'), { path: r.path }),
  putContainerArchive: (r) => ({
    method: 'PUT',
    path: c(r.id, '/archive'),
    query: { path: r.path, noOverwriteDirNonDir: r.noOverwriteDirNonDir, copyUIDGID: r.copyUidGid },
  }),
  commitContainer: (r) => {
    const { repo, tag } = splitTag(r.reference);
    return post(
      '/commit',
      { container: r.id, repo, tag, comment: r.comment, author: r.author, pause: r.pause },
      pascal(r.changes ?? {}),
    );
  },
};

/** System: ping, version, info, events. */
export const systemMap: ServiceMap<systemV1.SystemServer> = {
  ping: () => get('/_ping'),
  version: () => get('/version'),
  info: () => get('/info'),
  events: (r) => {
    const filters: Record<string, string[]> = {};
    if (r.types.length) filters.type = r.types;
    for (const f of r.filters) filters[f.key] = [...(filters[f.key] ?? []), f.value];
    return get('/events', {
      since: r.since,
      until: r.until,
      filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined,
    });
  },
};

/** Builder: the build context upload has no Docker twin (Docker sends it as the body of `POST /build`). */
export const builderMap: ServiceMap<builderV1.BuilderServer> = {
  uploadContext: () => post('/tscr/build/context'),
  build: (r) =>
    post('/build', {
      t: r.tags.length ? r.tags[0] : undefined,
      dockerfile: r.dockerfile,
      target: r.target,
      nocache: r.noCache,
      networkmode: r.network,
      buildargs: Object.keys(r.buildArgs).length ? JSON.stringify(r.buildArgs) : undefined,
      labels: Object.keys(r.labels).length ? JSON.stringify(r.labels) : undefined,
    }),
};
