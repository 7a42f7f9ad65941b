// What an authorization plugin costs per request: two private daemons on this machine, one without and one
// with `--authorization-plugin` (a Node plugin that allows everything, on a UNIX socket), measured in the same
// run with the same requests:
//   Docker API  GET /containers/json   (AuthZReq + AuthZRes: a buffered answer is shown to the plugin)
//   gRPC        Containers.ListContainers (AuthZReq + AuthZRes)
//   gRPC        create/start/wait/remove of a `true` container (a streaming attach included)
// Prints a markdown table of medians and the ratio with/without. Needs root and a build (npm run build).
// Usage: node bench/authz.mjs [--runs N]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GrpcContainerService } from '@tscr/container/grpc';
import { networkPrefixForRoot, purgeHostNetwork } from '@tscr/network/local';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' } } });
const runs = Number(values.runs);
const repo = new URL('..', import.meta.url).pathname;
const work = mkdtempSync('/tmp/tscr-bench-authz-');
const plugins = join(work, 'plugins');
mkdirSync(plugins);
const children = [];

// The plugin, in this process: it only answers, so the CLIs below must not block the event loop (they do not).
const plugin = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
    res.end(req.url === '/Plugin.Activate' ? '{"Implements":["authz"]}' : '{"Allow":true}');
  });
});
await new Promise((r) => plugin.listen(join(plugins, 'tscr-bench-allow.sock'), r));

function startDaemon(name, extra) {
  const dir = join(work, name);
  const config = join(work, `${name}.json`);
  writeFileSync(config, JSON.stringify({ networkPool: `10.${180 + children.length}.0.0/16`, pluginDirs: [plugins] }));
  const child = spawn(
    'node',
    [
      join(repo, 'packages/daemon/dist/main.cjs'),
      '--config',
      config,
      '--host',
      `unix://${dir}/exec/tscr.sock`,
      '--root',
      `${dir}/root`,
      '--exec-root',
      `${dir}/exec`,
      '--docker-host',
      `unix://${dir}/docker.sock`,
      '--no-cri',
      '--cgroup-parent',
      `tscr-bench-authz-${name}`,
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  return { dir, host: `unix://${dir}/exec/tscr.sock`, docker: join(dir, 'docker.sock'), child };
}

/** Runs the CLI without blocking this process (it serves the plugin). */
const cli = (host, args) =>
  new Promise((resolve) => {
    const c = spawn('node', [join(repo, 'packages/cli/dist/main.cjs'), ...args], {
      env: { ...process.env, TSCR_HOST: host },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    c.stderr.on('data', (b) => {
      stderr += b;
    });
    c.on('close', (status) => resolve({ status, stderr }));
  });

async function ready(d) {
  for (let i = 0; i < 200; i++) {
    if ((await cli(d.host, ['version'])).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`daemon ${d.dir} did not come up`);
}

function get(socketPath, path) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function median(n, fn) {
  for (let i = 0; i < Math.min(10, n); i++) await fn();
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

async function measure(d, image) {
  const containers = new GrpcContainerService(d.host);
  const out = {
    docker: await median(runs, () => get(d.docker, '/v1.51/containers/json')),
    list: await median(runs, () => containers.list({ all: true })),
    run: await median(Math.max(5, Math.floor(runs / 20)), async () => {
      const { id } = await containers.create({ config: { image, cmd: ['true'] }, hostConfig: { networkMode: 'none' } });
      const drained = (async () => {
        for await (const _ of containers.attach(id, { stdout: true, stderr: true })) void _;
      })();
      await containers.start(id);
      await containers.wait(id);
      await drained;
      await containers.remove(id);
    }),
  };
  containers.close?.();
  return out;
}

try {
  const plain = startDaemon('plain', []);
  const guarded = startDaemon('authz', ['--authorization-plugin', 'tscr-bench-allow']);
  await Promise.all([ready(plain), ready(guarded)]);
  const tar = join(work, 'busybox.tar');
  spawnSync('bash', [join(repo, 'scripts/busybox-rootfs.sh'), tar], { stdio: 'ignore' });
  const image = 'tscr-bench/authz:latest';
  for (const d of [plain, guarded]) {
    const r = await cli(d.host, ['image', 'import', tar, image]);
    if (r.status !== 0) throw new Error(`import: ${r.stderr}`);
  }
  const a = await measure(plain, image);
  const b = await measure(guarded, image);
  const row = (what, x, y) => `| ${what} | ${x.toFixed(2)} | ${y.toFixed(2)} | ${(y / x).toFixed(2)}× |`;
  console.log(`\n### Authorization plugin overhead (${runs} requests each, medians in ms)\n`);
  console.log('| request | no plugin | one authz plugin | ratio |');
  console.log('|---|---|---|---|');
  console.log(row('Docker API GET /containers/json', a.docker, b.docker));
  console.log(row('gRPC Containers.ListContainers', a.list, b.list));
  console.log(row('gRPC create/attach/start/wait/remove', a.run, b.run));
} finally {
  for (const c of children) {
    if (c.exitCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
  }
  plugin.close();
  for (const name of ['plain', 'authz']) {
    const dir = join(work, name);
    await purgeHostNetwork({ prefix: networkPrefixForRoot(join(dir, 'root')), runDir: join(dir, 'exec', 'netns') });
    for (const ctl of readdirSync('/sys/fs/cgroup')) {
      const cg = join('/sys/fs/cgroup', ctl, `tscr-bench-authz-${name}`);
      if (existsSync(cg)) rmdirSync(cg);
    }
  }
  spawnSync('umount', ['-R', work], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
