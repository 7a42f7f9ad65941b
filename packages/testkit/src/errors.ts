import { isTscrError, type TscrError } from '@tscr/api';

/**
 * Awaits `p`, which must fail with a TscrError, and returns that error so a
 * test can look at its code and details. Fails the test when `p` resolves or
 * rejects with anything else.
 */
export async function rejection(p: Promise<unknown>): Promise<TscrError> {
  try {
    await p;
  } catch (err) {
    if (isTscrError(err)) return err;
    throw new Error(`expected a TscrError, got: ${String(err)}`, { cause: err });
  }
  throw new Error('expected the call to fail');
}
