import { failpoint, unimplemented, type ContainerInfo, type Image, type ImageConfig } from '@tscr/api';
import type { ImageService } from '@tscr/image';
import type { TaskRuntime } from '@tscr/runtime';
import type { CommitOptions } from '../types.js';

/** Files and directories the runtime mounts over the root filesystem: left out of a commit when they are empty stubs. */
const RUNTIME_MOUNT_POINTS = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/dev', '/proc', '/sys'];

/** What a commit uses. */
export interface CommitContext {
  images: Pick<ImageService, 'get'> & Partial<Pick<ImageService, 'diff' | 'createImage'>>;
  runtime: Pick<TaskRuntime, 'pause' | 'resume'>;
}

function envKey(e: string): string {
  const at = e.indexOf('=');
  return at < 0 ? e : e.slice(0, at);
}

/** `base` env with `over`'s entries replacing those of the same key, new keys appended. */
function mergeEnv(base: string[] = [], over: string[] = []): string[] | undefined {
  const out = [...base];
  for (const e of over) {
    const at = out.findIndex((b) => envKey(b) === envKey(e));
    if (at >= 0) out[at] = e;
    else out.push(e);
  }
  return out.length > 0 ? out : undefined;
}

function union(a: string[] = [], b: string[] = []): string[] | undefined {
  const out = [...new Set([...a, ...b])];
  return out.length > 0 ? out : undefined;
}

/** Sets `key` on `out` when `value` is defined (the config has no explicit undefined fields). */
function put<K extends keyof ImageConfig>(out: ImageConfig, key: K, value: ImageConfig[K] | undefined): void {
  if (value === undefined) delete out[key];
  else out[key] = value;
}

/**
 * The config a commit gives its image, as Docker's commit does: the image's
 * config with the container's overrides (cmd, entrypoint, env, working dir,
 * user, labels, stop signal, healthcheck), then the `changes` on top —
 * env and labels merge by key, exposed ports and volumes add up, the rest replace.
 */
export function commitConfig(
  image: ImageConfig,
  container: ContainerInfo['config'],
  changes: ImageConfig = {},
): ImageConfig {
  const out: ImageConfig = { ...image };
  if (container.cmd && container.cmd.length > 0) out.cmd = [...container.cmd];
  if (container.entrypoint !== undefined) {
    out.entrypoint = [...container.entrypoint];
    if (!(container.cmd && container.cmd.length > 0)) delete out.cmd;
  }
  put(out, 'env', mergeEnv(image.env, container.env));
  if (container.workingDir) out.workingDir = container.workingDir;
  if (container.user) out.user = container.user;
  if (container.labels && Object.keys(container.labels).length > 0)
    out.labels = { ...image.labels, ...container.labels };
  if (container.stopSignal) out.stopSignal = container.stopSignal;
  if (container.healthcheck?.test && container.healthcheck.test.length > 0) out.healthcheck = container.healthcheck;

  if (changes.cmd !== undefined) out.cmd = [...changes.cmd];
  if (changes.entrypoint !== undefined) out.entrypoint = [...changes.entrypoint];
  put(out, 'env', mergeEnv(out.env, changes.env));
  if (changes.labels) out.labels = { ...out.labels, ...changes.labels };
  if (changes.workingDir) out.workingDir = changes.workingDir;
  if (changes.user !== undefined) out.user = changes.user;
  if (changes.stopSignal) out.stopSignal = changes.stopSignal;
  put(out, 'exposedPorts', union(out.exposedPorts, changes.exposedPorts));
  put(out, 'volumes', union(out.volumes, changes.volumes));
  if (changes.healthcheck) out.healthcheck = changes.healthcheck;
  if (changes.shell) out.shell = [...changes.shell];
  if (changes.onBuild) out.onBuild = [...(out.onBuild ?? []), ...changes.onBuild];
  return out;
}

/**
 * Makes an image from container `info`'s current filesystem (its snapshot's
 * writable layer, one new layer over its image) and config. A running
 * container is frozen meanwhile unless `pause` is false.
 * @throws NotFound when its image is gone; Unimplemented when the image layer cannot diff snapshots.
 */
export async function commitContainer(ctx: CommitContext, info: ContainerInfo, opts: CommitOptions): Promise<Image> {
  const { diff, createImage } = ctx.images;
  if (!diff || !createImage) throw unimplemented('commit (the image layer in use cannot diff snapshots)');
  const image = await ctx.images.get(info.image, opts);
  const pause = opts.pause !== false && info.state.running && info.state.paused !== true;
  if (pause) await ctx.runtime.pause(info.id, opts);
  let layer: Awaited<ReturnType<NonNullable<typeof diff>>>;
  try {
    layer = await diff.call(ctx.images, info.id, { mountPoints: RUNTIME_MOUNT_POINTS, signal: opts.signal });
  } finally {
    if (pause) await ctx.runtime.resume(info.id).catch(() => undefined);
  }
  failpoint('container.commit.after-layer');
  const created = new Date().toISOString();
  const createdBy = [info.path, ...info.args].join(' ');
  return createImage.call(
    ctx.images,
    {
      parent: image.id,
      layers: [layer],
      config: commitConfig(image.config, info.config, opts.changes),
      history: [
        {
          created,
          createdBy,
          emptyLayer: false,
          ...(opts.comment ? { comment: opts.comment } : {}),
          ...(opts.author ? { author: opts.author } : {}),
        },
      ],
      created,
      ...(opts.reference ? { reference: opts.reference } : {}),
      ...(opts.author ? { author: opts.author } : {}),
    },
    { signal: opts.signal },
  );
}
