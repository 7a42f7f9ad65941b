/** tscr's release version (lockstep across packages). */
export const VERSION = '0.1.0';
/** Version of the gRPC API (the `v1` in the proto packages). */
export const API_VERSION = 'v1';
/** Where `tscrd` listens unless told otherwise. */
export const DEFAULT_SOCKET = '/run/tscr/tscr.sock';
