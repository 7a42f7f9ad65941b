/**
 * Secrets and configs whose source is an environment variable or inline
 * content: written into the container before it starts (a small tar put at
 * `/`), read-only (mode 0444) at `/run/secrets/NAME` or their target.
 */
import { notFound } from '@tscr/api';
import type { ComposeModel, ServiceConfig } from '../model.js';

/** A file to put into a new container. */
export interface InjectedFile {
  target: string;
  content: string;
}

/** Where a secret or config is mounted. */
export function fileTarget(key: 'secrets' | 'configs', source: string, target?: string): string {
  if (!target) return key === 'secrets' ? `/run/secrets/${source}` : `/${source}`;
  return target.startsWith('/') ? target : `/run/secrets/${target}`;
}

/** The service's secrets and configs that are not files. @throws NotFound for an unset environment variable. */
export function injectedFiles(m: ComposeModel, s: ServiceConfig): InjectedFile[] {
  const out: InjectedFile[] = [];
  for (const key of ['secrets', 'configs'] as const) {
    for (const ref of s[key] ?? []) {
      const obj = m[key][ref.source]!;
      if (obj.file) continue;
      let content = obj.content;
      if (obj.environment !== undefined) {
        content = m.env[obj.environment];
        if (content === undefined) {
          throw notFound(`${key}.${ref.source}: environment variable ${obj.environment} is not set`);
        }
      }
      out.push({ target: fileTarget(key, ref.source, ref.target), content: content ?? '' });
    }
  }
  return out;
}

function header(name: string, size: number, mode: number, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(512);
  const field = (value: string, at: number, len: number) => h.write(value, at, len, 'utf8');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0');
  field(name, 0, 100);
  field(octal(mode, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(size, 12), 124, 12);
  field(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  field('        ', 148, 8);
  field(type, 156, 1);
  field('ustar\u000000', 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  field(`${octal(sum, 7)}\u0000`, 148, 8);
  return h;
}

/** A tar stream (relative to `/`) holding the files and the directories above them. */
export function filesTar(files: InjectedFile[]): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const f of files) {
    const segs = f.target.replace(/^\/+/, '').split('/');
    for (let i = 1; i < segs.length; i++) {
      const d = `${segs.slice(0, i).join('/')}/`;
      if (dirs.has(d)) continue;
      dirs.add(d);
      parts.push(header(d, 0, 0o755, '5'));
    }
    const data = Buffer.from(f.content, 'utf8');
    parts.push(header(segs.join('/'), data.length, 0o444, '0'), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
