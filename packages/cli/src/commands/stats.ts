import type { ContainerStats } from '@tscr/api';
import { isCancelled, isFailedPrecondition } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import { bool, str } from '../args.js';
import { write, type Command } from '../command.js';
import { binarySize, humanSize, renderTemplate, shortId, table } from '../format.js';

const HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

/** The fields `--format` templates see, with docker's names. */
export function statsRow(s: ContainerStats, noTrunc = false) {
  return {
    ID: noTrunc ? s.id : shortId(s.id),
    Container: noTrunc ? s.id : shortId(s.id),
    Name: s.name,
    CPUPerc: `${s.cpuPercent.toFixed(2)}%`,
    MemUsage: `${binarySize(s.memoryUsage)} / ${binarySize(s.memoryLimit)}`,
    MemPerc: `${s.memoryPercent.toFixed(2)}%`,
    NetIO: `${humanSize(s.netRxBytes)} / ${humanSize(s.netTxBytes)}`,
    BlockIO: `${humanSize(s.blockReadBytes)} / ${humanSize(s.blockWriteBytes)}`,
    PIDs: String(s.pids),
  };
}

function render(rows: ContainerStats[], format: string | undefined, noTrunc: boolean): string {
  const fields = rows.map((r) => statsRow(r, noTrunc));
  if (format && format !== 'table') {
    const tpl = format.replace(/^table\s+/, '');
    return fields.map((f) => `${renderTemplate(tpl, f)}\n`).join('');
  }
  return table(
    HEADER,
    fields.map((f) => [f.ID, f.Name, f.CPUPerc, f.MemUsage, f.MemPerc, f.NetIO, f.BlockIO, f.PIDs]),
  );
}

async function targets(containers: ContainerService, args: string[], all: boolean): Promise<string[]> {
  if (args.length > 0) return args;
  return (await containers.list({ all })).filter((c) => c.state === 'running').map((c) => c.id);
}

async function oneShot(containers: ContainerService, id: string): Promise<ContainerStats | undefined> {
  try {
    for await (const s of containers.stats(id, { stream: false })) return s;
  } catch (err) {
    if (isFailedPrecondition(err)) return undefined; // stopped: no row, as docker shows none
    throw err;
  }
  return undefined;
}

/** `tscr stats`. */
export const statsCommand: Command = {
  path: ['stats'],
  aliases: [['container', 'stats']],
  usage: '[OPTIONS] [CONTAINER...]',
  summary: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'no-stream', type: 'bool', description: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
  ],
  async run(ctx, flags, args) {
    const containers = await ctx.clients.containers();
    const ids = await targets(containers, args, bool(flags, 'all'));
    const format = str(flags, 'format');
    const noTrunc = bool(flags, 'no-trunc');
    if (bool(flags, 'no-stream')) {
      const rows = await Promise.all(ids.map((id) => oneShot(containers, id)));
      await write(
        ctx.io.stdout,
        render(
          rows.filter((r): r is ContainerStats => r !== undefined),
          format,
          noTrunc,
        ),
      );
      return 0;
    }
    const abort = new AbortController();
    const stop = () => abort.abort();
    ctx.io.signals?.on('SIGINT', stop);
    ctx.io.signals?.on('SIGTERM', stop);
    const latest = new Map<string, ContainerStats>();
    let failure: unknown;
    const readers = ids.map(async (id) => {
      try {
        for await (const s of containers.stats(id, { signal: abort.signal })) latest.set(id, s);
      } catch (err) {
        if (!isCancelled(err) && !isFailedPrecondition(err)) failure ??= err;
      }
      latest.delete(id);
    });
    const done = Promise.all(readers);
    const isTty = Boolean((ctx.io.stdout as { isTTY?: boolean }).isTTY);
    try {
      for (;;) {
        const finished = await Promise.race([
          done.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), 1000)),
        ]);
        if (failure) throw failure;
        const rows = ids.map((id) => latest.get(id)).filter((r): r is ContainerStats => r !== undefined);
        if (rows.length > 0 || !finished) {
          await write(ctx.io.stdout, `${isTty ? '\x1b[2J\x1b[H' : ''}${render(rows, format, noTrunc)}`);
        }
        if (finished || abort.signal.aborted) return 0;
      }
    } finally {
      abort.abort();
      ctx.io.signals?.off('SIGINT', stop);
      ctx.io.signals?.off('SIGTERM', stop);
      await done;
    }
  },
};
