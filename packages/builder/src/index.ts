/**
 * @tscr/builder — images from Dockerfiles: the parser, `.dockerignore`
 * rules, multi-stage plans, a layer cache and a builder that runs RUN
 * steps through the runtime layer. The gRPC server and client live behind
 * the `@tscr/builder/grpc` subpath.
 * This entry holds the interface types and pure helpers only (nothing that
 * touches the host); the local implementation is `@tscr/builder/local`.
 */
export type { CallOptions, BuildOptions, BuildEvent, BuilderService } from './types.js';
export { parseDockerfile } from './local/parser.js';
export type { Dockerfile, Instruction, Heredoc } from './local/parser.js';
export { processWord, processWords, parsePairs } from './local/words.js';
export { DockerIgnore } from './local/dockerignore.js';
export { planBuild, PROXY_ARGS } from './local/plan.js';
export type { Plan, Stage } from './local/plan.js';
