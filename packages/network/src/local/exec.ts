import { spawn } from 'node:child_process';
import { internal } from '@tscr/api';

/** Output of a finished command. */
export interface ExecResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd args…`, feeding `input` on stdin. Resolves with its output when
 * it exits 0. @throws Internal naming the command and its stderr otherwise.
 */
export function run(cmd: string, args: string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(internal(`${cmd}: ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          internal(`${cmd} ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`, {
            details: { command: cmd },
          }),
        );
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** `ip -batch -` with one command per line. */
export function ipBatch(lines: string[], opts: { force?: boolean } = {}): Promise<ExecResult> {
  return run('ip', [...(opts.force ? ['-force'] : []), '-batch', '-'], `${lines.join('\n')}\n`);
}
