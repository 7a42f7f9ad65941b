import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';

/** What {@link checkStateDatabase} found. */
export interface StateCheck {
  /** `ok`; `missing` (no file: a first start, or it was deleted); `corrupt` (moved aside). */
  status: 'ok' | 'missing' | 'corrupt';
  /** Where a corrupt database was moved to. */
  movedTo?: string;
  /** Why it was judged corrupt. */
  reason?: string;
}

/** SQLite's files of one database: the file, its write-ahead log and shared-memory index. */
function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/**
 * Opens the state database read-write once before the daemon uses it and
 * runs SQLite's `quick_check`. A file SQLite cannot read (not a database,
 * a torn header, a failing check) is moved aside with its WAL as
 * `<path>.corrupt-<time>` (kept for a human to look at), so the daemon starts
 * with an empty one and re-adopts its containers from their directories.
 */
export function checkStateDatabase(path: string): StateCheck {
  if (!existsSync(path)) return { status: 'missing' };
  let reason: string | undefined;
  try {
    const db = new Database(path, { fileMustExist: true });
    try {
      const rows = db.pragma('quick_check') as { quick_check: string }[];
      const bad = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
      if (bad.length > 0) reason = bad.slice(0, 3).join('; ');
    } finally {
      db.close();
    }
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    // Only what says the file itself is bad; a busy or unwritable database is not moved away.
    if (!/^SQLITE_(CORRUPT|NOTADB|IOERR_SHORT_READ)/.test(code)) throw err;
    reason = `${code}: ${(err as Error).message}`;
  }
  if (reason === undefined) return { status: 'ok' };
  const movedTo = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const [i, f] of databaseFiles(path).entries()) {
    if (existsSync(f)) renameSync(f, `${movedTo}${['', '-wal', '-shm'][i]}`);
  }
  return { status: 'corrupt', movedTo, reason };
}
