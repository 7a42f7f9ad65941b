/** The System service's types now live in `@tscr/api`; re-exported here for existing importers. */
export type { CallOptions, EventsOptions, SystemInfo, SystemService, VersionInfo } from '@tscr/api';
