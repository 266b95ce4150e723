// How long a live run may be silent: the settings from the environment, and what a silence means.
import { describe, expect, it } from 'vitest';
import { livenessFromEnv, silentStatus } from '../../src/service/liveness.ts';

describe('silent run settings', () => {
  it('start at 15 minutes to stalled and an hour to lost, and read seconds or durations', () => {
    // Checked three times per lease, so the replica checking keeps the stall watcher's lease.
    expect(livenessFromEnv({})).toMatchObject({ stallMs: 900_000, lostMs: 3_600_000, leaseMs: 15_000, checkEveryMs: 5_000 });
    expect(livenessFromEnv({ ANALYST_STALL_SECONDS: '60', ANALYST_LOST_SECONDS: '', ANALYST_LEASE_SECONDS: '2m' })).toMatchObject({ stallMs: 60_000, lostMs: 3_600_000, checkEveryMs: 15_000 });
    expect(livenessFromEnv({ ANALYST_LEASE_SECONDS: '1.5' })).toMatchObject({ leaseMs: 1_500, checkEveryMs: 500 });
    // A long stall limit moves the lost one with it.
    expect(livenessFromEnv({ ANALYST_STALL_SECONDS: '2h' }).lostMs).toBe(8 * 3_600_000);
    expect(livenessFromEnv({ ANALYST_STALL_SECONDS: '10m', ANALYST_LOST_SECONDS: '30m' })).toMatchObject({ stallMs: 600_000, lostMs: 1_800_000 });
  });

  it('refuses what it cannot read and a lost limit not past the stall limit, naming the variable', () => {
    expect(() => livenessFromEnv({ ANALYST_STALL_SECONDS: 'soon' })).toThrow(/ANALYST_STALL_SECONDS/);
    expect(() => livenessFromEnv({ ANALYST_LOST_SECONDS: '-5' })).toThrow(/ANALYST_LOST_SECONDS/);
    expect(() => livenessFromEnv({ ANALYST_LEASE_SECONDS: '0' })).toThrow(/ANALYST_LEASE_SECONDS/);
    expect(() => livenessFromEnv({ ANALYST_STALL_SECONDS: '1h', ANALYST_LOST_SECONDS: '30m' })).toThrow(/ANALYST_LOST_SECONDS.*longer than ANALYST_STALL_SECONDS/);
  });

  it('calls a run stalled, then lost, as its silence grows', () => {
    const settings = livenessFromEnv({});
    expect(silentStatus(14 * 60_000, settings)).toBeUndefined();
    expect(silentStatus(15 * 60_000, settings)).toBe('stalled');
    expect(silentStatus(60 * 60_000, settings)).toBe('lost');
  });
});
