import type { ContainerConfig, HealthConfig, HostConfig, RestartPolicy } from '@tscr/api';
import { bool, int, list, str, usageError, type FlagSpec, type FlagValues } from '../args.js';

/** `run`/`create` flags for restart policies, healthchecks and logging. */
export const superviseFlags: FlagSpec[] = [
  {
    name: 'restart',
    type: 'string',
    description: 'Restart policy when the container exits: no, on-failure[:max-retries], always, unless-stopped',
  },
  { name: 'health-cmd', type: 'string', description: 'Command to run to check health (run with /bin/sh -c)' },
  { name: 'health-interval', type: 'string', description: 'Time between running the check (ms|s|m|h) (default 30s)' },
  {
    name: 'health-retries',
    type: 'int',
    valueName: 'int',
    description: 'Consecutive failures needed to report unhealthy',
  },
  {
    name: 'health-start-period',
    type: 'string',
    description: 'Start period for the container to initialize before failures count (ms|s|m|h) (default 0s)',
  },
  {
    name: 'health-timeout',
    type: 'string',
    description: 'Maximum time to allow one check to run (ms|s|m|h) (default 30s)',
  },
  { name: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
  { name: 'log-driver', type: 'string', description: 'Logging driver for the container (k8s-file)' },
  { name: 'log-opt', type: 'list', description: 'Log driver options (max-size=10m, max-file=3)' },
];

/** Parses `no`, `always`, `unless-stopped`, `on-failure[:N]`. @throws usage error. */
export function parseRestart(text: string): RestartPolicy {
  const [name, count, ...rest] = text.split(':');
  if (rest.length > 0) throw usageError(`invalid restart policy format: ${text}`);
  if (name !== 'no' && name !== 'always' && name !== 'unless-stopped' && name !== 'on-failure') {
    throw usageError(`invalid restart policy: ${name}`);
  }
  if (count === undefined) return { name };
  if (name !== 'on-failure')
    throw usageError(`invalid restart policy: maximum retry count cannot be used with ${name}`);
  if (!/^\d+$/.test(count)) throw usageError(`maximum retry count must be an integer: ${count}`);
  return { name, maximumRetryCount: Number(count) };
}

const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration (`30s`, `1m30s`, `500ms`) to milliseconds. @throws usage error. */
export function parseDurationMs(text: string, flag: string): number {
  let rest = text.trim();
  let ms = 0;
  if (rest === '0') return 0;
  if (!rest) throw usageError(`invalid duration for --${flag}: ${JSON.stringify(text)}`);
  while (rest) {
    const m = DURATION.exec(rest);
    if (!m) throw usageError(`invalid duration for --${flag}: ${JSON.stringify(text)} (e.g. 30s, 1m30s, 500ms)`);
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return Math.round(ms);
}

/** The healthcheck the flags ask for; undefined when none of them is given. */
export function healthFromFlags(flags: FlagValues): HealthConfig | undefined {
  const cmd = str(flags, 'health-cmd');
  const durations = {
    intervalMs: str(flags, 'health-interval'),
    timeoutMs: str(flags, 'health-timeout'),
    startPeriodMs: str(flags, 'health-start-period'),
  };
  const retries = int(flags, 'health-retries');
  const any = cmd !== undefined || retries !== undefined || Object.values(durations).some((d) => d !== undefined);
  if (bool(flags, 'no-healthcheck')) {
    if (any) throw usageError('--no-healthcheck conflicts with --health-* options');
    return { test: ['NONE'] };
  }
  if (!any) return undefined;
  const h: HealthConfig = {};
  if (cmd !== undefined) h.test = ['CMD-SHELL', cmd];
  const names = { intervalMs: 'health-interval', timeoutMs: 'health-timeout', startPeriodMs: 'health-start-period' };
  for (const [key, value] of Object.entries(durations) as [keyof typeof durations, string | undefined][]) {
    if (value === undefined) continue;
    const ms = parseDurationMs(value, names[key]);
    if (ms < 0) throw usageError(`--${names[key]} cannot be negative`);
    h[key] = ms;
  }
  if (retries !== undefined) {
    if (retries < 0) throw usageError('--health-retries cannot be negative');
    h.retries = retries;
  }
  return h;
}

/** Fills the request's config and host config from the supervise flags. */
export function applySuperviseFlags(flags: FlagValues, config: ContainerConfig, hostConfig: HostConfig): void {
  const restart = str(flags, 'restart');
  if (restart !== undefined) hostConfig.restartPolicy = parseRestart(restart);
  const health = healthFromFlags(flags);
  if (health) config.healthcheck = health;
  const driver = str(flags, 'log-driver');
  const opts = list(flags, 'log-opt');
  if (driver !== undefined || opts.length > 0) {
    const logConfig: NonNullable<HostConfig['logConfig']> = {};
    if (driver !== undefined) logConfig.type = driver;
    if (opts.length > 0) {
      logConfig.config = {};
      for (const o of opts) {
        const eq = o.indexOf('=');
        if (eq <= 0) throw usageError(`invalid --log-opt ${JSON.stringify(o)}: want key=value`);
        logConfig.config[o.slice(0, eq)] = o.slice(eq + 1);
      }
    }
    hostConfig.logConfig = logConfig;
  }
}
