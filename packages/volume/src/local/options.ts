import { invalidArgument } from '@tscr/api';

/** Mount propagation modes a bind may ask for; `rprivate` is the default. */
export const PROPAGATION_MODES: ReadonlySet<string> = new Set([
  'private',
  'rprivate',
  'shared',
  'rshared',
  'slave',
  'rslave',
]);

/** Docker's tmpfs flags: writable, but no setuid, device nodes or executables. */
export const TMPFS_DEFAULT_OPTIONS: readonly string[] = ['rw', 'nosuid', 'nodev', 'noexec'];

/** Flag pairs where the later one given wins over the default. */
const TMPFS_FLAG_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['rw', 'ro'],
  ['suid', 'nosuid'],
  ['dev', 'nodev'],
  ['exec', 'noexec'],
];
const TMPFS_KEYS: Record<string, RegExp> = {
  size: /^\d+[kmg%]?$/i,
  mode: /^[0-7]{3,4}$/,
  uid: /^\d+$/,
  gid: /^\d+$/,
  nr_inodes: /^\d+[kmg]?$/i,
};

/** The bind options: recursion, read-only flag, propagation (in that order). */
export function bindOptions(target: string, readOnly: boolean, extra: readonly string[]): string[] {
  let recursive = 'rbind';
  let propagation = 'rprivate';
  let ro = readOnly;
  for (const o of extra) {
    if (o === 'bind' || o === 'rbind') recursive = o;
    else if (PROPAGATION_MODES.has(o)) propagation = o;
    else if (o === 'ro' || o === 'rw') ro = ro || o === 'ro';
    else throw invalidArgument(`invalid bind mount option ${JSON.stringify(o)} for ${target}`, { details: { target } });
  }
  return ro ? [recursive, 'ro', propagation] : [recursive, 'rw', propagation];
}

/**
 * tmpfs options: the defaults with the caller's flags and `key=value`
 * settings (size, mode, uid, gid, nr_inodes) applied over them.
 */
export function tmpfsOptions(target: string, readOnly: boolean, extra: readonly string[]): string[] {
  const flags = [...TMPFS_DEFAULT_OPTIONS];
  const settings = new Map<string, string>();
  for (const o of extra) {
    const eq = o.indexOf('=');
    if (eq > 0) {
      const key = o.slice(0, eq);
      const value = o.slice(eq + 1);
      const rule = TMPFS_KEYS[key];
      if (!rule?.test(value)) {
        throw invalidArgument(`invalid tmpfs option ${JSON.stringify(o)} for ${target}`, { details: { target } });
      }
      settings.set(key, value);
      continue;
    }
    const pair = TMPFS_FLAG_PAIRS.find((p) => p.includes(o));
    if (!pair)
      throw invalidArgument(`invalid tmpfs option ${JSON.stringify(o)} for ${target}`, { details: { target } });
    const i = flags.findIndex((f) => pair.includes(f));
    if (i >= 0) flags[i] = o;
    else flags.push(o);
  }
  // A read-only request is never undone by a later `rw`.
  const rwAt = flags.indexOf('rw');
  if (readOnly && rwAt >= 0) flags[rwAt] = 'ro';
  return [...flags, ...[...settings].map(([k, v]) => `${k}=${v}`)];
}
