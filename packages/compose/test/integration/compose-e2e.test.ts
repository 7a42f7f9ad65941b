// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose text holds ${VAR} interpolations
/**
 * `tscr compose` end to end on a private daemon (real runc, conmon, bridge
 * networks, volumes): the three-service app of issue 12 (web: busybox httpd
 * serving a file from a named volume on a published port; db: a healthcheck
 * that passes after a few seconds; worker: depends on db healthy and web,
 * fetches http://web/ by name, writes the answer, exits 0), then scaling,
 * a changed service, down -v; interop with docker-compose 1.29 through the
 * daemon's Docker API socket, both ways; bad input and failures mid-up.
 * Root only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@tscr/testkit';
import { CLI } from '../../../cli/test/fixtures/e2e.js';
import { example } from '../fixtures/readme-example.js';
import { CompatDaemon, type Result, composeSkipReason } from '../../../docker-api/test/fixtures/compat.js';

const skip = composeSkipReason();

async function httpGet(url: string): Promise<string> {
  return (await fetch(url)).text();
}

/** The compose file of the three-service app. */
function appFile(image: string, dbEnv = 'one'): string {
  return `services:
  web:
    image: ${image}
    init: true
    command: ["sh", "-c", "echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www"]
    volumes:
      - webdata:/www
    ports:
      - "127.0.0.1::80"
  db:
    image: ${image}
    init: true
    environment:
      FLAVOUR: ${dbEnv}
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 20
  worker:
    image: ${image}
    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -q -O /out/answer http://web/ && cat /out/answer && exit 0; sleep 0.5; done; exit 1"]
    volumes: ["out:/out"]
    depends_on:
      db:
        condition: service_healthy
      web:
        condition: service_started
volumes:
  webdata: {}
  out: {}
`;
}

