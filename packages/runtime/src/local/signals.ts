import { constants } from 'node:os';
import { invalidArgument } from '@tscr/api';

const SIGNALS = constants.signals as Record<string, number>;
const MAX_SIGNAL = 64;

/**
 * Parses a signal as `SIGTERM`, `TERM`, `term` or a number (1–64,
 * realtime signals included) into its number.
 * @throws InvalidArgument for anything else.
 */
export function parseSignal(signal: string): number {
  const s = signal.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= MAX_SIGNAL) return n;
    throw invalidArgument(`invalid signal: ${signal}`);
  }
  const upper = s.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const n = SIGNALS[name];
  if (n === undefined) throw invalidArgument(`invalid signal: ${signal}`);
  return n;
}
