/** Daemon events, shaped like Docker's `/events` messages. */
export interface TscrEvent {
  /** `container`, `image`, `network`, `volume`, `daemon`. */
  type: string;
  /** `create`, `start`, `die`, `destroy`, `import`, `delete`, `untag`, … */
  action: string;
  /** The object's ID. */
  id: string;
  /** Extra facts: `name`, `image`, `exitCode`, … */
  attributes: Record<string, string>;
  /** Unix time in nanoseconds, as a decimal string (does not fit a double). */
  timeNano: string;
}
