// Training control: requests recorded in the run's log, pushed to the trainer's sockets, acknowledged back.
import { randomUUID } from 'node:crypto';
import { AnalystError } from '../domain/errors.ts';
import type { RunStatus } from '../domain/events.ts';
import type { Control, ControlAckInput, ControlRequestInput } from '../domain/streams.ts';
import type { ControlStore } from '../store/control.ts';
import type { AnalystService } from './service.ts';

/** Hands one control request to a connected trainer. */
export type ControlLink = (control: Control) => void;

/** What a successful outcome makes of the run; `checkpoint` leaves the status as it is. */
const STATUS_AFTER: Partial<Record<Control['action'], RunStatus>> = { pause: 'paused', resume: 'running', stop: 'stopped' };

/**
 * A request is durable before anyone hears of it, and stays pending until the trainer answers:
 * trainers connected over WebSocket get it pushed at once, a trainer that reconnects gets every
 * pending one again (it deduplicates by id), and a trainer that polls over HTTP reads them.
 */
export class ControlDesk {
  readonly repo: ControlStore;
  private readonly links = new Map<string, Set<ControlLink>>();

  constructor(
    private readonly service: AnalystService,
    private readonly now: () => number = Date.now,
  ) {
    this.repo = service.store.control;
  }

  async request(ref: string, input: ControlRequestInput): Promise<Control> {
    const run = await this.service.run(ref);
    const id = randomUUID();
    const requested_at = this.now();
    const reason = input.reason ?? null;
    // One transaction: a control event in the log always has its row, and the other way round.
    const control = await this.service.transaction(async () => {
      const [event] = await this.service.record(run.id, [{ type: 'control', control: { id, action: input.action, reason, requested_at } }]);
      const c: Control = { id, run: run.id, action: input.action, reason, requested_at, seq: event.seq, delivered_at: null, acked_at: null, outcome: null, message: null };
      await this.repo.insert(c);
      return c;
    });
    for (const link of this.links.get(run.id) ?? []) await this.deliver(control, link);
    return control;
  }

  /** Records the trainer's answer once; a repeated answer returns the first one unchanged. */
  async ack(id: string, input: ControlAckInput, ref?: string): Promise<Control> {
    const control = await this.repo.get(id);
    if (!control || (ref !== undefined && control.run !== (await this.service.run(ref)).id)) {
      throw new AnalystError('not_found', `no control request ${JSON.stringify(id)}${ref ? ` for run ${JSON.stringify(ref)}` : ''}`);
    }
    if (control.acked_at !== null) return control;
    const now = this.now();
    await this.service.transaction(async () => {
      if (!(await this.repo.ack(id, input.outcome, input.message ?? null, now))) return;
      const status = input.outcome === 'done' ? STATUS_AFTER[control.action] : undefined;
      if (status) await this.service.store.updateRun(control.run, status === 'stopped' ? { status, finished_at: now } : { status }, now);
      await this.service.record(control.run, [
        { type: 'control_ack', control: { id, action: control.action, outcome: input.outcome, message: input.message ?? null } },
      ]);
    });
    return (await this.repo.get(id))!;
  }

  async list(ref: string, pendingOnly: boolean): Promise<Control[]> {
    const run = await this.service.run(ref);
    return pendingOnly ? this.repo.pending(run.id) : this.repo.list(run.id);
  }

  /** Pending requests for a trainer that polls; asking counts as a delivery. */
  async poll(ref: string): Promise<Control[]> {
    const pending = await this.list(ref, true);
    const now = this.now();
    for (const c of pending) await this.repo.markDelivered(c.id, now);
    return pending.map((c) => ({ ...c, delivered_at: now }));
  }

  /** A trainer connection for a run: it gets every pending request now and new ones as they come. */
  async attach(runId: string, link: ControlLink): Promise<() => void> {
    let set = this.links.get(runId);
    if (!set) this.links.set(runId, (set = new Set()));
    set.add(link);
    for (const c of await this.repo.pending(runId)) await this.deliver(c, link);
    return () => {
      set.delete(link);
      if (!set.size) this.links.delete(runId);
    };
  }

  private async deliver(control: Control, link: ControlLink): Promise<void> {
    const now = this.now();
    await this.repo.markDelivered(control.id, now);
    link({ ...control, delivered_at: now });
  }
}
