import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '@tscr/testkit';
import { isCancelled, isInvalidArgument, isUnimplemented } from '@tscr/api';
import type { Progress, RegistryClient } from '@tscr/registry-client';

/** What a conformance run needs: a client and a way to tear it down. */
export interface RegistryClientFixture {
  client: RegistryClient;
  close(): Promise<void>;
}

/** Streams that never end fail the test as Cancelled instead of hanging it. */
const bounded = () => ({ signal: AbortSignal.timeout(4000) });

async function drain(stream: AsyncIterable<Progress>): Promise<Progress[]> {
  const out: Progress[] = [];
  for await (const p of stream) out.push(p);
  return out;
}

/** The contract of {@link RegistryClient}, run against any implementation. */
export function describeRegistryClient(name: string, setup: () => Promise<RegistryClientFixture>): void {
  describe(`RegistryClient conformance: ${name}`, () => {
    let fx: RegistryClientFixture;
    let client: RegistryClient;
    beforeAll(async () => {
      fx = await setup();
      client = fx.client;
    });
    afterAll(async () => {
      await fx?.close();
    });

    it('parses and normalizes references', async () => {
      expect(await client.parseReference('alpine')).toEqual({
        domain: 'docker.io',
        path: 'library/alpine',
        tag: 'latest',
        normalized: 'docker.io/library/alpine:latest',
        familiar: 'alpine:latest',
      });
      const d = `sha256:${'b'.repeat(64)}`;
      const pinned = await client.parseReference(`localhost:5000/org/app@${d}`);
      expect(pinned).toEqual({
        domain: 'localhost:5000',
        path: 'org/app',
        digest: d,
        normalized: `localhost:5000/org/app@${d}`,
        familiar: `localhost:5000/org/app@${d}`,
      });
      expect(pinned.tag).toBeUndefined();
    });

    it('raises InvalidArgument for malformed references', async () => {
      for (const ref of ['', 'UPPER', 'a:b:c', 'x@sha256:123']) {
        const err = await rejection(client.parseReference(ref));
        expect(isInvalidArgument(err)).toBe(true);
        expect(err.details.ref).toBe(ref);
      }
    });

    it('raises Unimplemented for pull and push when iterated', async () => {
      const pull = await rejection(drain(client.pull('busybox:latest', bounded())));
      expect(isUnimplemented(pull)).toBe(true);
      expect(pull.details.feature).toBe('registry pull');
      const push = await rejection(drain(client.push('localhost:5000/busybox:latest', bounded())));
      expect(isUnimplemented(push)).toBe(true);
      expect(push.details.feature).toBe('registry push');
    });

    it('checks the reference of a pull before anything else', async () => {
      expect(isInvalidArgument(await rejection(drain(client.pull('Not/Valid', bounded()))))).toBe(true);
      expect(isInvalidArgument(await rejection(drain(client.push('', bounded()))))).toBe(true);
    });

    it('honours an aborted signal on streams', async () => {
      const ac = new AbortController();
      ac.abort();
      expect(isCancelled(await rejection(drain(client.pull('busybox', { signal: ac.signal }))))).toBe(true);
    });
  });
}
