// Upstream SSE subscriptions, kept in the store so that they resume (from their last event id) after a restart.
import type { Source, SourceState } from '../domain/streams.ts';

export interface SourceStore {
  insert(s: Pick<Source, 'id' | 'url' | 'run' | 'headers' | 'mapping' | 'created_at'>): Promise<Source>;
  get(id: string): Promise<Source | undefined>;
  find(url: string, run: string): Promise<Source | undefined>;
  all(): Promise<Source[]>;
  remove(id: string): Promise<boolean>;
  /** Frames of these kinds were received and left unread. */
  notRead(id: string, kinds: Map<string, number>): Promise<void>;
  setState(id: string, state: SourceState): Promise<void>;
  /** Events read from the upstream; a null id keeps the last one (the upstream sent none). */
  received(id: string, lastEventId: string | null, count: number, now: number): Promise<void>;
  error(id: string, message: string, now: number): Promise<void>;
  setRetry(id: string, ms: number): Promise<void>;
}
