/**
 * The gRPC → Docker API mapping of the layer services (images, networks,
 * volumes, registry) and of the services Docker has no twin for (runtime
 * tasks, snapshots, attachments, transfer): those get paths under `/tscr/`
 * and their request as plain JSON. See `docs/authorization.md`.
 */
import type { imagesV1, networkV1, pluginsV1, registryV1, runtimeV1, transferV1, volumeV1 } from '@tscr/api/grpc';
import { type ServiceMap, del, get, pascal, plain, post, seg, splitTag } from './docker-path.js';

/** `{"label": ["a=b"]}` as Docker's `filters` query value; undefined when empty. */
function filters(entries: Record<string, readonly string[]>): string | undefined {
  const out: Record<string, readonly string[]> = {};
  for (const [k, v] of Object.entries(entries)) if (v.length) out[k] = v;
  return Object.keys(out).length ? JSON.stringify(out) : undefined;
}

/** `key=value` strings (the form prune filters travel in) grouped by key. */
function filterPairs(pairs: readonly string[], extra: Record<string, string[]> = {}): string | undefined {
  const out: Record<string, string[]> = { ...extra };
  for (const p of pairs) {
    const eq = p.indexOf('=');
    const key = eq < 0 ? p : p.slice(0, eq);
    out[key] = [...(out[key] ?? []), eq < 0 ? '' : p.slice(eq + 1)];
  }
  return filters(out);
}

const snap = (key: string, rest = '') => `/tscr/snapshots/${seg(key)}${rest}`;

/** Images. */
export const imagesMap: ServiceMap<imagesV1.ImagesServer> = {
  listImages: () => get('/images/json'),
  getImage: (r) => get(`/images/${seg(r.ref)}/json`),
  tagImage: (r) => post(`/images/${seg(r.source)}/tag`, splitTag(r.target)),
  removeImage: (r) => del(`/images/${seg(r.ref)}`, { force: r.force }),
  importImage: (r) => post('/images/create', { fromSrc: '-', repo: r.options?.reference, message: r.options?.message }),
  prepareSnapshot: (r) => post('/tscr/snapshots/prepare', undefined, plain(r)),
  snapshotMounts: (r) => get(snap(r.key, '/mounts')),
  removeSnapshot: (r) => del(snap(r.key)),
  diffSnapshot: (r) => post(snap(r.key, '/diff'), undefined, plain(r)),
  createImage: (r) => post('/tscr/images/create', { reference: r.reference }, plain(r)),
  saveImages: (r) => get('/images/get', { names: r.refs.join(',') }),
  loadImages: () => post('/images/load'),
  imageHistory: (r) => get(`/images/${seg(r.ref)}/history`),
  pruneImages: (r) => post('/images/prune', { filters: filterPairs(r.filters, r.all ? { dangling: ['false'] } : {}) }),
};

/** Networks; the attachment calls the container layer makes are tscr's own. */
export const networksMap: ServiceMap<networkV1.NetworksServer> = {
  listNetworks: () => get('/networks'),
  getNetwork: (r) => get(`/networks/${seg(r.name)}`),
  createNetwork: (r) =>
    post('/networks/create', undefined, {
      Name: r.name,
      Driver: r.driver || 'bridge',
      Internal: r.internal,
      Labels: r.labels,
      Options: r.options,
      IPAM: {
        Driver: 'default',
        Config: r.subnet ? [{ Subnet: r.subnet, Gateway: r.gateway, IPRange: r.ipRange }] : [],
      },
    }),
  removeNetwork: (r) => del(`/networks/${seg(r.name)}`),
  pruneNetworks: () => post('/networks/prune'),
  attach: (r) => post(`/tscr/networks/attachments/${seg(r.containerId)}`, undefined, plain(r)),
  detach: (r) => del(`/tscr/networks/attachments/${seg(r.containerId)}`),
  connect: (r) =>
    post(`/networks/${seg(r.network)}/connect`, undefined, {
      Container: r.containerId,
      EndpointConfig: { Aliases: r.aliases, ...(r.ip && { IPAMConfig: { IPv4Address: r.ip } }) },
    }),
  disconnect: (r) => post(`/networks/${seg(r.network)}/disconnect`, undefined, { Container: r.containerId }),
  getAttachment: (r) => get(`/tscr/networks/attachments/${seg(r.containerId)}`),
};

