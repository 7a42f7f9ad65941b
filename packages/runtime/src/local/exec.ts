import { execFile } from 'node:child_process';
import { fromSystemError } from '@tscr/api';

/** What a finished command printed. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** A command that ran but exited non-zero (not a TscrError: callers classify it). */
export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || stdout.trim()}`);
    this.name = 'CommandFailed';
  }
}

/**
 * Runs `file args…` without a shell and collects its output.
 * @throws CommandFailed when it exits non-zero; a TscrError (NotFound for
 * ENOENT) when it cannot be started.
 */
export function run(file: string, args: string[]): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' || (code === undefined && (err as { signal?: unknown }).signal)) {
        return reject(
          new CommandFailed(`${file} ${args.join(' ')}`, typeof code === 'number' ? code : null, stdout, stderr),
        );
      }
      reject(fromSystemError(err, `cannot run ${file}`));
    });
  });
}
