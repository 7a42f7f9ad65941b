/**
 * Volume content as a tar stream, by GNU tar (numeric owners, modes, times,
 * xattrs kept): `tar -c` on the sending daemon, `tar -x` on the receiving one.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { failedPrecondition, TscrError } from '@tscr/api';

/** The content of directory `dir` as a tar stream. @throws DataLoss when tar fails. */
export async function* packDirectory(dir: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const tar = spawn('tar', ['--numeric-owner', '--xattrs', '-C', dir, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal && { signal }),
  });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = once(tar, 'close').catch(() => [null]);
  try {
    for await (const chunk of tar.stdout) yield chunk as Buffer;
    const [code] = await exited;
    if (code !== 0) throw new TscrError('DataLoss', `tar of ${dir} failed: ${stderr.trim() || `exit ${code}`}`);
  } finally {
    if (tar.exitCode === null) tar.kill('SIGKILL');
  }
}

/**
 * Unpacks the tar stream `data` into directory `dir`, writing with
 * backpressure; resolves with the bytes read.
 * @throws FailedPrecondition when tar rejects the stream; what `data` throws.
 */
export async function unpackInto(
  dir: string,
  data: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
): Promise<number> {
  const tar = spawn('tar', ['--numeric-owner', '--xattrs', '-p', '-C', dir, '-xf', '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  tar.stdin.on('error', () => undefined);
  const exited = once(tar, 'close');
  let n = 0;
  try {
    for await (const chunk of data) {
      n += chunk.byteLength;
      onBytes(chunk.byteLength);
      if (!tar.stdin.write(chunk)) await Promise.race([once(tar.stdin, 'drain'), exited]);
    }
    tar.stdin.end();
    const [code] = await exited;
    if (code !== 0) throw failedPrecondition(`unpacking the volume failed: ${stderr.trim() || `tar exit ${code}`}`);
    return n;
  } finally {
    if (tar.exitCode === null) tar.kill('SIGKILL');
  }
}
