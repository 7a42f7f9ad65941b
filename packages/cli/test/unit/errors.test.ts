import { TscrError, notFound, unavailable } from '@tscr/api';
import { describe, expect, it } from 'vitest';
import { usageError } from '../../src/args.js';
import { displayHost, errorMessage, isUsageError, startFailureExitCode } from '../../src/errors.js';

describe('exit codes and messages', () => {
  it('maps start failures to docker exit codes', () => {
    const reason = (r: string) => new TscrError('NotFound', 'x', { details: { reason: r } });
    expect(startFailureExitCode(reason('ExecutableNotFound'))).toBe(127);
    expect(startFailureExitCode(reason('ExecutableNotExecutable'))).toBe(126);
    expect(startFailureExitCode(notFound('no such container'))).toBe(125);
    expect(startFailureExitCode(new Error('boom'))).toBe(125);
  });

  it('names the socket it tried when the daemon is down', () => {
    expect(errorMessage(unavailable('connect ECONNREFUSED'), 'unix:///run/tscr/tscr.sock')).toBe(
      'Cannot connect to the tscr daemon at unix:///run/tscr/tscr.sock. Is tscrd running?',
    );
    expect(errorMessage(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), '/tmp/x.sock')).toMatch(
      /at unix:\/\/\/tmp\/x\.sock\. Is tscrd running\?$/,
    );
  });

  it('does not blame the daemon for an unreachable plugin', () => {
    const e = unavailable('plugin tscr-test-net /NetworkDriver.Join: socket hang up', {
      details: { plugin: 'tscr-test-net' },
    });
    expect(errorMessage(e, 'h')).toBe('Error: plugin tscr-test-net /NetworkDriver.Join: socket hang up');
  });

  it('prints other errors as Error: <message>', () => {
    expect(errorMessage(notFound('No such container: x'), 'h')).toBe('Error: No such container: x');
  });

  it('displays hosts like parseEndpoint', () => {
    expect(displayHost('/run/x.sock')).toBe('unix:///run/x.sock');
    expect(displayHost('127.0.0.1:7070')).toBe('tcp://127.0.0.1:7070');
    expect(displayHost('tcp://h:1')).toBe('tcp://h:1');
  });

  it('tells usage errors from other InvalidArguments', () => {
    expect(isUsageError(usageError('unknown flag: --x'))).toBe(true);
    expect(isUsageError(new TscrError('InvalidArgument', 'bad reference'))).toBe(false);
  });
});
