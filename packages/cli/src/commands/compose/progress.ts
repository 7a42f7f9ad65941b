/**
 * Compose's progress display: one line per resource with its state and
 * elapsed time, redrawn in place on a terminal (`[+] Running 3/4`), plain
 * lines otherwise (` Container p-web-1  Started`), on stderr.
 */
import type { ProgressEvent, ProgressSink } from '@tscr/compose';

interface Row {
  e: ProgressEvent;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A progress sink writing to `out`; `finish()` draws the last frame. */
export function progressPrinter(
  out: NodeJS.WritableStream,
  tty: boolean,
  title = 'Running',
): { sink: ProgressSink; finish(): void } {
  if (!tty) {
    return {
      sink: (e) => {
        out.write(` ${e.kind} ${e.name}  ${e.state}${e.text ? ` ${e.text}` : ''}\n`);
      },
      finish() {},
    };
  }
  const rows = new Map<string, Row>();
  let drawn = 0;
  let frame = 0;
  const draw = () => {
    const list = [...rows.values()];
    const done = list.filter((r) => r.e.done).length;
    const width = Math.max(0, ...list.map((r) => `${r.e.kind} ${r.e.name}`.length));
    const lines = [`[+] ${title} ${done}/${list.length}`];
    const spin = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[frame++ % 10];
    for (const { e } of list) {
      const mark = e.state === 'Error' ? '✘' : e.done ? '✔' : spin;
      const label = `${e.kind} ${e.name}`.padEnd(width);
      const state = `${e.state}${e.text && e.state === 'Error' ? ` ${e.text}` : ''}`;
      lines.push(` ${mark} ${label}  ${state.padEnd(10)} ${seconds(e.elapsedMs).padStart(6)}`);
    }
    out.write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
    drawn = lines.length;
  };
  return {
    sink: (e) => {
      rows.set(`${e.kind} ${e.name}`, { e });
      draw();
    },
    finish() {
      if (rows.size) draw();
    },
  };
}
