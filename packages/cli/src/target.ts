/**
 * Which daemon a command talks to, as the Docker CLI decides it: `-H` or
 * `--context` (not both), else `TSCR_HOST`, else `TSCR_CONTEXT`, else the
 * context chosen by `tscr context use`, else the local socket. TLS comes from
 * the context, or from `--tlsverify`/`TSCR_TLS_VERIFY` with `--tlscacert`,
 * `--tlscert`, `--tlskey` (default `ca.pem`, `cert.pem`, `key.pem` in
 * `TSCR_CERT_PATH`, else `~/.tscr`).
 */
import { join } from 'node:path';
import type { DaemonTarget } from '@tscr/api/grpc';
import { bool, str, usageError, type FlagValues } from './args.js';
import { DEFAULT_HOST } from './client.js';
import { ContextStore, configDir, contextTls, DEFAULT_CONTEXT, readPem } from './context-store.js';

/** The daemon a command talks to, and the context it came from. */
export interface ResolvedTarget extends DaemonTarget {
  /** The saved context used, if any. */
  context?: string;
}

/** TLS from the flags and variables, or undefined when none asks for it. */
function flagTls(flags: FlagValues, env: Record<string, string | undefined>): DaemonTarget['tls'] {
  const paths = { ca: str(flags, 'tlscacert'), cert: str(flags, 'tlscert'), key: str(flags, 'tlskey') };
  const wanted = bool(flags, 'tlsverify') || Object.values(paths).some(Boolean) || Boolean(env.TSCR_TLS_VERIFY);
  if (!wanted) return undefined;
  const dir = env.TSCR_CERT_PATH || configDir(env);
  return {
    ca: readPem(paths.ca ?? join(dir, 'ca.pem'), '--tlscacert'),
    cert: readPem(paths.cert ?? join(dir, 'cert.pem'), '--tlscert'),
    key: readPem(paths.key ?? join(dir, 'key.pem'), '--tlskey'),
  };
}

/** The daemon of a saved context (`default`: the local socket). @throws NotFound. */
export function contextTarget(name: string, env: Record<string, string | undefined>): ResolvedTarget {
  if (name === DEFAULT_CONTEXT) return { address: env.TSCR_HOST || DEFAULT_HOST };
  const ctx = new ContextStore(configDir(env)).get(name);
  const tls = contextTls(ctx);
  return { address: ctx.host, context: name, ...(tls && { tls }) };
}

/**
 * Resolves the global flags and environment to one daemon.
 * @throws InvalidArgument (usage) for `-H` with `--context`; NotFound for an unknown context.
 */
export function resolveTarget(flags: FlagValues, env: Record<string, string | undefined>): ResolvedTarget {
  const host = str(flags, 'host');
  const named = str(flags, 'context');
  if (host && named) throw usageError('conflicting options: either specify --host or --context, not both');
  if (named) return contextTarget(named, env);
  const address = host ?? env.TSCR_HOST;
  if (!address) {
    const chosen = env.TSCR_CONTEXT || new ContextStore(configDir(env)).current();
    if (chosen !== DEFAULT_CONTEXT) return contextTarget(chosen, env);
  }
  const tls = flagTls(flags, env);
  return { address: address ?? DEFAULT_HOST, ...(tls && { tls }) };
}
