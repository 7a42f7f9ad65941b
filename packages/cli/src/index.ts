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
// The CLI host (src/host/, docs/cli-host.md): its server, and its protocol's frames for other clients.
export { startCliHost, DEFAULT_IDLE_SECONDS } from './host/server.js';
export type { CliHost, CliHostOptions } from './host/server.js';
export { decideHosting, HOSTED_COMMANDS, PROCESS_ENV } from './host/hostable.js';
export type { HostDecision } from './host/hostable.js';
export { parseRequest } from './host/request.js';
export type { HostRequest } from './host/request.js';
export {
  encodeFrame,
  FrameDecoder,
  MAX_FRAME,
  CLIENT_FRAMES,
  HOST_FRAMES,
  REQUEST,
  SIGNAL,
  FALLBACK,
  ACCEPTED,
  STDOUT,
  STDERR,
  EXIT,
} from './host/frames.js';
export type { Frame } from './host/frames.js';
