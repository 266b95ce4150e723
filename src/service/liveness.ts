// Runs fed live that fall silent: running → stalled → lost, checked on a timer; and how long a
// replica's hold on what runs once per deployment (this check, upstream sources) outlives it.
import { z } from 'zod';
import { DurationSetting } from '../domain/duration.ts';
import { AnalystError, parseOrThrow } from '../domain/errors.ts';
import { RENEWALS_PER_LEASE } from '../store/leases.ts';

export interface LivenessSettings {
  /** ANALYST_STALL_SECONDS: a running run silent this long becomes `stalled` (and `run.stalled` is alerted). */
  stallMs: number;
  /** ANALYST_LOST_SECONDS: a run silent this long becomes `lost`: its trainer is gone. */
  lostMs: number;
  /** How often live runs are checked. */
  checkEveryMs: number;
  /**
   * ANALYST_LEASE_SECONDS: how long a replica's lease on the stall watcher and on upstream sources
   * lasts unrenewed; when the replica holding them dies, another takes them over within this.
   */
  leaseMs: number;
}

const FIFTEEN_MINUTES = 15 * 60_000;
const ONE_HOUR = 60 * 60_000;
const LEASE_MS = 15_000;

const LivenessEnv = z.object({
  ANALYST_STALL_SECONDS: DurationSetting.optional(),
  ANALYST_LOST_SECONDS: DurationSetting.optional(),
  ANALYST_LEASE_SECONDS: DurationSetting.optional(),
});

export function livenessSettings(stallMs = FIFTEEN_MINUTES, lostMs = Math.max(ONE_HOUR, 4 * stallMs), leaseMs = LEASE_MS): LivenessSettings {
  if (lostMs <= stallMs) {
    const message = `must be longer than ANALYST_STALL_SECONDS (${stallMs / 1000} s)`;
    throw new AnalystError('invalid_body', `invalid configuration: ANALYST_LOST_SECONDS: ${message}`, [{ path: 'ANALYST_LOST_SECONDS', message }]);
  }
  // A silence is noticed at most a quarter of the stall limit late, and not checked more than once
  // a second unless the watcher's lease needs it: each check renews the lease.
  const checkEveryMs = Math.min(30_000, Math.max(1_000, stallMs / 4), leaseMs / RENEWALS_PER_LEASE);
  return { stallMs, lostMs, checkEveryMs, leaseMs };
}

export function livenessFromEnv(env: NodeJS.ProcessEnv): LivenessSettings {
  // Unset and empty are the same thing in a shell environment.
  const set = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in LivenessEnv.shape && v !== undefined && v.trim() !== ''));
  const parsed = parseOrThrow(LivenessEnv, set, 'configuration');
  return livenessSettings(parsed.ANALYST_STALL_SECONDS, parsed.ANALYST_LOST_SECONDS, parsed.ANALYST_LEASE_SECONDS);
}

/** The status silence gives a live run, or undefined while it is not silent long enough. */
export function silentStatus(silentMs: number, settings: LivenessSettings): 'stalled' | 'lost' | undefined {
  if (silentMs >= settings.lostMs) return 'lost';
  if (silentMs >= settings.stallMs) return 'stalled';
  return undefined;
}

/** Calls `check` every `checkEveryMs` without keeping the process alive. */
export class LivenessTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly check: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check().catch(this.onError), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
