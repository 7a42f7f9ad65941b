import { existsSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failedPrecondition } from '@tscr/api';

/**
 * The relay binary's name. The package's `install` script (`native/install.cjs`) compiles it into
 * `native/build/` when a C compiler is present; `scripts/setup.sh` does the same in the repository.
 */
export const RELAY_NAME = 'tscr-relay';

/** The relay's C sources (`*.c`, one per role), next to `build/` in the package's `native/` folder. */
const RELAY_SOURCE = 'relay';

/** This module's directory, in the ESM and the CJS build alike. */
function moduleDir(): string {
  if (typeof __filename !== 'undefined') return dirname(__filename);
  return dirname(fileURLToPath(import.meta.url));
}

/** The optional package holding a prebuilt static relay for this host, e.g. `@tscr/relay-linux-x64`. */
export function prebuiltRelayPackage(): string {
  return `@tscr/relay-${process.platform}-${process.arch}`;
}

/** The prebuilt relay's path, when its per-platform package is installed. */
function prebuiltRelay(): string | undefined {
  try {
    const manifest = createRequire(join(moduleDir(), 'relay.js')).resolve(`${prebuiltRelayPackage()}/package.json`);
    return join(dirname(manifest), 'bin', RELAY_NAME);
  } catch {
    return undefined; // not installed (another platform, or --omit=optional)
  }
}

/** The relay compiled into this package's `native/build/` (by its install script or the set-up). */
function compiledRelays(): string[] {
  const here = moduleDir();
  // src/local/ (sources) and dist/ (the build) sit two and one levels below the package root.
  return [join(here, '..', '..', 'native', 'build', RELAY_NAME), join(here, '..', 'native', 'build', RELAY_NAME)];
}

/**
 * Where the relay is looked for when no path is configured: `native/build/` of this package
 * (compiled for this host), then the prebuilt per-platform package.
 */
export function relayCandidates(): string[] {
  const prebuilt = prebuiltRelay();
  return [...compiledRelays(), ...(prebuilt ? [prebuilt] : [])];
}

/**
 * Finds the relay binary: `configured`, else `$TSCR_RELAY`, else the
 * package's `native/build/tscr-relay`, else the prebuilt `@tscr/relay-<platform>-<arch>`.
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
  throw failedPrecondition(relayMissingMessage(candidates), { details: { reason: 'RelayMissing' } });
}

/** What to do when the relay is missing: the places looked at, and the three ways to provide it. */
export function relayMissingMessage(looked: string[]): string {
  const compiled = compiledRelays();
  const target = compiled.find((c) => existsSync(join(dirname(dirname(c)), RELAY_SOURCE))) ?? compiled[1]!;
  const source = join(dirname(dirname(target)), RELAY_SOURCE, '*.c');
  return (
    `${RELAY_NAME} (needed for attach and TTY exec) is missing: looked in ${looked.join(', ')}, ` +
    `and no prebuilt ${prebuiltRelayPackage()} is installed. ` +
    `Build it with \`mkdir -p ${dirname(target)} && cc -O2 -o ${target} ${source}\` ` +
    '(or `npm rebuild @tscr/runtime` once a C compiler is installed), ' +
    'or pass a built relay as the `relayPath` option of createLocalTaskRuntime, or set the TSCR_RELAY environment variable (also for tscrd)'
  );
}
