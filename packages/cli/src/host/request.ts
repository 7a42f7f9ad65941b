/** The request frame's JSON (docs/cli-host.md): what one `tscr` run asks the host to do. */
import { invalidArgument } from '@tscr/api';

/** One run of the `tscr` bin, as its client saw it. */
export interface HostRequest {
  /** The arguments after the bin's name. */
  argv: string[];
  /** The client's whole environment. */
  env: Record<string, string>;
  /** The client's working directory (absolute). */
  cwd: string;
  /** Whether stdin, stdout, stderr are terminals. */
  tty: [boolean, boolean, boolean];
  /** The terminal's size (of stdout, else stderr); 0 when neither is a terminal. */
  cols: number;
  rows: number;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 65536;

/** The request in an `R` frame's payload. @throws InvalidArgument for anything but a version-1 request. */
export function parseRequest(payload: Uint8Array): HostRequest {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw invalidArgument('the request is not JSON');
  }
  if (raw === null || typeof raw !== 'object' || raw.v !== 1) throw invalidArgument('the request is not version 1');
  const { argv, env, cwd, tty, cols, rows } = raw;
  if (!isStringArray(argv)) throw invalidArgument('request.argv must be an array of strings');
  if (env === null || typeof env !== 'object' || Array.isArray(env))
    throw invalidArgument('request.env must be an object');
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
    if (typeof value !== 'string') throw invalidArgument(`request.env.${name} must be a string`);
    vars[name] = value;
  }
  if (typeof cwd !== 'string' || !cwd.startsWith('/')) throw invalidArgument('request.cwd must be an absolute path');
  if (!Array.isArray(tty) || tty.length !== 3 || !tty.every((t) => typeof t === 'boolean'))
    throw invalidArgument('request.tty must be three booleans');
  if (!isCount(cols) || !isCount(rows)) throw invalidArgument('request.cols and request.rows must be small integers');
  return { argv, env: vars, cwd, tty: tty as [boolean, boolean, boolean], cols, rows };
}
