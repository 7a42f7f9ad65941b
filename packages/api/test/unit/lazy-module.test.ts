import { describe, expect, it } from 'vitest';
import { lazyModule } from '../../src/grpc/lazy-module.js';

describe('lazyModule', () => {
  it('loads the module on the first use of an export, once, and reads it through', () => {
    let loads = 0;
    const ns = lazyModule(() => {
      loads++;
      return { Message: { decode: (b: string) => `decoded ${b}` }, Enum: { A: 0, B: 1 } };
    });
    expect(loads).toBe(0);
    expect(ns.Message.decode('x')).toBe('decoded x');
    expect(ns.Enum.B).toBe(1);
    expect('Enum' in ns).toBe(true);
    expect('Other' in ns).toBe(false);
    expect(Object.keys(ns)).toEqual(['Message', 'Enum']);
    expect({ ...ns }.Enum).toEqual({ A: 0, B: 1 });
    expect(loads).toBe(1);
  });

  it('tries again after a load that failed', () => {
    let loads = 0;
    const ns = lazyModule(() => {
      if (++loads === 1) throw new Error('cannot load');
      return { value: 42 };
    });
    expect(() => ns.value).toThrow('cannot load');
    expect(ns.value).toBe(42);
  });
});
