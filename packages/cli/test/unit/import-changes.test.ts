import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../src/commands/import-changes.js';

describe('applyChanges', () => {
  it('applies exec-form and shell-form CMD and ENTRYPOINT', () => {
    expect(applyChanges(['CMD ["sh"]'])).toEqual({ cmd: ['sh'] });
    expect(applyChanges(['ENTRYPOINT echo hi'])).toEqual({ entrypoint: ['/bin/sh', '-c', 'echo hi'] });
    expect(applyChanges(['cmd ["a", "b c"]'])).toEqual({ cmd: ['a', 'b c'] });
  });

  it('merges ENV, LABEL, EXPOSE and VOLUME', () => {
    const c = applyChanges([
      'ENV A=1 B="two words"',
      'ENV A=3',
      'ENV LEGACY some value',
      'LABEL k=v',
      'EXPOSE 80 53/udp',
      'VOLUME ["/data"]',
      'WORKDIR /w',
      'USER nobody',
      'STOPSIGNAL SIGTERM',
    ]);
    expect(c).toEqual({
      env: ['A=3', 'B=two words', 'LEGACY=some value'],
      labels: { k: 'v' },
      exposedPorts: ['80/tcp', '53/udp'],
      volumes: ['/data'],
      workingDir: '/w',
      user: 'nobody',
      stopSignal: 'SIGTERM',
    });
  });

  it('rejects unknown instructions; records ONBUILD triggers', () => {
    expect(() => applyChanges(['RUN echo'])).toThrow(/not a valid change command/);
    expect(applyChanges(['ONBUILD RUN x', 'ONBUILD COPY a b']).onBuild).toEqual(['RUN x', 'COPY a b']);
    expect(() => applyChanges(['ONBUILD FROM x'])).toThrow(/ONBUILD trigger/);
  });
});
