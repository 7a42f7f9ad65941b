import type { ContainerTop } from '@tscr/api';
import { invalidArgument } from '@tscr/api';
import type { ProcessInfo } from '@tscr/runtime';

function hhmm(ms: number, now: number): string {
  const d = new Date(ms);
  if (now - d.getTime() < 24 * 3600 * 1000) {
    return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  }
  return d.toUTCString().slice(8, 11) + String(d.getUTCDate()).padStart(2, '0');
}

function cpuTime(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function cmd(p: ProcessInfo): string {
  return p.args.length > 0 ? p.args.join(' ') : `[${p.comm}]`;
}

/** The columns `top` knows, by ps's names. */
const COLUMNS: Record<string, [title: string, value: (p: ProcessInfo, now: number) => string]> = {
  uid: ['UID', (p) => String(p.uid)],
  user: ['USER', (p) => String(p.uid)],
  pid: ['PID', (p) => String(p.pid)],
  ppid: ['PPID', (p) => String(p.ppid)],
  c: [
    'C',
    (p, now) => {
      const elapsed = (now - p.startMs) / 1000;
      return String(elapsed > 0 ? Math.min(99, Math.floor((p.cpuNs / 1e9 / elapsed) * 100)) : 0);
    },
  ],
  stime: ['STIME', (p, now) => hhmm(p.startMs, now)],
  tty: ['TTY', (p) => p.tty],
  time: ['TIME', (p) => cpuTime(p.cpuNs)],
  cmd: ['CMD', cmd],
  args: ['COMMAND', cmd],
  comm: ['COMMAND', (p) => p.comm],
};

const DEFAULT = ['uid', 'pid', 'ppid', 'c', 'stime', 'tty', 'time', 'cmd'];

/**
 * Formats processes like `ps`: `-ef` (the default: UID PID PPID C STIME TTY
 * TIME CMD), `aux`-like `-e`, or `-o col,col` with the columns above.
 * @throws InvalidArgument for options it does not know.
 */
export function psTable(processes: ProcessInfo[], psArgs: string[] = [], now = Date.now()): ContainerTop {
  let columns = DEFAULT;
  for (let i = 0; i < psArgs.length; i++) {
    const a = psArgs[i]!;
    if (a === '-o' || a === 'o') {
      const spec = psArgs[++i];
      if (!spec) throw invalidArgument('ps: -o needs a column list');
      columns = spec.split(',').map((c) => c.trim().toLowerCase());
    } else if (a.startsWith('-o')) {
      columns = a
        .slice(2)
        .split(',')
        .map((c) => c.trim().toLowerCase());
    } else if (!/^-?[efAaux]+$/.test(a)) {
      throw invalidArgument(`ps: unsupported option ${JSON.stringify(a)} (supported: -e, -f, -A, aux, -o cols)`);
    }
  }
  for (const c of columns) {
    if (!COLUMNS[c]) throw invalidArgument(`ps: unknown column ${JSON.stringify(c)}`);
  }
  return {
    titles: columns.map((c) => COLUMNS[c]![0]),
    processes: processes.map((p) => columns.map((c) => COLUMNS[c]![1](p, now))),
  };
}
