/**
 * One HTTP POST to a plugin, over a UNIX socket, TCP or TLS, with a time limit and an abort signal. No retry
 * here (see plugin-client.ts); a failure to reach the plugin is `Unavailable` with `details.retryable`.
 */
import { readFile } from 'node:fs/promises';
import { type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { TscrError, cancelledBy, errnoCode, failedPrecondition, trustedCaCertificates } from '@tscr/api';
import type { PluginLocation } from './discovery.js';

/** What dockerd sends in `Accept` (and tscr in `Content-Type` too); plugins answer in the same media type. */
export const PLUGIN_MEDIA_TYPE = 'application/vnd.docker.plugins.v1.2+json';

/** Largest answer read from a plugin. */
const MAX_ANSWER = 16 * 1024 * 1024;

/** A plugin's HTTP answer. */
export interface RawAnswer {
  status: number;
  text: string;
}

interface Target {
  https: boolean;
  options: Record<string, unknown>;
}

async function target(loc: PluginLocation): Promise<Target> {
  const url = new URL(loc.address);
  if (url.protocol === 'unix:') return { https: false, options: { socketPath: url.pathname } };
  const tls = url.protocol === 'https:' || (url.protocol === 'tcp:' && loc.tls !== undefined);
  const options: Record<string, unknown> = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port) || (tls ? 443 : 80),
  };
  if (tls && loc.tls) {
    const read = async (file: string | undefined) => {
      if (!file) return undefined;
      try {
        return await readFile(file);
      } catch (err) {
        throw failedPrecondition(`plugin ${loc.name}: TLS file ${file}: ${(err as Error).message}`, { cause: err });
      }
    };
    options.rejectUnauthorized = !loc.tls.insecureSkipVerify;
    const [ca, cert, key] = await Promise.all([read(loc.tls.caFile), read(loc.tls.certFile), read(loc.tls.keyFile)]);
    if (ca) options.ca = ca;
    if (cert) options.cert = cert;
    if (key) options.key = key;
  }
  // Without a CA of its own, a TLS plugin is checked against Node's roots and NODE_EXTRA_CA_CERTS.
  if (tls && options.ca === undefined) {
    const ca = trustedCaCertificates(rootCertificates);
    if (ca) options.ca = ca;
  }
  return { https: tls, options };
}

/** Options of {@link postPlugin}. */
export interface PostOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * `POST /<method>` with `payload` (JSON text, or nothing) to the plugin at `loc`.
 * @throws Unavailable (not reachable, connection lost before the answer: `details.retryable` = "true");
 * DeadlineExceeded; Cancelled; Internal (answer too large).
 */
export async function postPlugin(
  loc: PluginLocation,
  method: string,
  payload: string | undefined,
  opts: PostOptions,
): Promise<RawAnswer> {
  const { https, options } = await target(loc);
  const path = `/${method.replace(/^\/+/, '')}`;
  const headers: Record<string, string | number> = { Accept: PLUGIN_MEDIA_TYPE };
  // A UNIX socket has no host name; dockerd sends a fixed one. Over TCP the real one stays (TLS checks it).
  if (options.socketPath) headers.Host = 'plugin.moby.localhost';
  if (payload !== undefined) {
    headers['Content-Type'] = PLUGIN_MEDIA_TYPE;
    headers['Content-Length'] = Buffer.byteLength(payload);
  }
  const where = `plugin ${loc.name} (${loc.address}) ${path}`;
  return new Promise<RawAnswer>((resolve, reject) => {
    let settled = false;
    let req: ClientRequest | undefined;
    const finish = (err: TscrError | undefined, answer?: RawAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req?.destroy();
        reject(err);
      } else resolve(answer as RawAnswer);
    };
    const onAbort = () => finish(cancelledBy(opts.signal as AbortSignal, `${where}`));
    const timer = setTimeout(
      () => finish(new TscrError('DeadlineExceeded', `${where}: no answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const onAnswer = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER) finish(new TscrError('Internal', `${where}: answer larger than ${MAX_ANSWER} bytes`));
        else chunks.push(c);
      });
      res.on('end', () =>
        finish(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (err) => finish(lost(where, err)));
      res.on('aborted', () => finish(lost(where, new Error('connection closed mid-answer'))));
    };
    const send = https ? httpsRequest : httpRequest;
    req = send({ ...options, method: 'POST', path, headers, agent: false }, onAnswer);
    req.on('error', (err) => finish(lost(where, err)));
    req.end(payload);
  });
}

function lost(where: string, err: Error): TscrError {
  const errno = errnoCode(err);
  return new TscrError('Unavailable', `${where}: ${err.message}`, {
    cause: err,
    details: { retryable: 'true', ...(errno ? { errno } : {}) },
  });
}
