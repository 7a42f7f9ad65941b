import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/index.js';

function parseError(text: string): unknown {
  try {
    parseDockerfile(text);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('parseDockerfile', () => {
  it('reads directives, comments, continuations, flags and both forms', () => {
    const df = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        '# escape=\\',
        '',
        'ARG BASE=busybox',
        'FROM --platform=linux/amd64 $BASE AS build',
        '# a comment',
        'RUN echo one \\',
        '  # a comment inside the continuation',
        '  && echo two',
        'CMD ["sh", "-c", "echo hi"]',
        'COPY --chown=1:2 --from=build a b /dst/',
      ].join('\n'),
    );
    expect(df.directives).toEqual({ syntax: 'docker/dockerfile:1', escape: '\\' });
    expect(df.instructions.map((i) => [i.name, i.line])).toEqual([
      ['ARG', 4],
      ['FROM', 5],
      ['RUN', 7],
      ['CMD', 10],
      ['COPY', 11],
    ]);
    expect(df.instructions[1]?.flags).toEqual([{ name: 'platform', value: 'linux/amd64' }]);
    expect(df.instructions[2]?.args).toBe('echo one   && echo two');
    expect(df.instructions[3]?.json).toEqual(['sh', '-c', 'echo hi']);
    expect(df.instructions[4]?.flags.map((f) => f.name)).toEqual(['chown', 'from']);
    expect(df.instructions[4]?.args).toBe('a b /dst/');
  });

  it('honours the backtick escape directive', () => {
    const df = parseDockerfile('# escape=`\nFROM scratch\nRUN echo a `\n  b\n');
    expect(df.instructions[1]?.args).toBe('echo a   b');
  });

  it('reads here-documents for RUN and COPY', () => {
    const df = parseDockerfile(
      ['FROM busybox', 'RUN <<EOF', 'echo a', 'echo b', 'EOF', "COPY <<-'CONF' /etc/x.conf", '\tkey=$V', 'CONF'].join(
        '\n',
      ),
    );
    expect(df.instructions[1]?.heredocs).toEqual([{ name: 'EOF', content: 'echo a\necho b\n', expand: true }]);
    expect(df.instructions[2]?.heredocs).toEqual([{ name: 'CONF', content: 'key=$V\n', expand: false }]);
  });

  it('reports unknown instructions and malformed lines with file:line', () => {
    expect(parseError('FROM busybox\nFOO bar\n')).toMatchObject({
      code: 'InvalidArgument',
      message: 'Dockerfile:2: unknown instruction: FOO',
    });
    expect(parseError('FROM busybox\nRUN <<EOF\necho\n')).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringMatching(/^Dockerfile:2: unterminated here-document EOF/),
    });
    expect(parseError('FROM busybox\nWORKDIR\n')).toMatchObject({
      message: 'Dockerfile:2: WORKDIR requires at least one argument',
    });
    expect(parseError('RUN true\n')).toMatchObject({
      message: expect.stringMatching(/^Dockerfile:1: RUN before the first FROM/),
    });
    expect(parseError('# only a comment\n')).toMatchObject({ code: 'InvalidArgument' });
  });
});
