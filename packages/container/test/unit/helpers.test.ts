import { describe, expect, it } from 'vitest';
import { humanDuration } from '@tscr/api';
import { DEFAULT_PATH, effectiveCommand, mergeEnv, normalizeName, randomName, statusText } from '@tscr/container';
import { MemoryContainerStore } from '@tscr/container/local';
import { errorCode, type ContainerInfo } from '@tscr/api';

describe('names', () => {
  it('accepts Docker names and strips one leading slash', () => {
    expect(normalizeName('/web')).toBe('web');
    expect(normalizeName('a.b_c-1')).toBe('a.b_c-1');
    for (const bad of ['', 'a', '-x', '_x', 'a/b', 'a b', 'é']) {
      expect(() => normalizeName(bad)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
  });
  it('makes adjective_noun names that are valid', () => {
    for (let i = 0; i < 50; i++) expect(normalizeName(randomName(i % 2))).toMatch(/^[a-z]+_[a-z]+\d?$/);
  });
});

describe('command and env', () => {
  const image = { entrypoint: ['/ep'], cmd: ['dflt'] };
  it('follows Docker entrypoint/cmd rules', () => {
    expect(effectiveCommand({ image: 'i' }, image)).toMatchObject({ path: '/ep', args: ['dflt'] });
    expect(effectiveCommand({ image: 'i', cmd: ['x'] }, image)).toMatchObject({ path: '/ep', args: ['x'] });
    expect(effectiveCommand({ image: 'i', entrypoint: ['sh'] }, image)).toMatchObject({ path: 'sh', args: [] });
    expect(effectiveCommand({ image: 'i', entrypoint: [], cmd: ['ls'] }, image)).toMatchObject({
      path: 'ls',
      args: [],
    });
    expect(() => effectiveCommand({ image: 'i' }, {})).toThrow('no command specified');
  });
  it('merges env by key and adds a default PATH', () => {
    expect(mergeEnv(['A=1', 'B=1'], ['B=2'])).toEqual(['A=1', 'B=2', DEFAULT_PATH]);
    expect(mergeEnv(['PATH=/x'], undefined)).toEqual(['PATH=/x']);
  });
});

describe('status text', () => {
  const now = Date.parse('2024-01-01T00:10:00Z');
  const base = { running: false, pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: '', finishedAt: '' };
  it('reads like docker ps', () => {
    expect(statusText({ ...base, status: 'created' }, now)).toBe('Created');
    expect(statusText({ ...base, status: 'running', running: true, startedAt: '2024-01-01T00:09:57Z' }, now)).toBe(
      'Up 3 seconds',
    );
    expect(statusText({ ...base, status: 'exited', exitCode: 2, finishedAt: '2024-01-01T00:08:00Z' }, now)).toBe(
      'Exited (2) 2 minutes ago',
    );
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(61_000)).toBe('About a minute');
    expect(humanDuration(3 * 3600_000)).toBe('3 hours');
  });
});

describe('MemoryContainerStore', () => {
  const record = (id: string, name: string) => ({ id, name }) as ContainerInfo;
  it('keeps names unique and copies records', () => {
    const store = new MemoryContainerStore();
    store.insert(record('a1', 'web'));
    let code = '';
    try {
      store.insert(record('b2', 'web'));
    } catch (err) {
      code = errorCode(err);
    }
    expect(code).toBe('AlreadyExists');
    const got = store.get('a1')!;
    got.name = 'changed';
    expect(store.getByName('web')?.id).toBe('a1');
    expect(store.findByIdPrefix('a').length).toBe(1);
    store.delete('a1');
    store.delete('a1');
    expect(store.list()).toEqual([]);
    expect(() => store.update(record('zz', 'x'))).toThrow(expect.objectContaining({ code: 'NotFound' }));
  });
});
