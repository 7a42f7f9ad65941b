// Where the time of one unary gRPC call goes (issue 17 goal 2): System/Ping, back to back from a warm client,
// through four clients — the library's GrpcSystemService over grpc-js, grpc-js's generated client bare (no
// callUnary), GrpcSystemService over the CLI's lean HTTP/2 transport (bench/lite-client.mjs), a raw node:http2
// request of the same bytes — against three servers: a private tscrd, a bare grpc-js server (the same service
// definition, a handler that only answers) and a bare node:http2 server. Per row: the call's wall median and p90,
// the client's CPU per call (process.cpuUsage) and the server's (its threads' /proc schedstat), in µs.
// Needs root for the private daemon (or --host of a running one). Usage: node bench/grpc-call.mjs [--calls 2000]
//   [--host unix:///path] [--json out.json]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { GrpcSystemService, clientChannel, systemV1 } from '@tscr/api/grpc';
import { liteClients } from './lite-client.mjs';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    host: { type: 'string' },
    json: { type: 'string' },
    serve: { type: 'string' }, // child mode: bare | h2 | containers
    runs: { type: 'string', default: '500' },
    // Node flags of the bare servers' processes, e.g. tscrd's own ('--max-semi-space-size=2 --interrupt-budget=270336').
    'server-node-flags': { type: 'string', default: '' },
    'only-run-path': { type: 'boolean', default: false },
    socket: { type: 'string' },
  },
});
const PING = '/tscr.system.v1.System/Ping';
const EMPTY = Buffer.alloc(5); // a gRPC frame: not compressed, length 0 (an empty message)

if (values.serve === 'bare') {
  const server = new grpc.Server();
  server.addService(systemV1.SystemService, { ping: (_call, cb) => cb(null, {}) });
  server.bindAsync(`unix://${values.socket}`, grpc.ServerCredentials.createInsecure(), () => process.send('up'));
} else if (values.serve === 'h2') {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(EMPTY);
    });
  });
  server.listen(values.socket, () => process.send('up'));
} else if (values.serve === 'containers') {
  const { addContainerService } = await import('@tscr/container/grpc');
  const server = new grpc.Server();
  addContainerService(server, nullContainers());
  server.bindAsync(`unix://${values.socket}`, grpc.ServerCredentials.createInsecure(), () => process.send('up'));
} else {
  await main();
}

/**
 * A container service that does nothing but answer (the run path's calls only): what is left of a call is the
 * wire, the conversions and grpc-js. The attach ends when the container is waited for, as a real one ends at exit.
 */
function nullContainers() {
  const exits = new Map();
  let n = 0;
  const exitOf = (id) => {
    if (!exits.has(id)) {
      let resolve;
      exits.set(id, { done: new Promise((r) => (resolve = r)), resolve });
    }
    return exits.get(id);
  };
  return {
    create: async () => ({ id: `tscr-bench-${(++n).toString(16).padStart(64, '0')}`, warnings: [] }),
    // An attach that ends (without output, as `true` writes none) when the container is waited for.
    async *attach(id, opts) {
      opts.onAttached?.();
      await exitOf(id).done;
      yield* [];
    },
    start: async () => undefined,
    wait: async (id) => {
      exitOf(id).resolve();
      return { exitCode: 0, exitedAt: new Date().toISOString() };
    },
    remove: async (id) => {
      exits.delete(id);
    },
  };
}

/** The CPU time of all threads of `pid` so far, in µs (schedstat's first field is ns on the CPU). */
function cpuOf(pid) {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended
    }
  }
  return ns / 1000;
}

