import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { fromSystemError, internal, invalidArgument, unimplemented, type Mount } from '@tscr/api';
import type { ImageService, LayerInfo } from '@tscr/image';
import type { TaskRuntime } from '@tscr/runtime';
import { chmodOf, chownOf, copySources, type CopyAttrs } from './copy.js';
import { PROXY_ARGS, checkFlags, flagValue } from './plan.js';
import { syntaxError, type Instruction } from './parser.js';
import { runStep } from './run-step.js';
import { hashSources, selectSources, type Source, type SourceRoot } from './sources.js';
import { DEFAULT_SHELL, type ConfigState, varsOf } from './config-steps.js';
import { processWords } from './words.js';

const run = promisify(execFile);

/** Paths the runtime mounts over in a RUN container: left out of its layer when only their mount points changed. */
const MOUNT_POINTS = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/proc', '/sys', '/dev'];

/** What filesystem steps need from the build. */
export interface FsContext {
  images: ImageService;
  runtime: TaskRuntime;
  file: string;
  escapeChar?: string;
  buildArgs: Record<string, string>;
  network: 'none' | 'host';
  /** Scratch directory of this build. */
  workDir: string;
  context: SourceRoot;
  /** Image ID of stage `ref` (name or index), or undefined when `ref` names no stage. */
  stageImage: (ref: string) => string | undefined;
  /** Registers cleanup for a failed or aborted build; returns a function that unregisters it. */
  defer: (fn: () => Promise<void>) => () => void;
  output: (data: Uint8Array) => Promise<void>;
  signal?: AbortSignal;
}

/** A planned filesystem step: its cache text (what it does, fully resolved) and how to run it. */
export interface FsStep {
  /** Cache key part and history text. */
  describe: string;
  /** Extra cache input (the content hash of copied files), if any. */
  contentHash?: string;
  /** Makes the step's layer on a snapshot of `parentImage`. */
  execute: (parentImage: string, where: string) => Promise<LayerInfo>;
}

function newKey(): string {
  return `build-${randomBytes(12).toString('hex')}`;
}

/** Leaves `<key>.snapshot` in the build's scratch directory, so a daemon that crashed finds the snapshot to remove. */
async function markSnapshot(ctx: FsContext, key: string): Promise<void> {
  await writeFile(join(ctx.workDir, `${key}.snapshot`), '');
}

function upperOf(mounts: Mount[]): string {
  const opt = mounts[0]?.options.find((o) => o.startsWith('upperdir='));
  if (!opt) throw internal('the snapshot has no upper directory');
  return opt.slice('upperdir='.length);
}

async function mountOverlay(mounts: Mount[], dir: string): Promise<void> {
  const m = mounts[0];
  if (!m) throw internal('the snapshot has no mounts');
  const options = m.options.filter((o) => !o.startsWith('lowerdir=') || o.length > 'lowerdir='.length);
  await mkdir(dir, { recursive: true });
  try {
    await run('mount', ['-t', m.type, m.source, '-o', options.join(','), dir]);
  } catch (err) {
    throw fromSystemError(err, `cannot mount the build snapshot: ${(err as { stderr?: string }).stderr ?? ''}`);
  }
}

async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Runs `fn` on a fresh snapshot of `image` (mounted at a scratch directory
 * when `mount`, else only its upper directory — for images without layers),
 * turns the snapshot's changes into a layer and removes the snapshot,
 * whatever happens.
 */
async function onSnapshot(
  ctx: FsContext,
  image: string,
  mount: boolean,
  fn: (key: string, mounts: Mount[], root: string) => Promise<void>,
): Promise<LayerInfo> {
  const key = newKey();
  const dir = join(ctx.workDir, key);
  let mounted = false;
  const cleanup = async () => {
    if (mounted) await unmount(dir);
    await ctx.images.removeSnapshot(key).catch(() => undefined);
  };
  const undefer = ctx.defer(cleanup);
  try {
    await markSnapshot(ctx, key);
    const mounts = await ctx.images.prepare(key, image, { signal: ctx.signal });
    let root = upperOf(mounts);
    if (mount) {
      await mountOverlay(mounts, dir);
      mounted = true;
      root = dir;
    }
    await fn(key, mounts, root);
    if (mounted) {
      await unmount(dir);
      mounted = false;
    }
    return await ctx.images.diff(key, { mountPoints: MOUNT_POINTS, signal: ctx.signal });
  } finally {
    await cleanup();
    undefer();
  }
}

