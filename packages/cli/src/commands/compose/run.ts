/**
 * What `tscr compose` runs: the subcommand table, its help and dispatch. Loaded
 * only when `tscr compose` runs, with `@tscr/compose` (and its YAML parser).
 */
import { flagHelp, parseArgs, bool, type FlagValues } from '../../args.js';
import { write, type Context } from '../../command.js';
import { helpFlag } from '../../global-flags.js';
import { configSub, eventsSub, imagesSub, lsSub, portSub, psSub, topSub, versionSub } from './info.js';
import { buildSub, downSub, lifecycleSubs, pullSub, pushSub, rmSub, waitSub } from './manage.js';
import { execSub, runSub } from './oneoff.js';
import { composeFlags } from './flags.js';
import { ComposeContext, type Sub } from './shared.js';
import { createSub, logsSub, upSub } from './up.js';

const subs: Sub[] = [
  buildSub,
  configSub,
  createSub,
  downSub,
  eventsSub,
  execSub,
  imagesSub,
  ...lifecycleSubs,
  logsSub,
  lsSub,
  portSub,
  psSub,
  pullSub,
  pushSub,
  rmSub,
  runSub,
  topSub,
  upSub,
  versionSub,
  waitSub,
].sort((a, b) => a.name.localeCompare(b.name));

function help(): string {
  const width = Math.max(...subs.map((s) => s.name.length)) + 3;
  return [
    'Usage:  tscr compose [OPTIONS] COMMAND',
    '',
    'Define and run multi-container applications',
    '',
    'Options:',
    ...flagHelp(composeFlags),
    '',
    'Commands:',
    ...subs.map((s) => `  ${s.name.padEnd(width)}${s.summary}`),
    '',
    "Run 'tscr compose COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

function subHelp(s: Sub): string {
  return [`Usage:  tscr compose ${s.name} ${s.usage}`, '', s.summary, '', 'Options:', ...flagHelp(s.flags), ''].join(
    '\n',
  );
}

/** Runs `tscr compose ARGS…` with the compose flags `globals`. */
export async function runCompose(ctx: Context, globals: FlagValues, args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name) {
    await write(ctx.io.stdout, help());
    return 0;
  }
  const sub = subs.find((s) => s.name === name);
  if (!sub) {
    await write(ctx.io.stderr, `tscr: 'compose ${name}' is not a tscr command.\nSee 'tscr compose --help'.\n`);
    return 1;
  }
  const { flags, positionals } = parseArgs(rest, [...sub.flags, helpFlag], {
    stopAtPositional: sub.stopAtPositional ?? false,
  });
  if (bool(flags, 'help')) {
    await write(ctx.io.stdout, subHelp(sub));
    return 0;
  }
  if (positionals.length < (sub.minArgs ?? 0) || (sub.maxArgs !== undefined && positionals.length > sub.maxArgs)) {
    await write(ctx.io.stderr, `tscr: "compose ${name}" got a wrong number of arguments.\n\n${subHelp(sub)}`);
    return 1;
  }
  return sub.run(new ComposeContext(ctx, globals), flags, positionals);
}
