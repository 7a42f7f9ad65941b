import { appendFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '@tscr/api';
import { makeTempDir } from '@tscr/testkit';
import { logOffset, parseLogLine, readLogs } from '@tscr/runtime/local';

const T = (n: number) => `2026-11-28T14:54:${String(n).padStart(2, '0')}.000000001+00:00`;
const line = (n: number, stream: string, tag: string, text: string) => `${T(n)} ${stream} ${tag} ${text}\n`;

async function collect(it: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(`${e.stream}:${Buffer.from(e.data).toString()}`);
  return out;
}

describe('parseLogLine', () => {
  it('restores the newline of full lines and not of partial ones', () => {
    const full = parseLogLine(Buffer.from(`${T(1)} stdout F hello world`));
    expect(full?.stream).toBe('stdout');
    expect(full?.time).toBe(T(1));
    expect(Buffer.from(full!.data).toString()).toBe('hello world\n');
    expect(Buffer.from(parseLogLine(Buffer.from(`${T(1)} stderr P part`))!.data).toString()).toBe('part');
    expect(Buffer.from(parseLogLine(Buffer.from(`${T(1)} stdout F `))!.data).toString()).toBe('\n');
    expect(Buffer.from(parseLogLine(Buffer.from(`${T(1)} stdout F`))!.data).toString()).toBe('\n');
  });
  it('skips lines it does not understand', () => {
    expect(parseLogLine(Buffer.from('garbage'))).toBeUndefined();
    expect(parseLogLine(Buffer.from(`${T(1)} stdin F x`))).toBeUndefined();
    expect(parseLogLine(Buffer.from(`${T(1)} stdout X x`))).toBeUndefined();
  });
});

describe('readLogs', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await makeTempDir('logs');
    path = join(dir, 'ctr.log');
    await writeFile(
      path,
      line(1, 'stdout', 'F', 'one') +
        line(2, 'stderr', 'F', 'two') +
        line(3, 'stdout', 'P', 'thr') +
        line(3, 'stdout', 'F', 'ee') +
        line(4, 'stdout', 'F', 'four') +
        line(5, 'stdout', 'P', 'no newline'),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads every entry in order', async () => {
    expect(await collect(readLogs(path))).toEqual([
      'stdout:one\n',
      'stderr:two\n',
      'stdout:thr',
      'stdout:ee\n',
      'stdout:four\n',
      'stdout:no newline',
    ]);
  });

  it('filters by stream', async () => {
    expect(await collect(readLogs(path, { stderr: true }))).toEqual(['stderr:two\n']);
    expect((await collect(readLogs(path, { stdout: true }))).length).toBe(5);
  });

  it('filters by time with nanosecond precision', async () => {
    expect(await collect(readLogs(path, { since: T(3), until: '2026-11-28T14:54:05Z' }))).toEqual([
      'stdout:thr',
      'stdout:ee\n',
      'stdout:four\n',
    ]);
    expect((await collect(readLogs(path, { since: '2026-11-28T14:54:01.000000002Z' })))[0]).toBe('stderr:two\n');
    expect((await collect(readLogs(path, { since: new Date('2026-11-28T14:54:04Z') }))).length).toBe(2);
    await expect(collect(readLogs(path, { since: 'yesterday' }))).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('tails whole messages, counting a partial run with its full line', async () => {
    expect(await collect(readLogs(path, { tail: 1 }))).toEqual(['stdout:no newline']);
    expect(await collect(readLogs(path, { tail: 3 }))).toEqual([
      'stdout:thr',
      'stdout:ee\n',
      'stdout:four\n',
      'stdout:no newline',
    ]);
    expect((await collect(readLogs(path, { tail: 100 }))).length).toBe(6);
    expect(await collect(readLogs(path, { tail: 0 }))).toEqual([]);
  });

  it('tails across chunk boundaries of a large file', async () => {
    const big = join(dir, 'big.log');
    let text = '';
    for (let i = 0; i < 20000; i++) text += line(1, 'stdout', 'F', `line ${i}`);
    await writeFile(big, text);
    expect(await collect(readLogs(big, { tail: 2 }))).toEqual(['stdout:line 19998\n', 'stdout:line 19999\n']);
    // Pull-based: stopping early is fine and reads no further.
    for await (const e of readLogs(big)) {
      expect(Buffer.from(e.data).toString()).toBe('line 0\n');
      break;
    }
  });

  it('raises NotFound for a missing file', async () => {
    await expect(collect(readLogs(join(dir, 'nope.log')))).rejects.toMatchObject({ code: 'NotFound' });
    await expect(logOffset(join(dir, 'nope.log'))).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('follows growth and ends once stopped has settled and the file is drained', async () => {
    const f = join(dir, 'follow.log');
    await writeFile(f, line(1, 'stdout', 'F', 'before'));
    const start = await logOffset(f);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of readLogs(f, { follow: true, offset: start, stopped, pollIntervalMs: 5000 })) {
        seen.push(Buffer.from(e.data).toString());
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(f, line(2, 'stdout', 'F', 'a'));
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['a\n']);
    await appendFile(f, line(3, 'stderr', 'F', 'b'));
    stop();
    await done;
    expect(seen).toEqual(['a\n', 'b\n']);
  });

  it('starts at the end with fromEnd and ends quietly on abort', async () => {
    const f = join(dir, 'abort.log');
    await writeFile(f, line(1, 'stdout', 'F', 'old'));
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of readLogs(f, { follow: true, fromEnd: true, signal: ac.signal })) {
        seen.push(Buffer.from(e.data).toString());
        ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(f, line(2, 'stdout', 'F', 'new') + line(2, 'stdout', 'F', 'newer'));
    await done;
    expect(seen).toEqual(['new\n']);
  });
});
