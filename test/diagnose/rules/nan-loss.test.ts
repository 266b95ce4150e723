import { describe, expect, it } from 'vitest';
import { epochs, feed, raisedAt, resolvedAt, serious } from '../feed.ts';

describe('nan_loss rule', () => {
  it('watches losses the rules read under no loss name of theirs: a GAN generator turning NaN', () => {
    const rows = epochs(30, (e) => ({ train_disc_loss: 0.7 - e / 100, train_gen_loss: e === 6 ? NaN : 1.2 + e / 100 }));
    const fed = feed(rows);
    const [f] = serious(fed, 'nan_loss');
    expect(f.message).toMatch(/^train_gen_loss became NaN at epoch 6;/);
    expect(f.evidence.metric).toBe('train_gen_loss');
    // Twenty finite points after it: recovered (as AMP loss scaling does), resolved.
    expect(fed.diagnoser.open()).toEqual([]);
  });

  it('raises a critical finding at the first non-finite loss, naming where and the last finite value', () => {
    const rows = epochs(10, (e) => ({ train_loss: e < 6 ? 2 / e : NaN, lr: 0.5 }));
    const fed = feed(rows);
    expect(raisedAt(fed, 'nan_loss')).toBe(5);
    const [f] = serious(fed, 'nan_loss');
    expect(f.severity).toBe('critical');
    expect(f.epoch).toBe(6);
    expect(f.message).toContain('train_loss became NaN at epoch 6');
    expect(f.message).toContain('0.4');
    expect(f.actions[0]).toBe('lower lr from 0.5 to 0.05');
    expect(fed.findings.filter((x) => x.kind === 'nan_loss')).toHaveLength(1);
  });

  it('watches the gradient norm too (inf gradients under a finite loss)', () => {
    const fed = feed(epochs(5, (e) => ({ train_loss: 1 / e, grad_norm: e === 4 ? Infinity : 1 })));
    expect(raisedAt(fed, 'nan_loss')).toBe(3);
    expect(serious(fed, 'nan_loss')[0].message).toContain('grad_norm became inf');
  });

  it('stays silent on finite losses, however large', () => {
    const fed = feed(epochs(30, (e) => ({ train_loss: 1e30 * e, grad_norm: 1e20 })));
    expect(fed.findings.filter((f) => f.kind === 'nan_loss')).toEqual([]);
  });

  it('resolves after twenty finite points in a row (AMP skipped an overflow and recovered)', () => {
    const rows = epochs(40, (e) => ({ train_loss: e === 5 ? Infinity : 1 }));
    const fed = feed(rows);
    expect(raisedAt(fed, 'nan_loss')).toBe(4);
    expect(resolvedAt(fed, 'nan_loss')).toBe(24);
  });
});
