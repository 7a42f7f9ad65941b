/** Types of `bench/soak.mjs` for the TypeScript test that imports it. */

/** Host resources of one daemon, counted at one moment. */
export interface SoakCounts {
  fds: number;
  mounts: number;
  veths: number;
  iptablesRules: number;
  netns: number;
  cgroups: number;
  ipam: number;
  sqliteContainers: number;
  sqliteEvents: number;
  conmon: number;
  rssKiB: number;
}

/** What a soak did and counted. */
export interface SoakResult {
  cycles: number;
  parallel: number;
  warmup: number;
  execs: number;
  subscribers: number;
  subscriberItems: number;
  before: SoakCounts;
  warm: SoakCounts;
  after: SoakCounts;
  errors: string[];
  timings: Record<string, number>;
  /** `[cycles done, daemon RSS in KiB]` after the warm-up and at every tenth of the cycles. */
  rssSeries: [number, number][];
  seconds: number;
}

/** Options of {@link soak}. */
export interface SoakOptions {
  cycles?: number;
  parallel?: number;
  warmup?: number;
  execs?: number;
  subscribers?: number;
  log?: (message: string) => void;
}

/** Runs a soak against a private daemon it starts and removes. */
export function soak(options?: SoakOptions): Promise<SoakResult>;
/** The counts that must not grow. */
export const COUNTED: readonly (keyof SoakCounts)[];
/** What grew from `a` to `b` (RSS past +15% as `rssKiB`). */
export function growth(a: SoakCounts, b: SoakCounts): (keyof SoakCounts)[];
