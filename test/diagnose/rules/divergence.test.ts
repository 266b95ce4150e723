import { describe, expect, it } from 'vitest';
import { epochs, feed, noise, noisyFinetune, raisedAt, resolvedAt, serious } from '../feed.ts';

describe('divergence rule', () => {
  it('fires when the smoothed loss climbs to several times its best, and suggests a 10x lower lr', () => {
    // Falls from 2.3 to ~0.5, then blows up by 1.8x per epoch from epoch 11.
    const rows = epochs(20, (e) => ({ train_loss: e <= 10 ? 2.3 * Math.exp(-e / 6) + 0.3 : 0.8 * 1.8 ** (e - 10), lr: 1.5 }));
    const fed = feed(rows);
    const at = raisedAt(fed, 'divergence');
    expect(at).toBeGreaterThan(10);
    expect(at).toBeLessThanOrEqual(14);
    const [f] = serious(fed, 'divergence');
    expect(f.severity).toBe('critical');
    expect(f.actions[0]).toBe('lower lr from 1.5 to 0.15');
    expect(f.evidence.ratio as number).toBeGreaterThanOrEqual(10);
  });

  it('stays silent on a healthy, noisy step-level curve that wobbles near zero', () => {
    const r = noise(3);
    const rows = Array.from({ length: 600 }, (_, i) => ({ step: i + 1, train_loss: (2.3 * Math.exp(-i / 40) + 0.002) * Math.exp(0.6 * r()) }));
    expect(feed(rows).findings.filter((f) => f.kind === 'divergence')).toEqual([]);
  });

  it('judges a per-batch loss that scatters in proportion to its level against that scatter', () => {
    // A small classifier's per-batch loss at every other logging point: batches between 0.006 and 0.37
    // around 0.07 once learned, and three high batches of five in a row that lift
    // the running median fourfold by chance, with no trend before or after.
    const values = [
      0.664, 0.576, 0.386, 0.329, 0.286, 0.305, 0.26, 0.267, 0.218, 0.416, 0.539, 0.233, 0.254, 0.184, 0.196, 0.132, 0.156, 0.0339, 0.134,
      0.17, 0.233, 0.11, 0.162, 0.146, 0.0614, 0.116, 0.133, 0.141, 0.072, 0.0433, 0.0938, 0.0058, 0.119, 0.0731, 0.0889, 0.0276, 0.11,
      0.133, 0.0408, 0.352, 0.013, 0.0797, 0.299, 0.373, 0.138, 0.175, 0.0745, 0.0212, 0.0547, 0.113, 0.196, 0.121, 0.0299, 0.0776,
    ];
    const fed = feed(values.map((v, i) => ({ step: (i + 1) * 10, train_loss: v })));
    expect(serious(fed, 'divergence')).toEqual([]);
    // The same scatter around a level that climbs tenfold and stays there is divergence.
    const climbing = [...values, ...values.slice(20).map((v, i) => v * Math.min(10, 1.3 ** (i + 1)))];
    expect(serious(feed(climbing.map((v, i) => ({ step: (i + 1) * 10, train_loss: v }))), 'divergence')).toHaveLength(1);
  });

  it('catches a slower, lasting climb that gives back much of what was learned', () => {
    const rows = epochs(30, (e) => ({ train_loss: e <= 10 ? 9 - 0.4 * e : 5 + 0.15 * (e - 10) }));
    const fed = feed(rows);
    expect(serious(fed, 'divergence')).toHaveLength(1);
  });

  it('gives a warm-up bump its grace, but not a loss climbing well above where training started', () => {
    // lr ramps up over the whole stretch; the loss dips, bumps up a little, then climbs.
    const bump = [4.3, 3.6, 3.6, 3.3, 3.1, 3.0, 2.9, 3.1, 3.4, 3.3, 3.2, 3.1, 3.0];
    const calm = feed(bump.map((v, i) => ({ step: i + 1, train_loss: v, lr: 0.1 * (i + 1) })));
    expect(serious(calm, 'divergence')).toEqual([]);
    const climb = [...bump, 5, 6, 8, 9, 11, 12];
    const fed = feed(climb.map((v, i) => ({ step: i + 1, train_loss: v, lr: 0.1 * (i + 1) })));
    // The running median passes 1.5x the start (6.45) at row 16 (median of 3.0, 5, 6, 8, 9 is 6; of 5, 6, 8, 9, 11 is 8).
    expect(raisedAt(fed, 'divergence')).toBe(16);
  });

  it('resolves once the loss is back near its best for ten points', () => {
    const rows = epochs(40, (e) => ({ train_loss: e <= 10 ? 2 / e : e <= 15 ? 5 : 0.2 }));
    const fed = feed(rows);
    const raised = raisedAt(fed, 'divergence');
    expect(raised).toBeGreaterThan(10);
    const resolved = resolvedAt(fed, 'divergence');
    expect(resolved).toBeGreaterThan(raised);
    expect(resolved).toBeLessThan(35);
  });
  it('stays silent on healthy fine-tunes whose step losses scatter by ±20% (ten seeds)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      expect(serious(feed(noisyFinetune(seed, 0.2)), 'divergence'), `seed ${seed}`).toEqual([]);
    }
  });
});
