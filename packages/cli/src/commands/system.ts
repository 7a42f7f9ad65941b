import { API_VERSION, VERSION } from '@tscr/api';
import type { SystemInfo, VersionInfo } from '@tscr/api';
import { str } from '../args.js';
import { reportError, write, type Command } from '../command.js';
import { binarySize, renderTemplate } from '../format.js';

/** `linux/amd64` from Node's names. */
export function osArch(os: string, arch: string): string {
  const goArch: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm' };
  return `${os}/${goArch[arch] ?? arch}`;
}

/** `Key:` padded so values line up at one column, as `docker version` prints. */
function section(indent: string, pairs: [string, string][]): string {
  return pairs.map(([k, v]) => `${`${indent}${k}:`.padEnd(20)}${v}\n`).join('');
}

function clientVersion() {
  return {
    Version: VERSION,
    ApiVersion: API_VERSION,
    NodeVersion: process.version,
    Os: process.platform,
    Arch: osArch(process.platform, process.arch).split('/')[1]!,
  };
}

function serverText(v: VersionInfo): string {
  return (
    `Server: tscr Engine\n Engine:\n` +
    section('  ', [
      ['Version', v.version],
      ['API version', v.apiVersion],
      ['Node version', v.nodeVersion],
      ['OS/Arch', osArch(v.os, v.arch)],
      ['Kernel Version', v.kernelVersion],
    ]) +
    ` ${v.runtime || 'runtime'}:\n` +
    section('  ', [['Version', v.runtimeVersion]]) +
    ` ${v.monitor || 'monitor'}:\n` +
    section('  ', [['Version', v.monitorVersion]])
  );
}

/** `tscr version`. */
export const versionCommand: Command = {
  path: ['version'],
  usage: '[OPTIONS]',
  summary: 'Show the tscr version information',
  flags: [{ name: 'format', short: 'f', type: 'string', description: "Format output: 'json' or a Go template" }],
  maxArgs: 0,
  async run(ctx, flags) {
    const client = clientVersion();
    const format = str(flags, 'format');
    let server: VersionInfo | undefined;
    let failure: unknown;
    try {
      server = await (await ctx.clients.system()).version();
    } catch (err) {
      failure = err;
    }
    if (format !== undefined) {
      const v = { Client: client, Server: server ?? null };
      await write(ctx.io.stdout, `${format === 'json' ? JSON.stringify(v) : renderTemplate(format, v)}\n`);
    } else {
      let out =
        'Client:\n' +
        section(' ', [
          ['Version', client.Version],
          ['API version', client.ApiVersion],
          ['Node version', client.NodeVersion],
          ['OS/Arch', `${client.Os}/${client.Arch}`],
        ]);
      if (server) out += `\n${serverText(server)}`;
      await write(ctx.io.stdout, out);
    }
    if (failure !== undefined) {
      await reportError(ctx, failure);
      return 1;
    }
    return 0;
  },
};

function infoText(i: SystemInfo, debug: boolean): string {
  const lines = [
    'Client:',
    ` Version:    ${VERSION}`,
    ` Debug Mode: ${debug}`,
    '',
    'Server:',
    ` Containers: ${i.containers}`,
    `  Running: ${i.containersRunning}`,
    `  Paused: ${i.containersPaused}`,
    `  Stopped: ${i.containersStopped}`,
    ` Images: ${i.images}`,
    ` Server Version: ${i.serverVersion}`,
    ` Storage Driver: ${i.storageDriver}`,
    ` Cgroup Version: ${i.cgroupVersion}`,
    ` Runtimes: ${i.runtimes.join(' ')}`,
    ` Default Runtime: ${i.defaultRuntime}`,
    ` Kernel Version: ${i.kernelVersion}`,
    ` Operating System: ${i.operatingSystem}`,
    ` CPUs: ${i.ncpu}`,
    ` Total Memory: ${binarySize(i.memTotal)}`,
    ` Name: ${i.name}`,
    ` Root Dir: ${i.rootDir}`,
    ` State Database: ${i.stateDatabase}`,
    ' Layers:',
    ...i.layers.map((l) => `  ${l.layer}: ${l.endpoint}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `tscr info`. */
export const infoCommand: Command = {
  path: ['info'],
  aliases: [['system', 'info']],
  usage: '[OPTIONS]',
  summary: 'Display system-wide information',
  flags: [{ name: 'format', short: 'f', type: 'string', description: "Format output: 'json' or a Go template" }],
  maxArgs: 0,
  async run(ctx, flags) {
    const info = await (await ctx.clients.system()).info();
    const format = str(flags, 'format');
    let out: string;
    if (format === 'json') out = `${JSON.stringify(info)}\n`;
    else if (format !== undefined) out = `${renderTemplate(format, info)}\n`;
    else out = infoText(info, ctx.debug);
    await write(ctx.io.stdout, out);
    return 0;
  },
};
