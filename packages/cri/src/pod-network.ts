import { isNotFound } from '@tscr/api';
import type { CallOptions, CriBackends } from './types.js';

/** The label marking the pod network as the CRI's. */
const OWNER_LABEL = 'io.tscr.cri.network';

/**
 * The bridge network pods join: made by the network layer on first use
 * (a subnet from the daemon's pool, or the pod CIDR UpdateRuntimeConfig
 * gave), with a bridge named by the daemon's network prefix, so two daemons
 * never share one.
 */
export class PodNetwork {
  private cidr = '';
  private ensuring: Promise<string> | undefined;

  constructor(
    private readonly networks: CriBackends['networks'],
    private readonly networkName: string,
    private readonly log: (message: string) => void,
  ) {}

  /** The network's name, creating it when missing. */
  name(opts: CallOptions = {}): Promise<string> {
    this.ensuring ??= this.ensure(opts).finally(() => {
      this.ensuring = undefined;
    });
    return this.ensuring;
  }

  /** The pod CIDR kubelet sets (UpdateRuntimeConfig): used when the network is (re)made; a network in use keeps its subnet. */
  async setPodCidr(cidr: string): Promise<void> {
    if (!cidr || cidr === this.cidr) return;
    this.cidr = cidr;
    try {
      const net = await this.networks.get(this.networkName);
      if (net.ipam.some((p) => p.subnet === cidr)) return;
      if (Object.keys(net.containers).length > 0) {
        this.log(
          `cri: pod network ${this.networkName} keeps ${net.ipam[0]?.subnet} while pods use it (pod CIDR ${cidr})`,
        );
        return;
      }
      await this.networks.remove(this.networkName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Whether the network is there or can be made (Status' NetworkReady). */
  async ready(): Promise<{ ok: boolean; message: string }> {
    try {
      await this.name();
      return { ok: true, message: '' };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  private async ensure(opts: CallOptions): Promise<string> {
    try {
      await this.networks.get(this.networkName, opts);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.networks.create(this.networkName, {
        ...opts,
        driver: 'bridge',
        labels: { [OWNER_LABEL]: 'pods' },
        ...(this.cidr && { subnet: this.cidr }),
      });
    }
    return this.networkName;
  }
}
