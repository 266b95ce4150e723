import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/domain/events.ts';
import type { IngestResult } from '../../src/service/service.ts';
import { ingestInSlices } from '../../src/service/sliced-ingest.ts';

/** A service whose writes and commits the test lets happen one at a time, noting what happened in which order. */
function steppedService(fail?: { slice: number; at: 'write' | 'commit' }) {
  const log: string[] = [];
  const steps: Array<() => void> = [];
  let slices = 0;
  let seq = 0;
  const service = {
    ingestGrouped(_run: string, inputs: EventInput[], _door?: string, written?: () => void): Promise<IngestResult> {
      const n = slices++;
      const first = (inputs[0] as { step: number }).step;
      log.push(`submit ${n} from ${first}`);
      return new Promise((resolve, reject) => {
        steps.push(() => {
          if (fail?.slice === n && fail.at === 'write') {
            log.push(`refused ${n}`);
            return reject(new Error(`slice ${n} refused`));
          }
          log.push(`written ${n}`);
          seq += inputs.length;
          const lastSeq = seq;
          written?.();
          steps.push(() => {
            if (fail?.slice === n && fail.at === 'commit') {
              log.push(`commit failed ${n}`);
              return reject(new Error(`commit of slice ${n} failed`));
            }
            log.push(`committed ${n}`);
            resolve({ accepted: inputs.length, duplicates: 0, last_seq: lastSeq, events: [] });
          });
        });
      });
    },
  };
  /** Runs what is due until nothing is left, a macrotask apart, as the event loop would. */
  const drive = async (done: Promise<unknown>) => {
    let settled = false;
    void done.then(() => (settled = true), () => (settled = true));
    while (!settled) {
      await new Promise((r) => setImmediate(r));
      steps.shift()?.();
    }
  };
  return { service, log, drive };
}

const events = (n: number): EventInput[] => Array.from({ length: n }, (_, i) => ({ type: 'metrics', step: i, values: { loss: 1 } }));

describe('ingestInSlices', () => {
  it('writes every event once, in order, a slice at a time, the next slice written while the last one commits', async () => {
    const { service, log, drive } = steppedService();
    const prepared: number[][] = [];
    const result = ingestInSlices(service, 'r', events(10), { slice: 4, door: 'import', prepare: (part) => prepared.push(part.map((e) => (e as { step: number }).step)) });
    await drive(result);
    expect(await result).toEqual({ accepted: 10, duplicates: 0, last_seq: 10 });
    expect(prepared).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    // Slice 1 is submitted after slice 0 was written and before slice 0's commit.
    expect(log).toEqual(['submit 0 from 0', 'written 0', 'submit 1 from 4', 'committed 0', 'written 1', 'submit 2 from 8', 'committed 1', 'written 2', 'committed 2']);
  });

  it('writes nothing after a slice that is refused, and throws its error once the slice before it has committed', async () => {
    const { service, log, drive } = steppedService({ slice: 1, at: 'write' });
    const result = ingestInSlices(service, 'r', events(10), { slice: 4, door: 'import' });
    await drive(result);
    await expect(result).rejects.toThrow('slice 1 refused');
    expect(log).toEqual(['submit 0 from 0', 'written 0', 'submit 1 from 4', 'committed 0', 'refused 1']);
  });

  it('throws a failed commit after the slice written meanwhile has settled', async () => {
    const { service, log, drive } = steppedService({ slice: 0, at: 'commit' });
    const result = ingestInSlices(service, 'r', events(10), { slice: 4, door: 'import' });
    await drive(result);
    await expect(result).rejects.toThrow('commit of slice 0 failed');
    expect(log.filter((l) => l.startsWith('submit'))).toEqual(['submit 0 from 0', 'submit 1 from 4']);
    expect(log.at(-1)).toBe('committed 1');
  });

  it('writes nothing for no events', async () => {
    const { service, log } = steppedService();
    expect(await ingestInSlices(service, 'r', [], { slice: 4, door: 'import' })).toEqual({ accepted: 0, duplicates: 0 });
    expect(log).toEqual([]);
  });
});
