import { describe, expect, it } from 'vitest';
import { ErrorCodes, TscrError, fromSystemError, isNotFound, isTscrError, notFound, unimplemented } from '@tscr/api';
import { codeToStatus, fromStatus, statusToCode, toStatus } from '@tscr/api/grpc';
import { Metadata, status } from '@grpc/grpc-js';

describe('TscrError', () => {
  it('keeps code, message and details', () => {
    const e = notFound('no such image: x', { details: { ref: 'x' } });
    expect(e).toBeInstanceOf(TscrError);
    expect(isNotFound(e)).toBe(true);
    expect(e.details.ref).toBe('x');
    expect(isTscrError(new Error('plain'))).toBe(false);
  });

  it('names the missing feature in unimplemented errors', () => {
    const e = unimplemented('network bridge driver');
    expect(e.code).toBe('Unimplemented');
    expect(e.message).toContain('network bridge driver');
  });

  it('maps Node errno codes once', () => {
    const enoent = Object.assign(new Error('open x'), { code: 'ENOENT' });
    expect(fromSystemError(enoent).code).toBe('NotFound');
    expect(fromSystemError(Object.assign(new Error(), { code: 'EEXIST' })).code).toBe('AlreadyExists');
    expect(fromSystemError(Object.assign(new Error(), { code: 'EBUSY' })).code).toBe('FailedPrecondition');
    expect(fromSystemError(Object.assign(new Error(), { code: 'EACCES' })).code).toBe('PermissionDenied');
    expect(fromSystemError(new Error('boom')).code).toBe('Internal');
  });
});

describe('gRPC status mapping', () => {
  it('is a bijection over every code', () => {
    for (const code of ErrorCodes) expect(statusToCode(codeToStatus(code))).toBe(code);
    expect(codeToStatus('NotFound')).toBe(status.NOT_FOUND);
    expect(codeToStatus('Unavailable')).toBe(status.UNAVAILABLE);
    expect(codeToStatus('FailedPrecondition')).toBe(status.FAILED_PRECONDITION);
  });

  it('round-trips code, message and details', () => {
    const wire = toStatus(notFound('no such container: web', { details: { id: 'web' } }));
    const back = fromStatus({ ...wire, message: 'x' });
    expect(back.code).toBe('NotFound');
    expect(back.message).toBe('no such container: web');
    expect(back.details).toEqual({ id: 'web' });
  });

  it("keeps a server's own Unavailable, and names the address when the channel itself is down", () => {
    const raised = toStatus(
      new TscrError('Unavailable', 'registry r:5000 unreachable', { details: { registry: 'r:5000' } }),
    );
    const fromServer = fromStatus({ ...raised, message: 'x' }, 'unix:///run/tscr/tscr.sock');
    expect(fromServer.message).toBe('registry r:5000 unreachable');
    expect(fromServer.details).toEqual({ registry: 'r:5000' });
    const down = fromStatus(
      { code: status.UNAVAILABLE, details: 'No connection established', metadata: new Metadata(), message: 'x' },
      'unix:///run/tscr/tscr.sock',
    );
    expect(down.code).toBe('Unavailable');
    expect(down.message).toContain('unix:///run/tscr/tscr.sock');
    expect(down.details.address).toBe('unix:///run/tscr/tscr.sock');
  });
});
