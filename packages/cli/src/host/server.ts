/**
 * The CLI host's server (docs/cli-host.md): listens on a UNIX socket, and for each connection reads one request,
 * answers `F` (run it yourself) or `A`, runs the CLI's own {@link main} with that request's io and the warm
 * clients of its daemon, relays its output as frames and ends with `X` and the exit code. Connections are
 * served concurrently and share nothing but the daemon clients. With no connection open for the idle time,
 * it stops accepting, removes its socket and pid file, closes the clients and resolves {@link CliHost.done}.
 */
import { chmodSync, lstatSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { write } from '../command.js';
import { errorMessage } from '../errors.js';
import { main, type MainOptions } from '../cli.js';
import { ClientsCache } from './clients-cache.js';
import { ACCEPTED, CLIENT_FRAMES, encodeFrame, EXIT, FALLBACK, FrameDecoder, REQUEST, SIGNAL } from './frames.js';
import { decideHosting, type HostDecision } from './hostable.js';
import { createRequestIo, SIGNALS, type RequestIo } from './io.js';
import { parseRequest, type HostRequest } from './request.js';

/** The default idle time (seconds) before the host exits. */
export const DEFAULT_IDLE_SECONDS = 300;

/** Options of {@link startCliHost}. */
export interface CliHostOptions {
  /** The socket to listen on (a stale file there is removed). */
  socket: string;
  /** The pid file to write; default: the socket's path with `.pid` for `.sock`. */
  pidFile?: string;
  /** Seconds without a connection before exiting; default `TSCR_CLI_HOST_IDLE` of the host's env, else 300. */
  idleSeconds?: number;
  /** The host's environment (idle time, debug, the variables of hostable.ts); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Lines for the log (the host's stderr by default). */
  log?: (line: string) => void;
  /** Loads the modules of `version`, `ps` and `run` once listening (default true). */
  preload?: boolean;
  /** Replaces {@link main}'s default clients maker (tests). */
  clients?: MainOptions['clients'];
}

/** A running host. */
export interface CliHost {
  /** The socket it listens on. */
  readonly socket: string;
  /** Connections open now. */
  readonly connections: number;
  /** Resolves once it has stopped (idle or {@link stop}) and cleaned up. */
  readonly done: Promise<void>;
  /** Stops accepting, removes its socket and pid file (if still its own), closes the clients. Idempotent. */
  stop(): Promise<void>;
}

/** `TSCR_CLI_HOST_IDLE` as seconds, or undefined when unset or not a non-negative number. */
export function idleSecondsFrom(env: Record<string, string | undefined>): number | undefined {
  const v = env.TSCR_CLI_HOST_IDLE;
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) return undefined;
  return Number(v);
}

function pidPathFor(socket: string): string {
  return socket.endsWith('.sock') ? `${socket.slice(0, -'.sock'.length)}.pid` : `${socket}.pid`;
}

