import { invalidArgument, notFound } from '@tscr/api';
import { syntaxError, type Dockerfile, type Instruction } from './parser.js';
import { processWord, processWords } from './words.js';

/** ARGs every build knows without an ARG line; never recorded in history. */
export const PROXY_ARGS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
];

/** One build stage: its FROM and the instructions after it. */
export interface Stage {
  /** 0-based position in the Dockerfile. */
  index: number;
  /** `AS name` (lower-case), if given. */
  name?: string;
  /** The base after substitution of the global ARGs: an image reference, `scratch` or an earlier stage's name. */
  base: string;
  /** The stage `base` names, if it names one. */
  baseStage?: number;
  platform?: string;
  from: Instruction;
  instructions: Instruction[];
}

/** The stages of a Dockerfile and the global ARGs (those before the first FROM). */
export interface Plan {
  stages: Stage[];
  /** Global ARG values (build args applied), usable in FROM and re-declared in stages. */
  globalArgs: Map<string, string>;
  /** Indexes of the stages to build, dependencies first; the last is the target. */
  order: number[];
}

/** The value of a `--name` flag (the last one given), or undefined. */
export function flagValue(ins: Instruction, name: string): string | undefined {
  let v: string | undefined;
  for (const f of ins.flags) if (f.name === name) v = f.value ?? '';
  return v;
}

/** Rejects flags an instruction does not take. @throws InvalidArgument with file:line. */
export function checkFlags(file: string, ins: Instruction, allowed: string[]): void {
  for (const f of ins.flags) {
    if (!allowed.includes(f.name)) throw syntaxError(file, ins.line, `unknown flag for ${ins.name}: --${f.name}`);
  }
}

/** Finds the stage a `--from` or FROM names (by name, or by index for `--from`); undefined when it names an image. */
function stageByRef(stages: Stage[], ref: string, before: number, byIndex: boolean): number | undefined {
  const lower = ref.toLowerCase();
  const named = stages.findIndex((s, i) => i < before && s.name === lower);
  if (named >= 0) return named;
  if (byIndex && /^\d+$/.test(ref)) return Number(ref);
  return undefined;
}

/**
 * Splits a parsed Dockerfile into stages, applies the global ARGs to FROM
 * lines and orders the stages the target needs (only those).
 * @throws InvalidArgument for an unknown target, a bad FROM, a stage index
 *   out of range or a `COPY --from` cycle.
 */
export function planBuild(df: Dockerfile, buildArgs: Record<string, string>, target?: string): Plan {
  const escapeChar = df.directives.escape;
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of df.instructions) {
    if (ins.name === 'FROM') {
      checkFlags(df.file, ins, ['platform']);
      const words = processWords(ins.args, globalArgs, { escapeChar });
      if (words.length !== 1 && !(words.length === 3 && words[1]?.toLowerCase() === 'as')) {
        throw syntaxError(df.file, ins.line, 'FROM takes an image and an optional AS name');
      }
      const name = words[2]?.toLowerCase();
      if (name !== undefined && !/^[a-z][a-z0-9._-]*$/.test(name)) {
        throw syntaxError(df.file, ins.line, `invalid stage name ${JSON.stringify(words[2])}`);
      }
      if (name !== undefined && stages.some((s) => s.name === name)) {
        throw syntaxError(df.file, ins.line, `duplicate stage name ${JSON.stringify(name)}`);
      }
      const base = words[0] as string;
      if (base === '') throw syntaxError(df.file, ins.line, 'FROM needs an image');
      const stage: Stage = { index: stages.length, base, from: ins, instructions: [] };
      if (name !== undefined) stage.name = name;
      const baseStage = stageByRef(stages, base, stages.length, false);
      if (baseStage !== undefined) stage.baseStage = baseStage;
      const platform = flagValue(ins, 'platform');
      if (platform) stage.platform = processWord(platform, globalArgs, { escapeChar });
      stages.push(stage);
      continue;
    }
    const current = stages[stages.length - 1];
    if (current) {
      current.instructions.push(ins);
      continue;
    }
    // ARG before the first FROM (the parser allows nothing else there).
    for (const word of processWords(ins.args, globalArgs, { escapeChar })) {
      const eq = word.indexOf('=');
      const key = eq < 0 ? word : word.slice(0, eq);
      const value = buildArgs[key] ?? (eq < 0 ? undefined : word.slice(eq + 1));
      if (value !== undefined) globalArgs.set(key, value);
    }
  }
  if (stages.length === 0) throw syntaxError(df.file, 1, 'the Dockerfile has no FROM instruction');
  let targetIndex = stages.length - 1;
  if (target !== undefined && target !== '') {
    targetIndex = stages.findIndex((s) => s.name === target.toLowerCase());
    if (targetIndex < 0) {
      throw invalidArgument(`target stage ${JSON.stringify(target)} could not be found`, { details: { target } });
    }
  }
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number, via: Instruction | undefined): void => {
    const seen = state.get(i);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const where = via ? `${df.file}:${via.line}: ` : '';
      throw invalidArgument(`${where}circular dependency between stages (through stage ${i})`, {
        details: { stage: String(i) },
      });
    }
    const stage = stages[i];
    if (!stage) throw notFound(`no stage ${i}`);
    state.set(i, 'visiting');
    if (stage.baseStage !== undefined) visit(stage.baseStage, stage.from);
    for (const ins of stage.instructions) {
      if (ins.name !== 'COPY' && ins.name !== 'ADD') continue;
      const from = flagValue(ins, 'from');
      if (from === undefined) continue;
      const dep = stageRef(stages, processWord(from, globalArgs, { escapeChar }), i);
      if (dep === undefined) continue;
      if (dep >= stages.length) throw syntaxError(df.file, ins.line, `no stage with index ${dep}`);
      visit(dep, ins);
    }
    state.set(i, 'done');
    order.push(i);
  };
  visit(targetIndex, undefined);
  return { stages, globalArgs, order };
}

/** The stage `--from=ref` names (by name anywhere in the file, or by index), or undefined for an image. */
export function stageRef(stages: Stage[], ref: string, _current: number): number | undefined {
  const lower = ref.toLowerCase();
  const named = stages.findIndex((s) => s.name === lower);
  if (named >= 0) return named;
  if (/^\d+$/.test(ref)) return Number(ref);
  return undefined;
}
