/**
 * The README's CLI block, run as a user runs it after the set-up: `tscr` found on PATH (no alias),
 * against a private daemon. The only change to the text is the published host port (a free one).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRootfsTar } from '@tscr/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../registry-client/test/fixtures/registry.js';
import { CLI, e2eBin, E2eDaemon, NATIVE_CLI, e2eSkipReason } from '../fixtures/e2e.js';

const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');

/** The first ```sh block after "Try the CLI yourself", one command line per entry. */
export function readmeCliBlock(text: string): string[] {
  const from = text.indexOf('Try the CLI yourself');
  const start = text.indexOf('```sh\n', from) + '```sh\n'.length;
  const end = text.indexOf('```', start);
  return text
    .slice(start, end)
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

describe.skipIf(e2eSkipReason())("the README's CLI examples", () => {
  let d: E2eDaemon;
  let bin: string;
  let work: string;

  beforeAll(async () => {
    d = await E2eDaemon.create('readme');
    const config = join(d.dir, 'tscrd.json');
    await writeFile(config, JSON.stringify({ networkPool: `10.${200 + Math.floor(Math.random() * 50)}.0.0/16` }));
    await d.start(['--config', config]);
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    expect(d.tscr(['image', 'import', tar, 'busybox:demo']).code).toBe(0);
    // What the set-up does: tscr linked into a directory on PATH.
    bin = join(d.dir, 'bin');
    work = join(d.dir, 'work');
    await mkdir(bin);
    await mkdir(work);
    await symlink(e2eBin() === 'native' ? NATIVE_CLI : CLI, join(bin, 'tscr'));
  });
  afterAll(async () => {
    await d?.cleanup();
  });

  it('run as written, with tscr on PATH', async () => {
    const lines = readmeCliBlock(readme);
    expect(lines.length).toBeGreaterThan(10);
    const port = await freePort();
    const env = { ...d.env(), PATH: `${bin}:${process.env.PATH}` };
    expect(spawnSync('bash', ['-c', 'command -v tscr'], { env, encoding: 'utf8' }).stdout.trim()).toBe(
      join(bin, 'tscr'),
    );
    const outputs: string[] = [];
    for (const line of lines) {
      const cmd = line.replace('127.0.0.1:8080:80', `127.0.0.1:${port}:80`);
      const r = spawnSync('bash', ['-c', cmd], { env, cwd: work, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${cmd}\n${r.stdout}\n${r.stderr}`).toBe(0);
      outputs.push(r.stdout);
    }
    const all = outputs.join('');
    expect(all).toContain('hello\n');
    expect(all).toContain('kept\n');
    expect(all).toMatch(/Name:\s+srv/); // nslookup through the daemon's DNS
    expect(existsSync(join(work, 'hostname'))).toBe(true); // tscr cp srv:/etc/hostname .
    expect(all).toMatch(/TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +1 +/);
    expect(all).toMatch(/Deleted Networks:\napp\n/);
    expect(all).toMatch(/Total reclaimed space: /);
  });
});
