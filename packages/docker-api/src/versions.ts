/** The API versions served: 1.24 (Docker 1.12) up to 1.51 (Docker 28.x negotiates down to it). */
export const MIN_API_VERSION = '1.24';
export const MAX_API_VERSION = '1.51';
/** The same, as minor numbers of 1.x. */
export const MIN_MINOR = 24;
export const MAX_MINOR = 51;
