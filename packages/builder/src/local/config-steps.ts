import type { HealthConfig, ImageConfig } from '@tscr/api';
import { syntaxError, type Instruction } from './parser.js';
import { checkFlags, flagValue } from './plan.js';
import { parsePairs, processWord, processWords, type Vars } from './words.js';

/** What metadata instructions read and change. */
export interface ConfigState {
  config: ImageConfig;
  /** ARGs in scope with a value, in declaration order. */
  args: Map<string, string>;
  /** True once this stage set CMD (then ENTRYPOINT keeps it). */
  cmdSet: boolean;
  author?: string;
}

/** Default shell of shell-form instructions. */
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** The variables a substitution sees: ARGs, overridden by ENV. */
export function varsOf(st: ConfigState): Map<string, string> {
  const vars = new Map(st.args);
  for (const e of st.config.env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return vars;
}

/** Sets `KEY=value` in an env list, replacing an earlier value of KEY. */
export function setEnv(env: string[] | undefined, key: string, value: string): string[] {
  return [...(env ?? []).filter((e) => !e.startsWith(`${key}=`)), `${key}=${value}`];
}

/** Command of CMD/ENTRYPOINT/RUN: the exec form as is, the shell form through the shell. */
export function commandOf(ins: Instruction, config: ImageConfig): string[] {
  return ins.json ?? [...(config.shell ?? DEFAULT_SHELL), ins.args];
}

function duration(file: string, ins: Instruction, name: string): number | undefined {
  const v = flagValue(ins, name);
  if (v === undefined) return undefined;
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/gy;
  let matched = 0;
  for (const m of v.matchAll(re)) {
    matched += m[0].length;
    const n = Number(m[1]);
    const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms'];
    ms += n * unit;
  }
  if (matched !== v.length || v === '') throw syntaxError(file, ins.line, `invalid duration --${name}=${v}`);
  return Math.round(ms);
}

function healthcheck(file: string, ins: Instruction): HealthConfig {
  checkFlags(file, ins, ['interval', 'timeout', 'start-period', 'start-interval', 'retries']);
  const [kind = '', ...rest] = ins.args.trim().split(/\s+/);
  if (kind.toUpperCase() === 'NONE') {
    if (rest.length > 0) throw syntaxError(file, ins.line, 'HEALTHCHECK NONE takes no arguments');
    return { test: ['NONE'] };
  }
  if (kind.toUpperCase() !== 'CMD') throw syntaxError(file, ins.line, 'HEALTHCHECK takes NONE or CMD …');
  const cmdText = ins.args.trim().slice(kind.length).trim();
  if (cmdText === '') throw syntaxError(file, ins.line, 'HEALTHCHECK CMD needs a command');
  let json: string[] | undefined;
  try {
    const v = JSON.parse(cmdText) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) json = v as string[];
  } catch {
    json = undefined;
  }
  const out: HealthConfig = { test: json ? ['CMD', ...json] : ['CMD-SHELL', cmdText] };
  const interval = duration(file, ins, 'interval');
  const timeout = duration(file, ins, 'timeout');
  const start = duration(file, ins, 'start-period');
  const retries = flagValue(ins, 'retries');
  if (interval !== undefined) out.intervalMs = interval;
  if (timeout !== undefined) out.timeoutMs = timeout;
  if (start !== undefined) out.startPeriodMs = start;
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) throw syntaxError(file, ins.line, `invalid --retries=${retries}`);
    out.retries = Number(retries);
  }
  return out;
}

/**
 * Applies a metadata-only instruction to the state. Returns the text that
 * describes it (for the cache key and the history), or undefined when the
 * instruction is not metadata-only.
 * @throws InvalidArgument (`file:line: …`) for malformed arguments.
 */
