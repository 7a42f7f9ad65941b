/**
 * The CommonJS wrapper the build writes around each bundle of the bin (tsup.config.ts) and the bin runs as
 * a `vm.Script` (main.ts): wrapped at build time, the bin compiles the file's text as it is read, instead of
 * building a second copy of a 0.1–0.6 MB string (`Module.wrap`) on every run, which also filled V8's young
 * generation towards a scavenge. Plain data, no imports.
 */
export const BUNDLE_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const BUNDLE_TAIL = '\n});\n';