/** The RUN step of `ins`: its command, environment and history text. */
export function planRun(ctx: FsContext, ins: Instruction, st: ConfigState): FsStep {
  checkFlags(ctx.file, ins, ['network', 'mount', 'security']);
  if (ins.flags.some((f) => f.name === 'mount' || f.name === 'security')) {
    throw unimplemented('RUN --mount and --security');
  }
  const flagNet = flagValue(ins, 'network');
  const network = flagNet === undefined || flagNet === 'default' ? ctx.network : flagNet;
  if (network !== 'none' && network !== 'host')
    throw syntaxError(ctx.file, ins.line, `unknown RUN --network=${network}`);
  const shell = st.config.shell ?? DEFAULT_SHELL;
  let args: string[];
  const only = /^<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1$/.exec(ins.args.trim());
  if (ins.json) args = ins.json;
  else if (only && ins.heredocs.length === 1) args = [...shell, ins.heredocs[0]?.content ?? ''];
  else if (ins.heredocs.length > 0) {
    args = [...shell, `${ins.args}\n${ins.heredocs.map((h) => `${h.content}${h.name}`).join('\n')}\n`];
  } else args = [...shell, ins.args];
  const env = [...(st.config.env ?? [])];
  const envKeys = new Set(env.map((e) => e.slice(0, e.indexOf('='))));
  const used: string[] = [];
  for (const [k, v] of st.args) {
    if (envKeys.has(k)) continue;
    env.push(`${k}=${v}`);
    if (!PROXY_ARGS.includes(k)) used.push(`${k}=${v}`);
  }
  for (const p of PROXY_ARGS) {
    const v = ctx.buildArgs[p];
    if (v !== undefined && !st.args.has(p) && !envKeys.has(p)) env.push(`${p}=${v}`);
  }
  const describe = `${used.length > 0 ? `|${used.length} ${used.join(' ')} ` : ''}${args.join(' ')}`;
  return {
    describe: network === ctx.network ? describe : `${describe} (network ${network})`,
    execute: (parent, where) =>
      onSnapshot(ctx, parent, false, async (key, mounts) => {
        await runStep(ctx.runtime, {
          id: key,
          rootfs: mounts,
          args,
          env,
          cwd: st.config.workingDir || '/',
          user: st.config.user || undefined,
          network: network as 'none' | 'host',
          workDir: ctx.workDir,
          output: ctx.output,
          where,
          signal: ctx.signal,
        });
      }),
  };
}

/** Replaces `$VAR` and `${VAR}` in a COPY here-document body. */
function expandHeredoc(text: string, vars: Map<string, string>): string {
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, a, b) => vars.get(a ?? b) ?? '',
  );
}

/** The COPY/ADD step of `ins`: sources selected and hashed now; copied when executed. */
export async function planCopy(ctx: FsContext, ins: Instruction, st: ConfigState): Promise<FsStep> {
  const add = ins.name === 'ADD';
  checkFlags(
    ctx.file,
    ins,
    add ? ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir'] : ['from', 'chown', 'chmod', 'link', 'parents'],
  );
  const vars = varsOf(st);
  const words = ins.json ?? processWords(ins.args, vars, { escapeChar: ctx.escapeChar });
  if (words.length < 2) throw syntaxError(ctx.file, ins.line, `${ins.name} requires at least two arguments`);
  const dest0 = words[words.length - 1] as string;
  const patterns = words.slice(0, -1);
  const workdir = st.config.workingDir || '/';
  const dest = dest0.startsWith('/')
    ? dest0
    : posix.join(workdir, dest0) + (dest0.endsWith('/') || dest0 === '.' ? '/' : '');
  for (const p of patterns) {
    if (/^(https?|ftp):\/\//i.test(p) || /^git@/.test(p) || p.endsWith('.git')) {
      if (!add) throw syntaxError(ctx.file, ins.line, `COPY does not take URLs (${p}); ADD does`);
      throw unimplemented(
        `ADD from a remote URL (${p}): this host has no internet access; download it into the build context and COPY it`,
      );
    }
  }
  const chownSpec = flagValue(ins, 'chown');
  const mode = chmodOf(flagValue(ins, 'chmod'));
  const fromRef = flagValue(ins, 'from');
  const flagsText = `${chownSpec ? ` --chown=${chownSpec}` : ''}${mode !== undefined ? ` --chmod=${mode.toString(8)}` : ''}`;
  const inline = new Map(ins.heredocs.map((h) => [h.name, h]));
  const heredocName = (p: string) => /^<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?$/.exec(p)?.[1];

  if (fromRef !== undefined) {
    const stageImage = ctx.stageImage(fromRef);
    const image = stageImage ?? (await ctx.images.get(fromRef, { signal: ctx.signal })).id;
    return {
      describe: `${ins.name} --from=${image}${flagsText} ${patterns.join(' ')} ${dest}`,
      execute: async (parent, _where) => {
        const src = await mountedImage(ctx, image);
        try {
          const root: SourceRoot = { dir: src.dir, what: `stage or image ${fromRef}` };
          const sources: Source[] = [];
          for (const p of patterns) sources.push(...(await selectSources(root, p)));
          return await copyLayer(ctx, parent, root, sources, dest, chownSpec, mode, add);
        } finally {
          await src.release();
        }
      },
    };
  }

  // Context sources (and here-documents, written to files of their own).
  let heredocRoot: SourceRoot | undefined;
  const sources: { root: SourceRoot; list: Source[] }[] = [];
  for (const p of patterns) {
    const name = heredocName(p);
    const doc = name === undefined ? undefined : inline.get(name);
    if (doc && name) {
      if (!heredocRoot) {
        heredocRoot = { dir: join(ctx.workDir, `heredoc-${randomBytes(6).toString('hex')}`), what: 'here-document' };
        await mkdir(heredocRoot.dir, { recursive: true });
        const dir = heredocRoot.dir;
        ctx.defer(() => rm(dir, { recursive: true, force: true }));
      }
      await writeFile(join(heredocRoot.dir, name), doc.expand ? expandHeredoc(doc.content, vars) : doc.content, {
        mode: 0o644,
      });
      sources.push({ root: heredocRoot, list: await selectSources(heredocRoot, name) });
      continue;
    }
    sources.push({ root: ctx.context, list: await selectSources(ctx.context, p) });
  }
  const hashes: string[] = [];
  for (const s of sources) hashes.push(await hashSources(s.root, s.list));
  const total = sources.reduce((n, s) => n + s.list.length, 0);
  const destDir = total > 1 && !dest.endsWith('/') ? `${dest}/` : dest;
  return {
    describe: `${ins.name}${flagsText} ${patterns.join(' ')} ${dest}`,
    contentHash: hashes.join(','),
    execute: async (parent) => copyLayerMany(ctx, parent, sources, destDir, chownSpec, mode, add),
  };
}

