/**
 * Saved daemon contexts under `$HOME/.tscr/` (as the Docker CLI keeps its own
 * under `~/.docker/contexts`): `contexts/NAME/meta.json` with the address, and
 * `contexts/NAME/tls/{ca,cert,key}.pem` (files 0600, folders 0700); the
 * current one in `config.json`. `default` is built in: `TSCR_HOST` or the local socket.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alreadyExists, invalidArgument, notFound } from '@tscr/api';
import type { ClientTls } from '@tscr/api/grpc';

/** One saved context. */
export interface SavedContext {
  name: string;
  description: string;
  /** The daemon address: `unix:///path` or `tcp://host:port`. */
  host: string;
  /** PEM text of the CA, client certificate and key, when the daemon wants mutual TLS. */
  tls?: { ca: string; cert: string; key: string };
}

/** The built-in context's name. */
export const DEFAULT_CONTEXT = 'default';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;

/** `$HOME/.tscr` (HOME from `env`, else the OS's idea of home). */
export function configDir(env: Record<string, string | undefined>): string {
  // `node:os` (~0.3 ms of every run) only when HOME is unset.
  return join(env.HOME || (require('node:os') as typeof import('node:os')).homedir(), '.tscr');
}

/** A context's name, checked. @throws InvalidArgument. */
export function checkContextName(name: string): string {
  if (!NAME.test(name) || name === DEFAULT_CONTEXT)
    throw invalidArgument(
      `invalid context name ${JSON.stringify(name)}: want [a-zA-Z0-9][a-zA-Z0-9_.+-]*, not "default"`,
    );
  return name;
}

/** The contexts saved under one home directory. */
export class ContextStore {
  constructor(private readonly dir: string) {}

  private contextDir(name: string): string {
    return join(this.dir, 'contexts', checkContextName(name));
  }

  /** Every saved context, by name. */
  list(): SavedContext[] {
    const root = join(this.dir, 'contexts');
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((n) => NAME.test(n) && existsSync(join(root, n, 'meta.json')))
      .sort()
      .map((n) => this.get(n));
  }

  /** @throws NotFound. */
  get(name: string): SavedContext {
    const dir = this.contextDir(name);
    let meta: { description?: string; host?: string; tls?: boolean };
    try {
      meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    } catch {
      throw notFound(`context "${name}" does not exist`, { details: { context: name } });
    }
    const read = (f: string) => readFileSync(join(dir, 'tls', f), 'utf8');
    return {
      name,
      description: meta.description ?? '',
      host: meta.host ?? '',
      ...(meta.tls && { tls: { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') } }),
    };
  }

  /** Saves `ctx`. @throws AlreadyExists unless `replace`. */
  save(ctx: SavedContext, replace = false): void {
    const dir = this.contextDir(ctx.name);
    if (!replace && existsSync(join(dir, 'meta.json')))
      throw alreadyExists(`context "${ctx.name}" already exists`, { details: { context: ctx.name } });
    mkdirSync(join(dir, 'tls'), { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const meta = { name: ctx.name, description: ctx.description, host: ctx.host, tls: Boolean(ctx.tls) };
    writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
    for (const [file, pem] of Object.entries({
      'ca.pem': ctx.tls?.ca,
      'cert.pem': ctx.tls?.cert,
      'key.pem': ctx.tls?.key,
    })) {
      const path = join(dir, 'tls', file);
      if (pem === undefined) rmSync(path, { force: true });
      else {
        writeFileSync(path, pem, { mode: 0o600 });
        chmodSync(path, 0o600);
      }
    }
  }

  /** @throws NotFound. */
  remove(name: string): void {
    this.get(name);
    rmSync(this.contextDir(name), { recursive: true, force: true });
    if (this.current() === name) this.setCurrent(DEFAULT_CONTEXT);
  }

  /** The context `tscr context use` chose (`default` when none). */
  current(): string {
    try {
      const cfg = JSON.parse(readFileSync(join(this.dir, 'config.json'), 'utf8')) as { currentContext?: string };
      return cfg.currentContext || DEFAULT_CONTEXT;
    } catch {
      return DEFAULT_CONTEXT;
    }
  }

  /** @throws NotFound for a context that is not saved. */
  setCurrent(name: string): void {
    if (name !== DEFAULT_CONTEXT) this.get(name);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    let cfg: Record<string, unknown> = {};
    try {
      cfg = JSON.parse(readFileSync(join(this.dir, 'config.json'), 'utf8'));
    } catch {
      // no config yet
    }
    cfg.currentContext = name === DEFAULT_CONTEXT ? undefined : name;
    writeFileSync(join(this.dir, 'config.json'), `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  }
}

/** The TLS material of a context as a gRPC client takes it. */
export function contextTls(ctx: SavedContext): ClientTls | undefined {
  return ctx.tls && { ca: ctx.tls.ca, cert: ctx.tls.cert, key: ctx.tls.key };
}

/** Reads `ca.pem`-style files. @throws InvalidArgument naming the unreadable file. */
export function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw invalidArgument(`cannot read ${flag} file ${path}: ${(err as Error).message}`);
  }
}