describe.skipIf(skip)('tscr compose on a real daemon', () => {
  let c: CompatDaemon;
  const image = `${uniqueName('compose-img')}:test`;

  /** A project directory of its own with `text` as compose.yaml. */
  function projectDir(name: string, text: string): string {
    const dir = join(c.dir, 'projects', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'compose.yaml'), text);
    return dir;
  }

  const env = () => c.env({ TSCR_HOST: `unix://${join(c.dir, 'exec', 'tscr.sock')}` });

  /** Runs `tscr compose ARGS` in `dir`. */
  function compose(dir: string, args: string[], input?: string, extra: NodeJS.ProcessEnv = {}): Result {
    const r = spawnSync('node', [CLI, 'compose', ...args], {
      cwd: dir,
      env: { ...env(), ...extra },
      encoding: 'utf8',
      timeout: 120_000,
      input,
    });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  function dockerCompose(dir: string, args: string[]): Result {
    const r = spawnSync('docker-compose', args, { cwd: dir, env: c.env(), encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  const names = (what: 'ps' | 'network' | 'volume') =>
    c
      .docker(what === 'ps' ? ['ps', '-a', '--format', '{{.Names}}'] : [what, 'ls', '--format', '{{.Name}}'])
      .stdout.split('\n')
      .filter(Boolean);

  beforeAll(async () => {
    c = await CompatDaemon.create('compose-e2e');
    await c.start();
    await c.importBusybox(image);
  });

  afterAll(async () => {
    if (c) await c.cleanup();
  });

  it('the three-service app: up --wait, ps, logs, exec, run --rm, scale, a changed service, down -v', {
    timeout: 180_000,
  }, async () => {
    const dir = projectDir('app', appFile(image));
    const up = compose(dir, ['up', '-d', '--wait']);
    expect(up.stderr).toContain('Container app-db-1  Healthy');
    expect(up.code).toBe(0);

    const ps = compose(dir, ['ps', '-a', '--format', 'json']);
    const rows = ps.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            Name: string;
            Service: string;
            State: string;
            ExitCode: number;
            Health: string;
            Publishers: { PublishedPort: number }[];
          },
      );
    expect(rows.map((r) => r.Name).sort()).toEqual(['app-db-1', 'app-web-1', 'app-worker-1']);
    expect(rows.find((r) => r.Service === 'db')!.Health).toBe('healthy');
    const port = rows.find((r) => r.Service === 'web')!.Publishers[0]!.PublishedPort;
    expect(await httpGet(`http://127.0.0.1:${port}/`)).toBe('hello-from-web\n');
    expect(compose(dir, ['port', 'web', '80']).stdout).toBe(`127.0.0.1:${port}\n`);

    // The worker fetched http://web/ by service name; its logs carry Compose's prefix.
    const done = compose(dir, ['wait', 'worker']);
    expect(done.stdout).toBe('0\n');
    expect(compose(dir, ['logs', '--no-color', 'worker']).stdout).toBe('worker-1  | hello-from-web\n');
    expect(compose(dir, ['exec', '-T', 'web', 'cat', '/www/index.html']).stdout).toBe('hello-from-web\n');
    const run = compose(dir, ['run', '--rm', '-T', 'worker', 'cat', '/out/answer']);
    expect(run.stdout).toBe('hello-from-web\n');
    expect(run.code).toBe(0);
    expect(names('ps').filter((n) => n.includes('-run-'))).toEqual([]);

    // Three replicas of web, each answering on the name `web`.
    const scaled = compose(dir, ['up', '-d', '--scale', 'web=3']);
    expect(scaled.code).toBe(0);
    expect(
      names('ps')
        .filter((n) => n.startsWith('app-web-'))
        .sort(),
    ).toEqual(['app-web-1', 'app-web-2', 'app-web-3']);
    const probe = compose(dir, [
      'run',
      '--rm',
      '-T',
      '--no-deps',
      'worker',
      'sh',
      '-c',
      'for ip in $(nslookup web | sed -n "s/^Address: //p"); do timeout 2 wget -q -O - http://$ip/ || echo "no answer from $ip"; done',
    ]);
    expect(probe.stdout).toBe('hello-from-web\n'.repeat(3));
    // Back to one: the highest numbers go.
    const down1 = compose(dir, ['up', '-d']);
    expect(down1.code).toBe(0);
    expect(names('ps').filter((n) => n.startsWith('app-web-'))).toEqual(['app-web-1']);

    // A changed environment recreates only that service.
    const before = compose(dir, ['ps', '-a', '-q']).stdout.trim().split('\n').sort();
    writeFileSync(join(dir, 'compose.yaml'), appFile(image, 'two'));
    const again = compose(dir, ['--progress', 'plain', 'up', '-d']);
    expect(again.code).toBe(0);
    expect(again.stderr.match(/Container \S+ {2}Recreated/g)).toEqual(['Container app-db-1  Recreated']);
    const after = compose(dir, ['ps', '-a', '-q']).stdout.trim().split('\n').sort();
    expect(after.filter((id) => before.includes(id))).toHaveLength(2);
    expect(c.docker(['inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', 'app-db-1']).stdout).toContain(
      'FLAVOUR=two',
    );

    const down = compose(dir, ['down', '-v', '-t', '1']);
    expect(down.code).toBe(0);
    expect(names('ps').filter((n) => n.startsWith('app-'))).toEqual([]);
    expect(names('network').filter((n) => n.startsWith('app_'))).toEqual([]);
    expect(names('volume').filter((n) => n.startsWith('app_'))).toEqual([]);
  });

  it('the README example, as written there', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('../fixtures/readme-example.ts', import.meta.url), 'utf8');
    expect(readme).toContain(code.trimEnd());
    const dir = projectDir(
      'readme',
      `services:\n  web:\n    image: ${image}\n    init: true\n    command: ["httpd", "-f", "-p", "80"]\n`,
    );
    expect(await example(`unix://${join(c.dir, 'exec', 'tscr.sock')}`, dir)).toEqual(['readme-web-1 running']);
    expect(names('ps').filter((n) => n.startsWith('readme'))).toEqual([]);
  });

  it('secrets from a file and the environment, -f -, up in the foreground with --exit-code-from', () => {
    const dir = projectDir('extras', '');
    writeFileSync(join(dir, 'token.txt'), 'from-file\n');
    const text = `services:
  reader:
    image: ${image}
    command: ["sh", "-c", "cat /run/secrets/token /run/secrets/envsecret; exit 3"]
    secrets: [token, envsecret]
  idle:
    image: ${image}
    init: true
    command: ["sleep", "100"]
secrets:
  token:
    file: ./token.txt
  envsecret:
    environment: TSCR_TEST_SECRET
`;
    const up = compose(dir, ['-f', '-', 'up', '--exit-code-from', 'reader', '-t', '1'], text, {
      TSCR_TEST_SECRET: 'from-env',
    });
    expect(up.stdout).toContain('reader-1  | from-file\n');
    expect(up.stdout).toContain('reader-1  | from-env\n');
    expect(up.stdout).toContain('reader-1 exited with code 3\n');
    expect(up.code).toBe(3);
    // --exit-code-from stops the others.
    expect(compose(dir, ['-f', '-', 'ps', '-q'], text, { TSCR_TEST_SECRET: 'x' }).stdout).toBe('');
    expect(compose(dir, ['-f', '-', 'down', '-t', '1'], text, { TSCR_TEST_SECRET: 'x' }).code).toBe(0);
  });

  it('stop, start, pause, unpause, restart, kill, top, images, events --json, rm -s', async () => {
    const dir = projectDir(
      'life',
      `services:\n  svc:\n    image: ${image}\n    init: true\n    command: ["sleep", "100"]\n`,
    );
    expect(compose(dir, ['up', '-d']).code).toBe(0);
    const events = spawn('node', [CLI, 'compose', 'events', '--json'], { cwd: dir, env: env() });
    let seen = '';
    events.stdout.on('data', (b: Buffer) => {
      seen += b.toString();
    });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const state = () =>
        (JSON.parse(compose(dir, ['ps', '-a', '--format', 'json']).stdout) as { State: string }).State;
      expect(compose(dir, ['pause']).code).toBe(0);
      expect(state()).toBe('paused');
      expect(compose(dir, ['unpause']).code).toBe(0);
      expect(compose(dir, ['stop', '-t', '1']).code).toBe(0);
      expect(state()).toBe('exited');
      expect(compose(dir, ['start']).code).toBe(0);
      expect(compose(dir, ['restart', '-t', '1']).code).toBe(0);
      expect(state()).toBe('running');
      expect(compose(dir, ['top']).stdout).toMatch(/^life-svc-1\nUID .*sleep 100/s);
      expect(compose(dir, ['images']).stdout).toMatch(/life-svc-1 +tscr-test-compose-img-[\w-]+ +test +[0-9a-f]{12} /);
      expect(compose(dir, ['kill']).code).toBe(0);
      expect(state()).toBe('exited');
      for (let i = 0; i < 50 && !seen.includes('"action":"kill"'); i++) await new Promise((r) => setTimeout(r, 100));
      const actions = seen
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { action: string; service: string }).action);
      expect(actions).toEqual(expect.arrayContaining(['pause', 'unpause', 'stop', 'start', 'restart', 'kill']));
    } finally {
      events.kill();
    }
    expect(compose(dir, ['rm', '-s']).code).toBe(0);
    expect(names('ps').filter((n) => n.startsWith('life'))).toEqual([]);
    expect(compose(dir, ['down']).code).toBe(0);
  });

  it('network_mode service: and volumes_from share a container of another service; tmpfs, read_only, user', () => {
    const dir = projectDir(
      'shared',
      `services:
  web:
    image: ${image}
    init: true
    command: ["sh", "-c", "echo shared > /www/index.html && exec httpd -f -p 80 -h /www"]
    volumes: ["site:/www"]
  side:
    image: ${image}
    network_mode: "service:web"
    volumes_from: ["web:ro"]
    tmpfs: ["/scratch"]
    read_only: true
    user: "1000"
    command: ["sh", "-c", "id -u; cat /www/index.html; timeout 2 wget -q -O - http://127.0.0.1/; touch /www/x 2>/dev/null || echo ro-volume; touch /scratch/x && echo tmpfs-ok; touch /x 2>/dev/null || echo ro-root"]
volumes:
  site: {}
`,
    );
    expect(compose(dir, ['up', '-d', 'web']).code).toBe(0);
    const run = compose(dir, ['run', '--rm', '-T', 'side']);
    expect(run.stdout).toBe('1000\nshared\nshared\nro-volume\ntmpfs-ok\nro-root\n');
    expect(compose(dir, ['down', '-v', '-t', '1']).code).toBe(0);
  });

  it('build: a service built by the builder layer, tagged PROJECT-SERVICE, then run', () => {
    const dir = projectDir(
      'built',
      `services:\n  app:\n    build:\n      context: ./ctx\n      args:\n        GREETING: built-by-compose\n    command: ["cat", "/greeting"]\n`,
    );
    mkdirSync(join(dir, 'ctx'));
    writeFileSync(join(dir, 'ctx', 'Dockerfile'), `FROM ${image}\nARG GREETING\nRUN echo $GREETING > /greeting\n`);
    const build = compose(dir, ['build']);
    expect(build.code).toBe(0);
    expect(c.docker(['images', '--format', '{{.Repository}}']).stdout).toContain('built-app');
    const run = compose(dir, ['run', '--rm', '-T', 'app']);
    expect(run.stdout).toBe('built-by-compose\n');
    expect(compose(dir, ['down', '--rmi', 'local']).code).toBe(0);
    expect(c.docker(['images', '--format', '{{.Repository}}']).stdout).not.toContain('built-app');
  });

  it('--wait on a healthcheck that never passes names the container and fails', () => {
    const dir = projectDir(
      'sick',
      `services:\n  sick:\n    image: ${image}\n    init: true\n    command: ["sleep", "100"]\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 200ms\n      retries: 2\n`,
    );
    const up = compose(dir, ['up', '-d', '--wait']);
    expect(up.stderr).toContain('Error: container sick-sick-1 is unhealthy');
    expect(up.code).toBe(1);
    expect(compose(dir, ['ps', '-a', '--services']).stdout).toBe('sick\n');
    expect(compose(dir, ['down', '-t', '1']).code).toBe(0);
  });

  it('docker-compose 1.29 lists and removes a project tscr compose started', () => {
    const dir = projectDir('tscrmade', appFile(image));
    expect(compose(dir, ['up', '-d', 'web']).code).toBe(0);
    const ps = dockerCompose(dir, ['ps']);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toMatch(/tscrmade-web-1 .* Up/);
    const down = dockerCompose(dir, ['down', '-v', '-t', '1']);
    expect(down.code).toBe(0);
    expect(names('ps').filter((n) => n.startsWith('tscrmade'))).toEqual([]);
    expect(names('network')).not.toContain('tscrmade_default');
    expect(names('volume')).not.toContain('tscrmade_webdata');
  });

  it('tscr compose lists and removes a project docker-compose 1.29 started', () => {
    const dir = projectDir('dcmade', appFile(image));
    const up = dockerCompose(dir, ['up', '-d', 'web']);
    expect(up.code).toBe(0);
    const ps = compose(dir, ['ps']);
    expect(ps.stdout).toMatch(/dcmade_web_1 .* web .* Up/);
    expect(compose(dir, ['ls']).stdout).toMatch(/dcmade\s+running\(1\)/);
    const down = compose(dir, ['down', '-v', '-t', '1']);
    expect(down.code).toBe(0);
    expect(names('ps').filter((n) => n.startsWith('dcmade'))).toEqual([]);
    expect(names('network')).not.toContain('dcmade_default');
    expect(names('volume')).not.toContain('dcmade_webdata');
  });

  it('bad input: exit code 1, a message naming file, path and line, nothing created', () => {
    const cases: [string, RegExp][] = [
      [
        'services:\n  web:\n    image: busybox\n    volumes: ["data:/data"]\n',
        /compose\.yaml:4: services\.web\.volumes\[0\]: service "web" refers to undefined volume data/,
      ],
      [
        'services:\n  web:\n    image: busybox\n    portz: []\n',
        /compose\.yaml:4: services\.web\.portz: additional property portz is not allowed/,
      ],
      [
        'services:\n  web:\n    command: ["true"]\n',
        /services\.web: service "web" has neither an image nor a build context specified/,
      ],
      [
        'services:\n  web:\n    image: busybox\n    ports: ["80:99999"]\n',
        /services\.web\.ports\[0\]: invalid container port "99999"/,
      ],
      ['services:\n  web:\n    image: "x:${NOPE:?set NOPE}"\n', /required variable NOPE is missing a value: set NOPE/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const dir = projectDir(`bad${i}`, text);
      const r = compose(dir, ['up', '-d']);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(1);
      expect(names('ps').filter((n) => n.startsWith(`bad${i}`))).toEqual([]);
      expect(names('network').filter((n) => n.startsWith(`bad${i}`))).toEqual([]);
    }
  });

  it('a failure in the middle of up names the service; what was made is listed and removed by down', () => {
    const pulled = compose(projectDir('nopull', `services:\n  gone:\n    image: 127.0.0.1:1/tscr-test/absent:1\n`), [
      'up',
      '-d',
    ]);
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toMatch(/service "gone": pulling 127\.0\.0\.1:1\/tscr-test\/absent:1/);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const dir = projectDir(
      'midway',
      `services:
  first:
    image: ${image}
    init: true
    command: ["sleep", "100"]
    ports: ["127.0.0.1:${port}:80"]
  second:
    image: ${image}
    init: true
    command: ["sleep", "100"]
    ports: ["127.0.0.1:${port}:80"]
    depends_on: [first]
`,
    );
    const up = compose(dir, ['up', '-d']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/service "second": starting container midway-second-1: .*port is already allocated/);
    const ps = compose(dir, ['ps', '-a']).stdout;
    expect(ps).toContain('midway-first-1');
    expect(ps).toContain('midway-second-1');
    const down = compose(dir, ['down', '-t', '1']);
    expect(down.code).toBe(0);
    expect(names('ps').filter((n) => n.startsWith('midway'))).toEqual([]);
    expect(names('network')).not.toContain('midway_default');
  });
});
