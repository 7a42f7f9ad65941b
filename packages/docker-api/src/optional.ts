/**
 * Methods other layers are still adding (exec, archive, build…): checked at
 * run time, so an endpoint whose backing is not there answers 501 naming
 * itself instead of pretending.
 */
import { notImplementedEndpoint } from './errors.js';

/** True when `impl` has a method `name`. */
export function has(impl: object, name: string): boolean {
  return typeof (impl as Record<string, unknown>)[name] === 'function';
}

/** @throws 501 for `endpoint` when `impl` lacks the method `name`. */
export function need(impl: object, name: string, endpoint: string): void {
  if (!has(impl, name)) throw notImplementedEndpoint(endpoint);
}

// biome-ignore lint/suspicious/noExplicitAny: callers cast the result to the signature they expect.
type AnyFn = (...args: any[]) => any;

/** The method `name` of `impl`, bound, or a 501 for `endpoint` (for methods not in an interface yet). */
export function method<F extends AnyFn = AnyFn>(impl: object, name: string, endpoint: string): F {
  need(impl, name, endpoint);
  return ((impl as Record<string, AnyFn>)[name] as AnyFn).bind(impl) as F;
}