/** A raw node:http2 client: one POST of an empty gRPC message per call, the status read from the trailers. */
function rawClient(path) {
  const session = http2.connect('http://localhost', { createConnection: () => net.connect(path) });
  return {
    ping: () =>
      new Promise((resolve, reject) => {
        const req = session.request({
          ':method': 'POST',
          ':path': PING,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        req.on('data', () => undefined);
        req.on('trailers', (t) =>
          t['grpc-status'] === '0' ? resolve() : reject(new Error(`status ${t['grpc-status']}`)),
        );
        req.on('error', reject);
        req.end(EMPTY);
      }),
    close: () => session.close(),
  };
}

function bareGrpcClient(address) {
  const ch = clientChannel(address);
  const c = new systemV1.SystemClient(ch.target, ch.credentials, ch.options);
  return {
    ping: () => new Promise((resolve, reject) => c.ping({}, (err) => (err ? reject(err) : resolve()))),
    close: () => c.close(),
  };
}

async function measure(client, serverPid, calls) {
  for (let i = 0; i < 1000; i++) await client.ping(); // warm: connection, JIT
  const laps = [];
  const c0 = process.cpuUsage();
  const s0 = cpuOf(serverPid);
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint();
    await client.ping();
    laps.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const c = process.cpuUsage(c0);
  const s = cpuOf(serverPid) - s0;
  laps.sort((a, b) => a - b);
  return {
    wallMedianUs: laps[laps.length >> 1],
    wallP90Us: laps[Math.floor(laps.length * 0.9)],
    clientCpuUs: (c.user + c.system) / calls,
    serverCpuUs: s / calls,
  };
}

/**
 * The run path's calls (bench/api-run.mjs: create, attach, start, wait, remove) against a container service that
 * does nothing: per call the client's wall median, and per run the client's and the server's CPU.
 */
async function runPathCalls(work, lite, runs) {
  const { GrpcContainerService } = await import('@tscr/container/grpc');
  const { runOnce } = await import('./api-run.mjs');
  const sock = join(work, 'containers.sock');
  const server = await child('containers', sock);
  const out = [];
  try {
    console.log(`\nThe run path's calls against a container service that does nothing, ${runs} runs per row`);
    console.log('| client | create | attach+start | wait | remove | run | client CPU µs/run | server CPU µs/run |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const [name, Client] of [
      ['GrpcContainerService (grpc-js)', GrpcContainerService],
      ['GrpcContainerService (lean HTTP/2)', lite.GrpcContainerService],
    ]) {
      const client = new Client(`unix://${sock}`);
      const laps = { created: [], started: [], waited: [], removed: [], run: [] };
      const once = async (record) => {
        const t0 = process.hrtime.bigint();
        let t = t0;
        await runOnce(client, 'tscr-bench/none', (step) => {
          const now = process.hrtime.bigint();
          if (record && laps[step]) laps[step].push(Number(now - t) / 1000);
          if (step !== 'attached' && step !== 'drained') t = now;
        });
        if (record) laps.run.push(Number(process.hrtime.bigint() - t0) / 1000);
      };
      for (let i = 0; i < 100; i++) await once(false);
      const c0 = process.cpuUsage();
      const s0 = cpuOf(server.pid);
      for (let i = 0; i < runs; i++) await once(true);
      const c = process.cpuUsage(c0);
      const s = cpuOf(server.pid) - s0;
      client.close();
      const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      const row = {
        client: name,
        createUs: med(laps.created),
        attachStartUs: med(laps.started),
        waitUs: med(laps.waited),
        removeUs: med(laps.removed),
        runUs: med(laps.run),
        clientCpuUs: (c.user + c.system) / runs,
        serverCpuUs: s / runs,
      };
      out.push(row);
      const f = (x) => x.toFixed(0);
      console.log(
        `| ${name} | ${f(row.createUs)} | ${f(row.attachStartUs)} | ${f(row.waitUs)} | ${f(row.removeUs)} | ${f(row.runUs)} | ${f(row.clientCpuUs)} | ${f(row.serverCpuUs)} |`,
      );
    }
  } finally {
    server.kill();
  }
  return out;
}

async function child(mode, socket) {
  const flags = values['server-node-flags'].split(' ').filter(Boolean);
  const p = spawn(
    process.execPath,
    [...flags, new URL(import.meta.url).pathname, '--serve', mode, '--socket', socket],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  await new Promise((resolve) => p.once('message', resolve));
  return p;
}

async function main() {
  const calls = Number(values.calls);
  const work = mkdtempSync(join(tmpdir(), 'tscr-bench-grpc-call-'));
  const children = [];
  let daemon;
  try {
    let host = values.host;
    let daemonPid;
    if (host) {
      const sock = host.replace(/^unix:\/\//, '');
      daemonPid = Number(
        readdirSync('/proc')
          .filter((d) => /^\d+$/.test(d))
          .find((d) => {
            try {
              return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(sock);
            } catch {
              return false;
            }
          }),
      );
    } else {
      host = `unix://${work}/exec/tscr.sock`;
      daemon = spawn(
        process.execPath,
        [
          'packages/daemon/dist/main.cjs',
          '--host',
          host,
          '--root',
          `${work}/root`,
          '--exec-root',
          `${work}/exec`,
          '--no-docker-api',
          '--no-cri',
          '--cgroup-parent',
          `tscr-bench-grpc-call-${process.pid}`,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      daemonPid = daemon.pid;
      const sys = new GrpcSystemService(host);
      for (let i = 0; ; i++) {
        try {
          await sys.ping();
          break;
        } catch (err) {
          if (i > 100) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      // A daemon just started is still finishing its start-up and compiling its call path: warm it apart.
      for (let i = 0; i < 3000; i++) await sys.ping();
      sys.close();
    }
    const bareSock = join(work, 'bare.sock');
    const h2Sock = join(work, 'h2.sock');
    const bare = await child('bare', bareSock);
    const h2 = await child('h2', h2Sock);
    children.push(bare, h2);
    const lite = await liteClients();
    if (values['only-run-path']) {
      await runPathCalls(work, lite, Number(values.runs));
      return;
    }
    const servers = [
      ['tscrd', host, daemonPid],
      ['bare grpc-js server', `unix://${bareSock}`, bare.pid],
      ['bare node:http2 server', `unix://${h2Sock}`, h2.pid],
    ];
    const clients = [
      ['GrpcSystemService (grpc-js)', (a) => new GrpcSystemService(a)],
      ['grpc-js generated client, bare', bareGrpcClient],
      ['GrpcSystemService (lean HTTP/2)', (a) => new lite.GrpcSystemService(a)],
      ['raw node:http2', (a) => rawClient(a.replace(/^unix:\/\//, ''))],
    ];
    const rows = [];
    console.log(
      `System/Ping, ${calls} calls back to back per row, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    console.log('| server | client | wall median µs | wall p90 µs | client CPU µs/call | server CPU µs/call |');
    console.log('|---|---|---|---|---|---|');
    for (const [sname, address, pid] of servers) {
      for (const [cname, make] of clients) {
        const client = make(address);
        const r = await measure(client, pid, calls);
        client.close();
        rows.push({ server: sname, client: cname, ...r });
        const f = (x) => x.toFixed(0);
        console.log(
          `| ${sname} | ${cname} | ${f(r.wallMedianUs)} | ${f(r.wallP90Us)} | ${f(r.clientCpuUs)} | ${f(r.serverCpuUs)} |`,
        );
      }
    }
    const runRows = await runPathCalls(work, lite, Number(values.runs));
    if (values.json) writeFileSync(values.json, JSON.stringify({ calls, rows, runRows }, null, 2));
  } finally {
    for (const c of children) c.kill();
    if (daemon) {
      daemon.kill();
      await new Promise((r) => daemon.once('exit', r));
    }
    for (const m of readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m) => m?.startsWith(work))
      .reverse()) {
      spawn('umount', ['-l', m]);
    }
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
}
