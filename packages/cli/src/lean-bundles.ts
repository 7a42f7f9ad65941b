/**
 * The bin's lean bundles: besides the whole CLI (dist/cli.cjs), the build writes a few bundles
 * that hold the command table and only the command modules (and daemon clients) of the most used
 * commands. The bin (main.ts) runs the lean bundle of a run's command word, else the whole one: a
 * run reads, and deserializes the code cache of, less code (a V8 code cache grows with every
 * function in the source, run or not). Read by the bin, the build (tsup.config.ts) and the tests;
 * plain data, no imports.
 */

/** One lean bundle. */
export interface LeanBundle {
  /** Its file next to the bin. */
  file: string;
  /**
   * The command words it serves (a run's first word after the global flags). Every table entry
   * these words select (by path or alias) must load from {@link commandModules} (a unit test checks).
   */
  words: readonly string[];
  /** The command modules of the table (`src/commands/`, as table.ts imports them) it holds. */
  commandModules: readonly string[];
  /**
   * The daemon clients (the getters of `Clients`) it holds; absent: all. The commands of its words
   * use no other (a unit test checks).
   */
  clients?: readonly string[];
}

/** The lean bundles, by the commands people run most (and that the start-up benchmark measures). */
export const LEAN_BUNDLES: readonly LeanBundle[] = [
  { file: 'cli-system.cjs', words: ['version', 'info'], commandModules: ['./system.js'], clients: ['system'] },
  {
    file: 'cli-containers.cjs',
    words: ['run', 'create', 'start', 'stop', 'kill', 'wait', 'rm', 'ps'],
    commandModules: ['./run.js', './containers.js'],
    // `run` and `create` pull a missing image (registry, images).
    clients: ['containers', 'images', 'registry'],
  },
];

/** The lean bundle for a command word (`commandKey` of the arguments), if one serves it. */
export function leanBundleFor(word: string): string | undefined {
  for (const b of LEAN_BUNDLES) if (b.words.includes(word)) return b.file;
  return undefined;
}
