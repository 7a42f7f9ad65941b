import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { internal, isErrno } from '@tscr/api';
import type { PortMapping } from '../types.js';

/** A bridge network as kept on disk. */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: 'bridge';
  created: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  internal: boolean;
  /** The default `bridge` network: created by the daemon, never removed, no name resolution. */
  builtin: boolean;
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** Host bridge interface. */
  bridge: string;
}

/** One container interface on one network. */
export interface EndpointRecord {
  networkId: string;
  aliases: string[];
  ip: string;
  mac: string;
  /** Inside the container: eth0, eth1… */
  ifname: string;
  /** Host end of the veth pair. */
  hostIf: string;
  staticIp: boolean;
}

/** What is set up for one started container. */
export interface AttachmentRecord {
  containerId: string;
  name: string;
  /** `own`: a namespace this layer made (at `netns`); `shared`: another container's (`container:`). */
  kind: 'own' | 'shared';
  netns: string;
  /** For `shared`: whose namespace. */
  target?: string;
  endpoints: EndpointRecord[];
  ports: PortMapping[];
}

/** Everything the bridge driver persists. */
export interface NetworkState {
  version: 1;
  networks: NetworkRecord[];
  attachments: Record<string, AttachmentRecord>;
}

/** A JSON file replaced atomically (write to a temp file, fsync-free rename) on every change. */
export class StateFile {
  readonly path: string;

  constructor(root: string) {
    this.path = join(root, 'networks.json');
  }

  load(): NetworkState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return { version: 1, networks: [], attachments: {} };
      throw internal(`read network state ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    const parsed = JSON.parse(text) as NetworkState;
    return { version: 1, networks: parsed.networks ?? [], attachments: parsed.attachments ?? {} };
  }

  save(state: NetworkState): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
