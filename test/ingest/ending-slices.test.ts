import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/domain/events.ts';
import { LoopBudget } from '../../src/domain/loop-budget.ts';
import { endingInSlices, endingOf } from '../../src/ingest/files/ending.ts';

/**
 * 10,000 events, untimed until the 100th; times go back once just before the 4,096th (a clock
 * set back), with untimed events after it, across the first slice boundary; a NaN loss at the end.
 */
function file(): EventInput[] {
  return Array.from({ length: 10_000 }, (_, i): EventInput => {
    const e: EventInput = { type: 'metrics', step: i, values: { loss: i === 9_999 ? NaN : 1 / (1 + i) } };
    if (i === 100) e.ts = 1_700_000_000_000;
    else if (i === 4_000) e.ts = 1_700_000_900_000;
    else if (i === 4_090) e.ts = 1_700_000_500_000;
    else if (i === 9_000) e.ts = 1_700_000_950_000;
    return e;
  });
}

describe('a file\'s ending followed in slices', () => {
  it('times every event and ends the run as following it in one piece does', async () => {
    const whole = file();
    const expected = endingOf(whole);
    const sliced = file();
    const ending = await endingInSlices(sliced, new LoopBudget(0));
    expect(ending).toEqual(expected);
    expect(sliced.map((e) => e.ts)).toEqual(whole.map((e) => e.ts));
    // What the file says: its head at its first time, the events after the clock went back at that time.
    expect(whole[0].ts).toBe(1_700_000_000_000);
    expect(whole[5_000].ts).toBe(1_700_000_500_000);
    expect(ending).toMatchObject({ status: 'failed', ts: 1_700_000_950_000 });
  });
});
