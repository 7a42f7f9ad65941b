import { access, constants } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failedPrecondition } from '@tscr/api';

/** The relay binary's name; `scripts/setup.sh` builds it into `packages/runtime/native/build/`. */
export const RELAY_NAME = 'tscr-relay';

/** This module's directory, in the ESM and the CJS build alike. */
function moduleDir(): string {
  if (typeof __filename !== 'undefined') return dirname(__filename);
  return dirname(fileURLToPath(import.meta.url));
}

/** Where the relay is looked for when no path is configured: `native/build/` of this package. */
export function relayCandidates(): string[] {
  const here = moduleDir();
  // src/local/ (sources) and dist/ (the build) sit two and one levels below the package root.
  return [join(here, '..', '..', 'native', 'build', RELAY_NAME), join(here, '..', 'native', 'build', RELAY_NAME)];
}

/**
 * Finds the relay binary: `configured`, else `$TSCR_RELAY`, else the
 * package's `native/build/tscr-relay`.
 * @throws FailedPrecondition naming the places looked at when it is missing.
 */
export async function findRelay(configured?: string): Promise<string> {
  const candidates = configured ? [configured] : process.env.TSCR_RELAY ? [process.env.TSCR_RELAY] : relayCandidates();
  for (const c of candidates) {
    if (
      await access(c, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return c;
  }
  throw failedPrecondition(
    `${RELAY_NAME} (needed for attach and TTY exec) is missing: looked in ${candidates.join(', ')}; run scripts/setup.sh to build it`,
    { details: { reason: 'RelayMissing' } },
  );
}
