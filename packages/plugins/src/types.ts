import type { CallOptions } from '@tscr/api';

export type { CallOptions };

/**
 * What a plugin says it implements in its `Plugin.Activate` answer. Docker's names: `VolumeDriver`,
 * `NetworkDriver`, `IpamDriver`, `authz` (and others tscr does not use, such as `LogDriver`).
 */
export type PluginKind = 'VolumeDriver' | 'NetworkDriver' | 'IpamDriver' | 'authz' | (string & {});

/** What a discovered plugin looks like (`tscr plugin ls` / `inspect`). */
export interface PluginInfo {
  /** The plugin's name: the socket's or spec file's base name without extension. */
  name: string;
  /** Where it is reached: `unix:///…`, `tcp://…`, `http://…` or `https://…`. */
  address: string;
  /** The socket or spec file it was found by. */
  source: string;
  /** What it implements, from its `Plugin.Activate` answer; empty when it did not answer. */
  implements: string[];
  /** True when it answered `Plugin.Activate`. */
  healthy: boolean;
  /** Why it is not healthy. */
  error?: string;
}

/** Per-call options of {@link Plugin.call}. */
export interface PluginCallOptions extends CallOptions {
  /** Time limit of one attempt, in ms; the registry's `timeoutMs` when absent. */
  timeoutMs?: number;
  /** False: no retry on connection failure (for calls that must not be repeated). Default true, as dockerd. */
  retry?: boolean;
}

/** A discovered, activated plugin. */
export interface Plugin {
  /** Its name. */
  readonly name: string;
  /** What its last activation said it implements. */
  readonly implements: readonly string[];
  /** Where it is reached (`unix:///…`, `tcp://…`, `https://…`). */
  readonly address: string;
  /**
   * `POST /<method>` (e.g. `VolumeDriver.Create`) with `body` as JSON; resolves with the parsed JSON answer.
   * A plugin answer carrying a non-empty `Err` throws TscrError (code from the HTTP status, see
   * `codeForPluginStatus`; the plugin's message). A connection failure is retried with dockerd's
   * back-off until the retry budget is spent, re-activating the plugin (and finding its socket again) when it
   * comes back.
   * @throws Unavailable (unreachable after the retries); DeadlineExceeded (an attempt took longer than the
   * timeout); Internal (an answer that is not JSON); Cancelled (signal); the plugin's own error.
   */
  call<T = unknown>(method: string, body?: unknown, opts?: PluginCallOptions): Promise<T>;
}

/** Where plugins are looked for. */
export interface PluginDirs {
  /** Directories holding `NAME.sock` or `NAME/NAME.sock` UNIX sockets. */
  sockets: string[];
  /** Directories holding `NAME.spec` (a URL) or `NAME.json` (URL and TLS settings), also under `NAME/`. */
  specs: string[];
}

/** Options of `PluginRegistry` (`@tscr/plugins/local`). */
export interface PluginRegistryOptions {
  /**
   * Where plugins are found. Default: dockerd's, `/run/docker/plugins` for sockets and
   * `/etc/docker/plugins`, `/usr/lib/docker/plugins` for spec files.
   */
  dirs?: PluginDirs;
  /** tscr's own plugin directories, searched after `dirs` for both sockets and spec files. */
  extraDirs?: string[];
  /** Time limit of one call attempt, in ms, unless the call gives its own. Default 60 000 (dockerd's short timeout). */
  timeoutMs?: number;
  /** How long connection failures are retried, in ms, counting the next back-off. Default 30 000, as dockerd. */
  retryMs?: number;
  /** First back-off, doubled after each failure, in ms. Default 1 000, as dockerd. */
  retryBaseMs?: number;
}

/** Options of `PluginRegistry.list` and {@link PluginInspector.list}. */
export interface ListPluginsOptions extends CallOptions {
  /** Only plugins that implement this. */
  kind?: string;
  /** Time limit of each plugin's activation probe, in ms. Default 5 000. */
  timeoutMs?: number;
}

/** What the daemon serves about plugins (`tscr plugin ls` / `inspect`). */
export interface PluginInspector {
  /** Every discovered plugin, each probed with `Plugin.Activate`. */
  list(opts?: ListPluginsOptions): Promise<PluginInfo[]>;
  /**
   * One plugin, probed.
   * @throws NotFound when no socket or spec file has that name; InvalidArgument for a bad name.
   */
  inspect(name: string, opts?: CallOptions): Promise<PluginInfo>;
}
