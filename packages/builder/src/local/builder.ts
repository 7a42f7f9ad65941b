import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { extract } from 'tar';
import {
  TscrError,
  cancelled,
  failpoint,
  fromSystemError,
  invalidArgument,
  isNotFound,
  isTscrError,
  notFound,
  unimplemented,
  type Image,
  type ImageConfig,
  isErrno,
} from '@tscr/api';
import { normalizeTag, ociArchitecture, type ImageService, type NewHistoryEntry } from '@tscr/image';
import type { TaskRuntime } from '@tscr/runtime';
import type { BuildEvent, BuildOptions, BuilderService } from '../types.js';
import { BuildCache, chainKey } from './cache.js';
import { Channel } from './channel.js';
import { applyConfigStep, type ConfigState } from './config-steps.js';
import { DockerIgnore } from './dockerignore.js';
import { planCopy, planRun, type FsContext } from './fs-steps.js';
import { parseDockerfile, type Dockerfile, type Instruction } from './parser.js';
import { PROXY_ARGS, planBuild, stageRef, type Plan, type Stage } from './plan.js';

/** Options of {@link createLocalBuilder}. */
export interface LocalBuilderOptions {
  /** Where the images come from and go to. */
  images: ImageService;
  /** Runs RUN steps. */
  runtime: TaskRuntime;
  /** The builder's own directory: `cache.json` and `tmp/` (build contexts, scratch). */
  stateDir: string;
  /** Where background problems are reported. */
  logger?: (message: string) => void;
  /**
   * Fetches a base image that is not local (as `docker build` does), e.g.
   * the daemon's registry client; without it a missing base image is NotFound.
   */
  pullImage?: (ref: string, opts: { signal?: AbortSignal }) => Promise<void>;
}

/** One stage's state while it is built. */
interface StageState extends ConfigState {
  /** Last committed image, undefined while a `scratch` stage has none. */
  image?: string;
  layers: number;
  /** History of metadata steps since the last image. */
  pending: NewHistoryEntry[];
  /** Cache key of the state. */
  key: string;
  /** True while every step so far came from the cache. */
  cached: boolean;
}

/** What one build carries around. */
interface Build {
  df: Dockerfile;
  plan: Plan;
  opts: BuildOptions;
  fs: FsContext;
  emit: (e: BuildEvent) => Promise<void>;
  results: Map<number, string>;
  step: number;
  total: number;
  cachedSteps: number[];
}

const HISTORY_NOP = '/bin/sh -c #(nop) ';
const run = promisify(execFile);

/** The key of a build step's snapshot and task (see `fs-steps.ts`). */
const STEP_KEY = /^build-[0-9a-f]{24}/;

/** Builds images from Dockerfiles on the local host (see {@link BuilderService}). */
export class LocalBuilder implements BuilderService {
  private readonly cache: BuildCache;
  private readonly tmpDir: string;
  private cleaned: Promise<void> | undefined;

  constructor(private readonly o: LocalBuilderOptions) {
    this.cache = new BuildCache(join(o.stateDir, 'cache.json'));
    this.tmpDir = join(o.stateDir, 'tmp');
  }

  /** @inheritdoc */
  build(context: AsyncIterable<Uint8Array>, opts: BuildOptions = {}): AsyncIterable<BuildEvent> {
    const channel = new Channel<BuildEvent>();
    const abort = new AbortController();
    const onAbort = () => abort.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    void this.run(context, { ...opts, signal: abort.signal }, (e) => channel.push(e)).then(
      () => channel.close(),
      (err: unknown) => channel.close(err),
    );
    const self = channel[Symbol.asyncIterator].bind(channel);
    return {
      async *[Symbol.asyncIterator]() {
        try {
          yield* { [Symbol.asyncIterator]: self };
        } finally {
          abort.abort(new Error('build output no longer read'));
          opts.signal?.removeEventListener('abort', onAbort);
        }
      },
    };
  }

  /**
   * Removes what builds a crash interrupted left (scratch directories and
   * their mounts; the snapshots and tasks of their steps, named `build-…`).
   * The daemon calls it at start; the first build runs it otherwise.
   */
  recover(): Promise<void> {
    return this.cleanup();
  }

