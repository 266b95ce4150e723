// A circuit breaker per provider: after repeated failures, stop calling it for a while.

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trial = false;

  constructor(
    readonly threshold: number,
    readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why a call may not go through now, or undefined when it may (closed, or the half-open trial). */
  blocked(): string | undefined {
    if (this.failures < this.threshold) return undefined;
    const t = this.now();
    if (t < this.openUntil) return `circuit open after ${this.failures} failures in a row; next try in ${Math.ceil((this.openUntil - t) / 1000)} s`;
    // Half-open: one call tests the provider; others wait for its outcome.
    if (this.trial) return 'circuit half-open: a trial call is in flight';
    this.trial = true;
    return undefined;
  }

  success(): void {
    this.failures = 0;
    this.trial = false;
  }

  failure(): void {
    this.failures++;
    this.trial = false;
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.cooldownMs;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.failures < this.threshold) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }
}
