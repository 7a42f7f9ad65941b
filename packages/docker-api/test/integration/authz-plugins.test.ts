/**
 * Authorization plugins against a real tscrd: two Docker authz plugins (Node
 * HTTP servers on UNIX sockets in a private plugin directory, each its own
 * process) chained with `--authorization-plugin`. The first refuses privileged
 * containers, the second containers labelled deny=yes. The docker CLI (Docker
 * API) and the tscr CLI (gRPC, presented as Docker API requests) both show the
 * plugin's refusal; unprivileged runs work through both; a plugin that is down
 * refuses everything with a clear error, and is used again once it is back.
 * Root only; everything under /tmp/tscr-test-….
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@tscr/testkit';
import { CompatDaemon, compatSkipReason, waitFor } from '../fixtures/compat.js';

const skip = compatSkipReason();
const PLUGIN_SCRIPT = fileURLToPath(new URL('../fixtures/authz-plugin.mjs', import.meta.url));

interface Logged {
  method: string;
  RequestMethod: string;
  RequestURI: string;
  RequestBody?: string;
  RequestHeaders: Record<string, string>;
  ResponseStatusCode?: number;
}

/** One plugin process: NAME.sock in the plugin directory, its calls in NAME.log. */
class PluginProcess {
  child: ChildProcess | undefined;
  readonly socket: string;
  readonly log: string;

  constructor(
    readonly name: string,
    dir: string,
    /** Read at each start: a restart may change it. */
    public policy: string,
  ) {
    this.socket = join(dir, `${name}.sock`);
    this.log = join(dir, `${name}.log`);
  }

  async start(): Promise<void> {
    const child = spawn('node', [PLUGIN_SCRIPT, this.socket, this.log, this.policy], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`plugin ${this.name} exited (${code})`)));
    });
  }

  /** Kills the process by its PID; the socket file stays (connection refused, as a crashed plugin). */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  calls(): Logged[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Logged);
  }

  /** Calls whose URI matches. */
  find(uri: RegExp, method = 'AuthZPlugin.AuthZReq'): Logged[] {
    return this.calls().filter((c) => c.method === method && uri.test(c.RequestURI));
  }
}

const bodyOf = (c: Logged | undefined) => JSON.parse(Buffer.from(c?.RequestBody ?? '', 'base64').toString('utf8'));

