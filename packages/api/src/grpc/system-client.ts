import type { TscrEvent } from '../types/event.js';
import { callServerStream, callUnary } from './call.js';
import { clientChannel, type DaemonAddress } from './address.js';
import * as systemV1 from '../../gen/tscr/system/v1/system.js';
import type { CallOptions } from '../types/call.js';
import type { EventsOptions, SystemInfo, SystemService, VersionInfo } from '../types/system.js';
import { eventFromProto, infoFromProto, versionFromProto } from './system-convert.js';

/** A {@link SystemService} of a daemon reached over gRPC. */
export class GrpcSystemService implements SystemService {
  private readonly client: systemV1.SystemClient;
  private readonly target: string;

  /** @param address `unix:///path` or `host:port`. @throws InvalidArgument for a malformed address. */
  constructor(address: DaemonAddress) {
    const ch = clientChannel(address);
    this.target = ch.display;
    this.client = new systemV1.SystemClient(ch.target, ch.credentials, ch.options);
  }

  /** @throws Unavailable (with details.address) when no daemon answers. */
  async ping(opts: CallOptions = {}): Promise<void> {
    await callUnary((cb) => this.client.ping({}, cb), opts, this.target);
  }

  async version(opts: CallOptions = {}): Promise<VersionInfo> {
    return versionFromProto(
      await callUnary<systemV1.VersionResponse>((cb) => this.client.version({}, cb), opts, this.target),
    );
  }

  async info(opts: CallOptions = {}): Promise<SystemInfo> {
    return infoFromProto(await callUnary<systemV1.InfoResponse>((cb) => this.client.info({}, cb), opts, this.target));
  }

  async *events(opts: EventsOptions = {}): AsyncGenerator<TscrEvent> {
    const stream = callServerStream<systemV1.EventsResponse>(
      () =>
        this.client.events({
          types: opts.types ?? [],
          since: opts.since ?? '',
          until: opts.until ?? '',
          filters: Object.entries(opts.filters ?? {}).flatMap(([key, values]) =>
            values.map((value) => ({ key, value })),
          ),
        }),
      opts,
      this.target,
    );
    let subscribed = false;
    for await (const res of stream) {
      if (!subscribed) {
        subscribed = true;
        opts.onSubscribed?.();
      }
      if (res.event) yield eventFromProto(res.event);
    }
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
