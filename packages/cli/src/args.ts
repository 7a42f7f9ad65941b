import { invalidArgument } from '@tscr/api';

/** How a flag takes its value. `list` collects every occurrence. */
export type FlagType = 'bool' | 'string' | 'list' | 'int';

/** One docker-style flag of a command. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `rm`, `env-file`; also the key in {@link ParsedArgs.flags}. */
  name: string;
  /** One-letter short name without the dash, e.g. `e`. */
  short?: string;
  type: FlagType;
  /** One line for `--help`. */
  description: string;
  /** Value name shown in `--help` (e.g. `list`, `string`). */
  valueName?: string;
  /** Other long names that mean the same flag (`net` for `network`). */
  aliases?: string[];
}

/** Parsed flag values: booleans, strings, numbers, or string lists for `list` flags. */
export type FlagValues = Record<string, boolean | string | number | string[] | undefined>;

/** The result of {@link parseArgs}. */
export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
}

/** Options of {@link parseArgs}. */
export interface ParseOptions {
  /**
   * Stop reading flags at the first positional argument (for `run`, `create`:
   * everything after the image belongs to the container's command).
   */
  stopAtPositional?: boolean;
}

/** Marks an InvalidArgument as a usage mistake (wrong flags or arguments), not a daemon error. */
export const USAGE_REASON = 'Usage';

/** An InvalidArgument TscrError with details.reason `Usage`. */
export function usageError(message: string) {
  return invalidArgument(message, { details: { reason: USAGE_REASON } });
}

function setValue(spec: FlagSpec, flags: FlagValues, raw: string, shown: string): void {
  switch (spec.type) {
    case 'bool': {
      if (raw !== 'true' && raw !== 'false') {
        throw usageError(`invalid argument ${JSON.stringify(raw)} for "${shown}" flag: expected true or false`);
      }
      flags[spec.name] = raw === 'true';
      return;
    }
    case 'int': {
      if (!/^-?\d+$/.test(raw)) {
        throw usageError(`invalid argument ${JSON.stringify(raw)} for "${shown}" flag: not an integer`);
      }
      flags[spec.name] = Number.parseInt(raw, 10);
      return;
    }
    case 'list': {
      const prev = flags[spec.name];
      flags[spec.name] = [...(Array.isArray(prev) ? prev : []), raw];
      return;
    }
    case 'string':
      flags[spec.name] = raw;
  }
}

/**
 * Parses docker-style arguments: `--name value`, `--name=value`, short
 * flags and clusters (`-it`, `-e K=V`, `-eK=V`), repeated flags, and `--`
 * to end flags. `-` alone is a positional (stdin).
 * @throws TscrError InvalidArgument (details.reason `Usage`) for an unknown
 * flag, a missing value or a malformed boolean/integer.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], opts: ParseOptions = {}): ParsedArgs {
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of specs) {
    byLong.set(s.name, s);
    for (const a of s.aliases ?? []) byLong.set(a, s);
    if (s.short) byShort.set(s.short, s);
  }
  const flags: FlagValues = {};
  const positionals: string[] = [];
  let i = 0;
  const next = (shown: string): string => {
    if (i + 1 >= argv.length) throw usageError(`flag needs an argument: ${shown}`);
    i += 1;
    return argv[i]!;
  };
  for (; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = byLong.get(name);
      if (!spec) throw usageError(`unknown flag: --${name}`);
      const shown = `--${name}`;
      if (eq >= 0) setValue(spec, flags, arg.slice(eq + 1), shown);
      else if (spec.type === 'bool') flags[spec.name] = true;
      else setValue(spec, flags, next(shown), shown);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of one-letter flags; a value-taking flag eats the rest of the cluster or the next argument.
      for (let j = 1; j < arg.length; j += 1) {
        const letter = arg[j]!;
        const spec = byShort.get(letter);
        if (!spec) throw usageError(`unknown shorthand flag: '${letter}' in ${arg}`);
        const shown = `-${letter}`;
        if (spec.type === 'bool') {
          if (arg[j + 1] === '=') {
            setValue(spec, flags, arg.slice(j + 2), shown);
            break;
          }
          flags[spec.name] = true;
          continue;
        }
        let rest = arg.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        setValue(spec, flags, rest !== '' ? rest : next(shown), shown);
        break;
      }
      continue;
    }
    positionals.push(arg);
    if (opts.stopAtPositional) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, positionals };
}

/** The `--help` lines of `specs`, aligned: `  -e, --env list   Set environment variables`. */
export function flagHelp(specs: readonly FlagSpec[]): string[] {
  const left = specs.map((s) => {
    const value = s.type === 'bool' ? '' : ` ${s.valueName ?? (s.type === 'list' ? 'list' : s.type)}`;
    return `${s.short ? `-${s.short}, ` : '    '}--${s.name}${value}`;
  });
  const width = Math.max(0, ...left.map((l) => l.length));
  return specs.map((s, k) => `  ${left[k]!.padEnd(width)}   ${s.description}`);
}

/** A string flag's value, or undefined. */
export function str(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** A list flag's values (empty when absent). */
export function list(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : [];
}

/** A bool flag's value (false when absent). */
export function bool(flags: FlagValues, name: string): boolean {
  return flags[name] === true;
}

/** An int flag's value, or undefined. */
export function int(flags: FlagValues, name: string): number | undefined {
  const v = flags[name];
  return typeof v === 'number' ? v : undefined;
}
