/**
 * Commands that involve more than one daemon or none: `system certs` (makes
 * TLS material locally), `image transfer` and `container move` (the source
 * daemon sends to the daemon of a context).
 */
import { resolve } from 'node:path';
import { invalidArgument } from '@tscr/api';
import { int, list, str } from '../args.js';
import { write, type Command, type Context } from '../command.js';
import { contextTarget } from '../target.js';
import { createGrpcClients, grpcClients, type Clients } from '../client.js';
import { moveContainer, type MoveSide, type SharedVolumePolicy } from '../move.js';

/** The source daemon's transfer client (loaded on use: the CLI keeps grpc-js out of start-up). */
async function transferClient(ctx: Context) {
  const { GrpcTransferService } = await grpcClients();
  return new GrpcTransferService(ctx.target);
}

/** The address of context `name`, as the source daemon dials it (with its own certificate). */
function addressOf(ctx: Context, name: string): string {
  return contextTarget(name, ctx.io.env).address;
}

const transferCommand: Command = {
  path: ['image', 'transfer'],
  usage: 'IMAGE [IMAGE...] --to CONTEXT',
  summary: 'Send images from this daemon straight to the daemon of a context (only the blobs it lacks travel)',
  flags: [
    { name: 'to', type: 'string', description: 'Context of the target daemon (required)' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Print nothing but errors' },
  ],
  minArgs: 1,
  async run(ctx, flags, refs) {
    const to = str(flags, 'to');
    if (!to) throw invalidArgument('image transfer needs --to CONTEXT');
    const client = await transferClient(ctx);
    try {
      let sent = 0;
      let skipped = 0;
      for await (const p of client.sendImages(refs, addressOf(ctx, to))) {
        if (p.status === 'Sent') sent += p.bytes;
        if (p.status === 'Already exists') skipped += p.bytes;
        if (!flags.quiet && p.digest && p.status !== 'Sending')
          await write(ctx.io.stdout, `${p.digest.slice(7, 19)}: ${p.status}\n`);
        if (!flags.quiet && p.status === 'Recorded') await write(ctx.io.stdout, `${p.ref}: transferred to ${to}\n`);
      }
      if (!flags.quiet) await write(ctx.io.stdout, `Sent ${sent} bytes, ${skipped} bytes already there\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};

const certsCommand: Command = {
  path: ['system', 'certs'],
  usage: '[OPTIONS]',
  summary: 'Write a CA, a daemon certificate and client certificates for mutual TLS (runs openssl)',
  flags: [
    {
      name: 'dir',
      type: 'string',
      description: 'Where to write them (default .); an existing ca.pem/ca-key.pem is reused',
    },
    {
      name: 'host',
      type: 'list',
      description:
        'Name or IP address the daemon is reached at (its certificate SANs; localhost and 127.0.0.1 are always in); repeatable',
    },
    { name: 'client', type: 'list', description: 'Also make DIR/NAME/{ca,cert,key}.pem for a client NAME; repeatable' },
    { name: 'days', type: 'int', description: 'Validity of the certificates in days (default 825)' },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const days = int(flags, 'days') ?? 825;
    if (days < 1) throw invalidArgument('--days must be at least 1');
    const dir = resolve(str(flags, 'dir') ?? '.');
    const { makeCertSet } = await import('../certs.js');
    const files = makeCertSet({ dir, hosts: list(flags, 'host'), clients: list(flags, 'client'), days });
    await write(
      ctx.io.stdout,
      `${files.join('\n')}\n` +
        `Daemon: tscrd -H tcp://0.0.0.0:2376 --tlsverify --tlscacert ${dir}/ca.pem --tlscert ${dir}/server-cert.pem --tlskey ${dir}/server-key.pem\n` +
        `Client: TSCR_CERT_PATH=${dir} TSCR_TLS_VERIFY=1 TSCR_HOST=tcp://HOST:2376 tscr version\n`,
    );
    return 0;
  },
};

async function side(clients: Clients, transfer: MoveSide['transfer']): Promise<MoveSide> {
  return {
    containers: await clients.containers(),
    images: await clients.images(),
    volumes: await clients.volumes(),
    networks: await clients.networks(),
    transfer,
  };
}

const moveCommand: Command = {
  path: ['container', 'move'],
  usage: 'CONTAINER --to CONTEXT',
  summary:
    'Move a container to the daemon of a context, cold: stopped, its writable layer, image and volumes sent, recreated and started there, then removed here (no live migration: that needs CRIU)',
  flags: [
    { name: 'to', type: 'string', description: 'Context of the target daemon (required)' },
    {
      name: 'time',
      short: 't',
      type: 'int',
      description: 'Seconds to wait for it to stop before killing it (default 10)',
    },
    {
      name: 'shared-volumes',
      type: 'string',
      description:
        'A volume another container also uses: refuse (default), skip (empty on the target) or copy (kept here too)',
    },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, [name]) {
    const to = str(flags, 'to');
    if (!to) throw invalidArgument('container move needs --to CONTEXT');
    const policy = (str(flags, 'shared-volumes') ?? 'refuse') as SharedVolumePolicy;
    if (!['refuse', 'skip', 'copy'].includes(policy))
      throw invalidArgument('--shared-volumes takes refuse, skip or copy');
    const target = contextTarget(to, ctx.io.env);
    const { GrpcTransferService } = await grpcClients();
    const srcTransfer = new GrpcTransferService(ctx.target);
    const dstTransfer = new GrpcTransferService(target);
    const dstClients = createGrpcClients(target);
    try {
      const result = await moveContainer(
        await side(ctx.clients, srcTransfer),
        await side(dstClients, dstTransfer),
        name!,
        {
          targetAddress: target.address,
          sharedVolumes: policy,
          stopTimeout: int(flags, 'time') ?? 10,
          log: (l) => void write(ctx.io.stderr, `${l}\n`),
        },
      );
      await write(ctx.io.stdout, `${result.id}\n`);
      return 0;
    } finally {
      srcTransfer.close();
      dstTransfer.close();
      dstClients.close();
    }
  },
};

/** `system certs`, `image transfer`, `container move`. */
export const multiDaemonCommands: Command[] = [certsCommand, transferCommand, moveCommand];
