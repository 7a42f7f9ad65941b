import { describe, expect, it } from 'vitest';
import * as grpcApi from '@tscr/api/grpc';
import { makeGenericClientConstructor } from '../../src/wire/grpc-lite.js';

type MethodDefs = Parameters<typeof makeGenericClientConstructor>[0];

/** Every service definition of the generated code (`XxxService = { method: {path, ...} }`) `@tscr/api/grpc` exports. */
function serviceDefinitions(): [string, MethodDefs][] {
  const found: [string, MethodDefs][] = [];
  for (const [ns, mod] of Object.entries(grpcApi)) {
    if (!/V1$/.test(ns) || typeof mod !== 'object' || mod === null) continue;
    for (const [name, value] of Object.entries(mod as Record<string, unknown>)) {
      if (!name.endsWith('Service') || typeof value !== 'object' || value === null) continue;
      const methods = Object.values(value as Record<string, unknown>);
      if (methods.length > 0 && methods.every((m) => typeof (m as { path?: unknown }).path === 'string'))
        found.push([`${ns}.${name}`, value as MethodDefs]);
    }
  }
  return found;
}

describe("the lean gRPC client's method names", () => {
  it('builds a client for every service, none of whose RPCs hides a method of the client itself', () => {
    const services = serviceDefinitions();
    expect(services.map(([n]) => n)).toContain('networkV1.NetworksService');
    for (const [name, methods] of services) {
      const Client = makeGenericClientConstructor(methods, name);
      // NetworksService has an RPC named `connect`: it is the RPC on the client, and the client still works.
      for (const rpc of Object.keys(methods))
        expect(typeof (Client.prototype as unknown as Record<string, unknown>)[rpc]).toBe('function');
    }
  });

  it('refuses a service whose RPC would hide one of its own methods', () => {
    const [, methods] = serviceDefinitions().find(([n]) => n === 'networkV1.NetworksService')!;
    const clash = { liteUnary: Object.values(methods)[0]! } as MethodDefs;
    expect(() => makeGenericClientConstructor(clash, 'tscr-test.Clash')).toThrow(
      /would hide LiteClient's own liteUnary/,
    );
  });
});
