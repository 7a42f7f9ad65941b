/**
 * The authorization chain against fake plugins (the `Plugin.call` contract):
 * dockerd's wire fields, order and short-circuit, refusals in dockerd's words,
 * and fail-closed for plugins that are missing, down, or answer garbage.
 */
import { describe, expect, it } from 'vitest';
import { unavailable } from '@tscr/api';
import { rejection } from '@tscr/testkit';
import type { AuthzRequest } from '@tscr/docker-api';
import { AuthzChain, type AuthzPluginHandle, type AuthzPluginSource } from '../../src/authz/chain.js';

type Answer = (method: string, body: Record<string, unknown>) => unknown;

function source(answers: Record<string, Answer | Error>) {
  const calls: { plugin: string; method: string; body: Record<string, unknown> }[] = [];
  const src: AuthzPluginSource = {
    async get(name, kind) {
      expect(kind).toBe('authz');
      const a = answers[name];
      if (a === undefined) throw new Error(`plugin "${name}" not found`);
      if (a instanceof Error) throw a;
      const handle: AuthzPluginHandle = {
        name,
        async call<T>(method: string, body?: unknown) {
          calls.push({ plugin: name, method, body: body as Record<string, unknown> });
          return a(method, body as Record<string, unknown>) as T;
        },
      };
      return handle;
    },
  };
  return { src, calls };
}

const request: AuthzRequest = {
  user: 'alice',
  userAuthNMethod: 'TLS',
  requestMethod: 'POST',
  requestUri: '/v1.51/containers/create',
  requestHeaders: { 'Content-Type': 'application/json' },
  requestBody: Buffer.from('{"HostConfig":{"Privileged":true}}'),
};

const allow: Answer = () => ({ Allow: true });

describe('AuthzChain', () => {
  it('sends dockerd’s fields (the body as base64) and passes when every plugin allows', async () => {
    const { src, calls } = source({ a: allow, b: allow });
    const chain = new AuthzChain(['a', 'b'], src);
    await chain.authorizeRequest(request);
    expect(calls.map((c) => `${c.plugin}:${c.method}`)).toEqual(['a:AuthZPlugin.AuthZReq', 'b:AuthZPlugin.AuthZReq']);
    expect(calls[0]?.body).toEqual({
      User: 'alice',
      UserAuthNMethod: 'TLS',
      RequestMethod: 'POST',
      RequestURI: '/v1.51/containers/create',
      RequestBody: Buffer.from('{"HostConfig":{"Privileged":true}}').toString('base64'),
      RequestHeaders: { 'Content-Type': 'application/json' },
    });
    await chain.authorizeResponse(request, {
      statusCode: 201,
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from('{"Id":"x"}'),
    });
    expect(calls[2]?.method).toBe('AuthZPlugin.AuthZRes');
    expect(calls[2]?.body).toMatchObject({
      ResponseStatusCode: 201,
      ResponseBody: Buffer.from('{"Id":"x"}').toString('base64'),
      ResponseHeaders: { 'Content-Type': 'application/json' },
    });
  });

  it('stops at the first refusal, with dockerd’s text, as PermissionDenied', async () => {
    const { src, calls } = source({ a: () => ({ Allow: false, Msg: 'no privileged containers' }), b: allow });
    const err = await rejection(new AuthzChain(['a', 'b'], src).authorizeRequest(request));
    expect(err.code).toBe('PermissionDenied');
    expect(err.message).toBe('authorization denied by plugin a: no privileged containers');
    expect(calls.map((c) => c.plugin)).toEqual(['a']);
  });

  it('the second plugin of a chain may refuse what the first allowed', async () => {
    const { src, calls } = source({ a: allow, b: () => ({ Allow: false, Msg: 'b says no' }) });
    const err = await rejection(new AuthzChain(['a', 'b'], src).authorizeRequest(request));
    expect(err.message).toBe('authorization denied by plugin b: b says no');
    expect(calls).toHaveLength(2);
  });

  it('fails closed: a plugin that is missing, down, answers garbage or an Err refuses', async () => {
    const cases: [Answer | Error | undefined, string][] = [
      [undefined, 'plugin gone failed with error: plugin "gone" not found'],
      [unavailable('connection refused'), 'plugin gone failed with error: connection refused'],
      [() => 'not an object', 'plugin gone failed with error: answer is not a JSON object: "not an object"'],
      [() => ({ Allow: 'yes' }), 'plugin gone failed with error: "Allow" is not a boolean: "yes"'],
      [
        () => ({ Allow: true, Err: 'policy store unreachable' }),
        'plugin gone failed with error: policy store unreachable',
      ],
    ];
    for (const [answer, message] of cases) {
      const { src } = source(answer === undefined ? {} : { gone: answer });
      const err = await rejection(new AuthzChain(['gone'], src).authorizeRequest(request));
      expect(err.code).toBe('PermissionDenied');
      expect(err.message).toBe(message);
      expect(err.details?.plugin).toBe('gone');
    }
  });

  it('an answer without Allow is a refusal (Allow defaults to false)', async () => {
    const { src } = source({ a: () => ({}) });
    const err = await rejection(new AuthzChain(['a'], src).authorizeRequest(request));
    expect(err.message).toBe('authorization denied by plugin a: ');
  });
});