export function applyConfigStep(
  file: string,
  ins: Instruction,
  st: ConfigState,
  buildArgs: Record<string, string>,
  globalArgs: Vars,
  escapeChar?: string,
): string | undefined {
  const vars = varsOf(st);
  const c = st.config;
  const wo = { escapeChar };
  const noFlags = () => checkFlags(file, ins, []);
  switch (ins.name) {
    case 'ENV': {
      noFlags();
      const pairs = parsePairs(ins.args, vars, wo);
      for (const [k, v] of pairs) c.env = setEnv(c.env, k, v);
      return `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    }
    case 'LABEL': {
      noFlags();
      const pairs = parsePairs(ins.args, vars, wo);
      c.labels = { ...c.labels };
      for (const [k, v] of pairs) c.labels[k] = v;
      return `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    }
    case 'ARG': {
      noFlags();
      const described: string[] = [];
      for (const word of processWords(ins.args, vars, wo)) {
        const eq = word.indexOf('=');
        const key = eq < 0 ? word : word.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw syntaxError(file, ins.line, `invalid ARG name ${key}`);
        const value = buildArgs[key] ?? (eq < 0 ? globalArgs.get(key) : word.slice(eq + 1));
        st.args.delete(key);
        if (value !== undefined) st.args.set(key, value);
        described.push(value === undefined ? key : `${key}=${value}`);
      }
      return `ARG ${described.join(' ')}`;
    }
    case 'WORKDIR': {
      noFlags();
      const dir = processWord(ins.args.trim(), vars, wo);
      const base = c.workingDir || '/';
      c.workingDir = dir.startsWith('/') ? dir : `${base.replace(/\/$/, '')}/${dir}`;
      return `WORKDIR ${c.workingDir}`;
    }
    case 'USER': {
      noFlags();
      c.user = processWord(ins.args.trim(), vars, wo);
      return `USER ${c.user}`;
    }
    case 'EXPOSE': {
      noFlags();
      const ports = processWords(ins.args, vars, wo).map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`));
      for (const p of ports) {
        if (!/^\d+(-\d+)?\/(tcp|udp|sctp)$/.test(p)) throw syntaxError(file, ins.line, `invalid port ${p}`);
      }
      c.exposedPorts = [...new Set([...(c.exposedPorts ?? []), ...ports])];
      return `EXPOSE ${ports.join(' ')}`;
    }
    case 'VOLUME': {
      noFlags();
      const vols = ins.json ?? processWords(ins.args, vars, wo);
      if (vols.some((v) => v === '')) throw syntaxError(file, ins.line, 'VOLUME paths may not be empty');
      c.volumes = [...new Set([...(c.volumes ?? []), ...vols])];
      return `VOLUME [${vols.join(' ')}]`;
    }
    case 'STOPSIGNAL': {
      noFlags();
      c.stopSignal = processWord(ins.args.trim(), vars, wo);
      return `STOPSIGNAL ${c.stopSignal}`;
    }
    case 'CMD': {
      noFlags();
      c.cmd = commandOf(ins, c);
      st.cmdSet = true;
      return `CMD ${JSON.stringify(c.cmd)}`;
    }
    case 'ENTRYPOINT': {
      noFlags();
      c.entrypoint = commandOf(ins, c);
      if (!st.cmdSet) delete c.cmd;
      return `ENTRYPOINT ${JSON.stringify(c.entrypoint)}`;
    }
    case 'SHELL': {
      noFlags();
      if (!ins.json || ins.json.length === 0) throw syntaxError(file, ins.line, 'SHELL requires the JSON form');
      c.shell = ins.json;
      return `SHELL ${JSON.stringify(c.shell)}`;
    }
    case 'HEALTHCHECK': {
      c.healthcheck = healthcheck(file, ins);
      return `HEALTHCHECK ${JSON.stringify(c.healthcheck)}`;
    }
    case 'ONBUILD': {
      noFlags();
      const trigger = /^\s*(\S+)/.exec(ins.args)?.[1]?.toUpperCase() ?? '';
      if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(trigger)) {
        throw syntaxError(file, ins.line, `${trigger} isn't allowed as an ONBUILD trigger`);
      }
      c.onBuild = [...(c.onBuild ?? []), ins.args.trim()];
      return `ONBUILD ${ins.args.trim()}`;
    }
    case 'MAINTAINER': {
      noFlags();
      st.author = processWord(ins.args.trim(), vars, wo);
      return `MAINTAINER ${st.author}`;
    }
    default:
      return undefined;
  }
}
