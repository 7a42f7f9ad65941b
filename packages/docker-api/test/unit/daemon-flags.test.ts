/** tscrd's Docker API flags: the default socket, TCP only with mutual TLS, disabling it. */
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '@tscr/daemon';
import { rejection } from '@tscr/testkit';

async function config(args: string[]) {
  const c = await parseCommandLine(args);
  if (c.kind !== 'daemon') throw new Error('not a daemon command');
  return c.config;
}

describe('tscrd Docker API flags', () => {
  it('serves <exec-root>/docker.sock by default', async () => {
    expect((await config([])).dockerHost).toBe('unix:///run/tscr/docker.sock');
    expect((await config(['--exec-root', '/tmp/x'])).dockerHost).toBe('unix:///tmp/x/docker.sock');
  });

  it('--no-docker-api disables it', async () => {
    expect((await config(['--no-docker-api'])).dockerHost).toBe('');
  });

  it('refuses TCP without mutual TLS, and half-given TLS', async () => {
    const noTls = await rejection(config(['--docker-host', 'tcp://0.0.0.0:2376']));
    expect(noTls).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('mutual TLS') });
    const half = await rejection(config(['--docker-host', 'tcp://0.0.0.0:2376', '--docker-tlscert', '/c.pem']));
    expect(half).toMatchObject({ code: 'InvalidArgument' });
    const tls = await config([
      '--docker-host',
      'tcp://0.0.0.0:2376',
      '--docker-tlscert',
      '/c.pem',
      '--docker-tlskey',
      '/k.pem',
      '--docker-tlscacert',
      '/ca.pem',
    ]);
    expect(tls.dockerTls).toEqual({ cert: '/c.pem', key: '/k.pem', ca: '/ca.pem' });
  });
});
