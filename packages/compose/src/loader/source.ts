import { invalidArgument, type TscrError } from '@tscr/api';
import { LineCounter, parseDocument, type Document, isMap, isNode, isScalar, visit } from 'yaml';

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
  static parse(file: string, dir: string, text: string): { source: Source; value: unknown; resets: Resets } {
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
    const resets = takeResetTags(source, doc);
    const value = doc.toJS({ maxAliasCount: 10_000 }) as unknown;
    return { source, value, resets };
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

/** Service keys whose earlier value a file drops (`!reset`) or replaces without merging (`!override`), by service. */
export type Resets = Record<string, string[]>;

/**
 * Finds the `!reset` and `!override` tags on a service's keys and takes
 * them out of the document: a reset key is removed, an override keeps its
 * value; both drop the value earlier files gave. Elsewhere they are refused.
 */
function takeResetTags(source: Source, doc: Document): Resets {
  const resets: Resets = {};
  const services = isMap(doc.contents) ? doc.contents.get('services', true) : undefined;
  if (isMap(services)) {
    for (const svc of services.items) {
      if (!isMap(svc.value) || !isScalar(svc.key)) continue;
      const name = String(svc.key.value);
      for (const pair of [...svc.value.items]) {
        const v = pair.value;
        const tag = isNode(v) ? v.tag : undefined;
        if (tag !== '!reset' && tag !== '!override') continue;
        resets[name] = [...(resets[name] ?? []), String((pair.key as { value?: unknown }).value)];
        if (tag === '!reset') svc.value.items.splice(svc.value.items.indexOf(pair), 1);
        else (v as { tag?: string }).tag = undefined;
      }
    }
  }
  let stray: string | undefined;
  visit(doc, (_key, node) => {
    if (isNode(node) && (node.tag === '!reset' || node.tag === '!override')) stray = node.tag;
  });
  if (stray) {
    throw invalidArgument(`${source.file}: ${stray} is only supported on the keys of a service`, {
      details: { file: source.file },
    });
  }
  return resets;
}
