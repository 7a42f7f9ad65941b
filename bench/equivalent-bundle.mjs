// Makes a raw OCI bundle equivalent to the one tscr generated for a container: tscr's own config.json
// (seccomp, overlay root mounted by the runtime, Docker's mounts, masked and read-only paths), with the
// container's command replaced, its overlay's upper/work and its /etc bind sources moved into the new
// bundle (the image's layers stay the lower dirs), and its own cgroup. For `runc run` next to tscr.
// Usage: node bench/equivalent-bundle.mjs <tscr bundle> <new bundle> <cgroupsPath> [args...]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [from, to, cgroupsPath, ...args] = process.argv.slice(2);
const config = JSON.parse(readFileSync(join(from, 'config.json'), 'utf8'));
mkdirSync(join(to, 'rootfs'), { recursive: true });
config.root.path = join(to, 'rootfs');
config.process.args = args.length ? args : ['true'];
config.process.terminal = false;
config.linux.cgroupsPath = cgroupsPath;
for (const m of config.mounts) {
  if (m.destination === '/' && m.type === 'overlay') {
    m.options = m.options.map((o) => {
      const [key] = o.split('=', 1);
      if (key !== 'upperdir' && key !== 'workdir') return o;
      const dir = join(to, key);
      mkdirSync(dir, { recursive: true });
      return `${key}=${dir}`;
    });
  } else if (m.type === 'bind' && m.destination.startsWith('/etc/')) {
    const copy = join(to, `etc-${basename(m.destination)}`);
    copyFileSync(m.source, copy);
    m.source = copy;
  }
}
writeFileSync(join(to, 'config.json'), JSON.stringify(config));
