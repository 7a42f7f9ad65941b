import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/args.js';
import { buildCreateRequest, containerFlags, parseMount, parseTmpfs } from '../../src/commands/container-flags.js';
import { isUsageError } from '../../src/errors.js';

async function request(argv: string[], env: Record<string, string> = {}) {
  const { flags, positionals } = parseArgs(argv, containerFlags, { stopAtPositional: true });
  return buildCreateRequest(flags, positionals, env);
}

describe('buildCreateRequest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tscr-test-cli-flags-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('maps IMAGE and the command after it', async () => {
    const req = await request(['busybox:test', 'sh', '-c', 'exit 3']);
    expect(req).toEqual({ config: { image: 'busybox:test', cmd: ['sh', '-c', 'exit 3'] }, hostConfig: {} });
  });

  it('maps every flag to docker-shaped config', async () => {
    const req = await request(
      [
        '--rm',
        '--name',
        'web',
        '-e',
        'A=1',
        '-e',
        'FROM_CLIENT',
        '-e',
        'UNSET',
        '-w',
        '/tmp',
        '-u',
        '1000:1000',
        '--entrypoint',
        '/bin/echo',
        '-h',
        'box',
        '-v',
        '/src:/dst:ro',
        '--mount',
        'type=bind,source=/a,target=/b,readonly',
        '--tmpfs',
        '/run:size=64m',
        '--network',
        'none',
        '--runtime',
        'crun',
        '-l',
        'k=v',
        '-l',
        'flag',
        '--read-only',
        '--stop-timeout',
        '3',
        '--stop-signal',
        'SIGUSR1',
        'img',
        'hi',
      ],
      { FROM_CLIENT: 'yes' },
    );
    expect(req).toEqual({
      name: 'web',
      config: {
        image: 'img',
        cmd: ['hi'],
        entrypoint: ['/bin/echo'],
        env: ['A=1', 'FROM_CLIENT=yes'],
        workingDir: '/tmp',
        user: '1000:1000',
        hostname: 'box',
        labels: { k: 'v', flag: '' },
        stopSignal: 'SIGUSR1',
        stopTimeout: 3,
      },
      hostConfig: {
        networkMode: 'none',
        binds: ['/src:/dst:ro'],
        mounts: [
          { type: 'bind', source: '/a', target: '/b', readOnly: true },
          { type: 'tmpfs', source: '', target: '/run', options: ['size=64m'] },
        ],
        autoRemove: true,
        readonlyRootfs: true,
        runtime: 'crun',
      },
    });
  });

  it('clears the entrypoint with --entrypoint ""', async () => {
    expect((await request(['--entrypoint', '', 'img'])).config.entrypoint).toEqual([]);
  });

  it('reads --env-file before -e, skipping comments and blank lines', async () => {
    const file = join(dir, 'env');
    await writeFile(file, '# comment\nA=from-file\n\nB=2\r\nHOME_X\n');
    const req = await request(['--env-file', file, '-e', 'C=3', 'img'], { HOME_X: '/x' });
    expect(req.config.env).toEqual(['A=from-file', 'B=2', 'HOME_X=/x', 'C=3']);
  });

  it('reports a missing env file as NotFound', async () => {
    await expect(request(['--env-file', join(dir, 'missing'), 'img'])).rejects.toMatchObject({ code: 'NotFound' });
  });
});

describe('mount flags', () => {
  it('parses --mount aliases and tmpfs options', () => {
    expect(parseMount('type=bind,src=/a,dst=/b,ro=false')).toEqual({
      type: 'bind',
      source: '/a',
      target: '/b',
      readOnly: false,
    });
    expect(parseMount('type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1777')).toEqual({
      type: 'tmpfs',
      source: '',
      target: '/t',
      options: ['size=1m', 'mode=1777'],
    });
    expect(parseMount('source=vol,target=/data')).toEqual({ type: 'volume', source: 'vol', target: '/data' });
  });

  it('rejects malformed mounts as usage errors', () => {
    for (const bad of [
      'type=bind,target=/b',
      'type=nfs,target=/b',
      'source=/a',
      'type=bind,source=/a,target=/b,color=red',
    ]) {
      try {
        parseMount(bad);
        throw new Error(`accepted ${bad}`);
      } catch (err) {
        expect(isUsageError(err)).toBe(true);
      }
    }
    expect(() => parseTmpfs('relative')).toThrow(/absolute/);
    expect(parseTmpfs('/x')).toEqual({ type: 'tmpfs', source: '', target: '/x' });
  });
});