  private cleanup(): Promise<void> {
    this.cleaned ??= (async () => {
      // Overlays a crash left mounted go first, so removing the scratch dirs cannot reach into them.
      const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
      const points = mounts
        .split('\n')
        .map((l) => l.split(' ')[4] ?? '')
        .filter((p) => p.startsWith(`${this.tmpDir}/`))
        .sort()
        .reverse();
      for (const p of points) await run('umount', ['-l', p]).catch(() => undefined);
      // Step snapshots leave a `<key>.snapshot` marker in their build's scratch directory before they are made.
      const keys = new Set<string>();
      for (const build of await readdir(this.tmpDir).catch(() => [] as string[])) {
        for (const e of await readdir(join(this.tmpDir, build)).catch(() => [] as string[])) {
          const key = STEP_KEY.exec(e)?.[0];
          if (key) keys.add(key);
        }
      }
      for (const t of await this.o.runtime.list().catch(() => [])) if (STEP_KEY.test(t.id)) keys.add(t.id);
      for (const key of keys) {
        await this.o.runtime.delete(key, { force: true }).catch(() => undefined);
        await this.o.images.removeSnapshot(key).catch(() => undefined);
      }
      await rm(this.tmpDir, { recursive: true, force: true });
      await mkdir(this.tmpDir, { recursive: true });
    })();
    return this.cleaned;
  }

