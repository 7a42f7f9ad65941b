import { expect, it } from 'vitest';
import { counted } from '../../src/distribution/progress.js';

const MiB = 1 << 20;

/** Runs `chunks` (sizes) through {@link counted}, the clock moving `msPerChunk` per chunk; returns the reports. */
async function reports(chunks: number[], msPerChunk: number): Promise<{ bytes: number; reports: number[] }> {
  let t = 0;
  const got: number[] = [];
  async function* source() {
    for (const size of chunks) {
      t += msPerChunk;
      yield new Uint8Array(size);
    }
  }
  const passed = counted(
    source(),
    (n) => got.push(n),
    MiB,
    100,
    () => t,
  );
  let bytes = 0;
  for await (const c of passed) bytes += c.byteLength;
  return { bytes, reports: got };
}

it('reports a fast download at most every 100 ms, not every MiB (docker rate-limits the same way)', async () => {
  // 120 MiB in 1 MiB chunks, 10 ms each: 1.2 s, so 12 reports, not 120.
  const r = await reports(Array(120).fill(MiB), 10);
  expect(r.bytes).toBe(120 * MiB);
  expect(r.reports).toHaveLength(12);
  expect(r.reports[0]).toBe(MiB);
  expect(r.reports[1]).toBe(11 * MiB);
});

it('reports a slow download at most once per MiB moved, whatever the time', async () => {
  // 64 KiB chunks, a second each: one report per 16 chunks.
  const r = await reports(Array(64).fill(64 << 10), 1000);
  expect(r.reports).toEqual([1, 2, 3, 4].map((k) => k * MiB));
});

it('passes every byte through, in order, with no report for less than a MiB', async () => {
  const r = await reports([100, 200, 300], 1000);
  expect(r.bytes).toBe(600);
  expect(r.reports).toEqual([]);
});
