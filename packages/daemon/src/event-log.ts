import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { TscrEvent } from '@tscr/api';

/** Where the event bus keeps its recent history across daemon restarts. */
export interface EventLog {
  /** Records an event (may be written a little later, in a batch). */
  append(event: TscrEvent): void;
  /** The most recent `limit` events, oldest first. */
  recent(limit: number): TscrEvent[];
  /** Writes what is pending and closes. */
  close(): void;
}

interface Row {
  time_nano: string;
  type: string;
  action: string;
  actor: string;
  attributes: string;
}

/**
 * An {@link EventLog} in its own table of the daemon's SQLite file. Writes
 * are batched (one transaction per 50 ms at most, so a burst of 50 starts is
 * a handful of commits) and the table is trimmed to `capacity` rows; a crash
 * loses at most the last batch.
 */
export class SqliteEventLog implements EventLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly trim: Database.Statement;
  private pending: TscrEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writes = 0;

  constructor(
    path: string,
    private readonly capacity = 10_000,
    private readonly flushDelayMs = 50,
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS events (
       seq        INTEGER PRIMARY KEY AUTOINCREMENT,
       time_nano  TEXT NOT NULL,
       type       TEXT NOT NULL,
       action     TEXT NOT NULL,
       actor      TEXT NOT NULL,
       attributes TEXT NOT NULL
     )`);
    this.insert = this.db.prepare(
      'INSERT INTO events (time_nano, type, action, actor, attributes) VALUES (?, ?, ?, ?, ?)',
    );
    this.trim = this.db.prepare('DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?');
  }

  append(event: TscrEvent): void {
    this.pending.push(event);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushDelayMs);
      this.timer.unref();
    }
  }

  recent(limit: number): TscrEvent[] {
    this.flush();
    const rows = this.db
      .prepare<[number], Row>('SELECT time_nano, type, action, actor, attributes FROM events ORDER BY seq DESC LIMIT ?')
      .all(limit);
    return rows.reverse().map((r) => ({
      type: r.type,
      action: r.action,
      id: r.actor,
      attributes: JSON.parse(r.attributes) as Record<string, string>,
      timeNano: r.time_nano,
    }));
  }

  /** Writes the pending events in one transaction. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || !this.db.open) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.db.transaction(() => {
        for (const e of batch) this.insert.run(e.timeNano, e.type, e.action, e.id, JSON.stringify(e.attributes));
        this.writes += batch.length;
        if (this.writes >= this.capacity / 10) {
          this.trim.run(this.capacity);
          this.writes = 0;
        }
      })();
    } catch (err) {
      // The history is best effort: a full disk (SQLITE_FULL) or an I/O error loses these events, not the daemon.
      this.onError(err, batch.length);
    }
  }

  /** Reports events that could not be stored; default: one line on stderr. */
  onError: (err: unknown, lost: number) => void = (err, lost) => {
    const code = (err as { code?: string }).code ?? '';
    console.error(`tscrd: events history: ${lost} event(s) not stored: ${(err as Error).message} ${code}`.trim());
  };

  close(): void {
    this.flush();
    if (this.db.open) this.db.close();
  }
}
