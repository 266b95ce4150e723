// Tuning suggestions and what became of them.
import type { SuggestionOutcome, SuggestionStatus, TrackedSuggestion } from '../domain/analysis-request.ts';

export interface SuggestionStore {
  /** The same suggestion proposed again refreshes its wording but keeps its status and outcome. */
  upsert(s: Omit<TrackedSuggestion, 'status' | 'created_at' | 'updated_at' | 'outcome'>, now?: number): Promise<void>;
  get(id: string): Promise<TrackedSuggestion | undefined>;
  byRun(run: string): Promise<TrackedSuggestion[]>;
  /** Suggestions of a run still waiting for a later run to apply them (rejected ones are not tracked). */
  pending(run: string): Promise<TrackedSuggestion[]>;
  setStatus(id: string, status: SuggestionStatus, now?: number): Promise<boolean>;
  setOutcome(id: string, outcome: SuggestionOutcome, now?: number): Promise<void>;
}
