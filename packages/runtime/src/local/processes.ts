import { readFile } from 'node:fs/promises';
import type { ProcessInfo } from '../types.js';

/** Nanoseconds per clock tick (USER_HZ is 100 on Linux). */
const NS_PER_TICK = 10_000_000;

/** The fields of /proc/<pid>/stat tscr reads. */
export interface ProcStat {
  comm: string;
  ppid: number;
  ttyNr: number;
  /** utime + stime, ticks. */
  cpuTicks: number;
  /** Since boot, ticks. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat text (the command name may contain spaces and parentheses). */
export function parseProcPidStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): field n is f[n - 3].
  return {
    comm: text.slice(open + 1, close),
    ppid: Number(f[1]),
    ttyNr: Number(f[4]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTicks: Number(f[19]),
  };
}

/** `pts/3`, `tty1`, or `?` from a tty_nr. */
export function ttyName(ttyNr: number): string {
  if (!ttyNr) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4 && minor < 64) return `tty${minor}`;
  return '?';
}

/** The boot time in seconds since the epoch (`btime` of /proc/stat). */
export async function bootTime(): Promise<number> {
  const m = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Reads one process; undefined when it has gone meanwhile. */
export async function readProcess(pid: number, btime: number): Promise<ProcessInfo | undefined> {
  try {
    const [stat, status, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`),
    ]);
    const s = parseProcPidStat(stat);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const args = cmdline.toString('utf8').split('\0');
    if (args.at(-1) === '') args.pop();
    return {
      pid,
      ppid: s.ppid,
      uid,
      startMs: btime * 1000 + (s.startTicks * NS_PER_TICK) / 1e6,
      cpuNs: s.cpuTicks * NS_PER_TICK,
      tty: ttyName(s.ttyNr),
      args,
      comm: s.comm,
    };
  } catch {
    return undefined;
  }
}

/** The processes `pids`, in PID order, skipping ones that have exited. */
export async function readProcesses(pids: number[]): Promise<ProcessInfo[]> {
  const btime = await bootTime();
  const all = await Promise.all([...pids].sort((a, b) => a - b).map((p) => readProcess(p, btime)));
  return all.filter((p): p is ProcessInfo => p !== undefined);
}
