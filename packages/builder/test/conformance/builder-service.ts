/**
 * The contract of {@link BuilderService}, run against any implementation (the local builder, and the
 * same builder through a real gRPC server): events in order, the image it makes, the cache, and the
 * errors of bad input. Needs a base image the implementation can see (`baseRef`).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, type Image } from '@tscr/api';
import { makeTempDir, rejection } from '@tscr/testkit';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildEvent, BuildOptions, BuilderService } from '../../src/index.js';

/** What a conformance run needs. */
export interface BuilderFixture {
  service: BuilderService;
  /** Reads back what a build made. */
  getImage(ref: string): Promise<Image>;
  /** A base image every build starts FROM (busybox). */
  baseRef: string;
  close(): Promise<void>;
}

/** The events of one build (it throws what the build throws). */
async function collect(service: BuilderService, dir: string, opts: BuildOptions): Promise<BuildEvent[]> {
  const context = create({ cwd: dir, portable: true }, ['.']) as unknown as AsyncIterable<Uint8Array>;
  const events: BuildEvent[] = [];
  for await (const e of service.build(context, opts)) events.push(e);
  return events;
}

export function describeBuilderService(name: string, setup: () => Promise<BuilderFixture>): void {
  describe(`BuilderService conformance: ${name}`, () => {
    let fx: BuilderFixture;
    let ctx: string;
    const tag = `tscr-test-build-${name.replace(/\W/g, '')}:1`;

    beforeAll(async () => {
      fx = await setup();
      ctx = await makeTempDir('build-ctx');
      await mkdir(join(ctx, 'sub'));
      await writeFile(join(ctx, 'a.txt'), 'from the context\n');
      await writeFile(join(ctx, 'Dockerfile'), 'FROM $BASE\n');
    });
    afterAll(async () => {
      await fx?.close();
      if (ctx) await rm(ctx, { recursive: true, force: true });
    });

    const dockerfile = () =>
      `FROM ${fx.baseRef}\nENV GREETING=hello\nLABEL stage=conformance\nCOPY a.txt /srv/a.txt\nCMD ["cat", "/srv/a.txt"]\n`;

    it('reports every step in order, then a result naming the image it tagged', async () => {
      const events = await collect(fx.service, ctx, { dockerfileContent: dockerfile(), tags: [tag] });
      const steps = events.filter((e) => e.type === 'step');
      expect(steps.map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);
      expect(steps.every((s) => s.total === 5)).toBe(true);
      expect(steps[0]!.instruction).toBe(`FROM ${fx.baseRef}`);
      const result = events.at(-1)!;
      expect(result.type).toBe('result');
      if (result.type !== 'result') return;
      expect(result.tags).toEqual([tag]);
      const image = await fx.getImage(tag);
      expect(image.id).toBe(result.imageId);
      expect(image.config.env).toContain('GREETING=hello');
      expect(image.config.labels).toMatchObject({ stage: 'conformance' });
      expect(image.config.cmd).toEqual(['cat', '/srv/a.txt']);
      const base = await fx.getImage(fx.baseRef);
      expect(image.layers.length).toBe(base.layers.length + 1); // the COPY
    });

    it('takes every step from the cache the second time, and none with noCache', async () => {
      const again = (await collect(fx.service, ctx, { dockerfileContent: dockerfile(), tags: [tag] })).at(-1)!;
      expect(again.type === 'result' && again.cachedSteps).toEqual([2, 3, 4, 5]);
      const fresh = (await collect(fx.service, ctx, { dockerfileContent: dockerfile(), noCache: true })).at(-1)!;
      expect(fresh.type === 'result' && fresh.cachedSteps).toEqual([]);
    });

    it('streams RUN output and fails a RUN that exits non-zero with FailedPrecondition', async () => {
      const ok = await collect(fx.service, ctx, { dockerfileContent: `FROM ${fx.baseRef}\nRUN echo ran-here\n` });
      const out = ok.flatMap((e) => (e.type === 'output' ? [Buffer.from(e.data).toString()] : [])).join('');
      expect(out).toContain('ran-here');
      const err = await rejection(collect(fx.service, ctx, { dockerfileContent: `FROM ${fx.baseRef}\nRUN exit 3\n` }));
      expect(errorCode(err)).toBe('FailedPrecondition');
      expect((err as { details?: Record<string, string> }).details?.exitCode).toBe('3');
    });

    it('refuses bad input with stable codes', async () => {
      const cases: [string, string][] = [
        ['FROM', 'InvalidArgument'], // FROM without an image
        [`FROM ${fx.baseRef}\nBOGUS x\n`, 'InvalidArgument'],
        [`FROM ${fx.baseRef}\nCOPY missing.txt /\n`, 'NotFound'],
        [`FROM ${fx.baseRef}\nCOPY ../outside /\n`, 'InvalidArgument'],
        ['FROM tscr-test-no-such-image:1\n', 'NotFound'],
      ];
      for (const [text, code] of cases) {
        const err = await rejection(collect(fx.service, ctx, { dockerfileContent: text }));
        expect(`${JSON.stringify(text)}: ${errorCode(err)}`).toBe(`${JSON.stringify(text)}: ${code}`);
      }
      const target = await rejection(
        collect(fx.service, ctx, { dockerfileContent: `FROM ${fx.baseRef} AS a\n`, target: 'b' }),
      );
      expect(errorCode(target)).toBe('InvalidArgument');
    });
  });
}
