/**
 * `tscr container move` between two daemons on this machine (mutual TLS
 * between them), cold: a running container with data in its writable layer
 * and in a named volume arrives intact and running, on its network, with its
 * labels, and nothing is left on the source; a volume another container uses
 * stops the move; killing the target daemon in the middle of a move leaves
 * the source container running. Root only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@tscr/testkit';
import { e2eSkipReason, runCliAsync, type Result } from '../fixtures/e2e.js';
import { startTwoDaemons, type Member, type TwoDaemons } from '../fixtures/two-daemons.js';

const skip = e2eSkipReason();

describe.skipIf(skip)('tscr container move', () => {
  let t: TwoDaemons;
  const ok = (who: Member, args: string[]): string => {
    const r: Result = who.tscr(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    t = await startTwoDaemons();
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
  });

  it('moves a running container with its writable layer, volume, network and labels', () => {
    const name = uniqueName('web');
    const vol = uniqueName('data');
    const net = uniqueName('net');
    ok(t.a, ['network', 'create', net]);
    ok(t.a, ['volume', 'create', vol]);
    ok(t.a, [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      net,
      '--label',
      'tier=front',
      '-v',
      `${vol}:/data`,
      t.image,
      'sleep',
      '1000',
    ]);
    ok(t.a, ['exec', name, 'sh', '-c', 'echo in-layer > /moved.txt && echo in-volume > /data/f']);

    const moved = t.withContexts(['-c', 'a', 'container', 'move', '-t', '1', name, '--to', 'b']);
    expect(moved.code).toBe(0);
    expect(moved.stderr).toContain('cold move');

    expect(ok(t.b, ['inspect', '-f', '{{.State.Running}} {{.Config.Labels.tier}}', name])).toBe('true front\n');
    expect(ok(t.b, ['exec', name, 'cat', '/moved.txt', '/data/f'])).toBe('in-layer\nin-volume\n');
    expect(ok(t.b, ['inspect', '-f', '{{json .NetworkSettings.Networks}}', name])).toContain(`"${net}"`);
    expect(ok(t.b, ['volume', 'ls', '-q'])).toContain(vol);

    // Nothing left on the source: no container, no volume, no move image.
    expect(t.a.tscr(['inspect', name]).code).not.toBe(0);
    expect(ok(t.a, ['volume', 'ls', '-q'])).not.toContain(vol);
    expect(ok(t.a, ['images'])).not.toContain('tscr-move/');
    ok(t.b, ['rm', '-f', name]);
  });

  it('refuses to move a container whose volume another container uses, and leaves it running', () => {
    const vol = uniqueName('shared');
    const [one, two] = [uniqueName('one'), uniqueName('two')];
    ok(t.a, ['run', '-d', '--name', one, '--network', 'none', '-v', `${vol}:/s`, t.image, 'sleep', '1000']);
    ok(t.a, ['run', '-d', '--name', two, '--network', 'none', '-v', `${vol}:/s`, t.image, 'sleep', '1000']);
    const refused = t.withContexts(['-c', 'a', 'container', 'move', one, '--to', 'b']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--shared-volumes');
    expect(ok(t.a, ['inspect', '-f', '{{.State.Running}}', one])).toBe('true\n');
    expect(t.b.tscr(['inspect', one]).code).not.toBe(0);
    ok(t.a, ['rm', '-f', one, two]);
  });

  it('undoes what it made on the target when a step there fails, and starts the source again', () => {
    // A fixed address needs the same subnet on the target; on one host that subnet is the source's bridge,
    // so the target refuses the network after the image and the volume have arrived.
    const [name, vol, net] = [uniqueName('fixed'), uniqueName('fixedvol'), uniqueName('fixednet')];
    const third = 100 + Math.floor(Math.random() * 150);
    ok(t.a, ['network', 'create', '--subnet', `10.213.${third}.0/24`, net]);
    ok(t.a, [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      net,
      '--ip',
      `10.213.${third}.9`,
      '-v',
      `${vol}:/data`,
      t.image,
      'sleep',
      '1000',
    ]);
    ok(t.a, ['exec', name, 'sh', '-c', 'echo kept > /data/f']);
    const failed = t.withContexts(['-c', 'a', 'container', 'move', '-t', '1', name, '--to', 'b']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('overlaps');
    expect(failed.stderr).toContain(`volume ${vol}`); // it got that far
    expect(ok(t.a, ['inspect', '-f', '{{.State.Running}}', name])).toBe('true\n');
    expect(ok(t.a, ['exec', name, 'cat', '/data/f'])).toBe('kept\n');
    expect(ok(t.b, ['volume', 'ls', '-q'])).not.toContain(vol);
    expect(ok(t.b, ['network', 'ls'])).not.toContain(net);
    expect(ok(t.b, ['images'])).not.toContain(`tscr-move/${name}`);
    expect(ok(t.a, ['images'])).not.toContain(`tscr-move/${name}`);
    ok(t.a, ['rm', '-f', '-v', name]);
    ok(t.a, ['network', 'rm', net]);
  });

  it('leaves the source running when the target daemon dies in the middle of a move', async () => {
    const name = uniqueName('big');
    const vol = uniqueName('bigvol');
    ok(t.a, ['run', '-d', '--name', name, '--network', 'none', '-v', `${vol}:/data`, t.image, 'sleep', '1000']);
    ok(t.a, ['exec', name, 'sh', '-c', 'dd if=/dev/urandom of=/data/big bs=1048576 count=300 2>/dev/null']);
    const before = (await t.b.stats()).volumeBytesReceived;
    const move = runCliAsync(['-c', 'a', 'container', 'move', '-t', '1', name, '--to', 'b'], {
      ...process.env,
      HOME: t.home,
      TSCR_HOST: '',
      TSCR_CONTEXT: '',
    });
    // Kill the target once the volume has started to arrive.
    for (let i = 0; i < 600; i++) {
      if ((await t.b.stats().catch(() => ({ volumeBytesReceived: before }))).volumeBytesReceived > before) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await t.b.daemon.stop('SIGKILL');
    const result = await move;
    expect(result.code).not.toBe(0);
    expect(ok(t.a, ['inspect', '-f', '{{.State.Running}}', name])).toBe('true\n');
    expect(ok(t.a, ['exec', name, 'ls', '/data'])).toBe('big\n');
    expect(ok(t.a, ['images'])).not.toContain('tscr-move/');
    await t.restart(t.b);
    expect(t.b.tscr(['inspect', name]).code).not.toBe(0);
    ok(t.a, ['rm', '-f', '-v', name]);
  }, 180_000);
});
