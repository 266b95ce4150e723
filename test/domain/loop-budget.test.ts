import { describe, expect, it } from 'vitest';
import { LoopBudget } from '../../src/domain/loop-budget.ts';

describe('LoopBudget', () => {
  it('lets a turn of the event loop in once a slice has run, where awaiting resolved promises never would', async () => {
    const seen: string[] = [];
    setImmediate(() => seen.push('other request'));
    // Without the budget: a loop of awaits that resolve at once runs to its end before anything else.
    for (let i = 0; i < 1000; i++) await Promise.resolve();
    seen.push('loop without budget ended');
    // A slice of 0 ms has always run out: the first tick gives the loop its turn.
    setImmediate(() => seen.push('request during the sliced loop'));
    const budget = new LoopBudget(0);
    for (let i = 0; i < 3; i++) await budget.tick();
    seen.push('sliced loop ended');
    expect(seen).toEqual(['loop without budget ended', 'other request', 'request during the sliced loop', 'sliced loop ended']);
  });

  it('keeps going without a turn while the slice lasts', async () => {
    const seen: string[] = [];
    setImmediate(() => seen.push('other request'));
    const budget = new LoopBudget(60_000);
    for (let i = 0; i < 100; i++) await budget.tick();
    seen.push('loop ended');
    expect(seen[0]).toBe('loop ended');
  });
});
