import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import type { TaskStats } from '../types.js';
import { rfc3339Nano } from './exits.js';
import { type CgroupPaths, cgroupPids, parseKeyValues, readCgroupFile } from './cgroups.js';

/** Nanoseconds per clock tick (USER_HZ is 100 on Linux). */
const NS_PER_TICK = 10_000_000;
/** v1 writes this (rounded to the page size) when there is no memory limit. */
const V1_UNLIMITED = 2 ** 62;

function num(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t && /^\d+$/.test(t) ? Number(t) : undefined;
}

/** Received and sent bytes over every interface but loopback, from /proc/<pid>/net/dev text. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

/** Read and written bytes from v1 `blkio.throttle.io_service_bytes` text. */
export function parseBlkioV1(text: string | undefined): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of (text ?? '').split('\n')) {
    const [, op, v] = line.trim().split(/\s+/);
    if (op === 'Read') read += Number(v) || 0;
    else if (op === 'Write') write += Number(v) || 0;
  }
  return { read, write };
}

/** Read and written bytes from v2 `io.stat` text. */
export function parseIoStatV2(text: string | undefined): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const m of (text ?? '').matchAll(/\b(rbytes|wbytes)=(\d+)/g)) {
    if (m[1] === 'rbytes') read += Number(m[2]);
    else write += Number(m[2]);
  }
  return { read, write };
}

/** The host's CPU time over all CPUs (µs) and the number of CPUs, from /proc/stat text. */
export function parseProcStat(text: string): { systemCpuUs: number; onlineCpus: number } {
  const lines = text.split('\n');
  const total = (lines[0] ?? '')
    .split(/\s+/)
    .slice(1, 8)
    .reduce((a, v) => a + (Number(v) || 0), 0);
  return { systemCpuUs: (total * NS_PER_TICK) / 1000, onlineCpus: lines.filter((l) => /^cpu\d+ /.test(l)).length || 1 };
}

/** One sample of the task whose init is `pid`, in cgroups `paths`. */
export async function readTaskStats(pid: number, paths: CgroupPaths): Promise<TaskStats> {
  const v2 = paths.v2;
  const mem = v2 ?? paths.v1.get('memory');
  const [procStat, netDev, pids] = await Promise.all([
    readFile('/proc/stat', 'utf8'),
    readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => ''),
    cgroupPids(paths),
  ]);
  const memStat = parseKeyValues(await readCgroupFile(mem, 'memory.stat'));
  let usage: number;
  let limit: number | undefined;
  let cpuNs: number;
  let blk: { read: number; write: number };
  if (v2) {
    usage = (num(await readCgroupFile(v2, 'memory.current')) ?? 0) - (memStat.get('inactive_file') ?? 0);
    limit = num(await readCgroupFile(v2, 'memory.max'));
    cpuNs = (parseKeyValues(await readCgroupFile(v2, 'cpu.stat')).get('usage_usec') ?? 0) * 1000;
    blk = parseIoStatV2(await readCgroupFile(v2, 'io.stat'));
  } else {
    usage = (num(await readCgroupFile(mem, 'memory.usage_in_bytes')) ?? 0) - (memStat.get('total_inactive_file') ?? 0);
    limit = num(await readCgroupFile(mem, 'memory.limit_in_bytes'));
    if (limit !== undefined && limit >= V1_UNLIMITED) limit = undefined;
    cpuNs = num(await readCgroupFile(paths.v1.get('cpuacct'), 'cpuacct.usage')) ?? 0;
    blk = parseBlkioV1(await readCgroupFile(paths.v1.get('blkio'), 'blkio.throttle.io_service_bytes'));
  }
  const host = parseProcStat(procStat);
  const net = parseNetDev(netDev);
  return {
    read: rfc3339Nano(BigInt(Date.now()) * 1_000_000n),
    cpuTotalNs: cpuNs,
    systemCpuUs: host.systemCpuUs,
    onlineCpus: host.onlineCpus,
    memoryUsage: Math.max(0, usage),
    memoryLimit: Math.min(limit ?? totalmem(), totalmem()),
    pids: num(await readCgroupFile(v2 ?? paths.v1.get('pids'), 'pids.current')) ?? pids.length,
    netRxBytes: net.rx,
    netTxBytes: net.tx,
    blockReadBytes: blk.read,
    blockWriteBytes: blk.write,
  };
}
