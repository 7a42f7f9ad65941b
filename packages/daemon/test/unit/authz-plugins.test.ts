/**
 * The authorization chain over the real plugin client (`PluginRegistry` and test
 * plugins speaking Docker's protocol on UNIX sockets): what reaches a plugin over
 * the wire, and fail-closed for every way a plugin can go wrong — not there, not an
 * authz plugin, down, crashed mid-call, hung past the timeout, garbage, `Err` —
 * and a plugin that restarts is used again.
 */
import { rm } from 'node:fs/promises';
import { PluginRegistry } from '@tscr/plugins/local';
import { type TestPlugin, createTestPlugin, faults, makeTempDir, rejection } from '@tscr/testkit';
import type { AuthzRequest } from '@tscr/docker-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthzChain } from '../../src/authz/chain.js';

let dir = '';
const plugins: TestPlugin[] = [];

async function plugin(name: string, handlers: TestPlugin['handlers'], impl = ['authz']): Promise<TestPlugin> {
  const p = await createTestPlugin({ socketDir: dir, name, implements: impl, handlers });
  plugins.push(p);
  return p;
}

const chain = (...names: string[]) =>
  new AuthzChain(
    names,
    new PluginRegistry({ dirs: { sockets: [dir], specs: [] }, retryMs: 400, retryBaseMs: 25, timeoutMs: 1_000 }),
  );

const request: AuthzRequest = {
  user: '',
  userAuthNMethod: '',
  requestMethod: 'POST',
  requestUri: '/v1.51/containers/create',
  requestHeaders: { 'Content-Type': 'application/json' },
  requestBody: Buffer.from('{"HostConfig":{"Privileged":true}}'),
};

const allow = () => ({ Allow: true });

beforeEach(async () => {
  dir = await makeTempDir('authz-plugins');
});
afterEach(async () => {
  await Promise.all(plugins.splice(0).map((p) => p.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('AuthzChain over Docker plugins', () => {
  it('sends dockerd’s JSON, and the plugin’s refusal reaches the caller', async () => {
    const p = await plugin('tscr-test-authz-a', {
      'AuthZPlugin.AuthZReq': (body) => {
        const b = body as { RequestBody: string };
        const create = JSON.parse(Buffer.from(b.RequestBody, 'base64').toString());
        return create.HostConfig.Privileged ? { Allow: false, Msg: 'no privileged' } : { Allow: true };
      },
    });
    const err = await rejection(chain(p.name).authorizeRequest(request));
    expect(err.code).toBe('PermissionDenied');
    expect(err.message).toBe('authorization denied by plugin tscr-test-authz-a: no privileged');
    const call = p.calls.find((c) => c.method === 'AuthZPlugin.AuthZReq');
    expect(call?.contentType).toContain('application/vnd.docker.plugins.v1.2+json');
    expect(call?.body).toMatchObject({ RequestMethod: 'POST', RequestURI: '/v1.51/containers/create' });
  });

  it('fails closed for every kind of broken plugin, each with a message naming it', async () => {
    const cases: [string, TestPlugin['handlers'] | 'absent' | 'volume' | 'down', string][] = [
      ['tscr-test-authz-absent', 'absent', 'not found'],
      ['tscr-test-authz-volume', 'volume', 'does not implement authz'],
      ['tscr-test-authz-down', 'down', ''], // its socket is gone: not found
      ['tscr-test-authz-crash', { 'AuthZPlugin.AuthZReq': faults.crash() }, ''],
      ['tscr-test-authz-hang', { 'AuthZPlugin.AuthZReq': faults.hang() }, ''],
      ['tscr-test-authz-garbage', { 'AuthZPlugin.AuthZReq': faults.garbage() }, ''],
      ['tscr-test-authz-err', { 'AuthZPlugin.AuthZReq': () => ({ Err: 'policy store unreachable' }) }, 'policy store'],
    ];
    for (const [name, how, why] of cases) {
      if (how === 'volume') await plugin(name, {}, ['VolumeDriver']);
      else if (how === 'down') await (await plugin(name, {})).stop();
      else if (how !== 'absent') await plugin(name, how);
      const err = await rejection(chain(name).authorizeRequest(request));
      expect(err.code, name).toBe('PermissionDenied');
      expect(err.message, name).toMatch(new RegExp(`^plugin ${name} failed with error: .*${why}`));
    }
  });

  it('a plugin that restarts is used again', async () => {
    const p = await plugin('tscr-test-authz-restart', { 'AuthZPlugin.AuthZReq': allow });
    const c = chain(p.name);
    await c.authorizeRequest(request);
    await p.stop();
    await rejection(c.authorizeRequest(request));
    await p.start();
    await c.authorizeRequest(request);
    expect(p.count('Plugin.Activate')).toBeGreaterThanOrEqual(2);
  });
});
