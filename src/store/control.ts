// Training-control requests and their outcomes, beside the run's event log.
import type { Control, ControlOutcome } from '../domain/streams.ts';

/** Pending means not acknowledged: a request stays pending through any number of deliveries. */
export interface ControlStore {
  insert(c: Pick<Control, 'id' | 'run' | 'action' | 'reason' | 'requested_at' | 'seq'>): Promise<void>;
  get(id: string): Promise<Control | undefined>;
  list(run: string, limit?: number): Promise<Control[]>;
  pending(run: string): Promise<Control[]>;
  markDelivered(id: string, now: number): Promise<void>;
  /** False when it was acknowledged before: the first outcome stands. */
  ack(id: string, outcome: ControlOutcome, message: string | null, now: number): Promise<boolean>;
}
