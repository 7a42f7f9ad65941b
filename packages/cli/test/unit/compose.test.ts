/** `tscr compose` wiring that needs no daemon: config and its flags, help, bad input and usage. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { progressPrinter } from '../../src/commands/compose/progress.js';
import { runCli } from '../fixtures/fake-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'tscr-test-cli-compose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'compose.yaml');
writeFileSync(
  file,
  'name: demo\nservices:\n  web:\n    image: busybox\n    volumes: [data:/data]\n  tool:\n    image: busybox\n    profiles: [tools]\nvolumes:\n  data: {}\n',
);
const env = { TSCR_HOST: 'unix:///tmp/tscr-test-cli-compose/none.sock' };

describe('tscr compose (no daemon needed)', () => {
  it('config prints the normalised model; --services, --volumes, --profiles, -q, --format json', async () => {
    const yaml = await runCli(['compose', '-f', file, 'config'], { env });
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain(
      'name: demo\nservices:\n  web:\n    image: busybox\n    networks:\n      default: null\n',
    );
    expect((await runCli(['compose', '-f', file, 'config', '--services'], { env })).stdout).toBe('web\n');
    expect((await runCli(['compose', '-f', file, '--profile', 'tools', 'config', '--services'], { env })).stdout).toBe(
      'tool\nweb\n',
    );
    expect((await runCli(['compose', '-f', file, 'config', '--volumes'], { env })).stdout).toBe('data\n');
    expect((await runCli(['compose', '-f', file, 'config', '--profiles'], { env })).stdout).toBe('tools\n');
    expect((await runCli(['compose', '-f', file, 'config', '-q'], { env })).stdout).toBe('');
    const json = JSON.parse((await runCli(['compose', '-f', file, 'config', '--format', 'json'], { env })).stdout);
    expect(json.volumes.data.name).toBe('demo_data');
  });

  it('reads -f - from stdin', async () => {
    const r = await runCli(['compose', '-p', 'piped', '-f', '-', 'config', '--services'], {
      env,
      stdin: Readable.from([Buffer.from('services:\n  a:\n    image: busybox\n')]),
    });
    expect(r.stdout).toBe('a\n');
  });

  it('bad input exits 1 naming file, path and line', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'services:\n  web:\n    image: busybox\n    restart: sometimes\n');
    const r = await runCli(['compose', '-f', bad, 'up', '-d'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: ${bad}:4: services.web.restart: invalid restart policy "sometimes"\n`);
  });

  it('help, an unknown subcommand, a missing argument', async () => {
    const help = await runCli(['compose', '--help'], { env });
    expect(help.stdout).toContain('Usage:  tscr compose [OPTIONS] COMMAND');
    const bare = await runCli(['compose'], { env });
    expect(bare.stdout).toMatch(/\n {2}up +Create and start containers\n/);
    expect((await runCli(['compose', 'up', '--help'], { env })).stdout).toContain('--wait-timeout');
    const unknown = await runCli(['compose', 'upp'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("'compose upp' is not a tscr command");
    expect((await runCli(['compose', '-f', file, 'exec', 'web'], { env })).code).toBe(1);
  });
});

describe('compose progress', () => {
  const capture = () => {
    let text = '';
    const write = (s: string) => {
      text += s;
      return true;
    };
    return { stream: { write } as unknown as NodeJS.WritableStream, text: () => text };
  };
  it('plain lines without a terminal', () => {
    const out = capture();
    const p = progressPrinter(out.stream, false);
    p.sink({ kind: 'Container', name: 'p-web-1', state: 'Creating', done: false, elapsedMs: 0 });
    p.sink({ kind: 'Container', name: 'p-web-1', state: 'Created', done: true, elapsedMs: 120 });
    p.finish();
    expect(out.text()).toBe(' Container p-web-1  Creating\n Container p-web-1  Created\n');
  });
  it('redrawn in place on a terminal, with a count and times', () => {
    const out = capture();
    const p = progressPrinter(out.stream, true);
    p.sink({ kind: 'Network', name: 'p_default', state: 'Created', done: true, elapsedMs: 100 });
    p.sink({ kind: 'Container', name: 'p-web-1', state: 'Starting', done: false, elapsedMs: 0 });
    p.sink({ kind: 'Container', name: 'p-web-1', state: 'Started', done: true, elapsedMs: 400 });
    const frames = out.text().split('\x1b[2K');
    expect(out.text()).toContain('\x1b[3A');
    expect(frames.at(-3)).toBe('[+] Running 2/2\n');
    expect(frames.at(-1)).toBe(' ✔ Container p-web-1  Started      0.4s\n');
  });
});
