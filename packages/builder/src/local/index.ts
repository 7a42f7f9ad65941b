/**
 * @tscr/builder/local — the builder on this host: RUN steps through the runtime layer,
 * COPY/ADD into overlay snapshots, and the layer cache.
 */
export { LocalBuilder, createLocalBuilder } from './builder.js';
export type { LocalBuilderOptions } from './builder.js';