async function copyLayer(
  ctx: FsContext,
  parent: string,
  root: SourceRoot,
  sources: Source[],
  dest: string,
  chownSpec: string | undefined,
  mode: number | undefined,
  add: boolean,
): Promise<LayerInfo> {
  return copyLayerMany(
    ctx,
    parent,
    [{ root, list: sources }],
    sources.length > 1 && !dest.endsWith('/') ? `${dest}/` : dest,
    chownSpec,
    mode,
    add,
  );
}

async function copyLayerMany(
  ctx: FsContext,
  parent: string,
  sources: { root: SourceRoot; list: Source[] }[],
  dest: string,
  chownSpec: string | undefined,
  mode: number | undefined,
  add: boolean,
): Promise<LayerInfo> {
  const image = await ctx.images.get(parent, { signal: ctx.signal });
  const mount = image.layers.length > 0;
  return onSnapshot(ctx, parent, mount, async (_key, _mounts, root) => {
    const owner = await chownOf(root, chownSpec);
    const attrs: CopyAttrs = { ...owner, ...(mode !== undefined ? { mode } : {}) };
    for (const s of sources) await copySources(s.root, s.list, root, dest, attrs, add);
  });
}

/** Mounts image `image` read-only at a scratch directory (for `COPY --from`). */
async function mountedImage(ctx: FsContext, image: string): Promise<{ dir: string; release: () => Promise<void> }> {
  const key = newKey();
  const dir = join(ctx.workDir, key);
  let mounted = false;
  const release = async () => {
    if (mounted) await unmount(dir);
    mounted = false;
    await ctx.images.removeSnapshot(key).catch(() => undefined);
  };
  const undefer = ctx.defer(release);
  try {
    await markSnapshot(ctx, key);
    const mounts = await ctx.images.prepare(key, image, { signal: ctx.signal });
    const img = await ctx.images.get(image, { signal: ctx.signal });
    if (img.layers.length === 0) {
      return {
        dir: upperOf(mounts),
        release: async () => {
          await release();
          undefer();
        },
      };
    }
    await mountOverlay(mounts, dir);
    mounted = true;
    return {
      dir,
      release: async () => {
        await release();
        undefer();
      },
    };
  } catch (err) {
    await release();
    undefer();
    throw err;
  }
}

/** @throws InvalidArgument: a step that needs a filesystem on `scratch` without one. */
export function needsImage(file: string, ins: Instruction): never {
  throw invalidArgument(`${file}:${ins.line}: ${ins.name} needs a filesystem: the stage has none yet (FROM scratch)`);
}
