import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonTarget } from '@tscr/api/grpc';
import { main } from '../../src/cli.js';
import { createGrpcClients, type Clients } from '../../src/client.js';
import { commandKey, VALUE_FLAGS } from '../../src/code-cache.js';
import type { CliIo } from '../../src/command.js';
import { commandTable } from '../../src/commands/table.js';
import { globalFlags } from '../../src/global-flags.js';
import { LEAN_BUNDLES, leanBundleFor } from '../../src/lean-bundles.js';
import { startFakeDaemon, type FakeDaemon } from '../fixtures/fake-daemon.js';

// The bin runs a lean bundle (tsup.config.ts builds each from src/lean-bundles.ts) for a command word only
// when everything that word can reach is in it: these checks fail when a list and the code drift apart.
describe('the lean bundles of the bin', () => {
  it('hold every command module the table loads for their words', async () => {
    for (const lean of LEAN_BUNDLES) {
      const held = new Set<unknown>();
      for (const m of lean.commandModules) {
        for (const value of Object.values(await import(`../../src/commands/${m.replace(/\.js$/, '.ts')}`))) {
          held.add(value);
        }
      }
      for (const word of lean.words) {
        expect(leanBundleFor(word)).toBe(lean.file);
        const entries = commandTable.filter((e) => [e.path, ...(e.aliases ?? [])].some((p) => p[0] === word));
        expect(entries.length, `the word ${word}`).toBeGreaterThan(0);
        for (const e of entries) expect(held.has(await e.load()), `${e.path.join(' ')} in ${lean.file}`).toBe(true);
      }
    }
    expect(leanBundleFor('images')).toBeUndefined();
    expect(leanBundleFor('none')).toBeUndefined();
  });

  it('are picked by the word the CLI itself takes for the command: the bin skips exactly the global flags with values', () => {
    const withValue = globalFlags
      .filter((f) => f.type !== 'bool')
      .flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
    expect([...VALUE_FLAGS].sort()).toEqual(withValue.sort());
    expect(commandKey(['-H', 'ps', 'version'])).toBe('version');
    expect(commandKey(['--tlscacert', 'run', 'ps'])).toBe('ps');
  });

  describe('use only the daemon clients they hold', () => {
    let d: FakeDaemon;
    beforeAll(async () => {
      d = await startFakeDaemon();
      d.images.add('busybox:test');
    });
    afterAll(async () => {
      await d?.stop();
    });

    /** Runs `args` in-process and gives the client getters the command called. */
    async function gettersUsed(args: string[]): Promise<{ used: Set<string> }> {
      const used = new Set<string>();
      const clients = (target: DaemonTarget): Clients =>
        new Proxy(createGrpcClients(target), {
          get(real, key, receiver) {
            if (typeof key === 'string' && key !== 'close') used.add(key);
            return Reflect.get(real, key, receiver);
          },
        });
      const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
      const io: CliIo = { stdout: sink(), stderr: sink(), env: {}, signals: new EventEmitter() };
      await main(['-H', d.address, ...args], io, { clients });
      return { used };
    }

    it('for every word they serve', async () => {
      const runs: Record<string, string[][]> = {
        version: [['version']],
        info: [['info']],
        ps: [['ps', '-a']],
        run: [
          ['run', '--rm', 'busybox:test', 'true'],
          ['run', '-d', '--name', 'tscr-test-lean', 'busybox:test'],
        ],
        create: [['create', '--name', 'tscr-test-lean2', 'busybox:test']],
        start: [['start', 'tscr-test-lean2']],
        stop: [['stop', 'tscr-test-lean']],
        kill: [['kill', 'tscr-test-lean2']],
        wait: [['wait', 'tscr-test-lean2']],
        rm: [['rm', '-f', 'tscr-test-lean', 'tscr-test-lean2']],
      };
      const served = LEAN_BUNDLES.flatMap((b) => b.words);
      expect(Object.keys(runs).sort()).toEqual([...served].sort());
      for (const lean of LEAN_BUNDLES) {
        for (const word of lean.words) {
          for (const args of runs[word]!) {
            // Whether the command succeeds does not matter here (a fake container may have exited), which clients it used does.
            const { used } = await gettersUsed(args);
            expect(used.size, args.join(' ')).toBeGreaterThan(0);
            if (lean.clients) for (const g of used) expect(lean.clients, `${args.join(' ')} uses ${g}`).toContain(g);
          }
        }
      }
    });
  });
});
