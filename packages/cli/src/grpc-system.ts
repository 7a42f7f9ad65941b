/**
 * The system client alone (`version`, `info`, `events`), which `client.ts` loads on the first
 * call of its `system` getter. In the bundle, this file's import of `@tscr/api/grpc` resolves to
 * the client's own source file (see tsup.config.ts): the package's whole "./grpc" entry would
 * also evaluate the generated messages of every other service, which these commands never use.
 */
export { GrpcSystemService } from '@tscr/api/grpc';
