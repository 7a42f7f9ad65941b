// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text holds ${VAR} substitutions
import { describe, expect, it } from 'vitest';
import { fc, fuzz, fuzzTimeout, parsesOrRefuses, regression, tokenString } from '@tscr/testkit';
import { DockerIgnore, parseDockerfile, planBuild, processWord, processWords, parsePairs } from '../../src/index.js';

/** Substitutions and quoting, for words and whole Dockerfiles. */
const WORD_TOKENS = ['$X', '${X}', '${X:-a b}', '${X:+q}', '${X:?err}', '${', '}', '$', '"', "'", '\\', '`'];

const DOCKERFILE_TOKENS = [
  'FROM ',
  'from ',
  'RUN ',
  'COPY ',
  'ADD ',
  'ARG ',
  'ENV ',
  'LABEL ',
  'CMD ',
  'ENTRYPOINT ',
  'WORKDIR ',
  'USER ',
  'EXPOSE ',
  'VOLUME ',
  'STOPSIGNAL ',
  'HEALTHCHECK ',
  'SHELL ',
  'ONBUILD ',
  'MAINTAINER ',
  'BOGUS ',
  'busybox',
  'scratch',
  ' AS ',
  ' as ',
  'stage',
  '--from=',
  '--platform=',
  '--chown=',
  '--chmod=',
  '--link',
  '--',
  ...WORD_TOKENS,
  '\n',
  '\r\n',
  '\t',
  ' ',
  '#',
  '# escape=`\n',
  '# escape=\\\n',
  '# syntax=x\n',
  '<<EOF',
  '<<-EOF',
  "<<'EOF'",
  'EOF\n',
  '[',
  ']',
  '["sh", "-c"]',
  '=',
  'a=b',
  ',',
  '/',
  '..',
  '*',
  '0',
  '-1',
  '99999999999999999999',
  '\u0000',
  '\u00e9',
  'NONE',
  'CMD',
  '--interval=1s',
];

const dockerfiles = fc.oneof(
  tokenString(DOCKERFILE_TOKENS, 60),
  fc.array(tokenString(DOCKERFILE_TOKENS, 10), { maxLength: 8 }).map((ls) => `FROM busybox\n${ls.join('\n')}`),
  fc.string({ maxLength: 200 }),
);

describe('fuzz: Dockerfiles', () => {
  it(
    'parses or refuses with InvalidArgument, and plans or refuses likewise',
    async () => {
      await fuzz(
        'dockerfile parse+plan',
        fc.tuple(
          dockerfiles,
          fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
          fc.option(tokenString(['stage', 'base', '0', '1', 'x'], 3)),
        ),
        ([text, args, target]) => {
          const df = parsesOrRefuses(() => parseDockerfile(text));
          if (!df) return;
          for (const ins of df.instructions) expect(ins.line).toBeGreaterThan(0);
          parsesOrRefuses(() => planBuild(df, args, target ?? undefined));
        },
        { kind: 'Dockerfile', runs: 1500 },
      );
    },
    fuzzTimeout(60_000),
  );

  it(
    'expands words or refuses with InvalidArgument',
    async () => {
      const vars = new Map([
        ['X', 'x y'],
        ['EMPTY', ''],
      ]);
      await fuzz(
        'dockerfile words',
        tokenString([...WORD_TOKENS, ' ', '=', 'a', '${EMPTY-}', '${X#x}', '${X%y}', '${X/x/z}'], 20),
        (s) => {
          parsesOrRefuses(() => processWord(s, vars));
          parsesOrRefuses(() => processWords(s, vars));
          parsesOrRefuses(() => parsePairs(s, vars));
          parsesOrRefuses(() => processWord(s, vars, { escapeChar: '`' }));
        },
        { kind: 'Dockerfile', runs: 1500 },
      );
    },
    fuzzTimeout(60_000),
  );
});

describe('fuzz: .dockerignore', () => {
  const PATTERN_TOKENS = [
    '*',
    '**',
    '**/',
    '?',
    '[',
    ']',
    '[!',
    '[a-z]',
    '[z-a]',
    '\\',
    '!',
    '/',
    '.',
    '..',
    'a',
    'b',
    '#',
    ' ',
    '^',
    '$',
    '(',
    ')',
    '|',
    '+',
    '{',
    '}',
  ];
  it(
    'builds rules or refuses with InvalidArgument; matching never throws',
    async () => {
      await fuzz(
        'dockerignore',
        fc.tuple(
          fc.array(tokenString(PATTERN_TOKENS, 12), { maxLength: 6 }),
          fc.array(tokenString(['a', 'b', '/', '.', '..', 'ab', '[', '*'], 10), { maxLength: 5 }),
        ),
        ([patterns, paths]) => {
          const ignore = parsesOrRefuses(() => DockerIgnore.parse(patterns.join('\n')));
          if (!ignore) return;
          for (const p of paths) expect(typeof ignore.ignores(p)).toBe('boolean');
        },
        { kind: '.dockerignore', runs: 2000 },
      );
    },
    fuzzTimeout(60_000),
  );
});

describe('fuzz regressions (Dockerfile, .dockerignore)', () => {
  it('a Dockerfile of only ARGs is refused with InvalidArgument, not NotFound "no stage -1"', () => {
    regression(
      'Dockerfile',
      'a Dockerfile with only `ARG` lines failed planning with NotFound "no stage -1"; now InvalidArgument "no FROM instruction"',
    );
    const df = parseDockerfile('ARG FROM ');
    expect(() => planBuild(df, {})).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('a .dockerignore class with a reversed range is refused with InvalidArgument, not a SyntaxError', () => {
    regression(
      '.dockerignore',
      'a `[z-a]` pattern threw a raw RegExp SyntaxError out of the build; now InvalidArgument naming the pattern',
    );
    expect(() => DockerIgnore.parse('[z-a]')).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});
