/**
 * Exec: create, start (hijacked with stdin, or plain: testcontainers reads
 * the multiplexed body), resize, inspect — over ContainerService's exec calls.
 */
import { isCancelled, invalidArgument } from '@tscr/api';
import type { ExecConfig, StartExecOptions } from '@tscr/container';
import { isNeutral } from '../convert/create.js';
import { about, unsupportedOption } from '../errors.js';
import { openContainerStream } from '../hijack.js';
import { type Ctx, intParam, readJsonObject, sendEmpty, sendJson } from '../http.js';
import { need } from '../optional.js';
import { containerId } from './lookup.js';
import { type Route, route } from './route.js';

const EXEC_KEYS = [
  'Cmd',
  'Env',
  'WorkingDir',
  'User',
  'Tty',
  'Privileged',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'ConsoleSize',
  // Told again to start, which honours it.
  'Detach',
  'DetachKeys',
  // docker-py repeats the path's container.
  'Container',
];

function strings(v: unknown, name: string): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw invalidArgument(`${name} must be a list of strings`);
  return v as string[];
}

async function create(ctx: Ctx): Promise<void> {
  need(ctx.backends.containers, 'createExec', 'POST /containers/{id}/exec');
  const body = await readJsonObject(ctx);
  for (const [key, value] of Object.entries(body)) {
    if (!EXEC_KEYS.includes(key) && !isNeutral(value)) throw unsupportedOption(key);
  }
  const cmd = strings(body.Cmd, 'Cmd');
  if (!cmd?.length) throw invalidArgument('No exec command specified');
  const config: ExecConfig = { cmd };
  const env = strings(body.Env, 'Env');
  if (env?.length) config.env = env;
  if (typeof body.WorkingDir === 'string' && body.WorkingDir) config.workingDir = body.WorkingDir;
  if (typeof body.User === 'string' && body.User) config.user = body.User;
  if (body.Tty === true) config.tty = true;
  if (body.Privileged === true) config.privileged = true;
  if (body.AttachStdin === true) config.attachStdin = true;
  config.attachStdout = body.AttachStdout !== false;
  config.attachStderr = body.AttachStderr !== false;
  const id = await containerId(ctx);
  const exec = await ctx.backends.containers.createExec(id, config, { signal: ctx.signal });
  sendJson(ctx, 201, { Id: exec.id });
}

async function start(ctx: Ctx): Promise<void> {
  const { containers } = ctx.backends;
  need(containers, 'startExec', 'POST /exec/{id}/start');
  const execId = ctx.params.id ?? '';
  const body = await readJsonObject(ctx);
  const info = await about('exec', execId, () => containers.inspectExec(execId, { signal: ctx.signal }));
  const tty = body.Tty === true || Boolean(info.config.tty);
  const opts: StartExecOptions = { signal: ctx.signal };
  const size = Array.isArray(body.ConsoleSize) ? body.ConsoleSize : undefined;
  if (size?.length === 2 && Number(size[0]) > 0) opts.size = { height: Number(size[0]), width: Number(size[1]) };
  if (body.Detach === true) {
    const it = containers.startExec(execId, { ...opts, detach: true })[Symbol.asyncIterator]();
    await it.next();
    sendEmpty(ctx, 200);
    return;
  }
  // As dockerd: the stream opens at once; a failure to start (a missing executable) is
  // written to it, and the exit code (126/127) is in the exec's inspect.
  let stdinFeed: ((input: AsyncIterable<Uint8Array>) => void) | undefined;
  if (info.config.attachStdin && ctx.hijack) {
    const pending = new Promise<AsyncIterable<Uint8Array>>((r) => (stdinFeed = r));
    opts.stdin = (async function* () {
      yield* await pending;
    })();
  }
  const it = containers.startExec(execId, opts)[Symbol.asyncIterator]();
  const out = openContainerStream(ctx, tty);
  if (stdinFeed && out.input) stdinFeed(out.input);
  else if (stdinFeed) stdinFeed((async function* () {})());
  else if (out.input) void drainInput(out.input);
  try {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      if (!(await out.write(r.value.stream, r.value.data))) break;
    }
  } catch (err) {
    if (!isCancelled(err)) await out.write('stderr', Buffer.from(`${(err as Error).message}\r\n`));
  } finally {
    void it.return?.();
    out.end();
  }
}

async function drainInput(input: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    for await (const _ of input) {
      // this exec has no stdin
    }
  } catch {
    // the client went away
  }
}

async function inspect(ctx: Ctx): Promise<void> {
  need(ctx.backends.containers, 'inspectExec', 'GET /exec/{id}/json');
  const execId = ctx.params.id ?? '';
  const e = await about('exec', execId, () => ctx.backends.containers.inspectExec(execId, { signal: ctx.signal }));
  sendJson(ctx, 200, {
    ID: e.id,
    ContainerID: e.containerId,
    Running: e.running,
    ExitCode: e.exitCode,
    Pid: e.pid,
    OpenStdin: Boolean(e.config.attachStdin),
    OpenStdout: e.config.attachStdout !== false,
    OpenStderr: e.config.attachStderr !== false,
    CanRemove: false,
    DetachKeys: '',
    ProcessConfig: {
      tty: Boolean(e.config.tty),
      entrypoint: e.config.cmd[0] ?? '',
      arguments: e.config.cmd.slice(1),
      privileged: Boolean(e.config.privileged),
      user: e.config.user ?? '',
    },
  });
}

async function resize(ctx: Ctx): Promise<void> {
  need(ctx.backends.containers, 'resizeExec', 'POST /exec/{id}/resize');
  const h = intParam(ctx.query, 'h');
  const w = intParam(ctx.query, 'w');
  if (h === undefined || w === undefined) throw invalidArgument('resize needs h and w');
  const execId = ctx.params.id ?? '';
  await about('exec', execId, () =>
    ctx.backends.containers.resizeExec(execId, { width: w, height: h }, { signal: ctx.signal }),
  );
  sendEmpty(ctx, 200);
}

export const execRoutes: Route[] = [
  route('POST', '/containers/:id/exec', create),
  route('POST', '/exec/:id/start', start),
  route('POST', '/exec/:id/resize', resize),
  route('GET', '/exec/:id/json', inspect),
];
