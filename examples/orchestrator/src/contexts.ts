/**
 * Reads a daemon context as `tscr context create` saved it: the documented
 * layout `$HOME/.tscr/contexts/NAME/meta.json` (`{ "host": … , "tls": true }`)
 * and `tls/{ca,cert,key}.pem`. The orchestrator needs nothing else of the CLI.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DaemonTarget } from '@tscr/api/grpc';

/** The daemon a context names, with its TLS material. @throws Error when the context is not saved. */
export function readContext(name: string, home = process.env.HOME || homedir()): DaemonTarget {
  const dir = join(home, '.tscr', 'contexts', name);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { host: string; tls?: boolean };
  if (!meta.tls) return { address: meta.host };
  const pem = (f: string) => readFileSync(join(dir, 'tls', f), 'utf8');
  return { address: meta.host, tls: { ca: pem('ca.pem'), cert: pem('cert.pem'), key: pem('key.pem') } };
}
