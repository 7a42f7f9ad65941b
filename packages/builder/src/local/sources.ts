import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { invalidArgument, notFound } from '@tscr/api';
import type { DockerIgnore } from './dockerignore.js';

/** One selected COPY/ADD source. */
export interface Source {
  /** Absolute path on the host. */
  abs: string;
  /** Path relative to the source root (`/`-separated). */
  rel: string;
  isDir: boolean;
}

/** Where COPY sources are read from. */
export interface SourceRoot {
  /** Host directory (the spooled context, or a mounted stage/image). */
  dir: string;
  /** Context rules; none for stages and images. */
  ignore?: DockerIgnore;
  /** `build context`, `stage x`, for messages. */
  what: string;
}

const WILDCARD = /[*?[]/;

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const cls = seg.slice(i + 1, end);
        re += `[${cls.startsWith('!') ? `^${cls.slice(1)}` : cls}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < seg.length) re += `\\${seg[++i]}`;
    else re += /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}

async function isDir(abs: string): Promise<boolean | undefined> {
  try {
    return (await lstat(abs)).isDirectory();
  } catch {
    return undefined;
  }
}

/**
 * The sources `pattern` selects under `root`: a path, or a path with
 * wildcards (`*`, `?`, `[…]`) in any segment. Ignored context paths are
 * left out. @throws InvalidArgument for a path outside the root; NotFound
 * when nothing matches.
 */
export async function selectSources(root: SourceRoot, pattern: string): Promise<Source[]> {
  const cleaned = posix.normalize(pattern.replace(/^\/+/, '') || '.');
  if (cleaned === '..' || cleaned.startsWith('../')) {
    throw invalidArgument(`COPY source ${pattern} is outside the ${root.what}`, { details: { source: pattern } });
  }
  const segments = cleaned === '.' ? [] : cleaned.split('/');
  let found: string[] = [''];
  for (const seg of segments) {
    const next: string[] = [];
    for (const base of found) {
      if (!WILDCARD.test(seg)) {
        next.push(base ? `${base}/${seg}` : seg);
        continue;
      }
      const re = segmentRegex(seg);
      let names: string[] = [];
      try {
        names = await readdir(join(root.dir, base));
      } catch {
        names = [];
      }
      for (const n of names.sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
    }
    found = next;
  }
  const out: Source[] = [];
  for (const rel of found) {
    if (rel !== '' && root.ignore?.ignores(rel)) continue;
    const dir = await isDir(join(root.dir, rel));
    if (dir === undefined) continue;
    out.push({ abs: join(root.dir, rel), rel, isDir: dir });
  }
  if (out.length === 0) {
    throw notFound(`COPY failed: file not found in ${root.what}: ${pattern}`, { details: { source: pattern } });
  }
  return out;
}

/** Calls `fn` for every entry under a source (itself first, then sorted children), skipping ignored paths. */
export async function walkSource(
  root: SourceRoot,
  src: Source,
  fn: (abs: string, relToSource: string, relToRoot: string) => Promise<void>,
): Promise<void> {
  const visit = async (abs: string, relSrc: string, relRoot: string): Promise<void> => {
    await fn(abs, relSrc, relRoot);
    if (!(await isDir(abs))) return;
    for (const name of (await readdir(abs)).sort()) {
      const childRoot = relRoot ? `${relRoot}/${name}` : name;
      if (root.ignore?.ignores(childRoot)) continue;
      await visit(join(abs, name), relSrc ? `${relSrc}/${name}` : name, childRoot);
    }
  };
  await visit(src.abs, '', src.rel);
}

/** A digest of what the sources hold: names, types, modes, link targets and bytes. */
export async function hashSources(root: SourceRoot, sources: Source[]): Promise<string> {
  const h = createHash('sha256');
  for (const src of sources) {
    h.update(`source ${src.rel}\0`);
    await walkSource(root, src, async (abs, relSrc) => {
      const st = await lstat(abs);
      h.update(`${relSrc}\0${st.mode.toString(8)}\0${st.uid}:${st.gid}\0${st.size}\0`);
      if (st.isSymbolicLink()) h.update(`-> ${await readlink(abs)}\0`);
      else if (st.isFile()) {
        for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
      }
    });
  }
  return `sha256:${h.digest('hex')}`;
}
