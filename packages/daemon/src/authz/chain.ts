/**
 * The authorization chain of `tscrd --authorization-plugin NAME` (repeatable):
 * every request, from either API, goes to each plugin in order
 * (`AuthZPlugin.AuthZReq`), and a buffered answer again (`AuthZPlugin.AuthZRes`);
 * the first plugin that refuses ends it. A plugin that cannot be reached, is not
 * an authz plugin, or answers something that is not an answer refuses too
 * (fail closed): nothing runs without every plugin's yes.
 */
import { type CallOptions, permissionDenied } from '@tscr/api';
import type { Authorizer, AuthzRequest, AuthzResponse } from '@tscr/docker-api';

/** The part of a discovered plugin the chain calls (`Plugin` of `@tscr/plugins/local` fits). */
export interface AuthzPluginHandle {
  readonly name: string;
  /** POSTs `/<method>` with a JSON body and resolves with the parsed answer; throws when the plugin fails. */
  call<T = unknown>(method: string, body?: unknown, opts?: CallOptions & { timeoutMs?: number }): Promise<T>;
}

/** Finds plugins by name (`PluginRegistry` of `@tscr/plugins/local` fits). */
export interface AuthzPluginSource {
  /** The activated plugin `name` implementing `kind`; throws NotFound, FailedPrecondition, Unavailable. */
  get(name: string, kind: string, opts?: CallOptions): Promise<AuthzPluginHandle>;
}

/** The `Implements` entry of authorization plugins. */
export const AUTHZ_KIND = 'authz';
/** Docker's method asked before a request runs. */
export const AUTHZ_REQUEST = 'AuthZPlugin.AuthZReq';
/** Docker's method asked before an answer leaves. */
export const AUTHZ_RESPONSE = 'AuthZPlugin.AuthZRes';

/** A plugin's answer: `Allow`, and a message for the user when it does not. */
interface AuthzAnswer {
  Allow?: unknown;
  Msg?: unknown;
  Err?: unknown;
}

/** The JSON body of both calls, with dockerd's field names (bodies as base64, as Go's `[]byte`). */
export function authzWireBody(req: AuthzRequest, res?: AuthzResponse): Record<string, unknown> {
  const b64 = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('base64') : undefined);
  return {
    User: req.user,
    UserAuthNMethod: req.userAuthNMethod,
    RequestMethod: req.requestMethod,
    RequestURI: req.requestUri,
    ...(req.requestBody && { RequestBody: b64(req.requestBody) }),
    RequestHeaders: req.requestHeaders,
    ...(req.peerCertificates?.length && { RequestPeerCertificates: req.peerCertificates.map(pemBase64) }),
    ...(res && {
      ResponseStatusCode: res.statusCode,
      ...(res.body && { ResponseBody: b64(res.body) }),
      ResponseHeaders: res.headers,
    }),
  };
}

/** A DER certificate as dockerd sends it: the PEM text, as Go's `[]byte` (base64). */
function pemBase64(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  const pem = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  return Buffer.from(pem).toString('base64');
}

/** Options of {@link AuthzChain}. */
export interface AuthzChainOptions {
  /** Deadline of one plugin call, in ms (default: the plugin client's). */
  timeoutMs?: number;
}

/** dockerd's `--authorization-plugin` chain over plugins found in `plugins`. */
export class AuthzChain implements Authorizer {
  constructor(
    /** Plugin names, in the order they are asked. */
    readonly names: readonly string[],
    private readonly plugins: AuthzPluginSource,
    private readonly opts: AuthzChainOptions = {},
  ) {}

  /** @throws PermissionDenied when a plugin refuses, or fails (`plugin NAME failed with error: …`). */
  authorizeRequest(req: AuthzRequest, opts: CallOptions = {}): Promise<void> {
    return this.ask(AUTHZ_REQUEST, authzWireBody(req), opts);
  }

  /** @throws PermissionDenied when a plugin refuses the answer, or fails. */
  authorizeResponse(req: AuthzRequest, res: AuthzResponse, opts: CallOptions = {}): Promise<void> {
    return this.ask(AUTHZ_RESPONSE, authzWireBody(req, res), opts);
  }

  private async ask(method: string, body: Record<string, unknown>, opts: CallOptions): Promise<void> {
    for (const name of this.names) {
      let answer: unknown;
      try {
        const plugin = await this.plugins.get(name, AUTHZ_KIND, opts);
        answer = await plugin.call<unknown>(method, body, {
          ...opts,
          ...(this.opts.timeoutMs !== undefined && { timeoutMs: this.opts.timeoutMs }),
        });
      } catch (err) {
        throw failed(name, err instanceof Error ? err.message : String(err), err);
      }
      const a = checkAnswer(name, answer);
      if (!a.Allow) {
        throw permissionDenied(`authorization denied by plugin ${name}: ${typeof a.Msg === 'string' ? a.Msg : ''}`, {
          details: { plugin: name },
        });
      }
    }
  }
}

/** dockerd's text for a plugin that could not decide; a refusal all the same. */
function failed(name: string, why: string, cause?: unknown) {
  return permissionDenied(`plugin ${name} failed with error: ${why}`, {
    details: { plugin: name, reason: 'plugin-failed' },
    ...(cause !== undefined && { cause }),
  });
}

/** An answer must be an object whose `Allow` is a boolean; a non-empty `Err` is the plugin's failure. */
function checkAnswer(name: string, answer: unknown): AuthzAnswer {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer))
    throw failed(name, `answer is not a JSON object: ${JSON.stringify(answer)?.slice(0, 200)}`);
  const a = answer as AuthzAnswer;
  if (typeof a.Err === 'string' && a.Err !== '') throw failed(name, a.Err);
  if (a.Allow !== undefined && typeof a.Allow !== 'boolean')
    throw failed(name, `"Allow" is not a boolean: ${JSON.stringify(a.Allow)}`);
  return a;
}
