import { describe, expect, it } from 'vitest';
import { DockerIgnore } from '../../src/index.js';

describe('.dockerignore rules', () => {
  it('matches paths, their contents, wildcards and ** like Docker', () => {
    const ig = DockerIgnore.parse(
      ['# comment', '', 'node_modules', '*.log', '**/*.tmp', '/build/', 'docs/**/draft*'].join('\n'),
    );
    expect(ig.ignores('node_modules')).toBe(true);
    expect(ig.ignores('node_modules/a/b.js')).toBe(true);
    expect(ig.ignores('app.log')).toBe(true);
    expect(ig.ignores('sub/app.log')).toBe(false); // * does not cross directories
    expect(ig.ignores('a/b/c.tmp')).toBe(true);
    expect(ig.ignores('c.tmp')).toBe(true);
    expect(ig.ignores('build/out.bin')).toBe(true);
    expect(ig.ignores('docs/x/y/draft1.md')).toBe(true);
    expect(ig.ignores('docs/draft.md')).toBe(true);
    expect(ig.ignores('src/main.ts')).toBe(false);
  });

  it('lets the last matching rule decide, with ! exceptions', () => {
    const ig = new DockerIgnore(['*.md', '!README.md', 'README.md.bak', 'secret', '!secret/keep']);
    expect(ig.ignores('CHANGES.md')).toBe(true);
    expect(ig.ignores('README.md')).toBe(false);
    expect(ig.ignores('secret/x')).toBe(true);
    expect(ig.ignores('secret/keep')).toBe(false);
    expect(ig.hasExceptions).toBe(true);
    expect(new DockerIgnore(['a', '!a', 'a']).ignores('a')).toBe(true);
  });

  it('supports ? and character classes', () => {
    const ig = new DockerIgnore(['file?.txt', 'data[0-9]', 'x[!a]']);
    expect(ig.ignores('file1.txt')).toBe(true);
    expect(ig.ignores('file10.txt')).toBe(false);
    expect(ig.ignores('data7')).toBe(true);
    expect(ig.ignores('datax')).toBe(false);
    expect(ig.ignores('xb')).toBe(true);
    expect(ig.ignores('xa')).toBe(false);
  });
});
