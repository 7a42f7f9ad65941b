import { invalidArgument, type TscrError } from '@tscr/api';

/** A here-document attached to an instruction (`<<EOF` … `EOF`). */
export interface Heredoc {
  /** The delimiter word, e.g. `EOF`. */
  name: string;
  /** The body, each line ending with `\n`. */
  content: string;
  /** False when the delimiter was quoted (`<<'EOF'`): no variable expansion. */
  expand: boolean;
}

/** One parsed instruction. */
export interface Instruction {
  /** Upper-case keyword, e.g. `RUN`. */
  name: string;
  /** 1-based line the instruction starts on. */
  line: number;
  /** The instruction as written (continuations joined), for messages and step output. */
  original: string;
  /** `--name=value` flags before the arguments (in order; a flag may repeat). */
  flags: { name: string; value: string | undefined }[];
  /** The arguments after the flags, as written. */
  args: string;
  /** The exec (JSON array) form, when the arguments are one. */
  json?: string[];
  heredocs: Heredoc[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** Parser directives (`syntax`, `escape`, …), lower-case keys. */
  directives: Record<string, string>;
  instructions: Instruction[];
  /** File name used in messages. */
  file: string;
}

const KNOWN = new Set([
  'FROM',
  'RUN',
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'ARG',
  'LABEL',
  'COPY',
  'ADD',
  'WORKDIR',
  'USER',
  'EXPOSE',
  'VOLUME',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
  'ONBUILD',
  'MAINTAINER',
]);

/** Instructions whose arguments may hold here-documents. */
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const HEREDOC = /<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/** A syntax error at `file:line`. */
export function syntaxError(file: string, line: number, message: string): TscrError {
  return invalidArgument(`${file}:${line}: ${message}`, { details: { file, line: String(line) } });
}

/** Splits leading `--flag[=value]` words off `args`. */
function splitFlags(args: string): { flags: Instruction['flags']; rest: string } {
  const flags: Instruction['flags'] = [];
  let rest = args;
  for (;;) {
    const m = /^--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
    if (!m) break;
    flags.push({ name: m[1] as string, value: m[2] });
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** The JSON array form of `args`, or undefined when it is not one (then it is the shell form). */
function jsonForm(args: string): string[] | undefined {
  const t = args.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

/**
 * Parses a Dockerfile: parser directives at the top (`# syntax=`,
 * `# escape=`), comments, line continuations (with the escape character),
 * flags, the JSON and shell forms and here-documents for RUN, COPY and ADD.
 * @throws InvalidArgument (`file:line: …`) for an unknown instruction, a
 *   missing argument or an unterminated here-document.
 */
export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i] as string);
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    if (key in directives) break;
    directives[key] = m[2] as string;
  }
  const escapeChar = directives.escape ?? '\\';
  if (escapeChar !== '\\' && escapeChar !== '`')
    throw syntaxError(file, i, `invalid escape token ${escapeChar}: want \\ or \``);
  const instructions: Instruction[] = [];
  const isComment = (l: string) => /^\s*#/.test(l);
  while (i < lines.length) {
    const raw = lines[i] as string;
    if (raw.trim() === '' || isComment(raw)) {
      i++;
      continue;
    }
    const start = i + 1;
    let joined = '';
    let line = raw;
    for (;;) {
      const trimmed = line.replace(/\s+$/, '');
      if (trimmed.endsWith(escapeChar) && !trimmed.endsWith(escapeChar + escapeChar)) {
        joined += trimmed.slice(0, -1);
        i++;
        while (i < lines.length && isComment(lines[i] as string)) i++;
        if (i >= lines.length) break;
        line = lines[i] as string;
        continue;
      }
      joined += line;
      i++;
      break;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(joined);
    const name = (m?.[1] ?? '').toUpperCase();
    const rest = (m?.[2] ?? '').trim();
    if (!KNOWN.has(name)) throw syntaxError(file, start, `unknown instruction: ${m?.[1] ?? joined}`);
    const { flags, rest: args } = splitFlags(rest);
    const heredocs: Heredoc[] = [];
    if (HEREDOC_INSTRUCTIONS.has(name) && !jsonForm(args)) {
      for (const h of args.matchAll(HEREDOC)) {
        const chomp = h[1] === '-';
        const delimiter = h[3] as string;
        let content = '';
        for (;;) {
          if (i >= lines.length) throw syntaxError(file, start, `unterminated here-document ${delimiter}`);
          const body = lines[i++] as string;
          const cleaned = chomp ? body.replace(/^\t+/, '') : body;
          if (cleaned === delimiter) break;
          content += `${cleaned}\n`;
        }
        heredocs.push({ name: delimiter, content, expand: h[2] === '' });
      }
    }
    if (args === '' && name !== 'RUN') throw syntaxError(file, start, `${name} requires at least one argument`);
    if (args === '') throw syntaxError(file, start, 'RUN requires at least one argument');
    const ins: Instruction = { name, line: start, original: `${name} ${rest}`.trim(), flags, args, heredocs };
    const json = jsonForm(args);
    if (json) ins.json = json;
    instructions.push(ins);
  }
  if (instructions.length === 0) throw syntaxError(file, 1, 'the Dockerfile has no instructions');
  if (instructions[0]?.name !== 'FROM' && instructions.some((x) => x.name !== 'ARG' && x.name !== 'FROM')) {
    const first = instructions.find((x) => x.name !== 'ARG');
    if (first && first.name !== 'FROM') {
      throw syntaxError(file, first.line, `${first.name} before the first FROM: only ARG may come before it`);
    }
  }
  return { directives, instructions, file };
}
