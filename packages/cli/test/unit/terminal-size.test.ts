import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Context } from '../../src/command.js';
import { followTerminalSize } from '../../src/commands/attach.js';

describe('followTerminalSize', () => {
  it('sends one resize at a time and ends with the latest size', async () => {
    const stdout = { isTTY: true, columns: 100, rows: 30 };
    const signals = new EventEmitter();
    const ctx = { io: { stdout, signals } } as unknown as Context;
    const sent: string[] = [];
    const pending: (() => void)[] = [];
    let inFlight = 0;
    let most = 0;
    const stop = followTerminalSize(ctx, (s) => {
      sent.push(`${s.height}x${s.width}`);
      inFlight++;
      most = Math.max(most, inFlight);
      return new Promise<void>((res) =>
        pending.push(() => {
          inFlight--;
          res();
        }),
      );
    });
    // `stty rows 40 cols 120`: two signals while the first call is still out.
    stdout.rows = 40;
    signals.emit('SIGWINCH');
    stdout.columns = 120;
    signals.emit('SIGWINCH');
    expect(sent).toEqual(['30x100']);
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((res) => setImmediate(res));
    }
    expect(sent).toEqual(['30x100', '40x120']);
    expect(most).toBe(1);
    stop();
    signals.emit('SIGWINCH');
    expect(sent).toHaveLength(2);
  });
});
