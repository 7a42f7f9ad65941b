/**
 * Options every call of every layer takes, local or over gRPC. One definition for all packages
 * (each re-exports it), so a signal passes through a wrapper unchanged.
 */
export interface CallOptions {
  /**
   * Aborting cancels the call: a pending promise or iterator rejects with `Cancelled`, and work
   * the call started (a build step, a pull) is stopped and undone where it can be.
   */
  signal?: AbortSignal;
}
