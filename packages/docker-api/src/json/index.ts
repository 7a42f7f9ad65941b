/**
 * @tscr/docker-api/json — Docker's JSON shapes, rendered from tscr's domain types by pure functions:
 * container, image, network and volume inspect documents and list rows. The one renderer of these
 * shapes: the Docker Engine API serves them and the `tscr` CLI prints them (`tscr inspect`), so the two
 * front doors cannot drift apart. Nothing here touches the host or loads the HTTP server.
 */
export {
  containerInspectJson,
  containerSummaryJson,
  hostConfigJson,
  unixSeconds,
} from '../convert/containers.js';
export { familiar, imageInspectJson, imageSummaryJson, referenceMatches } from '../convert/images.js';
export { networkJson } from '../convert/networks.js';
export { volumeJson } from '../convert/volumes.js';
export { pluginJson, pluginCapability } from '../convert/plugins.js';
export { MAX_API_VERSION, MAX_MINOR, MIN_API_VERSION, MIN_MINOR } from '../versions.js';
