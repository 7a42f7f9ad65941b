#!/usr/bin/env node
/**
 * A minimal Docker network plugin for bench/network-plugins.sh: libnetwork's remote driver API over a UNIX
 * socket, a bridge per network and a veth pair per endpoint made with `ip` (names `PREFIX…`, at most 15
 * characters). Addresses come from the daemon's IPAM. SIGTERM deletes every link it made and exits.
 *
 *   node bench/network-plugin.mjs SOCKET PREFIX
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';

const [socket, prefix] = process.argv.slice(2);
if (!socket || !prefix || prefix.length > 8) {
  console.error('usage: network-plugin.mjs SOCKET PREFIX(≤8 chars)');
  process.exit(2);
}
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const bridges = new Map(); // NetworkID → bridge
const gateways = new Map(); // NetworkID → gateway address
const veths = new Map(); // EndpointID → host end
let n = 0;

const handlers = {
  'Plugin.Activate': () => ({ Implements: ['NetworkDriver'] }),
  'NetworkDriver.GetCapabilities': () => ({ Scope: 'local' }),
  'NetworkDriver.CreateNetwork': ({ NetworkID, IPv4Data }) => {
    const br = `${prefix}b${(n++).toString(36)}`;
    ip('link', 'add', 'name', br, 'type', 'bridge');
    ip('addr', 'add', IPv4Data[0].Gateway, 'dev', br);
    ip('link', 'set', br, 'up');
    bridges.set(NetworkID, br);
    gateways.set(NetworkID, IPv4Data[0].Gateway.split('/')[0]);
    return {};
  },
  'NetworkDriver.DeleteNetwork': ({ NetworkID }) => {
    ip('link', 'del', bridges.get(NetworkID));
    bridges.delete(NetworkID);
    return {};
  },
  'NetworkDriver.CreateEndpoint': () => ({}),
  'NetworkDriver.DeleteEndpoint': () => ({}),
  'NetworkDriver.Join': ({ NetworkID, EndpointID }) => {
    const id = (n++).toString(36);
    const host = `${prefix}h${id}`;
    const peer = `${prefix}c${id}`;
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', host, 'master', bridges.get(NetworkID), 'up');
    veths.set(EndpointID, host);
    return { InterfaceName: { SrcName: peer, DstPrefix: 'eth' }, Gateway: gateways.get(NetworkID) };
  },
  'NetworkDriver.Leave': ({ EndpointID }) => {
    try {
      ip('link', 'del', veths.get(EndpointID));
    } catch {
      // gone with the container's namespace
    }
    veths.delete(EndpointID);
    return {};
  },
};

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const h = handlers[req.url.slice(1)];
    let status = h ? 200 : 404;
    let out = { Err: 'not implemented' };
    try {
      if (h) out = h(JSON.parse(Buffer.concat(chunks).toString() || '{}'));
    } catch (err) {
      status = 500;
      out = { Err: err.message };
    }
    res.writeHead(status, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
    res.end(JSON.stringify(out));
  });
});
rmSync(socket, { force: true });
server.listen(socket, () => console.log('ready'));
process.on('SIGTERM', () => {
  for (const l of [...veths.values(), ...bridges.values()]) {
    try {
      ip('link', 'del', l);
    } catch {
      // already gone
    }
  }
  server.close();
  process.exit(0);
});
