/**
 * Finding legacy (v1) plugins the way dockerd does: a UNIX socket `NAME.sock` or `NAME/NAME.sock` in a socket
 * directory wins; then, directory by directory, `NAME.spec` (one URL), `NAME/NAME.spec`, `NAME.json` and
 * `NAME/NAME.json` (`{"Addr": URL, "TLSConfig": {…}}`) in the spec directories.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { errnoCode, failedPrecondition } from '@tscr/api';
import type { PluginDirs } from '../types.js';

/** TLS settings of a `NAME.json` spec file (dockerd's `TLSConfig`). */
export interface PluginTls {
  /** Skip verifying the plugin's certificate; dockerd sets it when no CA file is given. */
  insecureSkipVerify: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Where one plugin is reached, and how it was found. */
export interface PluginLocation {
  name: string;
  /** `unix:///…`, `tcp://…`, `http://…` or `https://…`. */
  address: string;
  /** The socket or spec file. */
  source: string;
  /** From a `.json` spec that has `TLSConfig`. */
  tls?: PluginTls;
}

const SCHEMES = new Set(['unix:', 'tcp:', 'http:', 'https:']);

function candidates(dir: string, name: string, ext: string): string[] {
  return [join(dir, `${name}${ext}`), join(dir, name, `${name}${ext}`)];
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR' || errnoCode(err) === 'EISDIR') return undefined;
    throw failedPrecondition(`plugin spec ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function checkUrl(addr: string, source: string): string {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw failedPrecondition(`plugin spec ${source}: "${addr}" is not a URL`);
  }
  if (!SCHEMES.has(url.protocol))
    throw failedPrecondition(`plugin spec ${source}: unsupported scheme ${url.protocol} (unix, tcp, http, https)`);
  return addr;
}

/** Reads a spec file. @throws FailedPrecondition for a file that is not a valid spec. */
export function parseSpec(name: string, source: string, text: string): PluginLocation {
  if (source.endsWith('.spec')) return { name, source, address: checkUrl(text.trim(), source) };
  let doc: { Addr?: unknown; TLSConfig?: Record<string, unknown> | null };
  try {
    doc = JSON.parse(text);
  } catch {
    throw failedPrecondition(`plugin spec ${source}: not JSON`);
  }
  if (typeof doc?.Addr !== 'string') throw failedPrecondition(`plugin spec ${source}: no "Addr"`);
  const location: PluginLocation = { name, source, address: checkUrl(doc.Addr, source) };
  const t = doc.TLSConfig;
  if (t && typeof t === 'object') {
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const caFile = str(t.CAFile);
    location.tls = {
      // dockerd: without a CA there is nothing to verify against.
      insecureSkipVerify: t.InsecureSkipVerify === true || caFile === undefined,
      ...(caFile ? { caFile } : {}),
      ...(str(t.CertFile) ? { certFile: str(t.CertFile) } : {}),
      ...(str(t.KeyFile) ? { keyFile: str(t.KeyFile) } : {}),
    };
  }
  return location;
}

/**
 * Finds plugin `name`, or undefined when nothing names it.
 * @throws FailedPrecondition for a spec file that names it but cannot be read or parsed.
 */
export async function findPlugin(name: string, dirs: PluginDirs): Promise<PluginLocation | undefined> {
  for (const dir of dirs.sockets)
    for (const path of candidates(dir, name, '.sock'))
      if (await isSocket(path)) return { name, address: `unix://${path}`, source: path };
  for (const dir of dirs.specs)
    for (const path of [...candidates(dir, name, '.spec'), ...candidates(dir, name, '.json')]) {
      const text = await readText(path);
      if (text !== undefined) return parseSpec(name, path, text);
    }
  return undefined;
}

async function entries(dir: string): Promise<{ path: string; dir: boolean }[]> {
  try {
    const list = await readdir(dir, { withFileTypes: true });
    return list.map((e) => ({ path: join(dir, e.name), dir: e.isDirectory() }));
  } catch {
    return [];
  }
}

/** The names of every plugin in `dirs` (sockets, spec files, and the same one level down), deduplicated, sorted. */
export async function scanPluginNames(dirs: PluginDirs): Promise<string[]> {
  const names = new Set<string>();
  const consider = async (path: string, exts: string[], underDir?: string) => {
    const ext = extname(path);
    if (!exts.includes(ext)) return;
    const name = basename(path, ext);
    // In a subdirectory only NAME/NAME.ext counts, as dockerd.
    if (underDir !== undefined && underDir !== name) return;
    if (ext === '.sock' && !(await isSocket(path))) return;
    names.add(name);
  };
  const walk = async (roots: string[], exts: string[]) => {
    for (const root of roots)
      for (const e of await entries(root)) {
        if (!e.dir) await consider(e.path, exts);
        else for (const sub of await entries(e.path)) if (!sub.dir) await consider(sub.path, exts, basename(e.path));
      }
  };
  await walk(dirs.sockets, ['.sock']);
  await walk(dirs.specs, ['.spec', '.json']);
  return [...names].sort();
}
