import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { alreadyExists, fromSystemError, notFound, type ContainerInfo } from '@tscr/api';
import { isActive, type ContainerStore } from '@tscr/container';

/** File name of the state database under the daemon's root. */
export const STATE_DB_FILE = 'tscr.db';

/** Schema changes, in order; entry N brings the schema from version N to N+1. Never edit one that shipped. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE containers (
     id      TEXT PRIMARY KEY,
     name    TEXT NOT NULL UNIQUE,
     created TEXT NOT NULL,
     record  TEXT NOT NULL
   )`,
  // `active` (running or restarting): `ps` without -a reads only those rows.
  `ALTER TABLE containers ADD COLUMN active INTEGER NOT NULL DEFAULT 0;
   UPDATE containers SET active = (json_extract(record, '$.state.running') = 1
                                   OR json_extract(record, '$.state.status') = 'restarting');
   CREATE INDEX containers_active ON containers (active)`,
];

interface Row {
  record: string;
}

function nameTaken(name: string, holder: string | undefined) {
  return alreadyExists(`the container name "/${name}" is already in use by container ${holder ?? 'unknown'}`, {
    details: { name, id: holder ?? '' },
  });
}

/**
 * The daemon's {@link ContainerStore}: one SQLite file (WAL journal), one row
 * per container with the record as JSON and the name under a UNIQUE
 * constraint, so name races are settled by the database.
 */
export class SqliteContainerStore implements ContainerStore {
  private readonly db: Database.Database;
  private readonly stmt;

  /** Opens (creating and migrating as needed) the database at `path`; `:memory:` works too. */
  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.stmt = {
      insert: this.db.prepare('INSERT INTO containers (id, name, created, active, record) VALUES (?, ?, ?, ?, ?)'),
      update: this.db.prepare('UPDATE containers SET name = ?, active = ?, record = ? WHERE id = ?'),
      get: this.db.prepare<[string], Row>('SELECT record FROM containers WHERE id = ?'),
      getByName: this.db.prepare<[string], Row>('SELECT record FROM containers WHERE name = ?'),
      // A range on the primary key (its index), not a scan of every row.
      byPrefix: this.db.prepare<[string, string], Row>('SELECT record FROM containers WHERE id >= ? AND id < ?'),
      list: this.db.prepare<[], Row>('SELECT record FROM containers ORDER BY created DESC, id'),
      listActive: this.db.prepare<[], Row>('SELECT record FROM containers WHERE active = 1 ORDER BY created DESC, id'),
      delete: this.db.prepare('DELETE FROM containers WHERE id = ?'),
    };
  }

  /** The schema version the database is at. */
  get schemaVersion(): number {
    return (this.db.prepare('SELECT version FROM schema_version').get() as { version: number }).version;
  }

  /** `text`: the record already serialized (`JSON.stringify(info)`), when the caller has it. */
  insert(info: ContainerInfo, text = JSON.stringify(info)): void {
    try {
      this.stmt.insert.run(info.id, info.name, info.created, isActive(info) ? 1 : 0, text);
    } catch (err) {
      throw this.constraintError(err, info);
    }
  }

  /** `text`: the record already serialized (`JSON.stringify(info)`), when the caller has it. */
  update(info: ContainerInfo, text = JSON.stringify(info)): void {
    let changes: number;
    try {
      changes = this.stmt.update.run(info.name, isActive(info) ? 1 : 0, text, info.id).changes;
    } catch (err) {
      throw this.constraintError(err, info);
    }
    if (changes === 0) throw notFound(`no such container: ${info.id}`, { details: { id: info.id } });
  }

  get(id: string): ContainerInfo | undefined {
    return parse(this.stmt.get.get(id));
  }

  getByName(name: string): ContainerInfo | undefined {
    return parse(this.stmt.getByName.get(name));
  }

  findByIdPrefix(prefix: string): ContainerInfo[] {
    // Every string that starts with `prefix` sorts between it and `prefix` + the highest code point.
    return this.stmt.byPrefix.all(prefix, `${prefix}\u{10ffff}`).map((r) => parse(r)!);
  }

  list(filter: { active?: boolean } = {}): ContainerInfo[] {
    return (filter.active ? this.stmt.listActive : this.stmt.list).all().map((r) => parse(r)!);
  }

  delete(id: string): void {
    this.stmt.delete.run(id);
  }

  /** Closes the database file. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    if (!row) this.db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
    const from = row?.version ?? 0;
    const step = this.db.transaction((version: number) => {
      this.db.exec(MIGRATIONS[version]!);
      this.db.prepare('UPDATE schema_version SET version = ?').run(version + 1);
    });
    for (let v = from; v < MIGRATIONS.length; v++) step(v);
  }

  private constraintError(err: unknown, info: ContainerInfo): Error {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return alreadyExists(`container ${info.id} already exists`, { details: { id: info.id } });
    }
    if (code === 'SQLITE_CONSTRAINT_UNIQUE') return nameTaken(info.name, this.getByName(info.name)?.id);
    return fromSystemError(err, 'container state database');
  }
}

function parse(row: Row | undefined): ContainerInfo | undefined {
  return row ? (JSON.parse(row.record) as ContainerInfo) : undefined;
}
