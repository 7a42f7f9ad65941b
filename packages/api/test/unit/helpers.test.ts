import { describe, expect, it } from 'vitest';
import { cancelledBy, errnoCode, errorCode, isErrno, throwIfCancelled } from '../../src/index.js';

describe('the one cancellation check', () => {
  it('passes while the signal is live and throws Cancelled, with the reason, once aborted', () => {
    const ctl = new AbortController();
    expect(() => throwIfCancelled(ctl.signal, 'pull')).not.toThrow();
    expect(() => throwIfCancelled(undefined)).not.toThrow();
    ctl.abort(new Error('user pressed ^C'));
    let err: unknown;
    try {
      throwIfCancelled(ctl.signal, 'pull');
    } catch (e) {
      err = e;
    }
    expect(errorCode(err)).toBe('Cancelled');
    expect((err as Error).message).toBe('pull cancelled: user pressed ^C');
    expect(cancelledBy(AbortSignal.abort()).message).toMatch(/^call cancelled/);
  });
});

describe('the errno helper', () => {
  it('reads the code of Node system errors only', () => {
    const enoent = Object.assign(new Error('x'), { code: 'ENOENT' });
    expect(errnoCode(enoent)).toBe('ENOENT');
    expect(isErrno(enoent, 'ENOTDIR', 'ENOENT')).toBe(true);
    expect(isErrno(enoent, 'EEXIST')).toBe(false);
    expect(isErrno(new Error('plain'), 'ENOENT')).toBe(false);
    expect(isErrno(null, 'ENOENT')).toBe(false);
    expect(errnoCode({ code: 5 })).toBeUndefined();
  });
});
