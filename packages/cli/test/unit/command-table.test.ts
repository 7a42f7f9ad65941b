import { describe, expect, it } from 'vitest';
import { commands } from '../../src/commands/index.js';
import { commandTable, findCommand } from '../../src/commands/table.js';

// The lazy table a run starts from must name what the loaded list (help order, completion) holds.
describe('the lazy command table', () => {
  it('lists every command, in order, with its own words, aliases and summary', () => {
    const shape = (c: { path: string[]; aliases?: string[][]; summary: string }) => ({
      path: c.path,
      aliases: c.aliases ?? [],
      summary: c.summary,
    });
    expect(commandTable.map(shape)).toEqual(commands.map(shape));
  });

  it('loads the very command each entry names', async () => {
    for (const [k, e] of commandTable.entries()) expect(await e.load()).toBe(commands[k]);
  });

  it('finds the longest path first and nothing for an unknown word', () => {
    expect(findCommand(['container', 'ls', '-a'])?.used).toEqual(['container', 'ls']);
    expect(findCommand(['version'])?.entry.path).toEqual(['version']);
    expect(findCommand(['nope'])).toBeUndefined();
  });
});
