/**
 * Whether the CLI host runs a request or sends it back to the bin (`F`), decided from the request alone,
 * before anything runs: the command, its flags, the daemon it would talk to, and the environment.
 */
import { bool, list, parseArgs, type FlagValues } from '../args.js';
import type { DaemonTarget } from '@tscr/api/grpc';
import { globalFlags, helpFlag } from '../global-flags.js';
import { resolveTarget } from '../target.js';
import type { HostRequest } from './request.js';

/** The commands a host runs (by their main words; aliases resolve to them). Everything else falls back. */
export const HOSTED_COMMANDS: ReadonlySet<string> = new Set([
  'version',
  'info',
  'ps',
  'run',
  'create',
  'start',
  'stop',
  'kill',
  'wait',
  'rm',
  'restart',
  'pause',
  'unpause',
  'rename',
  'port',
  'top',
  'exec',
  'logs',
  'inspect',
  'container inspect',
  'image inspect',
  'images',
  'rmi',
  'tag',
  'history',
  'volume ls',
  'volume inspect',
  'volume create',
  'volume rm',
  'network ls',
  'network inspect',
]);

/**
 * Variables that code under the CLI reads from `process.env` rather than from the request (the wire, traces,
 * failpoints): a request is hosted only when it has the host's own value of each.
 */
export const PROCESS_ENV: readonly string[] = ['TSCR_WIRE', 'TSCR_TRACE', 'TSCR_FAILPOINTS'];

/** The host's answer to a request. */
export type HostDecision = { hosted: true; target: DaemonTarget } | { hosted: false; reason: string };

const no = (reason: string): HostDecision => ({ hosted: false, reason });

/** Why the command's own flags keep it off the host (stdin, a terminal, a file named relative to cwd), if they do. */
function flagProblem(path: string, flags: FlagValues): string | undefined {
  const has = (name: string) => name in flags;
  if (has('interactive') && bool(flags, 'interactive')) return `${path} -i reads stdin`;
  if (has('tty') && bool(flags, 'tty')) return `${path} -t needs a terminal`;
  if (path !== 'start' && has('attach') && list(flags, 'attach').some((s) => s.toLowerCase() === 'stdin'))
    return `${path} --attach stdin reads stdin`;
  if (has('env-file') && list(flags, 'env-file').some((f) => !f.startsWith('/')))
    return `${path} --env-file names a file relative to the working directory`;
  if (has('security-opt')) {
    for (const opt of list(flags, 'security-opt')) {
      const m = /^seccomp[=:](.+)$/.exec(opt);
      if (m && m[1] !== 'unconfined' && !m[1]!.trimStart().startsWith('{') && !m[1]!.startsWith('/'))
        return `${path} --security-opt seccomp= names a file relative to the working directory`;
    }
  }
  return undefined;
}

/** Whether `address` is a local socket given by an absolute path (`unix:///path` or `/path`). */
function isLocalSocket(address: string): boolean {
  const a = address.trim();
  return a.startsWith('unix:///') || a.startsWith('/');
}

/**
 * Decides whether the host runs `req`. Reads nothing but the request, the host's environment (for
 * {@link PROCESS_ENV}), the saved contexts under the request's `$HOME` (to find the daemon) and the CLI's
 * command table; changes nothing. An argument the CLI would reject is hosted when the command is (the
 * CLI prints the same usage error either way), except in the global flags.
 */
export async function decideHosting(
  req: HostRequest,
  hostEnv: Record<string, string | undefined> = process.env,
): Promise<HostDecision> {
  if (req.env.TSCR_CLI_HOST === '0') return no('TSCR_CLI_HOST=0');
  if (req.env.TSCR_STARTUP_TRACE) return no('TSCR_STARTUP_TRACE traces a process start-up');
  for (const name of PROCESS_ENV) {
    if ((req.env[name] ?? '') !== (hostEnv[name] ?? '')) return no(`${name} differs from the host's`);
  }
  let global: ReturnType<typeof parseArgs>;
  try {
    global = parseArgs(req.argv, globalFlags, { stopAtPositional: true });
  } catch {
    return no('the global flags do not parse');
  }
  const { flags, positionals: words } = global;
  const { findCommand } = await import('../commands/table.js');
  const found = bool(flags, 'version') ? undefined : findCommand(words);
  if (!bool(flags, 'version')) {
    if (!found) return no('not a command (help, a group or an unknown word)');
    const path = found.entry.path.join(' ');
    if (!HOSTED_COMMANDS.has(path)) return no(`${path} is not hosted`);
    const command = await found.entry.load();
    if (!command) return no(`${path} is not in the host's bundle`);
    try {
      const parsed = parseArgs(words.slice(found.used.length), [...command.flags, helpFlag], {
        stopAtPositional: command.stopAtPositional ?? false,
      });
      const problem = flagProblem(path, parsed.flags);
      if (problem) return no(problem);
    } catch {
      // A usage error: the CLI prints it the same way hosted.
    }
  }
  let target: DaemonTarget;
  try {
    target = resolveTarget(flags, req.env);
  } catch {
    return no('the daemon cannot be resolved (the CLI says why)');
  }
  if (target.tls) return no('TLS daemons are not hosted');
  if (!isLocalSocket(target.address)) return no(`${target.address} is not a local socket`);
  return { hosted: true, target };
}
