import type { Image } from '@tscr/api';
import { str } from '../args.js';
import { write, type Command } from '../command.js';
import { formatList, humanSize, table } from '../format.js';

/** One row of `tscr system df`, with Docker's `--format` field names. */
export interface DiskUsageRow {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

/** `1.2MB (40%)`, as docker prints reclaimable space. */
function reclaimable(bytes: number, of: number): string {
  return of > 0 ? `${humanSize(bytes)} (${Math.round((bytes / of) * 100)}%)` : humanSize(bytes);
}

/**
 * The rows of `system df` from what the daemon lists. Images in use are those a container (any
 * state) was made from. tscr reports no size for a container's writable layer or a volume's
 * contents, so those sizes read `N/A`, as docker prints sizes it does not know.
 */
export function diskUsageRows(
  images: readonly Image[],
  containers: readonly { imageId: string; state: string }[],
  volumes: readonly { usedBy: string[] }[],
): DiskUsageRow[] {
  const used = new Set(containers.map((c) => c.imageId));
  const total = images.reduce((n, i) => n + i.size, 0);
  const idle = images.filter((i) => !used.has(i.id)).reduce((n, i) => n + i.size, 0);
  const running = containers.filter((c) => c.state === 'running' || c.state === 'paused').length;
  return [
    {
      Type: 'Images',
      TotalCount: String(images.length),
      Active: String(images.filter((i) => used.has(i.id)).length),
      Size: humanSize(total),
      Reclaimable: reclaimable(idle, total),
    },
    {
      Type: 'Containers',
      TotalCount: String(containers.length),
      Active: String(running),
      Size: 'N/A',
      Reclaimable: 'N/A',
    },
    {
      Type: 'Local Volumes',
      TotalCount: String(volumes.length),
      Active: String(volumes.filter((v) => v.usedBy.length > 0).length),
      Size: 'N/A',
      Reclaimable: 'N/A',
    },
    { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
  ];
}

/** `tscr system df`. */
export const systemDfCommand: Command = {
  path: ['system', 'df'],
  usage: '[OPTIONS]',
  summary: 'Show tscr disk usage',
  flags: [
    { name: 'format', type: 'string', description: "Format output: 'table', 'json' or a Go template ({{.Type}})" },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const [images, containers, volumes] = await Promise.all([
      ctx.clients.images().then((s) => s.list()),
      ctx.clients.containers().then((s) => s.list({ all: true })),
      ctx.clients.volumes().then((s) => s.list()),
    ]);
    const rows = diskUsageRows(images, containers, volumes);
    const out = formatList(
      str(flags, 'format'),
      rows,
      (r) => r,
      () =>
        table(
          ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
          rows.map((r) => [r.Type, r.TotalCount, r.Active, r.Size, r.Reclaimable]),
        ),
    );
    await write(ctx.io.stdout, out);
    return 0;
  },
};
