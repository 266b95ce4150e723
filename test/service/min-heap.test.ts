import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/service/min-heap.ts';

describe('MinHeap', () => {
  it('merges sorted lists in order, ties to the earlier list, as one stable sort of them all would', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 30 }), { maxLength: 8 }), (raw) => {
        const lists = raw.map((l) => [...l].sort((a, b) => a - b));
        const heads = lists.map(() => 0);
        const heap = new MinHeap((a, b) => lists[a][heads[a]] < lists[b][heads[b]] || (lists[a][heads[a]] === lists[b][heads[b]] && a < b));
        lists.forEach((l, i) => l.length && heap.push(i));
        const merged: Array<[number, number]> = [];
        while (heap.size) {
          const i = heap.peek();
          merged.push([lists[i][heads[i]++], i]);
          if (heads[i] < lists[i].length) heap.replaceTop();
          else heap.pop();
        }
        const expected = lists.flatMap((l, i) => l.map((v): [number, number] => [v, i])).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(merged).toEqual(expected);
      }),
    );
  });
});
