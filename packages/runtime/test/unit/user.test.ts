import { describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { resolveUserFrom } from '@tscr/runtime/local';

const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  'tscr:x:1000:1000:tscr:/home/tscr:/bin/sh',
  'svc:x:1001:1001::/srv:/bin/false',
  'broken line',
].join('\n');
const group = [
  'root:x:0:',
  'tscr:x:1000:',
  'svc:x:1001:',
  'audio:x:29:tscr,svc',
  'video:x:44:tscr',
  'staff:x:50:',
].join('\n');

describe('resolveUserFrom', () => {
  it('defaults to root with its home', () => {
    expect(resolveUserFrom(undefined, passwd, group)).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/root' });
    expect(resolveUserFrom('', '', '')).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/' });
  });

  it('resolves a name with its supplementary groups', () => {
    expect(resolveUserFrom('tscr', passwd, group)).toEqual({
      uid: 1000,
      gid: 1000,
      additionalGids: [29, 44],
      home: '/home/tscr',
    });
  });

  it('resolves a known uid like its name', () => {
    expect(resolveUserFrom('1001', passwd, group)).toEqual({
      uid: 1001,
      gid: 1001,
      additionalGids: [29],
      home: '/srv',
    });
  });

  it('accepts an unknown uid with gid 0 and home /', () => {
    expect(resolveUserFrom('4242', passwd, group)).toEqual({ uid: 4242, gid: 0, additionalGids: [], home: '/' });
  });

  it('resolves name:group and uid:gid, with no supplementary groups', () => {
    expect(resolveUserFrom('tscr:staff', passwd, group)).toEqual({
      uid: 1000,
      gid: 50,
      additionalGids: [],
      home: '/home/tscr',
    });
    expect(resolveUserFrom('4242:77', passwd, group)).toEqual({ uid: 4242, gid: 77, additionalGids: [], home: '/' });
  });

  it('rejects unknown names with InvalidArgument and Docker-like messages', () => {
    expect(() => resolveUserFrom('x', passwd, group)).toThrow(
      'unable to find user x: no matching entries in passwd file',
    );
    try {
      resolveUserFrom('tscr:nogroup', passwd, group);
      expect.unreachable();
    } catch (err) {
      expect(errorCode(err)).toBe('InvalidArgument');
      expect((err as Error).message).toBe('unable to find group nogroup: no matching entries in group file');
    }
    expect(() => resolveUserFrom('tscr', '', '')).toThrow(/unable to find user tscr/);
  });
});
