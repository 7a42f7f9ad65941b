import type { ImageService } from '@tscr/image';
import type { NetworkService } from '@tscr/network';
import type { TaskRuntime } from '@tscr/runtime';
import type { VolumeService } from '@tscr/volume';
import type { ContainerStore, EventPublisher } from '../store.js';
import type { ProbeExec } from './health.js';
import type { LogReader } from './output.js';

/** What {@link LocalContainerService} is built from. */
export interface LocalContainerServiceOptions {
  /** Image lookup and the snapshots that become root filesystems. */
  images: Pick<ImageService, 'get' | 'prepare' | 'mounts' | 'removeSnapshot'> &
    Partial<Pick<ImageService, 'diff' | 'createImage'>>;
  runtime: TaskRuntime;
  networks: Pick<NetworkService, 'get' | 'attach' | 'detach' | 'attachment' | 'connect' | 'disconnect'>;
  volumes: Pick<VolumeService, 'resolveMounts' | 'release' | 'unmount'>;
  store: ContainerStore;
  /** Receives create/start/die/stop/kill/destroy events. */
  events?: EventPublisher;
  /** One directory per container (its log file) is made here. */
  containersDir: string;
  /** OCI runtime used when a container names none. */
  defaultRuntime?: string;
  /** Reads log files; default: the runtime package's `readLogs` (conmon's k8s-file format). */
  readLogs?: LogReader;
  /** Where failures of background work (exit handling) are reported; default `console.error`. */
  logger?: (message: string) => void;
  /** Runs healthcheck probes; default: the runtime's `exec`. */
  probe?: ProbeExec;
}
