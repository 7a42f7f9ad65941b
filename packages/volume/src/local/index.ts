/**
 * @tscr/volume/local — Docker's local volume driver on this host (directories, tmpfs and
 * bind options, copy-up, usage).
 */
export { LocalVolumeService, createLocalVolumeService } from './volume-service.js';
export type { LocalVolumeServiceOptions } from './volume-service.js';
export { ANONYMOUS_LABEL, matchesFilters, matchesLabels } from './filters.js';
export { VOLUME_NAME } from './parse-bind.js';
