/** `tscr compose ps`, `top`, `port`, `images`, `events`, `ls`, `config`, `version`. */
import { VERSION, invalidArgument, notFound } from '@tscr/api';
import { COMPOSE_VERSION, LABEL, formatConfig, listProjects, type ProjectContainer } from '@tscr/compose';
import { bool, int, list, str, usageError } from '../../args.js';
import { write } from '../../command.js';
import { humanSize, quotedCommand, shortId, table, timeAgo } from '../../format.js';
import type { Sub } from './shared.js';

function portText(c: ProjectContainer): string {
  return c.ports.map((p) => `${p.url}:${p.publishedPort}->${p.targetPort}/${p.protocol}`).join(', ');
}

function psJson(c: ProjectContainer, project: string): Record<string, unknown> {
  return {
    Command: JSON.stringify(c.command),
    CreatedAt: c.created,
    ExitCode: c.exitCode,
    Health: c.health,
    ID: c.id,
    Image: c.image,
    Labels: Object.entries(c.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    Name: c.name,
    Names: c.name,
    Ports: portText(c),
    Project: project,
    Publishers: c.ports.map((p) => ({
      URL: p.url,
      TargetPort: p.targetPort,
      PublishedPort: p.publishedPort,
      Protocol: p.protocol,
    })),
    Service: c.service,
    State: c.state,
    Status: c.status,
  };
}

export const psSub: Sub = {
  name: 'ps',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'List containers',
  flags: [
    {
      name: 'all',
      short: 'a',
      type: 'bool',
      description: 'Show all stopped containers (including those created by the run command)',
    },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display IDs' },
    { name: 'services', type: 'bool', description: 'Display services' },
    {
      name: 'status',
      type: 'list',
      description: 'Filter services by status (created, running, paused, restarting, removing, exited, dead)',
    },
    { name: 'format', type: 'string', description: 'Format the output: table or json' },
  ],
  async run(c, flags, args) {
    const project = await c.project();
    const statuses = list(flags, 'status');
    let rows = await project.ps({ all: bool(flags, 'all') || statuses.length > 0, services: args });
    if (statuses.length) rows = rows.filter((r) => statuses.includes(r.state));
    const out = c.ctx.io.stdout;
    if (bool(flags, 'quiet')) return write(out, rows.map((r) => `${r.id}\n`).join('')).then(() => 0);
    if (bool(flags, 'services'))
      return write(out, [...new Set(rows.map((r) => `${r.service}\n`))].join('')).then(() => 0);
    const format = str(flags, 'format') ?? 'table';
    if (format === 'json') {
      await write(out, rows.map((r) => `${JSON.stringify(psJson(r, project.model.name))}\n`).join(''));
      return 0;
    }
    if (format !== 'table') throw usageError(`invalid --format ${JSON.stringify(format)}: table or json`);
    const now = c.ctx.now();
    const status = (r: ProjectContainer) =>
      r.health && r.state === 'running' ? `${r.status} (${r.health})` : r.status;
    await write(
      out,
      table(
        ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'],
        rows.map((r) => [
          r.name,
          r.image,
          quotedCommand(r.command),
          r.service,
          timeAgo(r.created, now),
          status(r),
          portText(r),
        ]),
      ),
    );
    return 0;
  },
};

export const topSub: Sub = {
  name: 'top',
  usage: '[SERVICES...]',
  summary: 'Display the running processes',
  flags: [],
  async run(c, _flags, args) {
    const project = await c.project();
    const containers = await c.clients.containers();
    for (const x of await project.containers({ services: args })) {
      if (x.summary.state !== 'running') continue;
      const top = await containers.top(x.id);
      await write(c.ctx.io.stdout, `${x.name}\n${table(top.titles, top.processes)}\n`);
    }
    return 0;
  },
};

export const portSub: Sub = {
  name: 'port',
  usage: '[OPTIONS] SERVICE PRIVATE_PORT',
  summary: 'Print the public port for a port binding',
  flags: [
    { name: 'index', type: 'int', description: 'Index of the container if service has multiple replicas' },
    { name: 'protocol', type: 'string', description: 'tcp or udp' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(c, flags, args) {
    const project = await c.project();
    const x = await project.container(args[0]!, int(flags, 'index') ?? 1);
    const [row] = await project.ps({ all: true, services: [args[0]!] }).then((r) => r.filter((y) => y.id === x.id));
    const proto = str(flags, 'protocol') ?? 'tcp';
    const p = row?.ports.find((q) => q.targetPort === Number(args[1]) && q.protocol === proto);
    if (!p) throw notFound(`no port ${args[1]}/${proto} for container ${x.name}`);
    await write(c.ctx.io.stdout, `${p.url}:${p.publishedPort}\n`);
    return 0;
  },
};

export const imagesSub: Sub = {
  name: 'images',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'List images used by the created containers',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', description: 'Only display IDs' }],
  async run(c, flags, args) {
    const project = await c.project();
    const images = await c.clients.images();
    const rows: string[][] = [];
    for (const x of await project.containers({ services: args })) {
      const img = await images.get(x.summary.imageId || x.summary.image).catch(() => undefined);
      const [repo, tag] = x.summary.image.includes(':')
        ? x.summary.image.split(/:(?=[^:/]*$)/)
        : [x.summary.image, 'latest'];
      rows.push([x.name, repo ?? '', tag ?? '', shortId(img?.id ?? x.summary.imageId), img ? humanSize(img.size) : '']);
    }
    if (bool(flags, 'quiet')) {
      await write(c.ctx.io.stdout, [...new Set(rows.map((r) => r[3]))].map((id) => `${id}\n`).join(''));
      return 0;
    }
    await write(c.ctx.io.stdout, table(['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], rows));
    return 0;
  },
};

export const eventsSub: Sub = {
  name: 'events',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'Receive real time events from containers',
  flags: [{ name: 'json', type: 'bool', description: 'Output events as a stream of json objects' }],
  async run(c, flags, args) {
    const project = await c.project();
    const ac = new AbortController();
    const stop = () => ac.abort();
    c.ctx.io.signals?.on('SIGINT', stop);
    try {
      for await (const e of project.events({ services: args, signal: ac.signal })) {
        const time = new Date(Number(BigInt(e.timeNano) / 1_000_000n)).toISOString();
        const service = e.attributes[LABEL.service] ?? '';
        const line = bool(flags, 'json')
          ? JSON.stringify({ time, type: e.type, action: e.action, id: e.id, service, attributes: e.attributes })
          : `${time} ${e.type} ${e.action} ${e.id} (name=${e.attributes.name ?? ''}, service=${service})`;
        await write(c.ctx.io.stdout, `${line}\n`);
      }
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    } finally {
      c.ctx.io.signals?.off('SIGINT', stop);
    }
    return 0;
  },
};

export const lsSub: Sub = {
  name: 'ls',
  usage: '[OPTIONS]',
  summary: 'List running compose projects',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all stopped Compose projects' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display project names' },
    { name: 'format', type: 'string', description: 'Format the output: table or json' },
  ],
  maxArgs: 0,
  async run(c, flags) {
    const projects = await listProjects(await c.clients.containers(), { all: bool(flags, 'all') });
    const out = c.ctx.io.stdout;
    if (bool(flags, 'quiet')) await write(out, projects.map((p) => `${p.name}\n`).join(''));
    else if (str(flags, 'format') === 'json') {
      await write(
        out,
        `${JSON.stringify(projects.map((p) => ({ Name: p.name, Status: p.status, ConfigFiles: p.configFiles })))}\n`,
      );
    } else
      await write(
        out,
        table(
          ['NAME', 'STATUS', 'CONFIG FILES'],
          projects.map((p) => [p.name, p.status, p.configFiles]),
        ),
      );
    return 0;
  },
};

export const configSub: Sub = {
  name: 'config',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'Parse, resolve and render compose file in canonical format',
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: "Only validate the configuration, don't print anything" },
    { name: 'services', type: 'bool', description: 'Print the service names, one per line' },
    { name: 'volumes', type: 'bool', description: 'Print the volume names, one per line' },
    { name: 'profiles', type: 'bool', description: 'Print the profile names, one per line' },
    { name: 'images', type: 'bool', description: 'Print the image names, one per line' },
    { name: 'format', type: 'string', description: 'Format the output. Values: [yaml | json]' },
  ],
  async run(c, flags) {
    const m = await c.model();
    for (const w of m.warnings) await write(c.ctx.io.stderr, `WARN[0000] ${w}\n`);
    const out = c.ctx.io.stdout;
    const lines = (items: string[]) => write(out, items.map((s) => `${s}\n`).join('')).then(() => 0);
    if (bool(flags, 'quiet')) return 0;
    if (bool(flags, 'services')) return lines(Object.keys(m.services).sort());
    if (bool(flags, 'volumes')) return lines(Object.keys(m.volumes).sort());
    if (bool(flags, 'profiles')) return lines(m.allProfiles);
    if (bool(flags, 'images')) return lines(Object.values(m.services).map((s) => s.image ?? `${m.name}-${s.name}`));
    const format = str(flags, 'format') ?? 'yaml';
    if (format !== 'yaml' && format !== 'json')
      throw invalidArgument(`invalid --format ${JSON.stringify(format)}: yaml or json`);
    await write(out, formatConfig(m, format));
    return 0;
  },
};

export const versionSub: Sub = {
  name: 'version',
  usage: '[OPTIONS]',
  summary: 'Show the tscr compose version information',
  flags: [
    { name: 'short', type: 'bool', description: "Shows only Compose's version number" },
    { name: 'format', short: 'f', type: 'string', description: 'Format the output. Values: [pretty | json]' },
  ],
  maxArgs: 0,
  async run(c, flags) {
    const out = c.ctx.io.stdout;
    if (bool(flags, 'short')) await write(out, `${VERSION}\n`);
    else if (str(flags, 'format') === 'json')
      await write(out, `${JSON.stringify({ version: VERSION, compose: COMPOSE_VERSION })}\n`);
    else await write(out, `tscr compose version ${VERSION} (follows Docker Compose ${COMPOSE_VERSION})\n`);
    return 0;
  },
};
