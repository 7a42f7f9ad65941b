// A Docker volume plug-in for bench/plugins.sh: a Node HTTP server on a UNIX socket keeping each volume in
// <dataDir>/<name>. Usage: node bench/plugin-server.mjs SOCKET DATADIR (ends on SIGTERM).
import { mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [socket, dataDir] = process.argv.slice(2);
const volumes = new Set();
const path = (name) => join(dataDir, name);
const methods = {
  'Plugin.Activate': () => ({ Implements: ['VolumeDriver'] }),
  'VolumeDriver.Capabilities': () => ({ Capabilities: { Scope: 'local' } }),
  'VolumeDriver.Create': ({ Name }) => {
    mkdirSync(path(Name), { recursive: true });
    volumes.add(Name);
    return {};
  },
  'VolumeDriver.Remove': ({ Name }) => {
    volumes.delete(Name);
    rmSync(path(Name), { recursive: true, force: true });
    return {};
  },
  'VolumeDriver.Mount': ({ Name }) => ({ Mountpoint: path(Name) }),
  'VolumeDriver.Unmount': () => ({}),
  'VolumeDriver.Path': ({ Name }) => ({ Mountpoint: path(Name) }),
  'VolumeDriver.Get': ({ Name }) =>
    volumes.has(Name) ? { Volume: { Name, Mountpoint: path(Name) } } : { Err: `no such volume: ${Name}` },
  'VolumeDriver.List': () => ({ Volumes: [...volumes].map((Name) => ({ Name, Mountpoint: path(Name) })) }),
};
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString();
    const fn = methods[req.url.slice(1)];
    const out = fn ? fn(text ? JSON.parse(text) : {}) : { Err: 'not implemented' };
    res.writeHead(fn ? 200 : 404, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
    res.end(JSON.stringify(out));
  });
});
try {
  unlinkSync(socket);
} catch {}
server.listen(socket);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
