/**
 * The daemon's listeners and its TLS identity: which addresses it may listen
 * on (TCP off loopback only with mutual TLS) and the PEM files it serves and
 * calls other daemons with. A leaf module: config and compose both import it.
 */
import { readFile } from 'node:fs/promises';
import { fromSystemError, invalidArgument, isLoopbackHost } from '@tscr/api';
import type { DaemonTarget } from '@tscr/api/grpc';

/** PEM paths: the daemon's certificate and key, and the CA its clients (and peers) must chain to. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/** The TLS flags in `tscrd --help`. */
export const TLS_USAGE = `  --tlsverify              mutual TLS on every TCP listener (gRPC and Docker API): clients need a
                           certificate signed by --tlscacert; TLS 1.2 or later
  --tlscacert FILE, --tlscert FILE, --tlskey FILE
                           the CA clients must chain to, the daemon's certificate and key (also its client
                           identity towards other daemons); make them with \`tscr system certs\`
  --insecure-loopback      allow TCP on a loopback address without TLS (for tests)`;

/**
 * The TLS settings from the flags.
 * @throws InvalidArgument when `--tlsverify` lacks a file, or files come without `--tlsverify`.
 */
export function tlsFlags(values: Record<string, unknown>): TlsFiles | undefined {
  const files = { ca: values.tlscacert, cert: values.tlscert, key: values.tlskey };
  const given = Object.values(files).filter((v) => typeof v === 'string');
  if (!values.tlsverify) {
    if (given.length > 0)
      throw invalidArgument('--tlscacert, --tlscert and --tlskey need --tlsverify (tscrd serves mutual TLS only)');
    return undefined;
  }
  if (given.length !== 3) throw invalidArgument('--tlsverify needs --tlscacert, --tlscert and --tlskey');
  return files as TlsFiles;
}

function hostOf(address: string): string | undefined {
  const a = address.trim();
  if (a.startsWith('unix://') || a.startsWith('/')) return undefined;
  const hostPort = a.startsWith('tcp://') ? a.slice('tcp://'.length) : a;
  return hostPort.slice(0, hostPort.lastIndexOf(':')).replace(/^\[|\]$/g, '');
}

/**
 * The API is root-equivalent: a TCP listener needs mutual TLS (`--tlsverify`),
 * except on loopback with the explicit `--insecure-loopback`.
 * @throws InvalidArgument naming the flag that is missing.
 */
export function checkListener(address: string, config: { tls?: TlsFiles; insecureLoopback?: boolean }): void {
  const name = hostOf(address);
  if (name === undefined || config.tls) return;
  if (isLoopbackHost(name)) {
    if (config.insecureLoopback) return;
    throw invalidArgument(
      `refusing to listen on ${address} without TLS: give --tlsverify (with --tlscacert, --tlscert, --tlskey), or --insecure-loopback for a test`,
      { details: { host: address } },
    );
  }
  throw invalidArgument(
    `refusing to listen on ${address}: a TCP listener off loopback needs --tlsverify (with --tlscacert, --tlscert, --tlskey); the API is root-equivalent`,
    { details: { host: address } },
  );
}

/** PEM bytes of a daemon's identity: its certificate (with clientAuth), key and CA. */
export interface DaemonIdentity {
  cert: Uint8Array;
  key: Uint8Array;
  ca: Uint8Array;
}

/**
 * How this daemon dials `address` (another daemon, a peer, a remote layer):
 * over TCP with its own certificate (mutual TLS) when it has one, plain over a UNIX socket.
 */
export function dialTarget(address: string, identity: DaemonIdentity | undefined): string | DaemonTarget {
  const a = address.trim();
  const unix = a.startsWith('unix://') || a.startsWith('/');
  return unix || !identity ? address : { address, tls: identity };
}

/** The PEM bytes of `files`. @throws NotFound (or the system error's code) naming the file. */
export async function readTls(files: TlsFiles): Promise<DaemonIdentity> {
  const read = (path: string) =>
    readFile(path).catch((err: unknown) => {
      throw fromSystemError(err, `cannot read TLS file ${path}`);
    });
  const [cert, key, ca] = await Promise.all([read(files.cert), read(files.key), read(files.ca)]);
  return { cert, key, ca };
}
