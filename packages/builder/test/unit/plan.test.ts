// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text holds ${VAR} substitutions
import { describe, expect, it } from 'vitest';
import { parseDockerfile, planBuild } from '../../src/index.js';

function plan(text: string, args: Record<string, string> = {}, target?: string) {
  return planBuild(parseDockerfile(text), args, target);
}

function planError(text: string, target?: string): unknown {
  try {
    plan(text, {}, target);
  } catch (err) {
    return err;
  }
  return undefined;
}

const MULTI = [
  'ARG BASE=busybox:1',
  'FROM $BASE AS deps',
  'RUN echo deps',
  'FROM scratch AS unused',
  'COPY x /x',
  'FROM deps AS build',
  'COPY --from=0 /a /a',
  'FROM ${BASE}',
  'COPY --from=build /b /b',
].join('\n');

describe('planBuild', () => {
  it('builds only the stages the target needs, dependencies first', () => {
    const p = plan(MULTI);
    expect(p.order).toEqual([0, 2, 3]);
    expect(p.stages.map((s) => s.base)).toEqual(['busybox:1', 'scratch', 'deps', 'busybox:1']);
    expect(p.stages[2]?.baseStage).toBe(0);
    expect(plan(MULTI, {}, 'deps').order).toEqual([0]);
    expect(plan(MULTI, { BASE: 'alpine' }).stages[0]?.base).toBe('alpine');
  });

  it('rejects an unknown target, COPY --from cycles and bad FROM lines', () => {
    expect(planError(MULTI, 'nope')).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringMatching(/target stage "nope"/),
    });
    const cycle = ['FROM busybox AS a', 'COPY --from=b /x /x', 'FROM busybox AS b', 'COPY --from=a /y /y'].join('\n');
    expect(planError(cycle)).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringMatching(/circular dependency/),
    });
    expect(planError('FROM a b c d')).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringMatching(/^Dockerfile:1:/),
    });
    expect(planError('FROM busybox AS x\nFROM busybox AS x')).toMatchObject({
      message: expect.stringMatching(/duplicate stage name/),
    });
  });
});
