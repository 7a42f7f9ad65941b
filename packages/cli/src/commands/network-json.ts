/**
 * Docker's network JSON for `tscr network inspect`, loaded when that command runs: the
 * `@tscr/docker-api/json` entry also evaluates its other converters (and `node:crypto`),
 * which `run` and `create`, the other users of network.ts, never need.
 */
export { networkJson } from '@tscr/docker-api/json';
