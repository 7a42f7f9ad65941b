import type { Progress } from '@tscr/registry-client';
import { write } from '../command.js';
import { humanSize } from '../format.js';

/** How {@link showProgress} draws. */
export interface ProgressView {
  /** Redraw one line per layer with ANSI cursor moves (a terminal); else print one line per state change. */
  tty: boolean;
  /** Print nothing (the caller prints the result). */
  quiet: boolean;
}

/** What a pull or push stream said, once it ended. */
export interface ProgressSummary {
  /** From the `Digest: sha256:…` report of a pull. */
  digest?: string;
}

const BAR_WIDTH = 50;

/** `sha256:abcdef…` → `abcdef012345`, as docker names layers. */
function layerId(id: string): string | undefined {
  const m = /^sha256:([0-9a-f]{12})/.exec(id);
  return m?.[1];
}

function bar(current: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.floor((current / total) * BAR_WIDTH)) : 0;
  const arrow = filled === 0 ? '' : `${'='.repeat(filled - 1)}>`;
  return `[${arrow}${' '.repeat(BAR_WIDTH - filled)}]  ${humanSize(current)}/${humanSize(total)}`;
}

/** Statuses that carry byte counts: redrawn on a terminal, not printed otherwise. */
const MOVING = new Set(['Downloading', 'Pushing']);

/**
 * Prints a pull's or push's progress as docker does: per-layer lines
 * (`a1b2c3d4e5f6: Pull complete`), redrawn in place with progress bars on a
 * terminal. Layers finish with `Pull complete` once the daemon has stored
 * them (a stored layer is unpacked already). Resolves when the stream ends;
 * rethrows its error.
 */
export async function showProgress(
  out: NodeJS.WritableStream,
  reports: AsyncIterable<Progress>,
  view: ProgressView,
): Promise<ProgressSummary> {
  const summary: ProgressSummary = {};
  const order: string[] = [];
  const shown = new Map<string, string>();
  const print = (text: string) => (view.quiet ? Promise.resolve() : write(out, text));

  const layerLine = async (id: string, text: string) => {
    if (shown.get(id) === text) return;
    const index = order.indexOf(id);
    shown.set(id, text);
    if (!view.tty || index < 0) {
      if (index < 0) order.push(id);
      await print(`${id}: ${text}\n`);
      return;
    }
    const up = order.length - index;
    await print(`\x1b[${up}A\r\x1b[2K${id}: ${text}\x1b[${up}B\r`);
  };

  for await (const p of reports) {
    const id = layerId(p.id);
    if (id === undefined) {
      if (p.status.startsWith('Digest: ')) summary.digest = p.status.slice('Digest: '.length);
      if (p.status.startsWith('Downloaded image for ')) continue;
      await print(p.status.startsWith('Pulling from ') ? `${p.id}: ${p.status}\n` : `${p.status}\n`);
      continue;
    }
    if (MOVING.has(p.status)) {
      if (view.tty && p.total) await layerLine(id, `${p.status.padEnd(12)}${bar(p.current ?? 0, p.total)}`);
      else if (!view.tty) await layerLine(id, p.status);
      continue;
    }
    if (p.status === 'Download complete') {
      if (!view.tty) await layerLine(id, 'Download complete');
      await layerLine(id, 'Pull complete');
      continue;
    }
    await layerLine(id, p.status);
  }
  return summary;
}
