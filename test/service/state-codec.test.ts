import { describe, expect, it } from 'vitest';
import { classesOf, decode, encode, shapeOf } from '../../src/service/state-codec.ts';

class Inner {
  values = new Float64Array([1, NaN, -Infinity]);
  seen = new Set(['a']);
  last: number | undefined = undefined;
}

class Handler {
  count = 0;
  readonly onEvent = () => this.count++;
}

class Root {
  inner = new Inner();
  shared = this.inner;
  byName = new Map<string, Inner>([['x', this.inner]]);
  handler = new Handler();
  plain = { depth: 1, list: [Infinity, 'NaN'] };
}

describe('state snapshots', () => {
  it('read back what was written: classes, shared references, non-finite numbers, typed arrays', () => {
    const root = new Root();
    root.inner.last = 7;
    root.handler.count = 3;
    root.plain.depth = 2;
    const fresh = new Root();
    decode(encode([root]), [fresh], classesOf([new Root()]));
    expect(fresh.inner).toBeInstanceOf(Inner);
    expect(fresh.shared).toBe(fresh.inner);
    expect(fresh.byName.get('x')).toBe(fresh.inner);
    expect([...fresh.inner.values]).toEqual([1, NaN, -Infinity]);
    expect(fresh.inner.last).toBe(7);
    expect(fresh.plain).toEqual({ depth: 2, list: [Infinity, 'NaN'] });
    // The fresh object's bound handler is kept and works on the restored count.
    fresh.handler.onEvent();
    expect(fresh.handler.count).toBe(4);
  });

  it('refuses what it cannot restore, so the caller replays instead', () => {
    expect(() => encode([{ when: new Date() }])).toThrow(/Date/);
    const withHandler = encode([{ handler: new Handler() }]);
    // A handler with no fresh counterpart to read into would lose its function.
    expect(() => decode(withHandler, [{}], classesOf([new Handler()]))).toThrow(/fresh/);
    expect(() => decode(encode([new Root()]), [{}], new Map())).toThrow(/unknown class/);
  });

  it('tells shapes apart by classes and fields', () => {
    expect(shapeOf([new Root()])).toBe(shapeOf([new Root()]));
    expect(shapeOf([new Root()])).not.toBe(shapeOf([Object.assign(new Root(), { extra: 1 })]));
  });
});
