import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { Writable } from 'node:stream';
import { failedPrecondition, invalidArgument } from '@tscr/api';
import type { TerminalSize } from '../types.js';

/** The relay's argv for a TTY exec: it listens on `socket` and runs `runtime args…`. */
export function consoleRelayArgs(socket: string, runtime: string, args: string[]): string[] {
  return ['console', socket, runtime, ...args];
}

/** Validates a terminal size (1–65535 cells each way). @throws InvalidArgument. */
export function checkSize(size: TerminalSize): void {
  const ok = (n: number) => Number.isInteger(n) && n > 0 && n <= 0xffff;
  if (!ok(size.width) || !ok(size.height)) {
    throw invalidArgument(`invalid terminal size ${size.height}x${size.width}`);
  }
}

/** Sends a resize to the console relay's control pipe: `HEIGHT WIDTH\n`. */
export function writeResize(control: Writable, size: TerminalSize): Promise<void> {
  checkSize(size);
  return new Promise((resolve, reject) =>
    control.write(`${size.height} ${size.width}\n`, (err) => (err ? reject(err) : resolve())),
  );
}

/**
 * Resizes a task's console through its conmon's control fifo
 * (`<bundle>/ctl`, message `1 HEIGHT WIDTH\n`).
 * @throws FailedPrecondition when the monitor does not listen (the task is not running).
 */
export async function resizeThroughMonitor(ctlFifo: string, size: TerminalSize): Promise<void> {
  checkSize(size);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(ctlFifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw failedPrecondition('the container is not running', { cause: err });
  }
  try {
    await fh.write(`1 ${size.height} ${size.width}\n`);
  } finally {
    await fh.close();
  }
}
