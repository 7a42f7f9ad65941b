import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Progress } from '@tscr/registry-client';
import { showProgress } from '../../src/commands/progress.js';

const L1 = `sha256:${'a'.repeat(64)}`;
const L2 = `sha256:${'b'.repeat(64)}`;

async function* reports(): AsyncGenerator<Progress> {
  yield { id: '1', status: 'Pulling from tscr-test/x' };
  yield { id: L1, status: 'Pulling fs layer', current: 0, total: 2_000_000 };
  yield { id: L2, status: 'Already exists' };
  yield { id: L1, status: 'Downloading', current: 1_000_000, total: 2_000_000 };
  yield { id: L1, status: 'Downloading', current: 2_000_000, total: 2_000_000 };
  yield { id: L1, status: 'Download complete', current: 2_000_000, total: 2_000_000 };
  yield { id: '1', status: 'Digest: sha256:cafe' };
  yield { id: '1', status: 'Downloaded image for tscr-test/x:1' };
}

async function render(tty: boolean, quiet = false) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const summary = await showProgress(out, reports(), { tty, quiet });
  return { text, summary };
}

describe('showProgress', () => {
  it('prints one line per state change when not on a terminal', async () => {
    const { text, summary } = await render(false);
    expect(text).toBe(
      [
        '1: Pulling from tscr-test/x',
        'aaaaaaaaaaaa: Pulling fs layer',
        'bbbbbbbbbbbb: Already exists',
        'aaaaaaaaaaaa: Downloading',
        'aaaaaaaaaaaa: Download complete',
        'aaaaaaaaaaaa: Pull complete',
        'Digest: sha256:cafe',
        '',
      ].join('\n'),
    );
    expect(summary.digest).toBe('sha256:cafe');
  });

  it('redraws layer lines in place with bars on a terminal', async () => {
    const { text } = await render(true);
    expect(text).toContain('aaaaaaaaaaaa: Pulling fs layer\nbbbbbbbbbbbb: Already exists\n');
    // Two lines up, clear, redraw, two lines down.
    expect(text).toContain(
      `\x1b[2A\r\x1b[2Kaaaaaaaaaaaa: Downloading [${'='.repeat(24)}>${' '.repeat(25)}]  1MB/2MB\x1b[2B\r`,
    );
    expect(text).toContain('\x1b[2A\r\x1b[2Kaaaaaaaaaaaa: Pull complete\x1b[2B\r');
    expect(text).not.toContain('Download complete');
  });

  it('prints nothing when quiet and rethrows the stream error', async () => {
    expect((await render(false, true)).text).toBe('');
    const failing = (async function* (): AsyncGenerator<Progress> {
      yield { id: '1', status: 'Pulling from x' };
      throw new Error('boom');
    })();
    await expect(showProgress(new PassThrough(), failing, { tty: false, quiet: false })).rejects.toThrow('boom');
  });
});
