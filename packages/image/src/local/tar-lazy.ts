/**
 * node-tar, loaded on its first use rather than with the image layer: an idle daemon never parses a layer,
 * and tar is ~0.4 MiB of its heap. The load is a synchronous `require`, so a caller still makes its parser
 * and attaches its listeners before any data flows (an `await import()` there let a layer stream start
 * unheard). In the ESM build this loads tar's CommonJS build, which is as good: nothing of tar is shared.
 */
import { createRequire } from 'node:module';

type Tar = typeof import('tar');
let tar: Tar | undefined;

/** The `tar` module, required on the first call. */
export function lazyTar(): Tar {
  tar ??= createRequire(import.meta.url)('tar') as Tar;
  return tar;
}

/** Whether `tar` was loaded through {@link lazyTar} (for tests). */
export function tarLoaded(): boolean {
  return tar !== undefined;
}
