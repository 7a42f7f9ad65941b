/**
 * The flags before the command word and the `--help` every command takes: kept
 * apart from help.ts so that `tscr --version` parses them without loading the
 * command table.
 */
import type { FlagSpec } from './args.js';
import { DEFAULT_HOST } from './client.js';

/** The flags that come before the command word. */
export const globalFlags: FlagSpec[] = [
  {
    name: 'host',
    short: 'H',
    type: 'string',
    description: `Daemon socket to connect to (default ${DEFAULT_HOST}, or $TSCR_HOST)`,
  },
  {
    name: 'context',
    short: 'c',
    type: 'string',
    description: 'Name of the context to use (overrides $TSCR_HOST and $TSCR_CONTEXT; see tscr context use)',
  },
  { name: 'tlsverify', type: 'bool', description: 'Use mutual TLS and verify the daemon (or $TSCR_TLS_VERIFY)' },
  {
    name: 'tlscacert',
    type: 'string',
    description: 'Trust certs signed only by this CA (default $TSCR_CERT_PATH/ca.pem)',
  },
  { name: 'tlscert', type: 'string', description: 'Path to the client certificate (default $TSCR_CERT_PATH/cert.pem)' },
  { name: 'tlskey', type: 'string', description: 'Path to the client key (default $TSCR_CERT_PATH/key.pem)' },
  { name: 'debug', short: 'D', type: 'bool', description: 'Enable debug output' },
  { name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
  { name: 'help', type: 'bool', description: 'Print usage' },
];

/** The `--help` flag every command takes. */
export const helpFlag: FlagSpec = { name: 'help', type: 'bool', description: 'Print usage' };