describe.skipIf(skip)('authorization plugins (docker CLI and tscr CLI)', () => {
  let c: CompatDaemon;
  let first: PluginProcess;
  let second: PluginProcess;
  const image = `${uniqueName('authz')}:test`;

  beforeAll(async () => {
    c = await CompatDaemon.create('authz');
    const pluginDir = join(c.dir, 'plugins');
    await mkdir(pluginDir, { recursive: true });
    first = new PluginProcess(uniqueName('authz-priv'), pluginDir, 'deny-privileged');
    second = new PluginProcess(uniqueName('authz-label'), pluginDir, 'deny-label');
    await Promise.all([first.start(), second.start()]);
    const config = join(c.dir, 'authz.json');
    await writeFile(
      config,
      JSON.stringify({
        networkPool: `10.${200 + Math.floor(Math.random() * 50)}.0.0/16`,
        pluginDirs: [pluginDir],
        authorizationPlugins: [first.name, second.name],
        // A plugin that is down is retried this long (dockerd: 30 s) before the request is refused.
        pluginTimeouts: { retryMs: 1500, retryBaseMs: 200, timeoutMs: 10_000 },
      }),
    );
    await c.start(['--config', config]);
    await c.importBusybox(image);
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await c?.cleanup();
  });

  it('docker run --privileged is refused with the plugin’s message; nothing is created', () => {
    const name = uniqueName('priv');
    const r = c.docker(['run', '--rm', '--name', name, '--privileged', image, 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `Error response from daemon: authorization denied by plugin ${first.name}: privileged containers are not allowed`,
    );
    expect(c.tscr(['ps', '-a', '--format', '{{.Names}}']).stdout).not.toContain(name);
    // The plugin saw Docker's create body; the second plugin was not asked (the chain stopped).
    const seen = first.find(new RegExp(`/containers/create\\?name=${name}`));
    expect(bodyOf(seen[0]).HostConfig.Privileged).toBe(true);
    expect(second.find(new RegExp(`name=${name}`))).toEqual([]);
  });

  it('tscr run --privileged over gRPC is refused the same way, presented as POST /containers/create', () => {
    const name = uniqueName('tpriv');
    const r = c.tscr(['run', '--rm', '--name', name, '--privileged', image, 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`authorization denied by plugin ${first.name}: privileged containers are not allowed`);
    expect(c.tscr(['ps', '-a', '--format', '{{.Names}}']).stdout).not.toContain(name);
    const seen = first.find(new RegExp(`^/v1\\.\\d+/containers/create\\?name=${name}$`));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.RequestMethod).toBe('POST');
    expect(seen[0]?.RequestHeaders['X-Tscr-Grpc-Method']).toBe('/tscr.containers.v1.Containers/CreateContainer');
    expect(bodyOf(seen[0]).HostConfig.Privileged).toBe(true);
    expect(bodyOf(seen[0]).Image).toBe(image);
  });

  it('unprivileged runs work through both CLIs (streams included), and answers are shown to the plugins', () => {
    const d = c.docker(['run', '--rm', image, 'echo', 'through-docker']);
    expect(d.stderr).toBe('');
    expect(d.stdout).toBe('through-docker\n');
    const t = c.tscr(['run', '--rm', image, 'echo', 'through-tscr']);
    expect(t.stderr).toBe('');
    expect(t.stdout).toBe('through-tscr\n');
    // Exec: a gRPC call whose requests stream (checked on its first message) and a hijacked Docker request.
    const name = uniqueName('exec');
    expect(c.tscr(['run', '-d', '--name', name, image, 'sleep', '1000']).code).toBe(0);
    expect(c.tscr(['exec', name, 'echo', 'exec-tscr']).stdout).toBe('exec-tscr\n');
    expect(c.docker(['exec', name, 'echo', 'exec-docker']).stdout).toBe('exec-docker\n');
    expect(first.find(/^\/v[\d.]+\/exec\/[^/]+\/start$/).length).toBeGreaterThanOrEqual(2);
    expect(c.tscr(['rm', '-f', name]).code).toBe(0);
    // The plugins themselves, through both CLIs (GET /plugins on both doors).
    expect(c.tscr(['plugin', 'ls']).stdout).toContain(first.name);
    expect(c.docker(['plugin', 'ls']).code).toBe(0);
    expect(first.find(/^\/v[\d.]+\/plugins(\?|$)/).length).toBeGreaterThanOrEqual(2);
    const ps = c.docker(['ps', '-a']);
    expect(ps.code).toBe(0);
    const res = first.find(/^\/v[\d.]+\/containers\/json/, 'AuthZPlugin.AuthZRes');
    expect(res.at(-1)?.ResponseStatusCode).toBe(200);
    // Both plugins were asked about the allowed create.
    expect(second.find(/\/containers\/create/).length).toBeGreaterThanOrEqual(2);
  });

  it('the second plugin of the chain refuses what the first allowed, through both CLIs', () => {
    const d = c.docker(['run', '--rm', '--label', 'deny=yes', image, 'true']);
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain(`authorization denied by plugin ${second.name}: label deny=yes refused`);
    const t = c.tscr(['run', '--rm', '--label', 'deny=yes', image, 'true']);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toContain(`authorization denied by plugin ${second.name}: label deny=yes refused`);
  });

  it('a plugin that is down refuses everything (fail closed) with a clear error; once back, it is used again', async () => {
    await second.stop();
    const d = c.docker(['ps']);
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain(`plugin ${second.name} failed with error:`);
    const t = c.tscr(['ps']);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toContain(`plugin ${second.name} failed with error:`);
    await second.start();
    await waitFor('the plugin back', () => c.tscr(['ps']).code === 0);
    expect(c.docker(['ps']).code).toBe(0);
  });

  it('a plugin that answers garbage refuses with a clear error', async () => {
    await second.stop();
    second.policy = 'garbage';
    await second.start();
    const d = c.docker(['ps']);
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain(`plugin ${second.name} failed with error:`);
    const t = c.tscr(['ps']);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toContain(`Error: plugin ${second.name} failed with error:`);
    await second.stop();
    second.policy = 'deny-label';
    await second.start();
    await waitFor('the plugin answering again', () => c.tscr(['ps']).code === 0);
  });
});
