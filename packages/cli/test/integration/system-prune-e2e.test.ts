/** `tscr system df` and `tscr system prune` against a real daemon: what goes, what stays, and the filters. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, E2eDaemon, e2eSkipReason } from '../fixtures/e2e.js';

describe.skipIf(e2eSkipReason())('tscr system df and system prune', () => {
  let d: E2eDaemon;
  const image = `${uniqueName('prune')}:1`;
  const spare = `${uniqueName('prune')}:spare`;
  const ok = (args: string[]) => {
    const r = d.tscr(args);
    expect(r.code, `tscr ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const names = (args: string[]) => ok(args).split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    d = await E2eDaemon.create('system-prune');
    await d.start();
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    ok(['image', 'import', tar, image]);
    ok(['run', '--name', 'kept-label', '--network', 'none', '--label', 'keep=1', image, 'true']);
    ok(['run', '--name', 'plain', '--network', 'none', '-v', '/anon', image, 'true']);
    ok(['run', '-d', '--name', 'running', '--network', 'none', image, 'sleep', '1000']);
    ok(['commit', '-c', 'CMD ["sh"]', 'plain', spare]); // a second image, which no container uses
    ok(['network', 'create', '--label', 'keep=1', 'net-label']);
    ok(['network', 'create', 'net-plain']);
  });
  afterAll(async () => {
    await d?.cleanup();
  });

  it('df counts images, containers and volumes', () => {
    const df = ok(['system', 'df']);
    expect(df).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\n/);
    expect(df).toMatch(/\nImages +2 +1 +\S+ +\S+/);
    expect(df).toMatch(/\nContainers +3 +1 +N\/A +N\/A\n/);
    expect(df).toMatch(/\nLocal Volumes +1 +1 +N\/A +N\/A\n/);
    expect(JSON.parse(ok(['system', 'df', '--format', 'json']).split('\n')[0]!)).toMatchObject({ Type: 'Images' });
  });

  it('asks first, and a "no" removes nothing', () => {
    const r = spawnSync('node', [CLI, 'system', 'prune'], { env: d.env(), input: 'n\n', encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('WARNING! This will remove:\n  - all stopped containers\n');
    expect(r.stdout).toContain('Are you sure you want to continue? [y/N] ');
    expect(names(['ps', '-a', '--format', '{{.Names}}'])).toEqual(['kept-label', 'plain', 'running']);
  });

  it('with a label filter, removes only what carries the label', () => {
    const out = ok(['system', 'prune', '-f', '--filter', 'label=keep=1']);
    expect(out).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Networks:\nnet-label\n\n/);
    expect(names(['ps', '-a', '--format', '{{.Names}}'])).toEqual(['plain', 'running']);
    expect(names(['network', 'ls', '--format', '{{.Name}}'])).toContain('net-plain');
  });

  it('refuses filters the volume layer cannot apply, before removing anything', () => {
    const r = d.tscr(['system', 'prune', '-f', '--volumes', '--filter', 'until=1h']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The "until" filter is not supported with "--volumes"');
    expect(names(['ps', '-a', '--format', '{{.Names}}'])).toEqual(['plain', 'running']);
  });

  it('-a --volumes: stopped containers, unused networks, anonymous volumes, unused images; keeps what runs', () => {
    const out = ok(['system', 'prune', '-a', '-f', '--volumes']);
    expect(out).toContain('Deleted Networks:\nnet-plain\n');
    expect(out).toMatch(/Deleted Volumes:\n[0-9a-f]{64}\n/);
    expect(out).toMatch(/Deleted Images:\n(untagged: \S+\n)*deleted: sha256:[0-9a-f]{64}\n/);
    expect(out).toMatch(/Total reclaimed space: \S+\n$/);
    expect(names(['ps', '-a', '--format', '{{.Names}}'])).toEqual(['running']);
    expect(names(['volume', 'ls', '-q'])).toEqual([]);
    expect(ok(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain(image.split(':')[0]);
    expect(d.tscr(['image', 'inspect', spare]).code).toBe(1);
  });
});