/** Removes `path` if it still is the file whose inode is `ino`. */
function removeIfOurs(path: string, ino: bigint | undefined, content?: string): void {
  try {
    if (ino !== undefined && lstatSync(path, { bigint: true }).ino !== ino) return;
    if (content !== undefined && readFileSync(path, 'utf8') !== content) return;
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** The commands loaded ahead of their first request (their modules have no side effects). */
const PRELOADED = [['version'], ['ps'], ['run']];

async function preloadCommands(): Promise<void> {
  try {
    const { findCommand } = await import('../commands/table.js');
    for (const words of PRELOADED) await findCommand(words)?.entry.load();
  } catch {
    // Only a head start: the request loads what it needs anyway.
  }
}

/** Listens on `opts.socket`, writes the pid file and serves until idle. */
export async function startCliHost(opts: CliHostOptions): Promise<CliHost> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pidFile = opts.pidFile ?? pidPathFor(opts.socket);
  let idleMs = (opts.idleSeconds ?? idleSecondsFrom(env) ?? DEFAULT_IDLE_SECONDS) * 1000;
  let idleFromRequest = opts.idleSeconds !== undefined || idleSecondsFrom(env) !== undefined;
  const debug = env.TSCR_CLI_HOST_DEBUG === '1';
  const cache = new ClientsCache();
  const open = new Set<Socket>();
  let timer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));

  // A file left by a host that died holds the path; we hold the lock, so it is stale.
  rmSync(opts.socket, { force: true });
  const server: Server = createServer((socket) => serve(socket));
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(opts.socket, 0o600);
  const socketIno = lstatSync(opts.socket, { bigint: true }).ino;
  const pidText = `${process.pid}\n`;
  writeFileSync(pidFile, pidText, { mode: 0o600 });
  server.on('error', (err) => log(`tscr cli host: ${err.message}`));

  const armIdle = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (open.size === 0 && !stopping) timer = setTimeout(() => void stop(), idleMs);
  };

  function stop(): Promise<void> {
    stopping ??= (async () => {
      if (timer) clearTimeout(timer);
      const closed = new Promise<void>((r) => server.close(() => r()));
      removeIfOurs(opts.socket, socketIno);
      removeIfOurs(pidFile, undefined, pidText);
      for (const s of open) s.destroy();
      await closed;
      cache.closeAll();
      finish();
    })();
    return stopping;
  }

  function serve(socket: Socket): void {
    if (stopping) {
      socket.destroy();
      return;
    }
    open.add(socket);
    armIdle();
    const decoder = new FrameDecoder(CLIENT_FRAMES);
    let phase: 'request' | 'deciding' | 'running' | 'over' = 'request';
    let run: RequestIo | undefined;
    const early: number[] = [];
    const cut = new AbortController();
    const life = { ended: false, signal: cut.signal };
    const end = (code?: number) => {
      if (phase === 'over') return;
      phase = 'over';
      life.ended = true;
      cut.abort();
      if (code !== undefined && !socket.destroyed) socket.end(encodeFrame(EXIT, Buffer.from([code & 0xff])));
      else socket.destroy();
      run?.detach();
    };
    const deliver = (signo: number) => {
      const name = SIGNALS[signo];
      if (!run || !name) return;
      // A signal nobody handles ends the command as it would end the bin (killed: 128 + the signal).
      if (run.signals.listenerCount(name) > 0) run.signals.emit(name);
      else void run.flush().then(() => end(128 + signo));
    };
    const protocolError = (why: string) => {
      log(`tscr cli host: protocol error: ${why}`);
      end();
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      open.delete(socket);
      armIdle();
      // The client died (killed, or its output closed): as with a killed bin, the container is left alone (no
      // signal reaches it; a `--rm` one is still removed by the daemon when it exits) and the command's long calls
      // (attach, wait, logs) end now; its output goes nowhere.
      if (phase === 'running' && run) run.detach();
      if (phase !== 'running') phase = 'over';
      life.ended = true;
      cut.abort();
    });
    socket.on('data', (chunk) => {
      let frames: ReturnType<FrameDecoder['push']>;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return protocolError(errorMessage(err, ''));
      }
      for (const f of frames) {
        if (phase === 'over') return;
        if (f.type === REQUEST && phase === 'request') {
          let req: HostRequest;
          try {
            req = parseRequest(f.payload);
          } catch (err) {
            return protocolError(errorMessage(err, ''));
          }
          phase = 'deciding';
          void handle(req);
        } else if (f.type === SIGNAL && f.payload.length === 1 && phase !== 'request') {
          if (phase === 'deciding') early.push(f.payload[0]!);
          else deliver(f.payload[0]!);
        } else return protocolError(`unexpected frame ${f.type} while ${phase}`);
      }
    });

    async function handle(req: HostRequest): Promise<void> {
      if (!idleFromRequest) {
        idleFromRequest = true;
        const fromRequest = idleSecondsFrom(req.env);
        if (fromRequest !== undefined) idleMs = fromRequest * 1000;
        armIdle();
      }
      let decision: HostDecision;
      try {
        decision = await decideHosting(req, env);
      } catch (err) {
        decision = { hosted: false, reason: `cannot decide: ${errorMessage(err, '')}` };
      }
      if (phase === 'over') return;
      if (!decision.hosted) {
        if (debug) log(`tscr cli host: F ${JSON.stringify(req.argv)}: ${decision.reason}`);
        phase = 'over';
        socket.end(encodeFrame(FALLBACK, decision.reason));
        return;
      }
      phase = 'running';
      socket.write(encodeFrame(ACCEPTED));
      run = createRequestIo(req, socket);
      for (const signo of early.splice(0)) deliver(signo);
      const started = Date.now();
      let code: number;
      try {
        code = await main(req.argv, run.io, {
          clients: opts.clients ?? ((daemon) => cache.forRequest(daemon, life)),
        });
      } catch (err) {
        log(`tscr cli host: ${JSON.stringify(req.argv)} failed: ${(err as Error)?.stack ?? String(err)}`);
        await write(run.io.stderr, `tscr: internal error: ${errorMessage(err, '')}\n`);
        code = 1;
      }
      await run.flush();
      if (debug) log(`tscr cli host: ${JSON.stringify(req.argv)} -> ${code} in ${Date.now() - started} ms`);
      end(code);
    }
  }

  armIdle();
  // Load the modules of the commands run most while nothing else happens, so the first of them is not slower.
  if (opts.preload !== false) setImmediate(() => void preloadCommands());
  return {
    socket: opts.socket,
    get connections() {
      return open.size;
    },
    done,
    stop,
  };
}
