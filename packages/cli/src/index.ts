/**
 * @tscr/cli — the `tscr` command-line client of `tscrd`, callable in-process
 * through {@link main} (the bin is a thin wrapper around it).
 */
export { main } from './cli.js';
export type { MainOptions } from './cli.js';
export type { CliIo, SignalSource, Command, Context } from './command.js';
export { createGrpcClients, DEFAULT_HOST } from './client.js';
export type { Clients } from './client.js';
export { parseArgs, flagHelp, usageError, USAGE_REASON } from './args.js';
export type { FlagSpec, FlagType, FlagValues, ParsedArgs, ParseOptions } from './args.js';
export {
  table,
  humanSize,
  binarySize,
  humanDuration,
  timeAgo,
  shortId,
  familiarName,
  splitReference,
  quotedCommand,
  renderTemplate,
} from './format.js';
export { ExitCodes, errorMessage, startFailureExitCode, displayHost, isUsageError } from './errors.js';
export { buildCreateRequest, parseMount, parseTmpfs } from './commands/container-flags.js';
export { applyChanges } from './commands/import-changes.js';
