import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { errorCode, isTscrError, type ErrorCode } from '@tscr/api';

/**
 * The fuzz harness of tscr's property tests (fast-check). `npm test` runs every
 * property with a fixed seed (derived from its name) and its default number of
 * runs; `npm run fuzz` sets `FUZZ_SEED` (one seed for all) and `FUZZ_RUNS`
 * (a multiplier when it ends in `x`, else runs per property). A failure names
 * the seed and shrink path and how to replay it (`FUZZ_SEED=… FUZZ_PATH=…`).
 * With `FUZZ_REPORT=<file>` each property appends one JSON line
 * `{ name, kind, runs, seed, ok }` and each regression case one
 * `{ regression, kind, found }`, which `scripts/fuzz.mjs` turns into
 * `docs/reliability/fuzz.md`.
 */

/** Options of {@link fuzz}. */
export interface FuzzOptions {
  /** What kind of input this property feeds (groups the report: `dockerfile`, `tar layer`, …). */
  kind: string;
  /** Runs under `npm test`; `FUZZ_RUNS` overrides or multiplies it. */
  runs: number;
  /** Per-run timeout of an async property, in ms (a hang fails the property). Default 10 s. */
  timeoutMs?: number;
}

/** FNV-1a of `s`, so each property has its own fixed seed. */
function nameSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

function runsFor(defaultRuns: number): number {
  const env = process.env.FUZZ_RUNS?.trim();
  if (!env) return defaultRuns;
  if (env.endsWith('x')) return Math.max(1, Math.round(defaultRuns * Number(env.slice(0, -1))));
  return Math.max(1, Number(env));
}

/**
 * A test's timeout for a fuzz property that takes `baseMs` at its `npm test` runs, scaled by
 * `FUZZ_RUNS` (`10x` → ten times; a plain count → ten times, to be safe).
 */
export function fuzzTimeout(baseMs: number): number {
  const env = process.env.FUZZ_RUNS?.trim();
  if (!env) return baseMs;
  const factor = env.endsWith('x') ? Number(env.slice(0, -1)) : 10;
  return Math.max(baseMs, Math.round(baseMs * (Number.isFinite(factor) ? factor : 10)));
}

function record(line: Record<string, unknown>): void {
  const file = process.env.FUZZ_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/**
 * Runs `property` (sync or async) for its runs with its seed, and fails with a
 * message that says how to replay the failing case.
 */
export async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  predicate: (value: T) => unknown,
  options: FuzzOptions,
): Promise<void> {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : nameSeed(name);
  const numRuns = runsFor(options.runs);
  const path = process.env.FUZZ_PATH || undefined;
  const property = fc.asyncProperty(arb, async (v) => {
    await predicate(v);
  });
  const result = await fc.check(property, {
    seed,
    numRuns,
    path,
    timeout: options.timeoutMs ?? 10_000,
    endOnFailure: path !== undefined,
  });
  record({ name, kind: options.kind, runs: result.numRuns, seed, ok: !result.failed });
  if (result.failed) {
    const state = expect.getState();
    const file = relative(process.cwd(), state.testPath ?? '');
    const project = file.includes('/test/integration/') ? 'integration' : 'unit';
    const test = (state.currentTestName ?? name).split(' > ').pop() ?? name;
    const replay = `FUZZ_SEED=${result.seed} FUZZ_PATH=${result.counterexamplePath ?? ''} npx vitest run --project ${project} ${file} -t ${JSON.stringify(test)}`;
    const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
    const message = `fuzz property "${name}" failed (seed ${result.seed}, path ${result.counterexamplePath})\nreplay: ${replay}\n${fc.defaultReportMessage(result)}\nerror: ${cause}`;
    process.stderr.write(
      `FUZZ FAILURE ${name}: seed=${result.seed} path=${result.counterexamplePath}\n  replay: ${replay}\n`,
    );
    throw new Error(message);
  }
}

/**
 * Records a regression case a fuzzer found (kept as a fixed test): `found`
 * says what was wrong, in a sentence that ends up in the fuzz report.
 */
export function regression(kind: string, found: string): void {
  record({ regression: true, kind, found });
}

/**
 * Checks the invariant every parser shares: a thrown value is a TscrError
 * whose code is in `codes` (default InvalidArgument). Rethrows anything else,
 * so the property fails with the original error.
 */
export function expectCode(err: unknown, codes: ErrorCode[] = ['InvalidArgument']): void {
  if (isTscrError(err) && codes.includes(err.code)) return;
  const what = isTscrError(err) ? `TscrError ${errorCode(err)}: ${err.message}` : String(err);
  throw new Error(`expected a TscrError with code ${codes.join('/')}, got ${what}`, { cause: err });
}

/** Calls `fn`; a throw must pass {@link expectCode}. Returns the value or undefined. */
export function parsesOrRefuses<T>(fn: () => T, codes?: ErrorCode[]): T | undefined {
  try {
    return fn();
  } catch (err) {
    expectCode(err, codes);
    return undefined;
  }
}

/** Async {@link parsesOrRefuses}. */
export async function resolvesOrRefuses<T>(fn: () => Promise<T>, codes?: ErrorCode[]): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    expectCode(err, codes);
    return undefined;
  }
}

/** Strings made of `tokens` (joined as they come): grammar-shaped noise for a parser. */
export function tokenString(tokens: string[], maxLength = 40): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 4 })), { maxLength })
    .map((a) => a.join(''));
}

export { fc };