  private async run(
    context: AsyncIterable<Uint8Array>,
    opts: BuildOptions,
    emit: (e: BuildEvent) => Promise<void>,
  ): Promise<void> {
    for (const t of opts.tags ?? []) normalizeTag(t);
    await this.cleanup();
    const work = join(this.tmpDir, `build-${randomBytes(8).toString('hex')}`);
    const ctxDir = join(work, 'context');
    await mkdir(ctxDir, { recursive: true });
    const deferred = new Set<() => Promise<void>>();
    try {
      await spoolContext(context, ctxDir, opts.signal);
      const file = opts.dockerfile || 'Dockerfile';
      const text = await readDockerfile(ctxDir, file, opts.dockerfileContent);
      const df = parseDockerfile(text, opts.dockerfileContent !== undefined ? 'Dockerfile' : file);
      const ignoreText = await readFile(join(ctxDir, '.dockerignore'), 'utf8').catch(() => '');
      const buildArgs = opts.buildArgs ?? {};
      const plan = planBuild(df, buildArgs, opts.target);
      const results = new Map<number, string>();
      const b: Build = {
        df,
        plan,
        opts,
        emit,
        results,
        step: 0,
        total: plan.order.reduce((n, i) => n + 1 + (plan.stages[i]?.instructions.length ?? 0), 0),
        cachedSteps: [],
        fs: {
          images: this.o.images,
          runtime: this.o.runtime,
          file: df.file,
          escapeChar: df.directives.escape,
          buildArgs,
          network: opts.network ?? 'none',
          workDir: work,
          context: { dir: ctxDir, ignore: DockerIgnore.parse(ignoreText), what: 'build context' },
          stageImage: (ref) => {
            const i = stageRef(plan.stages, ref, 0);
            return i === undefined ? undefined : results.get(i);
          },
          defer: (fn) => {
            deferred.add(fn);
            return () => deferred.delete(fn);
          },
          output: (data) => emit({ type: 'output', data }),
          signal: opts.signal,
        },
      };
      const unused = unconsumedArgs(df, plan, buildArgs);
      if (unused.length > 0) {
        await emit({
          type: 'message',
          text: `[Warning] One or more build-args [${unused.join(' ')}] were not consumed`,
        });
      }
      let final = '';
      for (const i of plan.order) {
        final = await this.buildStage(b, plan.stages[i] as Stage, i === plan.order[plan.order.length - 1]);
        results.set(i, final);
      }
      const tags: string[] = [];
      for (const t of opts.tags ?? []) {
        await this.o.images.tag(final, t, { signal: opts.signal });
        tags.push(t);
      }
      await emit({ type: 'result', imageId: final, tags, cachedSteps: b.cachedSteps, totalSteps: b.total });
    } catch (err) {
      if (opts.signal?.aborted && !isTscrError(err)) throw cancelled('build cancelled', { cause: err });
      throw err;
    } finally {
      for (const fn of [...deferred].reverse()) await fn().catch(() => undefined);
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async beginStep(b: Build, ins: Instruction): Promise<number> {
    b.step++;
    await b.emit({ type: 'step', index: b.step, total: b.total, instruction: ins.original });
    return b.step;
  }

  private async buildStage(b: Build, stage: Stage, isTarget: boolean): Promise<string> {
    const fromStep = await this.beginStep(b, stage.from);
    const st = await this.fromState(b, stage);
    await b.emit({ type: 'stepDone', index: fromStep, cached: false, ...(st.image ? { imageId: st.image } : {}) });
    for (const ins of stage.instructions) {
      const index = await this.beginStep(b, ins);
      const where = `step ${index}/${b.total} (${b.df.file}:${ins.line})`;
      try {
        await this.buildStep(b, st, ins, index, where);
      } catch (err) {
        throw located(b.df.file, ins, err);
      }
    }
    if (isTarget && b.opts.labels && Object.keys(b.opts.labels).length > 0) {
      st.config.labels = { ...st.config.labels, ...b.opts.labels };
      st.key = chainKey(st.key, 'labels', JSON.stringify(b.opts.labels));
      st.pending.push({ createdBy: `${HISTORY_NOP} LABEL ${JSON.stringify(b.opts.labels)}`, emptyLayer: true });
    }
    if (st.pending.length === 0 && st.image !== undefined) return st.image;
    return this.commitMetadata(b, st);
  }

  /** The base image of a stage: local, else pulled when the builder can pull. */
  private async baseImage(b: Build, ref: string, line: number): Promise<Image> {
    const signal = b.opts.signal;
    const missing = (cause: unknown, why: string) =>
      notFound(`${b.df.file}:${line}: base image ${ref} not found${why}`, { cause, details: { image: ref } });
    try {
      return await this.o.images.get(ref, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (!this.o.pullImage) throw missing(err, ' (pull it first)');
    }
    await b.emit({ type: 'message', text: `Pulling ${ref}` });
    try {
      await this.o.pullImage(ref, { signal });
    } catch (err) {
      if (isNotFound(err)) throw missing(err, ' locally or in its registry');
      if (!isTscrError(err) || err.code === 'Cancelled') throw err;
      // The registry's own code (Unavailable, Unauthenticated…), with the Dockerfile line in front.
      throw new TscrError(
        err.code,
        `${b.df.file}:${line}: base image ${ref} not found locally, and pulling it failed: ${err.message}`,
        {
          cause: err,
          details: { ...err.details, image: ref },
        },
      );
    }
    return this.o.images.get(ref, { signal });
  }

  /** The state after FROM: the base image's config (its ONBUILD triggers run here). */
  private async fromState(b: Build, stage: Stage): Promise<StageState> {
    const args = new Map<string, string>();
    const st: StageState = { config: {}, args, cmdSet: false, layers: 0, pending: [], key: '', cached: true };
    if (stage.baseStage !== undefined) {
      const id = b.results.get(stage.baseStage);
      if (!id) throw invalidArgument(`stage ${stage.base} is used before it is built`);
      stage.base = id;
    }
    if (stage.platform !== undefined && stage.platform !== `linux/${ociArchitecture()}`) {
      throw unimplemented(
        `building for another platform (${stage.platform}); this host builds linux/${ociArchitecture()}`,
      );
    }
    if (stage.base.toLowerCase() === 'scratch') {
      st.key = chainKey('scratch');
      return st;
    }
    const image = await this.baseImage(b, stage.base, stage.from.line);
    st.image = image.id;
    st.layers = image.layers.length;
    st.config = structuredClone(image.config) as ImageConfig;
    st.key = chainKey('from', image.id);
    const triggers = st.config.onBuild ?? [];
    delete st.config.onBuild;
    for (const t of triggers) {
      const parsed = parseDockerfile(`FROM scratch\n${t}`, `${b.df.file} (ONBUILD of ${stage.base})`).instructions[1];
      if (parsed) await this.buildStep(b, st, { ...parsed, line: stage.from.line }, 0, `ONBUILD ${t}`);
    }
    return st;
  }

  private async buildStep(b: Build, st: StageState, ins: Instruction, index: number, where: string): Promise<void> {
    const described = applyConfigStep(b.df.file, ins, st, b.fs.buildArgs, b.plan.globalArgs, b.df.directives.escape);
    if (described !== undefined) {
      st.key = chainKey(st.key, described);
      if (ins.name !== 'ARG') st.pending.push({ createdBy: `${HISTORY_NOP} ${described}`, emptyLayer: true });
      const cached = st.cached && !b.opts.noCache;
      if (cached && index > 0) b.cachedSteps.push(index);
      if (index > 0) await b.emit({ type: 'stepDone', index, cached });
      return;
    }
    if (ins.name !== 'RUN' && ins.name !== 'COPY' && ins.name !== 'ADD') {
      throw invalidArgument(`${b.df.file}:${ins.line}: unknown instruction ${ins.name}`);
    }
    const step = ins.name === 'RUN' ? planRun(b.fs, ins, st) : await planCopy(b.fs, ins, st);
    const createdBy = ins.name === 'RUN' ? step.describe : `${HISTORY_NOP}${step.describe}`;
    const key = chainKey(st.key, step.describe, step.contentHash ?? '');
    if (!b.opts.noCache) {
      const hit = await this.cached(key);
      if (hit) {
        st.image = hit.id;
        st.layers = hit.layers;
        st.pending = [];
        st.key = key;
        if (index > 0) b.cachedSteps.push(index);
        if (index > 0) await b.emit({ type: 'stepDone', index, cached: true, imageId: hit.id });
        return;
      }
    }
    st.cached = false;
    if (st.image === undefined) {
      if (ins.name === 'RUN') {
        throw invalidArgument(`${b.df.file}:${ins.line}: RUN needs a filesystem: the stage has none (FROM scratch)`);
      }
      const empty = await this.o.images.createImage({ config: {} }, { signal: b.opts.signal });
      st.image = empty.id;
    } else if (ins.name === 'RUN' && st.layers === 0) {
      throw invalidArgument(`${b.df.file}:${ins.line}: RUN needs a filesystem: the stage has none (FROM scratch)`);
    }
    const layer = await step.execute(st.image, where);
    const image = await this.o.images.createImage(
      {
        parent: st.image,
        layers: [layer],
        config: st.config,
        history: [...st.pending, { createdBy }],
        ...(st.author ? { author: st.author } : {}),
      },
      { signal: b.opts.signal },
    );
    st.image = image.id;
    st.layers = image.layers.length;
    st.pending = [];
    st.key = key;
    await this.cache.set(key, image.id);
    failpoint('build.between-steps');
    if (index > 0) await b.emit({ type: 'stepDone', index, cached: false, imageId: image.id });
  }

  /** The image of the state's metadata (from the cache, or made now). */
  private async commitMetadata(b: Build, st: StageState): Promise<string> {
    if (!b.opts.noCache) {
      const hit = await this.cached(st.key);
      if (hit) return hit.id;
    }
    const image = await this.o.images.createImage(
      {
        ...(st.image ? { parent: st.image } : {}),
        config: st.config,
        history: st.pending,
        ...(st.author ? { author: st.author } : {}),
      },
      { signal: b.opts.signal },
    );
    await this.cache.set(st.key, image.id);
    return image.id;
  }

  /** The cached image of a state, if recorded and still stored. */
  private async cached(key: string): Promise<{ id: string; layers: number } | undefined> {
    const id = await this.cache.get(key);
    if (!id) return undefined;
    try {
      const image = await this.o.images.get(id);
      return { id: image.id, layers: image.layers.length };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.cache.delete(key);
      return undefined;
    }
  }
}

/** Build args that no ARG of the built stages (or before the first FROM) declares, proxies aside. */
function unconsumedArgs(df: Dockerfile, plan: Plan, buildArgs: Record<string, string>): string[] {
  const declared = new Set<string>();
  const instructions = [
    ...df.instructions.slice(
      0,
      df.instructions.findIndex((i) => i.name === 'FROM'),
    ),
    ...plan.order.flatMap((i) => plan.stages[i]?.instructions ?? []),
  ];
  for (const ins of instructions) {
    if (ins.name !== 'ARG') continue;
    for (const word of ins.args.trim().split(/\s+/)) declared.add(word.split('=')[0] as string);
  }
  return Object.keys(buildArgs)
    .filter((k) => !declared.has(k) && !PROXY_ARGS.includes(k))
    .sort();
}

/** Adds `file:line` to an error raised by a step, keeping its code. */
function located(file: string, ins: Instruction, err: unknown): unknown {
  if (!isTscrError(err) || err.message.startsWith(`${file}:`) || err.message.includes(`(${file}:`)) return err;
  return new TscrError(err.code, `${file}:${ins.line}: ${err.message}`, {
    cause: err,
    details: { ...err.details, line: String(ins.line) },
  });
}

/** Unpacks the context tar into `dir` (paths may not escape it). @throws InvalidArgument for a stream that is not a tar. */
async function spoolContext(context: AsyncIterable<Uint8Array>, dir: string, signal?: AbortSignal): Promise<void> {
  try {
    await pipeline(Readable.from(context), extract({ cwd: dir, strict: true, preserveOwner: false }), { signal });
  } catch (err) {
    if (isTscrError(err)) throw err;
    if (signal?.aborted) throw cancelled('build cancelled', { cause: err });
    throw invalidArgument(`the build context is not a valid tar stream: ${(err as Error).message}`, { cause: err });
  }
}

/** The Dockerfile's text (given, or from the context). @throws NotFound; InvalidArgument for a path outside the context. */
async function readDockerfile(ctxDir: string, file: string, content: string | undefined): Promise<string> {
  if (content !== undefined) return content;
  const clean = posix.normalize(file.replace(/^\/+/, ''));
  if (clean === '..' || clean.startsWith('../')) {
    throw invalidArgument(`the Dockerfile (${file}) must be inside the build context`, { details: { file } });
  }
  try {
    return await readFile(join(ctxDir, clean), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'EISDIR')) {
      throw notFound(`cannot find the Dockerfile ${file} in the build context`, { cause: err, details: { file } });
    }
    throw fromSystemError(err, `cannot read the Dockerfile ${file}`);
  }
}

/** Creates a {@link LocalBuilder}; nothing touches the disk until the first build. */
export function createLocalBuilder(options: LocalBuilderOptions): LocalBuilder {
  return new LocalBuilder(options);
}
