/**
 * `TSCR_STARTUP_TRACE=1`: where a `tscr` run's wall-clock time went. The bin
 * installs a global `__tscrMark(name)`; the CLI marks its phases with
 * {@link mark} (a no-op unless tracing); at exit the phases go to stderr with
 * Node's own bootstrap milestones, as milliseconds since the process started.
 * Only node builtins here: the bin loads this before the bundle.
 */

interface Marks {
  __tscrMark?: (name: string) => void;
}

/** Records that `name` happened now (nothing unless the bin started a trace). */
export function mark(name: string): void {
  (globalThis as Marks).__tscrMark?.(name);
}

/** Milliseconds on `process.hrtime`'s clock. */
function hrNow(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/**
 * Starts recording marks and prints them, one line per phase, when the process exits. Marks are taken on
 * `process.hrtime` (the global `performance` loads `perf_hooks` on first use, which would weigh on the phase it
 * fell in) and put on `performance`'s clock, which starts with the process, at exit.
 */
export function startTrace(): void {
  const marks: [string, number][] = [];
  (globalThis as Marks).__tscrMark = (name) => marks.push([name, hrNow()]);
  process.once('exit', () => {
    const offset = performance.now() - hrNow();
    for (const m of marks) m[1] += offset;
    const t = performance.nodeTiming;
    const rows: [string, number][] = [
      ['node: V8 started', t.v8Start],
      ['node: environment ready', t.environment],
      ['node: bootstrap complete', t.bootstrapComplete],
      ...marks,
      ['exit', performance.now()],
    ];
    let prev = 0;
    const lines = rows.map(([name, at]) => {
      const line = `${at.toFixed(1).padStart(7)} ms  +${(at - prev).toFixed(1).padStart(5)}  ${name}`;
      prev = at;
      return line;
    });
    process.stderr.write(`tscr start-up trace (ms since process start):\n${lines.join('\n')}\n`);
  });
}
