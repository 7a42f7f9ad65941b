import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/local/bundle.js';

describe('processAlive', () => {
  it('is true for a live process with that name only, and false once it has gone', async () => {
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    expect(await processAlive(process.pid, comm)).toBe(true);
    expect(await processAlive(process.pid, `${comm}x`)).toBe(false);
    expect(await processAlive(0, comm)).toBe(false);
    const child = spawn('sleep', ['30']);
    await once(child, 'spawn');
    expect(await processAlive(child.pid!, 'sleep')).toBe(true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(await processAlive(child.pid!, 'sleep')).toBe(false);
  });
});
