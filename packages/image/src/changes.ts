/**
 * Dockerfile-like `--change` instructions over an image config, shared by
 * `tscr import/commit -c` and the Docker API's `changes` (import and commit).
 */
import { invalidArgument, type ImageConfig } from '@tscr/api';

/** `["a", "b"]` (JSON form) or shell form, which runs under `/bin/sh -c`. */
function commandForm(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(t);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
    } catch {
      // Not JSON: docker falls back to the shell form.
    }
  }
  return ['/bin/sh', '-c', t];
}

/** Splits `K=V K2="v 2"` into pairs; the legacy `ENV K some value` form is one pair. */
function pairs(rest: string, instruction: string): [string, string][] {
  const t = rest.trim();
  const firstWord = t.split(/\s+/, 1)[0] ?? '';
  if (!firstWord.includes('=')) {
    const space = t.search(/\s/);
    if (space < 0) throw invalidArgument(`${instruction} needs a value: ${instruction} ${t}`);
    return [[t.slice(0, space), t.slice(space).trim()]];
  }
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of t.matchAll(re)) {
    let v = m[2]!;
    if (v.startsWith('"')) v = JSON.parse(v) as string;
    else if (v.startsWith("'")) v = v.slice(1, -1);
    out.push([m[1]!, v]);
  }
  return out;
}

function words(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) return commandForm(t);
  return t.split(/\s+/).filter((w) => w !== '');
}

/**
 * Applies `docker import/commit --change` instructions (`CMD`, `ENTRYPOINT`, `ENV`,
 * `WORKDIR`, `USER`, `LABEL`, `EXPOSE`, `VOLUME`, `STOPSIGNAL`, `ONBUILD`) to `config`.
 * @throws TscrError InvalidArgument for an unknown instruction or an ONBUILD without a trigger.
 */
export function applyImageChanges(changes: readonly string[], config: ImageConfig = {}): ImageConfig {
  const c: ImageConfig = { ...config };
  for (const change of changes) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(change);
    if (!m) throw invalidArgument(`invalid change: ${JSON.stringify(change)}`);
    const instruction = m[1]!.toUpperCase();
    const rest = m[2]!;
    switch (instruction) {
      case 'CMD':
        c.cmd = commandForm(rest);
        break;
      case 'ENTRYPOINT':
        c.entrypoint = commandForm(rest);
        break;
      case 'ENV': {
        const env = [...(c.env ?? [])];
        for (const [k, v] of pairs(rest, 'ENV')) {
          const at = env.findIndex((e) => e.startsWith(`${k}=`));
          if (at >= 0) env[at] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.env = env;
        break;
      }
      case 'LABEL':
        c.labels = { ...(c.labels ?? {}), ...Object.fromEntries(pairs(rest, 'LABEL')) };
        break;
      case 'WORKDIR':
        c.workingDir = rest.trim();
        break;
      case 'USER':
        c.user = rest.trim();
        break;
      case 'STOPSIGNAL':
        c.stopSignal = rest.trim();
        break;
      case 'EXPOSE':
        c.exposedPorts = [...(c.exposedPorts ?? []), ...words(rest).map((p) => (p.includes('/') ? p : `${p}/tcp`))];
        break;
      case 'VOLUME':
        c.volumes = [...(c.volumes ?? []), ...words(rest)];
        break;
      case 'ONBUILD': {
        const trigger = rest.trim();
        if (trigger === '' || /^(ONBUILD|FROM|MAINTAINER)\b/i.test(trigger)) {
          throw invalidArgument(`invalid ONBUILD trigger: ${JSON.stringify(trigger)}`);
        }
        c.onBuild = [...(c.onBuild ?? []), trigger];
        break;
      }
      default:
        throw invalidArgument(`${instruction} is not a valid change command`);
    }
  }
  return c;
}
