import type { CallOptions } from '@tscr/api';

export type { CallOptions };

/** What to build from a context. */
export interface BuildOptions extends CallOptions {
  /** Path of the Dockerfile inside the context; default `Dockerfile`. */
  dockerfile?: string;
  /** The Dockerfile's text, when it does not come from the context (`-f -`). */
  dockerfileContent?: string;
  /** References to tag the result with. */
  tags?: string[];
  /** `--build-arg`: values of ARGs (and of the predefined proxy args). */
  buildArgs?: Record<string, string>;
  /** The stage to build; default the last one. */
  target?: string;
  /** Run every step, using no cached result. */
  noCache?: boolean;
  /** Labels added to the result's config. */
  labels?: Record<string, string>;
  /** Network of RUN steps: `none` (default) or `host`. */
  network?: 'none' | 'host';
}

/** Progress of a build, in order; the last event is the result. */
export type BuildEvent =
  /** A step begins: `Step index/total : instruction`. */
  | { type: 'step'; index: number; total: number; instruction: string }
  /** Output of a RUN step as it comes (stdout and stderr together). */
  | { type: 'output'; data: Uint8Array }
  /** A step ended; `imageId` when it made an image. */
  | { type: 'stepDone'; index: number; cached: boolean; imageId?: string }
  /** A note for the user (a warning). */
  | { type: 'message'; text: string }
  /** The build succeeded. */
  | { type: 'result'; imageId: string; tags: string[]; cachedSteps: number[]; totalSteps: number };

/** Builds images from Dockerfiles. */
export interface BuilderService {
  /**
   * Builds from a context given as a tar stream (read as the build needs
   * it: it is spooled to disk, never held in memory), yielding progress
   * as it happens. A failed build leaves no snapshots, tasks or partial
   * images behind; results of the steps before the failure stay cached.
   * @throws InvalidArgument (`Dockerfile:line: …`) for a syntax error, an
   *   unknown instruction or stage, a COPY source outside the context or a
   *   `COPY --from` cycle; NotFound for a missing Dockerfile, COPY source or
   *   base image; FailedPrecondition for a RUN step that exits non-zero
   *   (details: step, exitCode); Unimplemented for remote ADD sources.
   */
  build(context: AsyncIterable<Uint8Array>, opts?: BuildOptions): AsyncIterable<BuildEvent>;
}
