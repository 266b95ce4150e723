// Alert and delivery ids: valid UUIDv7, sorted by creation time.
import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../src/notify/ids.ts';

describe('time-ordered ids', () => {
  it('are UUIDv7 whose order follows time, and unique within a millisecond', () => {
    const at = Date.parse('2026-11-21T10:00:00Z');
    const id = timeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    const later = [at + 1, at + 1000, at + 86_400_000].map((t) => timeOrderedId(t));
    expect([...later].sort()).toEqual(later);
    expect(later.every((l) => l > id)).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => timeOrderedId(at))).size).toBe(1000);
  });
});
