import type { TscrError } from '@tscr/api';

/** Resolves to the error `p` rejects with; fails when it does not reject. */
export async function rejection(p: Promise<unknown>): Promise<TscrError> {
  try {
    await p;
  } catch (err) {
    return err as TscrError;
  }
  throw new Error('expected the call to fail');
}
