/**
 * Certificates for mutual TLS, made by running `openssl` (no ASN.1 here).
 * The commands, for doing the same by hand (EC P-256 keys, SHA-256):
 *
 * ```sh
 * openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca-key.pem
 * openssl req -x509 -new -key ca-key.pem -subj /CN=tscr-ca -days 3650 -out ca.pem \
 *   -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
 * openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server-key.pem
 * openssl req -new -key server-key.pem -subj /CN=NAME -out server.csr
 * printf 'subjectAltName=DNS:NAME,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > ext.cnf
 * openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -days 825 -extfile ext.cnf -out server-cert.pem
 * # a client: the same with subj /CN=client and extendedKeyUsage=clientAuth, into cert.pem / key.pem
 * ```
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { failedPrecondition, invalidArgument } from '@tscr/api';

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw failedPrecondition(`cannot run openssl: ${r.error.message}`);
  if (r.status !== 0) throw failedPrecondition(`openssl ${args[0]} failed: ${r.stderr.trim()}`);
}

function newKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
  chmodSync(path, 0o600);
}

/** Makes `dir/ca.pem` and `dir/ca-key.pem` unless they exist; returns their paths. */
export function ensureCa(dir: string, name = 'tscr-ca', days = 3650): { ca: string; caKey: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  if (existsSync(ca) && existsSync(caKey)) return { ca, caKey };
  newKey(caKey);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-subj',
    `/CN=${name}`,
    '-days',
    String(days),
    '-out',
    ca,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { ca, caKey };
}

/** What {@link signCert} makes. */
export interface CertRequest {
  /** The CA (from {@link ensureCa}). */
  ca: { ca: string; caKey: string };
  /** Subject common name. */
  commonName: string;
  /** DNS names and IP addresses for subjectAltName (servers). */
  altNames?: string[];
  /** `server` certificates also serve as the daemon's client identity towards other daemons. */
  kind: 'server' | 'client';
  /** Validity in days; default 825. (Tests pass a negative number to make an expired one.) */
  days?: number;
  certPath: string;
  keyPath: string;
}

/** Makes a key and a certificate signed by the CA. @throws FailedPrecondition when openssl fails. */
export function signCert(req: CertRequest): void {
  const work = mkdtempSync(join(tmpdir(), 'tscr-certs-'));
  try {
    newKey(req.keyPath);
    const csr = join(work, 'req.csr');
    openssl(['req', '-new', '-key', req.keyPath, '-subj', `/CN=${req.commonName}`, '-out', csr]);
    const sans = (req.altNames ?? []).map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`));
    const ext = [
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
      `extendedKeyUsage=${req.kind === 'server' ? 'serverAuth,clientAuth' : 'clientAuth'}`,
      'keyUsage=critical,digitalSignature,keyEncipherment',
    ];
    writeFileSync(join(work, 'ext.cnf'), `${ext.join('\n')}\n`);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      req.ca.ca,
      '-CAkey',
      req.ca.caKey,
      '-CAcreateserial',
      '-CAserial',
      join(work, 'ca.srl'),
      '-days',
      String(req.days ?? 825),
      '-extfile',
      join(work, 'ext.cnf'),
      '-out',
      req.certPath,
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Options of {@link makeCertSet}. */
export interface CertSetOptions {
  dir: string;
  /** Names and IPs the server certificate is valid for (its SANs); localhost and 127.0.0.1 are always in. */
  hosts: string[];
  /** Extra client names: each gets `dir/NAME/{ca,cert,key}.pem`, ready as a `TSCR_CERT_PATH`. */
  clients: string[];
  days?: number;
}

/**
 * Writes a CA (kept when it exists), `server-cert.pem`/`server-key.pem` for
 * the daemon and `cert.pem`/`key.pem` for a client (so `dir` works as
 * `TSCR_CERT_PATH`), plus one folder per extra client. Keys are mode 0600.
 * Returns the files written.
 */
export function makeCertSet(opts: CertSetOptions): string[] {
  const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
  for (const n of [...opts.hosts, ...opts.clients])
    if (!NAME.test(n) && !isIP(n)) throw invalidArgument(`invalid name ${JSON.stringify(n)} for a certificate`);
  const ca = ensureCa(opts.dir);
  const hosts = [...new Set(['localhost', '127.0.0.1', ...opts.hosts])];
  const days = opts.days ?? 825;
  const serverName = opts.hosts[0] ?? 'localhost';
  const out = [ca.ca, ca.caKey];
  const put = (kind: 'server' | 'client', cn: string, certPath: string, keyPath: string, altNames?: string[]) => {
    signCert({ ca, commonName: cn, kind, days, certPath, keyPath, ...(altNames && { altNames }) });
    out.push(certPath, keyPath);
  };
  put('server', serverName, join(opts.dir, 'server-cert.pem'), join(opts.dir, 'server-key.pem'), hosts);
  put('client', 'client', join(opts.dir, 'cert.pem'), join(opts.dir, 'key.pem'));
  for (const name of opts.clients) {
    const d = join(opts.dir, name);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    copyFileSync(ca.ca, join(d, 'ca.pem'));
    put('client', name, join(d, 'cert.pem'), join(d, 'key.pem'));
  }
  return out;
}
