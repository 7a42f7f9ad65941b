import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TRACE_ENV, type TraceSpan, flushTrace, traceSince, traced, tracing } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';

describe('step timing (TSCR_TRACE)', () => {
  let dir = '';
  afterAll(async () => {
    delete process.env[TRACE_ENV];
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('appends one JSON line per timed step, failed steps included, to the file the variable names', async () => {
    dir = await makeTempDir('trace');
    const file = join(dir, 'trace.jsonl');
    process.env[TRACE_ENV] = file; // read once, at the first timed step of the process
    expect(tracing()).toBe(true);
    expect(await traced('unit.ok', 'c1', async () => 7)).toBe(7);
    await expect(traced('unit.fails', 'c1', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    traceSince('unit.mark', '', performance.now() - 5);
    flushTrace();
    const spans = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TraceSpan);
    expect(spans.map((s) => [s.step, s.id])).toEqual([
      ['unit.ok', 'c1'],
      ['unit.fails', 'c1'],
      ['unit.mark', ''],
    ]);
    expect(spans[2]!.ms).toBeGreaterThanOrEqual(5);
    expect(spans.every((s) => s.at > 0)).toBe(true);
  });
});
