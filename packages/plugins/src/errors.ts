import type { ErrorCode } from '@tscr/api';

/**
 * The tscr error code for a plugin's HTTP error status. Plugins built with Docker's helper libraries answer
 * errors with 500 and `{"Err": "…"}`; that (and any status not listed) is `Unknown`, carrying the plugin's
 * message. A `200` answer with a non-empty `Err` is `Unknown` as well. The only such table.
 */
export function codeForPluginStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'InvalidArgument';
    case 401:
      return 'Unauthenticated';
    case 403:
      return 'PermissionDenied';
    case 404:
    case 405:
    case 501:
      // No such method: the plugin does not implement it.
      return 'Unimplemented';
    case 409:
      return 'AlreadyExists';
    case 408:
    case 504:
      return 'DeadlineExceeded';
    case 503:
      return 'Unavailable';
    default:
      return 'Unknown';
  }
}

/** A plugin name as dockerd accepts one for a legacy plugin: a file name, no path parts. */
export function isValidPluginName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) && name.length <= 255 && !name.includes('..');
}
