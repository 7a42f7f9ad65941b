import { spawnSync } from 'node:child_process';
import type { Image } from '@tscr/api';
import { describe, expect, it } from 'vitest';
import { bashCompletion } from '../../src/commands/completion.js';
import { commands, groups } from '../../src/commands/index.js';
import { diskUsageRows } from '../../src/commands/system-df.js';
import { pruneWarning, volumeLabels } from '../../src/commands/system-prune.js';
import { parsePruneFilters } from '@tscr/api';
import { runCli } from '../fixtures/fake-daemon.js';

describe('tscr --help', () => {
  it('lists every command a single word reaches (build and import included), and every group', async () => {
    const help = (await runCli(['--help'])).stdout;
    const words = new Set(
      commands
        .flatMap((c) => [c.path, ...(c.aliases ?? [])])
        .filter((p) => p.length === 1)
        .map((p) => p[0]!),
    );
    expect(words.has('build')).toBe(true);
    for (const w of words) expect(help).toMatch(new RegExp(`\\n  ${w} +\\S`));
    for (const g of Object.keys(groups)) expect(help).toMatch(new RegExp(`\\n  ${g} +\\S`));
    // Every two-word command shows under its group.
    for (const c of commands.filter((c) => c.path.length === 2)) {
      expect((await runCli([c.path[0]!])).stdout).toMatch(new RegExp(`\\n  ${c.path[1]} +\\S`));
    }
  });

  it('knows system df, system prune and completion', async () => {
    const system = (await runCli(['system'])).stdout;
    expect(system).toMatch(/\n {2}df +Show tscr disk usage/);
    expect(system).toMatch(/\n {2}prune +Remove unused data/);
    const prune = (await runCli(['system', 'prune', '--help'])).stdout;
    for (const f of ['-a, --all', '--filter', '-f, --force', '--volumes']) expect(prune).toContain(f);
    expect((await runCli(['completion', 'zsh'])).code).toBe(1);
  });
});

describe('tscr completion bash', () => {
  const script = bashCompletion(commands, Object.keys(groups));
  /** Runs the completion function for a command line; returns the candidates. */
  function complete(line: string): string[] {
    const words = line.split(' ');
    const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tscr; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', program], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('is valid bash', () => {
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('completes commands, group subcommands and flags', () => {
    expect(complete('tscr bu')).toEqual(['build']);
    expect(complete('tscr sys')).toEqual(['system']);
    expect(complete('tscr system ')).toEqual(expect.arrayContaining(['df', 'prune', 'info']));
    expect(complete('tscr system prune --vo')).toEqual(['--volumes']);
    expect(complete('tscr run --rm --memory-s')).toEqual(['--memory-swap']);
    expect(complete('tscr -H unix:///x ps --no-t')).toEqual(['--no-trunc']);
  });
});

describe('system df and prune, their pure parts', () => {
  const image = (id: string, size: number) => ({ id, size }) as Image;

  it('counts images in use by any container as active, the rest as reclaimable', () => {
    const rows = diskUsageRows(
      [image('a', 1000), image('b', 3000)],
      [
        { imageId: 'a', state: 'running' },
        { imageId: 'a', state: 'exited' },
      ],
      [{ usedBy: ['c1'] }, { usedBy: [] }],
    );
    expect(rows.map((r) => [r.Type, r.TotalCount, r.Active, r.Size, r.Reclaimable])).toEqual([
      ['Images', '2', '1', '4kB', '3kB (75%)'],
      ['Containers', '2', '1', 'N/A', 'N/A'],
      ['Local Volumes', '2', '1', 'N/A', 'N/A'],
      ['Build Cache', '0', '0', '0B', '0B'],
    ]);
  });

  it('warns as docker does, and refuses filters the volume layer cannot apply', () => {
    expect(pruneWarning(true, true)).toContain('all anonymous volumes not used by at least one container');
    expect(pruneWarning(false, false)).toContain('all dangling images');
    expect(volumeLabels(parsePruneFilters(['label=a', 'label=b=c']))).toEqual(['a', 'b=c']);
    expect(() => volumeLabels(parsePruneFilters(['until=24h']))).toThrow(/until.*--volumes/);
    expect(() => volumeLabels(parsePruneFilters(['label!=a']))).toThrow(/label!/);
  });
});
