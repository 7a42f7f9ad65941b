import { invalidArgument, type TscrError } from '@tscr/api';
import { LineCounter, parseDocument, type Document, isNode } from 'yaml';

/** A path in a compose document: `['services', 'web', 'ports', 1]`. */
export type DocPath = readonly (string | number)[];

/** `services.web.ports[1]`, as Compose names places in a file. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** One parsed compose file, kept so errors can name its lines. */
export class Source {
  private constructor(
    /** Absolute path, or `-` for stdin. */
    readonly file: string,
    /** The directory its relative paths start from. */
    readonly dir: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Parses YAML text (anchors, aliases and `<<` merge keys resolved).
   * @throws InvalidArgument naming the file and line of a syntax error.
   */
  static parse(file: string, dir: string, text: string): { source: Source; value: unknown } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: true });
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line ?? lines.linePos(err.pos[0]).line;
      throw invalidArgument(`${file}:${line}: invalid YAML: ${err.message.split('\n')[0]}`, {
        details: { file, line: String(line) },
      });
    }
    const source = new Source(file, dir, doc, lines);
    const value = doc.toJS({ maxAliasCount: 10_000 }) as unknown;
    return { source, value };
  }

  /** The line (1-based) where `path` is written, when the file has it. */
  line(path: DocPath): number | undefined {
    for (let n = path.length; n > 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }

  /** True when the document holds a node at exactly `path`. */
  has(path: DocPath): boolean {
    return this.doc.hasIn(path);
  }

  /** An InvalidArgument error naming this file, the document path and the line. */
  error(path: DocPath, message: string): TscrError {
    return configError(this.file, path, message, this.line(path));
  }
}

/** An InvalidArgument error naming the file, the document path and, when known, the line. */
export function configError(file: string, path: DocPath, message: string, line?: number): TscrError {
  const where = line === undefined ? file : `${file}:${line}`;
  const p = formatPath(path);
  return invalidArgument(`${where}: ${p ? `${p}: ` : ''}${message}`, {
    details: { file, path: p, ...(line !== undefined && { line: String(line) }) },
  });
}