/** Volumes; the mount calls the container layer makes are tscr's own. */
export const volumesMap: ServiceMap<volumeV1.VolumesServer> = {
  listVolumes: (r) =>
    get('/volumes', {
      filters: filters({
        dangling: r.dangling ? [r.dangling] : [],
        label: r.label,
        name: r.name,
        driver: r.driver,
      }),
    }),
  getVolume: (r) => get(`/volumes/${seg(r.name)}`),
  createVolume: (r) =>
    post('/volumes/create', undefined, {
      Name: r.name,
      Driver: r.driver || 'local',
      DriverOpts: r.options,
      Labels: r.labels,
    }),
  removeVolume: (r) => del(`/volumes/${seg(r.name)}`, { force: r.force }),
  resolveMounts: (r) => post(`/tscr/volumes/mounts/${seg(r.containerId)}`, undefined, plain(r)),
  pruneVolumes: (r) => post('/volumes/prune', { filters: filterPairs(r.label.map((l) => `label=${l}`)) }),
  releaseVolumes: (r) => del(`/tscr/volumes/mounts/${seg(r.containerId)}`, { removeAnonymous: r.removeAnonymous }),
};

/** Registry: pulls and pushes as Docker's; credentials are never shown (as dockerd leaves out X-Registry-Auth). */
export const registryMap: ServiceMap<registryV1.RegistryServer> = {
  parseReference: (r) => get('/tscr/registry/parse', { ref: r.ref }),
  pull: (r) => post('/images/create', { fromImage: r.ref, platform: r.platform }),
  push: (r) => {
    const { repo, tag } = splitTag(r.ref);
    return post(`/images/${seg(repo)}/push`, { tag });
  },
  login: () => post('/auth'),
  listTags: (r) => get(`/tscr/registry/${seg(r.repository)}/tags`),
};

const task = (id: string | undefined, rest = '') => `/tscr/runtime/tasks/${seg(id)}${rest}`;

/** Runtime tasks: no Docker twin; a plugin that does not know `/tscr/` paths should refuse them. */
export const runtimeMap: ServiceMap<runtimeV1.RuntimeServer> = {
  createTask: (r) => post('/tscr/runtime/tasks/create', undefined, plain(r)),
  startTask: (r) => post(task(r.id, '/start')),
  killTask: (r) => post(task(r.id, '/kill'), { signal: r.signal }),
  waitTask: (r) => post(task(r.id, '/wait')),
  getTask: (r) => get(task(r.id)),
  listTasks: () => get('/tscr/runtime/tasks'),
  deleteTask: (r) => del(task(r.id), { force: r.force }),
  updateTask: (r) => post(task(r.id, '/update'), undefined, pascal(r.resources ?? {})),
  pauseTask: (r) => post(task(r.id, '/pause')),
  resumeTask: (r) => post(task(r.id, '/resume')),
  taskStats: (r) => get(task(r.id, '/stats')),
  topTask: (r) => get(task(r.id, '/top')),
  execTask: (r) => post(task(r.start?.taskId, '/exec'), undefined, plain(r.start?.spec ?? {})),
  resizeExec: (r) => post(task(r.taskId, `/exec/${seg(r.execId)}/resize`)),
  attachTask: (r) => post(task(r.start?.taskId, '/attach'), { stdin: r.start?.stdin }),
  resizeTask: (r) => post(task(r.taskId, '/resize')),
};

/** Transfer between daemons: tscr's own. */
export const transferMap: ServiceMap<transferV1.TransferServer> = {
  sendImages: (r) => post('/tscr/transfer/images/send', { target: r.target }, plain(r)),
  sendVolume: (r) => post(`/tscr/transfer/volumes/${seg(r.name)}/send`, { target: r.target }),
  missingBlobs: () => post('/tscr/transfer/blobs/missing'),
  putBlob: (r) => ({ method: 'PUT', path: `/tscr/transfer/blobs/${seg(r.descriptor?.digest)}` }),
  recordImage: (r) => post('/tscr/transfer/images/record', { ref: r.ref }),
  putVolume: (r) => ({ method: 'PUT', path: `/tscr/transfer/volumes/${seg(r.name)}`, query: { driver: r.driver } }),
  getBlob: (r) => get(`/tscr/transfer/blobs/${seg(r.digest)}`),
  stats: () => get('/tscr/transfer/stats'),
};

/** Plugins (`tscr plugin ls` / `inspect`), as Docker's plugin endpoints. */
export const pluginsMap: ServiceMap<pluginsV1.PluginsServer> = {
  listPlugins: (r) => get('/plugins', { filters: filters({ capability: r.kind ? [r.kind] : [] }) }),
  inspectPlugin: (r) => get(`/plugins/${seg(r.name)}/json`),
};
