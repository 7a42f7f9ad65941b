import { notImplementedEndpoint } from '../errors.js';
import type { Ctx } from '../http.js';

/** One endpoint: method, path pattern (`:id` one segment, `:name*` the rest) and handler. */
export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler: (ctx: Ctx) => Promise<void>;
}

/** Shorthand for building route tables. */
export function route(method: Route['method'], path: string, handler: Route['handler']): Route {
  return { method, path, handler };
}

/** An endpoint whose backing service tscr does not have yet: 501 with a message naming it. */
export function notYet(method: Route['method'], path: string, what = `${method} ${path}`): Route {
  return {
    method,
    path,
    handler: async () => {
      throw notImplementedEndpoint(what);
    },
  };
}
