import { readFileSync } from 'node:fs';
import { fromSystemError, invalidArgument } from '@tscr/api';
import { resolveInRoot, type RootView } from './lookpath.js';

/** A user spec resolved to numeric IDs, as the OCI `process.user` wants it. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups: the groups of /etc/group that list the user as a member. */
  additionalGids: number[];
  /** The passwd entry's home directory, `/` when there is none. */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const NUMERIC = /^\d+$/;

/** Parses /etc/passwd text; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#') || !NUMERIC.test(f[2]!) || !NUMERIC.test(f[3]!)) continue;
    entries.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return entries;
}

/** Parses /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#') || !NUMERIC.test(f[2]!)) continue;
    entries.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) });
  }
  return entries;
}

/**
 * Resolves `user` (`name`, `uid`, `name:group`, `uid:gid`, or empty for root)
 * against passwd and group file contents. A numeric uid need not exist in
 * passwd (it then gets gid 0 and home `/`), a name must.
 * @throws InvalidArgument for an unknown user or group name.
 */
export function resolveUserFrom(user: string | undefined, passwd: string, group: string): ResolvedUser {
  const spec = (user ?? '').trim();
  const [userPart = '', groupPart] = spec.split(':', 2) as [string?, string?];
  const users = parsePasswd(passwd);
  const groups = parseGroup(group);

  let entry: PasswdEntry | undefined;
  if (userPart === '') entry = users.find((u) => u.uid === 0) ?? { name: 'root', uid: 0, gid: 0, home: '/' };
  else if (NUMERIC.test(userPart)) entry = users.find((u) => u.uid === Number(userPart));
  else {
    entry = users.find((u) => u.name === userPart);
    if (!entry) throw invalidArgument(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  const uid = NUMERIC.test(userPart) ? Number(userPart) : entry!.uid;

  if (groupPart !== undefined && groupPart !== '') {
    let gid: number;
    if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw invalidArgument(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
    return { uid, gid, additionalGids: [], home: entry?.home || '/' };
  }
  const gid = entry?.gid ?? 0;
  const additionalGids = entry
    ? [...new Set(groups.filter((g) => g.members.includes(entry.name) && g.gid !== gid).map((g) => g.gid))]
    : [];
  return { uid, gid, additionalGids, home: entry?.home || '/' };
}

async function readInRoot(rootfs: RootView, path: string): Promise<string> {
  const host = await resolveInRoot(rootfs, path);
  if (host === undefined) return '';
  try {
    return readFileSync(host, 'utf8'); // a small file of an image layer: see lookpath.ts
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw fromSystemError(err, `cannot read ${path}`);
  }
}

/**
 * Resolves `user` against `<rootfs>/etc/passwd` and `<rootfs>/etc/group`.
 * Missing files count as empty.
 * @throws InvalidArgument for an unknown user or group name.
 */
export async function resolveUser(rootfs: RootView, user: string | undefined): Promise<ResolvedUser> {
  const [passwd, group] = await Promise.all([readInRoot(rootfs, '/etc/passwd'), readInRoot(rootfs, '/etc/group')]);
  return resolveUserFrom(user, passwd, group);
}
