/**
 * Debian's docker-compose 1.29 (python) against tscrd's Docker Engine API:
 * a busybox httpd server with a named volume and a published port, and a
 * client that reaches it by service name on the project's bridge network.
 * Root only; needs the bridge networks and their DNS (the network layer).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@tscr/testkit';
import { CompatDaemon, type Result, composeSkipReason } from '../fixtures/compat.js';

const skip = composeSkipReason();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => {
        body += b.toString();
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe.skipIf(skip)('docker-compose 1.29 against tscrd', () => {
  let c: CompatDaemon;
  let dir = '';
  const image = `${uniqueName('compose-img')}:test`;
  const project = uniqueName('proj').replace(/-/g, '');
  let port = 0;

  const compose = (args: string[]): Result => {
    const r = spawnSync('docker-compose', ['-p', project, '-f', join(dir, 'docker-compose.yml'), ...args], {
      // `run` and `exec` go through the docker CLI (compose's default), also pointed at tscrd.
      env: c.env(),
      encoding: 'utf8',
      timeout: 120_000,
      cwd: dir,
    });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };

  beforeAll(async () => {
    c = await CompatDaemon.create('compose');
    dir = c.dir;
    await c.start();
    await c.importBusybox(image);
    port = await freePort();
    // A subnet of its own, away from the networks other daemons on this host make.
    const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.0/24`;
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      `version: "2.4"
services:
  web:
    image: ${image}
    command: ["sh", "-c", "echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www"]
    volumes:
      - webdata:/www
    ports:
      - "127.0.0.1:${port}:80"
  client:
    image: ${image}
    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -q -O - http://web/ && exit 0; sleep 0.5; done; exit 1"]
    depends_on:
      - web
volumes:
  webdata: {}
networks:
  default:
    ipam:
      config:
        - subnet: ${subnet}
`,
    );
  });

  afterAll(async () => {
    if (c) {
      compose(['down', '-v', '--remove-orphans']);
      await c.cleanup();
    }
  });

  it('up -d, a client reaching the server by service name, the published port, exec, ps, down -v', async () => {
    const up = compose(['up', '-d', 'web']);
    expect(up.stderr).toContain('Creating');
    expect(up.code).toBe(0);
    const run = compose(['run', '--rm', '-T', 'client']);
    expect(run.stdout).toBe('hello-from-web\n');
    expect(run.code).toBe(0);
    expect(await httpGet(`http://127.0.0.1:${port}/`)).toBe('hello-from-web\n');
    const exec = compose(['exec', '-T', 'web', 'cat', '/www/index.html']);
    expect(exec.stdout).toBe('hello-from-web\n');
    expect(compose(['ps', '-q']).stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    // The project's network and volume, by name, through the Docker CLI.
    expect(c.docker(['network', 'ls', '--format', '{{.Name}}']).stdout).toContain(`${project}_default`);
    expect(c.docker(['volume', 'ls', '--format', '{{.Name}}']).stdout).toContain(`${project}_webdata`);
    const down = compose(['down', '-v']);
    expect(down.code).toBe(0);
    expect(c.docker(['volume', 'ls', '--format', '{{.Name}}']).stdout).not.toContain(`${project}_webdata`);
    expect(c.docker(['ps', '-a', '-q']).stdout).toBe('');
  });
});
