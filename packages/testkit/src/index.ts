/**
 * Test fixtures shared by the packages' test suites. Everything a test makes
 * on the host carries the `tscr-test` prefix so it can be told apart.
 */
export { TEST_PREFIX, makeTempDir, uniqueName } from './temp.js';
export { isRoot, hasCommand, isAlive, skipUnlessRoot } from './host.js';
export { busyboxRootfsTar, busyboxRootfsDir } from './busybox.js';
export { rejection } from './errors.js';
export {
  fuzz,
  fuzzTimeout,
  regression,
  expectCode,
  parsesOrRefuses,
  resolvesOrRefuses,
  tokenString,
  fc,
} from './fuzz.js';
export type { FuzzOptions } from './fuzz.js';
export { createTestPlugin, rawReply, faults, NO_REPLY } from './plugin.js';
export type { TestPlugin, TestPluginOptions, TestPluginHandler, TestPluginContext, RawReply } from './plugin.js';
export { trickle, HTTP2_PREFACE } from './slow-client.js';
export type { Trickled } from './slow-client.js';
